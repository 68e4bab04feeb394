package core

import (
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/connectors"
	"switchboard/storage"
)

// The brand opt-in read as a hostile sender would: each test is a way a
// brand could try to reach the inbox without the user's consent.

// TestBrandInAGroupItMadeUpIsHeld: an e-mail Cc list makes a "group" the
// sender chose; only a group the user joined (an IRC channel, an XMPP room)
// lets a brand's message through.
func TestBrandInAGroupItMadeUpIsHeld(t *testing.T) {
	e, n := brandEnv(t)
	made := msg("work", "AcmeDeals,bob", "AcmeDeals", "newsletter to you and bob", "g1", e.clk.Now())
	made.Message.Conversation.Kind = connectors.Group
	n.deliver(t, made)
	e.waitText(storage.FilterRequests, "newsletter to you and bob")

	joined := msg("work", "#team", "AcmeDeals", "hello channel", "g2", e.clk.Now())
	joined.Message.Conversation = connectors.ConversationRef{ID: "#team", Kind: connectors.Group, Joined: true}
	n.deliver(t, joined)
	e.waitText(storage.FilterAll, "hello channel")
	for _, c := range e.convs(storage.FilterAll) {
		if c.LastText == "newsletter to you and bob" {
			t.Fatal("the made-up group's brand message is in the inbox")
		}
	}
}

// TestBackdatedBrandMessageIsJudgedOnItsReceiveTime: a brand the user
// wrote to a month ago dates its message an hour after that; the replies
// window is judged on when the message arrived, so it is held.
func TestBackdatedBrandMessageIsJudgedOnItsReceiveTime(t *testing.T) {
	e, n := brandEnv(t)
	wrote := e.clk.Now()
	if _, err := e.core.Send(bg, SendRequest{Account: "work", Target: "AcmeDeals", Text: "where is my order?"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the replies window opened", func() bool {
		c, err := e.core.store.Consent(bg, "work", "AcmeDeals")
		return err == nil && !c.LastUserMsg.IsZero()
	})
	e.clk.Advance(30 * 24 * time.Hour)
	n.deliver(t, msg("work", "AcmeDeals", "AcmeDeals", "backdated offer", "d1", wrote.Add(time.Hour)))
	req := e.waitText(storage.FilterRequests, "backdated offer")
	if !strings.Contains(req.HoldReason, "30 days") {
		t.Fatalf("reason %q does not judge on the receive time", req.HoldReason)
	}

	// A receive time the connector vouches for (IMAP INTERNALDATE, the
	// archive's stamp) is used as given: inside the window, delivered.
	late := msg("work", "AcmeDeals", "AcmeDeals", "answer stored while you were away", "d2", wrote.Add(time.Hour))
	late.Message.Received = wrote.Add(2 * time.Hour)
	n.deliver(t, late)
	e.waitText(storage.FilterAll, "answer stored while you were away")
}

// TestStorageErrorHoldsTheMessage: when the brand policy cannot read who
// the sender is, the message is held (never lost, never let through).
func TestStorageErrorHoldsTheMessage(t *testing.T) {
	e, n := brandEnv(t)
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(e.dir, "archive.db")+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Damage the sealed contact record: opening it fails authentication.
	if _, err := db.Exec(`UPDATE contacts SET body = x'00112233'`); err != nil {
		t.Fatal(err)
	}
	n.deliver(t, msg("work", "AcmeDeals", "AcmeDeals", "sent while the archive fails", "s1", e.clk.Now()))
	req := e.waitText(storage.FilterRequests, "sent while the archive fails")
	if !strings.Contains(req.HoldReason, "could not check") {
		t.Fatalf("reason %q", req.HoldReason)
	}
}

