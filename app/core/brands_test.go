package core

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strings"
	"testing"
	"time"

	"switchboard/app/policy"
	"switchboard/connectors"
	"switchboard/storage"
)

// brandEnv is a connected account where "AcmeDeals" is a known brand
// (the network flags it as a bot, as IRC's +B does).
func brandEnv(t *testing.T) (*env, *fakeNet) {
	e, n := onlineEnv(t)
	n.deliver(t, connectors.ContactUpdated{Account: "work", Contact: connectors.Contact{Handle: "AcmeDeals", Kind: connectors.KindBot, Evidence: []string{"irc: user mode +B"}}})
	eventually(t, "the brand's contact record", func() bool {
		_, err := e.core.store.Contact(bg, "work", "AcmeDeals")
		return err == nil
	})
	return e, n
}

func (e *env) waitText(f storage.Filter, text string) storage.Conversation {
	e.t.Helper()
	var found storage.Conversation
	eventually(e.t, text+" under "+string(f), func() bool {
		for _, c := range e.convs(f) {
			if c.LastText == text {
				found = c
				return true
			}
		}
		return false
	})
	return found
}

func TestUnsolicitedBrandMessageIsHeldNotNotifiedNotInInbox(t *testing.T) {
	e, n := brandEnv(t)
	updates, cancel := e.core.Subscribe()
	defer cancel()
	n.deliver(t, msg("work", "AcmeDeals", "AcmeDeals", "50% off today!", "a1", e.clk.Now()))
	req := e.waitText(storage.FilterRequests, "50% off today!")
	if !strings.Contains(req.HoldReason, "you have not subscribed") {
		t.Fatalf("reason = %q", req.HoldReason)
	}
	if len(e.convs(storage.FilterAll)) != 0 {
		t.Fatal("a held message is in the inbox")
	}
	if n, _ := e.core.UnreadTotal(bg); n != 0 {
		t.Fatalf("held message counted as unread: %d", n)
	}
	timeout := time.After(2 * time.Second)
	for {
		select {
		case batch := <-updates:
			for _, u := range batch {
				if u.Notify {
					t.Fatal("a held brand message was notified")
				}
			}
		case <-timeout:
			return
		}
	}
}

func TestUserWritingFirstLetsTheBrandAnswerInsideTheWindowOnly(t *testing.T) {
	e, n := brandEnv(t)
	if _, err := e.core.Send(bg, SendRequest{Account: "work", Target: "AcmeDeals", Text: "where is my order?"}); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(2 * time.Hour)
	n.deliver(t, msg("work", "AcmeDeals", "AcmeDeals", "it ships tomorrow", "a2", e.clk.Now()))
	e.waitText(storage.FilterAll, "it ships tomorrow")

	e.clk.Advance(48 * time.Hour)
	n.deliver(t, msg("work", "AcmeDeals", "AcmeDeals", "new deals for you", "a3", e.clk.Now()))
	req := e.waitText(storage.FilterRequests, "new deals for you")
	if !strings.Contains(req.HoldReason, "24 hours") && !strings.Contains(req.HoldReason, "24h") {
		t.Fatalf("reason %q does not explain the window", req.HoldReason)
	}
	led, err := e.core.Ledger(bg, "work", "AcmeDeals")
	if err != nil || len(led) != 1 || led[0].NewState != "replies" || led[0].How != policy.HowUserSent {
		t.Fatalf("ledger = %+v, %v", led, err)
	}
}

func TestSubscribedBrandIsDeliveredAndBlockedBrandGoesToBlocked(t *testing.T) {
	e, n := brandEnv(t)
	n.deliver(t, msg("work", "AcmeDeals", "AcmeDeals", "first offer", "b1", e.clk.Now()))
	e.waitText(storage.FilterRequests, "first offer")

	// Accepting as subscribed releases the held message and lets new ones in.
	err := e.core.SetConsent(bg, ConsentRequest{Account: "work", Handle: "AcmeDeals", State: "subscribed", How: policy.HowCLI, MessageID: "b1"})
	if err != nil {
		t.Fatal(err)
	}
	e.waitText(storage.FilterAll, "first offer")
	n.deliver(t, msg("work", "AcmeDeals", "AcmeDeals", "second offer", "b2", e.clk.Now()))
	e.waitText(storage.FilterAll, "second offer")

	if err := e.core.SetConsent(bg, ConsentRequest{Account: "work", Handle: "AcmeDeals", State: "blocked", How: policy.HowGUI}); err != nil {
		t.Fatal(err)
	}
	n.mu.Lock()
	blocked := n.blocked["AcmeDeals"]
	n.mu.Unlock()
	if !blocked {
		t.Fatal("blocking did not act on the network")
	}
	n.deliver(t, msg("work", "AcmeDeals", "AcmeDeals", "please come back", "b3", e.clk.Now()))
	e.waitText(storage.FilterBlocked, "please come back")
	if got, err := e.core.PurgeBlocked(bg, "work"); err != nil || got != 1 {
		t.Fatalf("purge = %d, %v", got, err)
	}

	es, _ := e.core.Ledger(bg, "", "")
	var buf bytes.Buffer
	if err := policy.WriteLedgerCSV(&buf, LedgerRecords(es)); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 { // header + subscribed + blocked
		t.Fatalf("ledger CSV rows = %q", rows)
	}
	if rows[1][6] != "subscribed" || rows[2][6] != "blocked" || !strings.Contains(rows[2][11], "blocked on the network") {
		t.Fatalf("ledger CSV = %q", rows)
	}
}

