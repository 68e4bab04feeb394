package email

import (
	"context"
	"crypto/tls"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"switchboard/connectors"
	"switchboard/internal/testenv/dovecot"
)

// otherClient is the user's phone: a second IMAP client on alice's INBOX.
func otherClient(t *testing.T, srv *dovecot.Server) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialTLS(srv.IMAPSAddr, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: srv.CertPool()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(alice.Name, alice.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

// seenOnServer reports, by Message-ID, whether each mail is \Seen.
func seenOnServer(t *testing.T, c *imapclient.Client) map[string]bool {
	t.Helper()
	all, err := c.Fetch(imap.SeqSet{imap.SeqRange{Start: 1, Stop: 0}}, &imap.FetchOptions{Flags: true, Envelope: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, m := range all {
		out[m.Envelope.MessageID] = slices.Contains(m.Flags, imap.FlagSeen)
	}
	return out
}

// TestReadStateIsSharedWithTheServer: mail read on another device arrives
// as read; syncing reads nothing; reading a conversation in Switchboard
// flags exactly that conversation's mail \Seen on the server; mail read on
// the other device later is reported (during IDLE), ours is not; IDLE
// still delivers new mail.
func TestReadStateIsSharedWithTheServer(t *testing.T) {
	srv := startServer(t)
	deliver(t, srv, alice.Name, mailText("Carol <carol@example.org>", alice.Name, "plans", "c1@example.org", "Read this on your phone."))
	deliver(t, srv, alice.Name, mailText("Dave <dave@example.org>", alice.Name, "invoice", "d1@example.org", "Not read anywhere yet."))
	deliver(t, srv, alice.Name, mailText("Carol <carol@example.org>", alice.Name, "plans", "c2@example.org", "And a second one."))
	phone := otherClient(t, srv)
	setSeen(t, phone, "c1@example.org")

	c := New()
	r := run(t, c, account(srv, alice, false), alice.Password)
	got := map[string]connectors.Message{}
	for _, m := range messages(r.online(t)) {
		got[m.Message.Headers["Message-ID"]] = m.Message
	}
	if len(got) != 3 || !got["c1@example.org"].Seen || got["d1@example.org"].Seen || got["c2@example.org"].Seen {
		t.Fatalf("Seen as synced: c1=%v d1=%v c2=%v (%d mails)", got["c1@example.org"].Seen, got["d1@example.org"].Seen, got["c2@example.org"].Seen, len(got))
	}
	if s := seenOnServer(t, phone); s["d1@example.org"] || s["c2@example.org"] {
		t.Fatalf("syncing marked mail read on the server: %v", s)
	}

	carol := got["c2@example.org"].Conversation
	if err := c.MarkRead(context.Background(), carol, got["c2@example.org"].RemoteID); err != nil {
		t.Fatal(err)
	}
	if s := seenOnServer(t, phone); !s["c1@example.org"] || !s["c2@example.org"] || s["d1@example.org"] {
		t.Fatalf("after reading Carol's conversation the server says %v; want c1, c2 read and d1 not", s)
	}

	// Dave's mail read on the phone now: reported, and only it (Carol's two
	// were read here, not elsewhere).
	setSeen(t, phone, "d1@example.org")
	var skipped []connectors.Event
	ev := r.next(t, "Dave's mail read elsewhere", func(ev connectors.Event) bool {
		_, ok := ev.(connectors.ReadElsewhere)
		return ok
	}, &skipped)
	if re := ev.(connectors.ReadElsewhere); re.RemoteID != got["d1@example.org"].RemoteID || re.Account != "acct-alice" {
		t.Fatalf("read elsewhere = %+v; want Dave's %q", re, got["d1@example.org"].RemoteID)
	}

	deliver(t, srv, alice.Name, mailText("Dave <dave@example.org>", alice.Name, "invoice", "d2@example.org", "Still there?"))
	m := r.next(t, "new mail after marking", func(ev connectors.Event) bool {
		m, ok := ev.(connectors.MessageReceived)
		return ok && m.Message.Headers["Message-ID"] == "d2@example.org"
	}, &skipped).(connectors.MessageReceived)
	if m.Message.Seen || m.Backfill {
		t.Fatalf("new mail: Seen=%v Backfill=%v", m.Message.Seen, m.Backfill)
	}
	setSeen(t, phone, "d2@example.org")
	if re := r.next(t, "the new mail read elsewhere", func(ev connectors.Event) bool {
		_, ok := ev.(connectors.ReadElsewhere)
		return ok
	}, &skipped).(connectors.ReadElsewhere); re.RemoteID != m.Message.RemoteID {
		t.Fatalf("read elsewhere = %+v; want the new mail", re)
	}
	for _, ev := range skipped {
		if re, ok := ev.(connectors.ReadElsewhere); ok {
			t.Fatalf("unexpected read-elsewhere report %+v", re)
		}
	}
}

// setSeen flags a mail \Seen from the other client, by Message-ID.
func setSeen(t *testing.T, c *imapclient.Client, messageID string) {
	t.Helper()
	if err := c.Noop().Wait(); err != nil { // let the session see new mail
		t.Fatal(err)
	}
	data, err := c.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: messageID}}}, nil).Wait()
	if err != nil || len(data.AllUIDs()) != 1 {
		t.Fatalf("search %s: %v %v", messageID, err, data)
	}
	if err := c.Store(imap.UIDSetNum(data.AllUIDs()...), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
}

// TestMailReadWhileClosedTurnsReadAfterRestart: CONDSTORE — the sync
// position keeps INBOX's HIGHESTMODSEQ; mail read on the phone while
// Switchboard was closed is reported read by the next process, and only it.
func TestMailReadWhileClosedTurnsReadAfterRestart(t *testing.T) {
	srv := startServer(t)
	deliver(t, srv, alice.Name, mailText("Carol <carol@example.org>", alice.Name, "plans", "c1@example.org", "One."))
	deliver(t, srv, alice.Name, mailText("Carol <carol@example.org>", alice.Name, "plans", "c2@example.org", "Two."))
	acct := account(srv, alice, false)
	r1 := run(t, New(), acct, alice.Password)
	r1.online(t)
	pos := r1.next(t, "a sync position with INBOX's HIGHESTMODSEQ", func(ev connectors.Event) bool {
		ss, ok := ev.(connectors.SyncState)
		return ok && strings.Contains(ss.State, `"modseq"`)
	}, nil).(connectors.SyncState)
	r1.stop(t) // the app is closed

	setSeen(t, otherClient(t, srv), "c1@example.org")

	acct.SyncState = pos.State
	r2 := run(t, New(), acct, alice.Password) // a new process
	isRead := func(ev connectors.Event) bool { _, ok := ev.(connectors.ReadElsewhere); return ok }
	var skipped []connectors.Event
	if re := r2.next(t, "c1 read while closed", isRead, &skipped).(connectors.ReadElsewhere); msgIDPart(re.RemoteID) != "c1@example.org" {
		t.Fatalf("read elsewhere = %+v, want c1", re)
	}
	deliver(t, srv, alice.Name, mailText("Carol <carol@example.org>", alice.Name, "plans", "c3@example.org", "Three."))
	r2.next(t, "new mail", func(ev connectors.Event) bool {
		m, ok := ev.(connectors.MessageReceived)
		return ok && msgIDPart(m.Message.RemoteID) == "c3@example.org"
	}, &skipped)
	for _, ev := range skipped {
		if isRead(ev) {
			t.Fatalf("also reported %+v", ev)
		}
	}
}
