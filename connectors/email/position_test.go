package email

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"switchboard/connectors"
)

// positionOf decodes a SyncState the connector emitted; a position the
// connector cannot read back fails the test.
func positionOf(t *testing.T, state string) syncPosition {
	t.Helper()
	p, err := decodePosition(state)
	if err != nil {
		t.Fatalf("emitted SyncState does not decode: %v", err)
	}
	return p
}

// lastPosition returns the State of the last SyncState among evs.
func lastPosition(t *testing.T, evs []connectors.Event) string {
	t.Helper()
	state := ""
	for _, ev := range evs {
		if st, ok := ev.(connectors.SyncState); ok {
			if st.Account == "" {
				t.Errorf("SyncState without account")
			}
			state = st.State
		}
	}
	if state == "" {
		t.Fatalf("no SyncState emitted among %d events", len(evs))
	}
	return state
}

// countIDs counts the remote IDs of the messages among evs.
func countIDs(evs []connectors.Event) map[string]int {
	seen := map[string]int{}
	for _, m := range messages(evs) {
		seen[msgIDPart(m.Message.RemoteID)]++
	}
	return seen
}

func TestMailThatArrivedWhileClosedIsFetchedAfterRestart(t *testing.T) {
	srv := startServer(t)
	for i := 1; i <= 5; i++ {
		deliver(t, srv, alice.Name, mailText("bob@localhost", alice.Name, "old", fmt.Sprintf("old%d@localhost", i), "x"))
	}
	acct := account(srv, alice, false, "sync_depth", "3")
	first := New()
	r1 := run(t, first, acct, alice.Password)
	evs := r1.online(t)
	if got := countIDs(evs); len(got) != 3 || got["old3@localhost"] != 1 || got["old5@localhost"] != 1 {
		t.Fatalf("first sync with depth 3 emitted %v", got)
	}
	stored := lastPosition(t, evs)
	base := positionOf(t, stored).Folders["INBOX"].Last
	r1.stop(t) // the app is closed

	for i := 1; i <= 20; i++ {
		deliver(t, srv, alice.Name, mailText("bob@localhost", alice.Name, "while closed", fmt.Sprintf("new%d@localhost", i), "y"))
	}
	// Sent from another device meanwhile.
	sentBase := positionOf(t, stored).Folders["Sent"]
	if sentBase.Validity == 0 {
		t.Fatalf("the position has no Sent folder: %+v", positionOf(t, stored))
	}
	if err := srv.WriteMaildir(alice.Name, "Sent", [][]byte{
		[]byte(mailText(alice.Name, "bob@localhost", "from my phone", "phone1@localhost", "p")),
		[]byte(mailText(alice.Name, "bob@localhost", "from my phone", "phone2@localhost", "p")),
	}); err != nil {
		t.Fatal(err)
	}
	acct.SyncState = stored
	second := New() // a new process
	second.fetchPage = 7
	r2 := run(t, second, acct, alice.Password)
	evs = r2.online(t)

	// All 22, oldest first, once each, as backfill; nothing from before.
	var order []string
	inbox, sent, states := 0, 0, 0
	for _, ev := range evs {
		switch e := ev.(type) {
		case connectors.MessageReceived:
			order = append(order, msgIDPart(e.Message.RemoteID))
			if !e.Backfill {
				t.Errorf("%s arrived while closed but is not Backfill", e.Message.RemoteID)
			}
			if e.Message.Direction == connectors.Outbound {
				sent++
			} else {
				inbox++
			}
		case connectors.SyncState:
			// Each position claims exactly the mails emitted before it
			// (Dovecot numbers new mails consecutively after the old last UID).
			states++
			p := positionOf(t, e.State)
			if last := p.Folders["INBOX"].Last; last != base+uint32(inbox) {
				t.Errorf("SyncState after %d INBOX mails claims UID %d, want %d", inbox, last, base+uint32(inbox))
			}
			if last := p.Folders["Sent"].Last; last != sentBase.Last+uint32(sent) {
				t.Errorf("SyncState after %d Sent mails claims UID %d, want %d", sent, last, sentBase.Last+uint32(sent))
			}
		}
	}
	want := []string{"phone1@localhost", "phone2@localhost"} // Sent is synced first
	for i := 1; i <= 20; i++ {
		want = append(want, fmt.Sprintf("new%d@localhost", i))
	}
	if strings.Join(order, " ") != strings.Join(want, " ") {
		t.Fatalf("after the restart got %v\nwant %v", order, want)
	}
	if states != 4 { // Sent: one page; INBOX: pages of 7, 7 and 6; one position per page
		t.Errorf("%d SyncState events for 4 pages", states)
	}

	// Caught up: the next mail is live, not backfill.
	deliver(t, srv, alice.Name, mailText("bob@localhost", alice.Name, "live", "live@localhost", "z"))
	live := r2.message(t, "live mail", func(m connectors.MessageReceived) bool { return true })
	if msgIDPart(live.Message.RemoteID) != "live@localhost" || live.Backfill {
		t.Fatalf("after catching up got %s backfill=%v", live.Message.RemoteID, live.Backfill)
	}
	st := r2.next(t, "position after the live mail", func(ev connectors.Event) bool { _, ok := ev.(connectors.SyncState); return ok }, nil)
	if last := positionOf(t, st.(connectors.SyncState).State).Folders["INBOX"].Last; last != base+21 {
		t.Fatalf("position after the live mail: INBOX UID %d, want %d", last, base+21)
	}
}