// TestHeldRequestsFilesWaitUntilTheUserAccepts: fetching a held request's
// attachments tells the sender's server it was opened; they are fetched
// once the user accepts the sender.
func TestHeldRequestsFilesWaitUntilTheUserAccepts(t *testing.T) {
	e, n := brandEnv(t)
	n.mu.Lock()
	n.files = map[string][]string{"h1": {"catalogue"}, "p1": {"minutes"}}
	n.mu.Unlock()
	held := msg("work", "AcmeDeals", "AcmeDeals", "our catalogue", "h1", e.clk.Now())
	held.Message.Attachments = []connectors.Attachment{{Name: "catalogue.pdf", Type: "application/pdf", Size: 9}}
	n.deliver(t, held)
	req := e.waitText(storage.FilterRequests, "our catalogue")
	// A person's file after it: once that is saved, the file loop has run.
	n.deliver(t, msgWithFiles("work", "p1", e, connectors.Attachment{Name: "minutes.txt", Type: "text/plain", Size: 7}))
	eventually(t, "the person's file saved", func() bool { return allIn(e.attachmentsOf("p1"), storage.AttachSaved, 1) })
	ms, err := e.core.Messages(bg, req.Row, 0, 10)
	if err != nil || len(ms) != 1 || len(ms[0].Attachments) != 1 || ms[0].Attachments[0].State == storage.AttachSaved {
		t.Fatalf("held message %+v, %v: its file was fetched", ms, err)
	}
	n.mu.Lock()
	fetches := n.fetches
	n.mu.Unlock()
	if fetches != 1 {
		t.Fatalf("%d fetches, want only the person's", fetches)
	}
	if err := e.core.SetConsent(bg, ConsentRequest{Account: "work", Handle: "AcmeDeals", State: "subscribed", How: "test"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the accepted request's file saved", func() bool { return allIn(e.attachmentsOf("h1"), storage.AttachSaved, 1) })
}

// TestNoReadMarkerToAHeldSender: a read marker confirms the address is
// live; a conversation with held messages sends none.
func TestNoReadMarkerToAHeldSender(t *testing.T) {
	e, n := brandEnv(t)
	n.deliver(t, msg("work", "AcmeDeals", "AcmeDeals", "are you there?", "r1", e.clk.Now()))
	req := e.waitText(storage.FilterRequests, "are you there?")
	if err := e.core.MarkRead(bg, req.Row); err != nil {
		t.Fatal(err)
	}
	n.mu.Lock()
	marked := append([]string(nil), n.marked...)
	n.mu.Unlock()
	if len(marked) != 0 {
		t.Fatalf("read markers sent to a held sender: %q", marked)
	}
}

// TestSubscriptionScopesAreRefusedNotPretended: no network says whether a
// message is an update, an offer or service, so a subscription limited to
// one could not be kept; it is refused in plain words, not recorded.
func TestSubscriptionScopesAreRefusedNotPretended(t *testing.T) {
	e, _ := brandEnv(t)
	err := e.core.SetConsent(bg, ConsentRequest{Account: "work", Handle: "AcmeDeals", State: "subscribed", Scopes: []string{"offers"}, How: "cli"})
	if !errors.Is(err, ErrScopesNotOffered) {
		t.Fatalf("err = %v, want ErrScopesNotOffered", err)
	}
	if led, _ := e.core.Ledger(bg, "work", "AcmeDeals"); len(led) != 0 {
		t.Fatalf("a refused scope reached the ledger: %+v", led)
	}
}

// TestNoDeliveryReceiptToAHeldSender: a receipt confirms the address is
// live; the core lets the connector send one only for a delivered message.
func TestNoDeliveryReceiptToAHeldSender(t *testing.T) {
	e, n := brandEnv(t)
	n.deliver(t, msg("work", "AcmeDeals", "AcmeDeals", "did this arrive?", "k1", e.clk.Now()))
	e.waitText(storage.FilterRequests, "did this arrive?")
	n.deliver(t, msg("work", "bob", "bob", "lunch?", "k2", e.clk.Now()))
	e.waitText(storage.FilterAll, "lunch?")
	n.mu.Lock()
	acked := append([]string(nil), n.acked...)
	n.mu.Unlock()
	if len(acked) != 1 || acked[0] != "k2" {
		t.Fatalf("receipts sent for %q, want only bob's k2", acked)
	}
}

// TestBrandRenamingItselfStaysABrand: an IRC nick change carries the
// brand's kind and consent to the new nick: a blocked brand stays blocked.
func TestBrandRenamingItselfStaysABrand(t *testing.T) {
	e, n := brandEnv(t)
	if err := e.core.SetConsent(bg, ConsentRequest{Account: "work", Handle: "AcmeDeals", State: "blocked", How: "test"}); err != nil {
		t.Fatal(err)
	}
	n.deliver(t, connectors.ContactUpdated{Account: "work", Contact: connectors.Contact{Handle: "Acme_Offers", Name: "Acme_Offers", Was: "AcmeDeals"}})
	n.deliver(t, msg("work", "Acme_Offers", "Acme_Offers", "new name, same offers", "n1", e.clk.Now()))
	e.waitText(storage.FilterBlocked, "new name, same offers")
}