func TestUnsubscribeRevokesAtTheSenderAndIsLedgered(t *testing.T) {
	e, n := brandEnv(t)
	if err := e.core.SetConsent(bg, ConsentRequest{Account: "work", Handle: "AcmeDeals", State: "subscribed", How: policy.HowCLI}); err != nil {
		t.Fatal(err)
	}
	n.mu.Lock()
	n.unsubErr = errors.New("the sender's page answered 500")
	n.mu.Unlock()
	if _, err := e.core.Unsubscribe(bg, "work", "AcmeDeals", policy.HowGUI); err == nil || !strings.Contains(err.Error(), "answered 500") {
		t.Fatalf("a failed unsubscribe: err = %v", err)
	}
	if es, _ := e.core.Ledger(bg, "work", "AcmeDeals"); len(es) != 1 {
		t.Fatalf("a failed unsubscribe changed the ledger: %+v", es)
	}
	n.mu.Lock()
	n.unsubErr = nil
	n.mu.Unlock()

	res, err := e.core.Unsubscribe(bg, "work", "AcmeDeals", policy.HowGUI)
	if err != nil || res != "HTTP 200" {
		t.Fatalf("unsubscribe = %q, %v", res, err)
	}
	es, _ := e.core.Ledger(bg, "work", "AcmeDeals")
	if last := es[len(es)-1]; last.OldState != "subscribed" || last.NewState != "none" || last.Result != "HTTP 200" || last.How != policy.HowGUI {
		t.Fatalf("ledger entry %+v", last)
	}
	n.deliver(t, msg("work", "AcmeDeals", "AcmeDeals", "we miss you", "u1", e.clk.Now()))
	e.waitText(storage.FilterRequests, "we miss you")

	// A blocked brand stays blocked when the user also unsubscribes.
	if err := e.core.SetConsent(bg, ConsentRequest{Account: "work", Handle: "AcmeDeals", State: "blocked", How: policy.HowCLI}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.core.Unsubscribe(bg, "work", "AcmeDeals", policy.HowGUI); err != nil {
		t.Fatal(err)
	}
	es, _ = e.core.Ledger(bg, "work", "AcmeDeals")
	if last := es[len(es)-1]; last.OldState != "blocked" || last.NewState != "blocked" || last.Result != "HTTP 200" {
		t.Fatalf("ledger entry %+v", last)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.unsubs) != 2 {
		t.Fatalf("network unsubscribes %q", n.unsubs)
	}
}

func TestExpiredSubscriptionHoldsAgainAndIsLedgered(t *testing.T) {
	e, n := brandEnv(t)
	until := e.clk.Now().Add(24 * time.Hour)
	if err := e.core.SetConsent(bg, ConsentRequest{Account: "work", Handle: "AcmeDeals", State: "subscribed", Until: until, How: policy.HowCLI}); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(72 * time.Hour)
	n.deliver(t, msg("work", "AcmeDeals", "AcmeDeals", "late newsletter", "c1", e.clk.Now()))
	e.waitText(storage.FilterRequests, "late newsletter")
	led, _ := e.core.Ledger(bg, "work", "AcmeDeals")
	if len(led) != 2 || led[1].How != policy.HowExpiry || led[1].NewState != "none" {
		t.Fatalf("ledger = %+v", led)
	}
}

func TestMarkingAPersonReleasesHeldMessages(t *testing.T) {
	e, n := brandEnv(t)
	n.deliver(t, msg("work", "AcmeDeals", "AcmeDeals", "actually I am Joe", "d1", e.clk.Now()))
	e.waitText(storage.FilterRequests, "actually I am Joe")
	if err := e.core.MarkContact(bg, "work", "AcmeDeals", storage.ContactPerson, policy.HowCLI); err != nil {
		t.Fatal(err)
	}
	e.waitText(storage.FilterAll, "actually I am Joe")
	bs, err := e.core.Brands(bg)
	if err != nil || len(bs) != 0 {
		t.Fatalf("brands after marking a person = %+v, %v", bs, err)
	}
}

func TestBrandListShowsEvidence(t *testing.T) {
	e, n := brandEnv(t)
	n.deliver(t, msg("work", "AcmeDeals", "AcmeDeals", "hi", "e1", e.clk.Now()))
	e.waitText(storage.FilterRequests, "hi")
	bs, err := e.core.Brands(bg)
	if err != nil || len(bs) != 1 {
		t.Fatalf("brands = %+v, %v", bs, err)
	}
	b := bs[0]
	if b.Handle != "AcmeDeals" || b.Consent != "none" || b.Held != 1 || !strings.Contains(strings.Join(b.Evidence, ";"), "+B") {
		t.Fatalf("brand = %+v", b)
	}
}