func TestUIDValidityChangeResyncsWithoutLossOrDoubles(t *testing.T) {
	srv := startServer(t)
	for i := 1; i <= 5; i++ {
		deliver(t, srv, alice.Name, mailText("bob@localhost", alice.Name, "v", fmt.Sprintf("v%d@localhost", i), "x"))
	}
	// One mail without a Message-ID: its remote ID is a hash of its headers.
	deliver(t, srv, alice.Name, mailText("carol@localhost", alice.Name, "no id", "", "x"))
	acct := account(srv, alice, false)
	c := New()
	r1 := run(t, c, acct, alice.Password)
	evs := r1.online(t)
	before := countIDs(evs)
	if len(before) != 6 {
		t.Fatalf("first sync emitted %v", before)
	}
	oldState := lastPosition(t, evs)
	oldValidity := positionOf(t, oldState).Folders["INBOX"].Validity

	newValidity, err := srv.ResetUIDValidity(alice.Name, "INBOX")
	if err != nil {
		t.Fatalf("%v\n%s", err, srv.Log())
	}
	if newValidity == oldValidity {
		t.Fatalf("UIDVALIDITY did not change (%d)", newValidity)
	}
	// The next mail makes Dovecot look at the mailbox; it then drops the
	// session whose selected mailbox changed UIDVALIDITY.
	deliver(t, srv, alice.Name, mailText("bob@localhost", alice.Name, "v", "v6@localhost", "x"))
	if err := r1.runErr(t); err == nil {
		t.Fatal("Run returned nil after the server dropped the connection")
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	// Arrives while the connector is away.
	deliver(t, srv, alice.Name, mailText("bob@localhost", alice.Name, "v", "v7@localhost", "x"))
	want := map[string]int{"v6@localhost": 1, "v7@localhost": 1}
	for id := range before {
		want[id] = 1
	}

	check := func(name string, evs []connectors.Event) {
		t.Helper()
		if got := countIDs(evs); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: emitted %v\nwant each of %v once", name, got, want)
		}
		for _, m := range messages(evs) {
			if !m.Backfill {
				t.Errorf("%s: resynced %s is not Backfill", name, m.Message.RemoteID)
			}
		}
		p := positionOf(t, lastPosition(t, evs))
		if in := p.Folders["INBOX"]; in.Validity != newValidity || in.Last < 7 {
			t.Errorf("%s: position %+v, want UIDVALIDITY %d and the 7 mails claimed", name, in, newValidity)
		}
	}
	// The same connector, reconnecting after the server came back.
	r2 := run(t, c, acct, alice.Password)
	check("same connector", r2.online(t))
	r2.stop(t)

	// A new process with the position stored before the change.
	acct.SyncState = oldState
	r3 := run(t, New(), acct, alice.Password)
	check("new process", r3.online(t))
}

func TestUnusableSyncStateMeansNormalFirstSync(t *testing.T) {
	srv := startServer(t)
	for i := 1; i <= 5; i++ {
		deliver(t, srv, alice.Name, mailText("bob@localhost", alice.Name, "c", fmt.Sprintf("c%d@localhost", i), "x"))
	}
	acct := account(srv, alice, false, "sync_depth", "3")
	srvAddr := acct.Settings["server"] // 127.0.0.1:port, as the connector normalises it
	for name, state := range map[string]string{
		"not json":       "not json SECRET-PART",
		"wrong version":  `{"v":99,"server":"` + srvAddr + `","login":"alice@localhost","folders":{"SECRET-FOLDER":{"validity":1,"last":1}}}`,
		"other server":   `{"v":1,"server":"SECRET-HOST:1","login":"alice@localhost","folders":{"INBOX":{"validity":1,"last":999}}}`,
		"zero validity":  `{"v":1,"server":"` + srvAddr + `","login":"alice@localhost","folders":{"INBOX":{"validity":0,"last":2}},"x":"SECRET"}`,
		"json not a map": `["SECRET"]`,
	} {
		t.Run(strings.ReplaceAll(name, " ", "_"), func(t *testing.T) {
			var logs bytes.Buffer
			c := New()
			c.log = slog.New(slog.NewTextHandler(&logs, nil))
			acct.SyncState = state
			r := run(t, c, acct, alice.Password)
			evs := r.online(t)
			got := countIDs(evs)
			if len(got) != 3 || got["c3@localhost"] != 1 || got["c4@localhost"] != 1 || got["c5@localhost"] != 1 {
				t.Fatalf("emitted %v, want the newest 3 once each", got)
			}
			p := positionOf(t, lastPosition(t, evs))
			if p.Server != srvAddr || p.Folders["INBOX"].Last != 5 {
				t.Errorf("new position %+v", p)
			}
			if !strings.Contains(logs.String(), "sync position ignored") {
				t.Errorf("nothing logged about the ignored position: %q", logs.String())
			}
			if strings.Contains(logs.String(), "SECRET") {
				t.Errorf("the log quotes the stored position: %q", logs.String())
			}
		})
	}
}

func TestMailBeyondTheWindowIsNotLostAfterAUIDValidityChange(t *testing.T) {
	srv := startServer(t)
	old := func(i int) string {
		return mailText("bob@localhost", alice.Name, "old", fmt.Sprintf("w%d@localhost", i), "x")
	}
	// An old mail, dated well before the rest: outside the catch-up.
	deliver(t, srv, alice.Name, strings.Replace(old(0), "Date: ", "Date: Mon, 02 Jan 2006 15:04:05 +0000\r\nX-Was: ", 1))
	for i := 1; i <= 3; i++ {
		deliver(t, srv, alice.Name, old(i))
	}
	acct := account(srv, alice, false, "sync_depth", "2")
	r1 := run(t, New(), acct, alice.Password)
	evs := r1.online(t)
	if got := countIDs(evs); len(got) != 2 {
		t.Fatalf("first sync emitted %v, want the 2 newest", got)
	}
	state := lastPosition(t, evs)
	if positionOf(t, state).Folders["INBOX"].Newest == 0 {
		t.Fatalf("the position carries no newest mail time: %s", state)
	}
	r1.stop(t)
	// While the app is closed: more mail than the window, then the server
	// renumbers the mailbox.
	for i := 1; i <= 8; i++ {
		deliver(t, srv, alice.Name, mailText("bob@localhost", alice.Name, "new", fmt.Sprintf("n%d@localhost", i), "x"))
	}
	if _, err := srv.ResetUIDValidity(alice.Name, "INBOX"); err != nil {
		t.Fatalf("%v\n%s", err, srv.Log())
	}
	acct.SyncState = state
	got := countIDs(run(t, New(), acct, alice.Password).online(t))
	for i := 1; i <= 8; i++ {
		if id := fmt.Sprintf("n%d@localhost", i); got[id] != 1 {
			t.Errorf("%s emitted %d times after the UIDVALIDITY change", id, got[id])
		}
	}
	if got["w0@localhost"] != 0 {
		t.Errorf("the 2006 mail was fetched again: the catch-up is not bounded by date")
	}
}
