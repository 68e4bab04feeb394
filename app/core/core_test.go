package core

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/connectors"
	"switchboard/storage"
)

var bg = context.Background()

func (e *env) convs(f storage.Filter) []storage.Conversation {
	e.t.Helper()
	cs, err := e.core.Conversations(bg, storage.ConvQuery{Filter: f})
	if err != nil {
		e.t.Fatalf("conversations: %v", err)
	}
	return cs
}

func TestInboundMessageAppearsUnreadAndMarkReadClearsIt(t *testing.T) {
	e, n := onlineEnv(t)
	n.deliver(t, msg("work", "bob", "bob", "hello there", "m1", e.clk.Now()))
	eventually(t, "the message in the inbox", func() bool { return len(e.convs(storage.FilterUnread)) == 1 })
	cv := e.convs(storage.FilterAll)[0]
	if cv.Title != "bob" || cv.Unread != 1 || cv.LastText != "hello there" || cv.Network != "coretest" {
		t.Fatalf("conversation = %+v", cv)
	}
	if err := e.core.MarkRead(bg, cv.Row); err != nil {
		t.Fatal(err)
	}
	if got := e.convs(storage.FilterUnread); len(got) != 0 {
		t.Fatalf("still unread after MarkRead: %+v", got)
	}
	n.mu.Lock()
	marked := slices.Clone(n.marked)
	n.mu.Unlock()
	if !slices.Equal(marked, []string{"bob@m1"}) {
		t.Fatalf("read marker on the network = %q, want bob@m1", marked)
	}
	if n, _ := e.core.UnreadTotal(bg); n != 0 {
		t.Fatalf("unread total %d, want 0", n)
	}
}

func TestSameRemoteIDTwiceIsStoredOnce(t *testing.T) {
	e, n := onlineEnv(t)
	for i := 0; i < 3; i++ {
		n.deliver(t, msg("work", "bob", "bob", "only once", "dup-1", e.clk.Now()))
	}
	n.deliver(t, msg("work", "bob", "bob", "marker", "m2", e.clk.Now()))
	eventually(t, "the marker", func() bool {
		cs := e.convs(storage.FilterAll)
		return len(cs) == 1 && cs[0].LastText == "marker"
	})
	ms, err := e.core.Messages(bg, e.convs(storage.FilterAll)[0].Row, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 {
		t.Fatalf("%d messages stored, want 2 (duplicate stored again?)", len(ms))
	}
}

func TestUpdatesReachSubscribersAndNotifyOnlyLiveInbound(t *testing.T) {
	e := newEnv(t)
	n, id := newFakeNet(t)
	e.addAccount("work", id)
	updates, cancel := e.core.Subscribe()
	defer cancel()
	e.start()
	n.waitOnline(t)
	back := msg("work", "bob", "bob", "old news", "b1", e.clk.Now().Add(-time.Hour))
	back.Backfill = true
	n.deliver(t, back)
	n.deliver(t, msg("work", "bob", "bob", "fresh", "b2", e.clk.Now()))
	notified := notifyFlags(t, updates, 2)
	if notified["old news"] || !notified["fresh"] {
		t.Fatalf("notify flags = %v; want only the live message", notified)
	}
}

// notifyFlags collects the Notify flag of the next n messages published,
// by text.
func notifyFlags(t *testing.T, updates <-chan []Update, n int) map[string]bool {
	t.Helper()
	notified := map[string]bool{}
	deadline := time.After(10 * time.Second)
	for len(notified) < n {
		select {
		case batch := <-updates:
			for _, u := range batch {
				if u.Kind == UpdMessage && u.Message != nil {
					notified[u.Message.Text] = u.Notify
				}
			}
		case <-deadline:
			t.Fatalf("updates seen: %v", notified)
		}
	}
	return notified
}

// TestMessageReadElsewhereIsArchivedReadAndSilent: a message the network
// reports as already read (IMAP \Seen) neither notifies nor counts as
// unread; an unread one beside it does both.
func TestMessageReadElsewhereIsArchivedReadAndSilent(t *testing.T) {
	e, n := onlineEnv(t)
	updates, cancel := e.core.Subscribe() // before anything is delivered
	defer cancel()
	read := msg("work", "carol", "carol", "read on my phone", "s1", e.clk.Now())
	read.Message.Seen = true
	n.deliver(t, read)
	n.deliver(t, msg("work", "dave", "dave", "not read yet", "s2", e.clk.Now()))
	notified := notifyFlags(t, updates, 2)
	if notified["read on my phone"] || !notified["not read yet"] {
		t.Fatalf("notify flags = %v; want only the unread message", notified)
	}
	unread := map[string]int{}
	for _, c := range e.convs(storage.FilterAll) {
		unread[c.RemoteID] = c.Unread
	}
	if unread["carol"] != 0 || unread["dave"] != 1 {
		t.Fatalf("unread counts = %v", unread)
	}
}

// TestReadOnAnotherDeviceClearsUnread: the network says the user read a
// message elsewhere; the conversation's unread count drops up to it, and
// nothing is sent back to the network.
func TestReadOnAnotherDeviceClearsUnread(t *testing.T) {
	e, n := onlineEnv(t)
	n.deliver(t, msg("work", "carol", "carol", "one", "r1", e.clk.Now()))
	n.deliver(t, msg("work", "carol", "carol", "two", "r2", e.clk.Now().Add(time.Second)))
	unread := func() int {
		for _, c := range e.convs(storage.FilterAll) {
			if c.RemoteID == "carol" {
				return c.Unread
			}
		}
		return -1
	}
	eventually(t, "two unread", func() bool { return unread() == 2 })
	n.deliver(t, connectors.ReadElsewhere{Account: "work", RemoteID: "r1"})
	eventually(t, "one unread after the first was read elsewhere", func() bool { return unread() == 1 })
	n.deliver(t, connectors.ReadElsewhere{Account: "work", RemoteID: "gone"}) // unknown: ignored
	n.deliver(t, connectors.ReadElsewhere{Account: "work", RemoteID: "r2"})
	eventually(t, "none unread", func() bool { return unread() == 0 })
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.marked) != 0 {
		t.Fatalf("read elsewhere was echoed to the network: %q", n.marked)
	}
}

// TestOlderMessagesComeFromTheNetworksHistory: the archive holds only the
// newest ten messages of 120 the network keeps; LoadOlder pages back,
// skips what is archived, stores the rest as read, says when there is
// nothing older, and then stops asking.
func TestOlderMessagesComeFromTheNetworksHistory(t *testing.T) {
	e, n := onlineEnv(t)
	start := e.clk.Now().Add(-200 * time.Minute)
	var all []connectors.Message
	for i := range 120 {
		all = append(all, msg("work", "bob", "bob", fmt.Sprintf("h%03d", i), fmt.Sprintf("h%d", i), start.Add(time.Duration(i)*time.Minute)).Message)
	}
	n.mu.Lock()
	n.history = all
	n.mu.Unlock()
	for _, m := range all[110:] {
		n.deliver(t, connectors.MessageReceived{Account: "work", Message: m})
	}
	var conv storage.Conversation
	eventually(t, "the ten newest archived", func() bool {
		for _, c := range e.convs(storage.FilterAll) {
			if c.RemoteID == "bob" && c.Unread == 10 {
				conv = c
				return true
			}
		}
		return false
	})
	added, more, err := e.core.LoadOlder(bg, conv.Row, 50)
	if err != nil || added != 90 || !more {
		t.Fatalf("first LoadOlder = %d, %v, %v; want 90 new (two pages), more", added, more, err)
	}
	added, more, err = e.core.LoadOlder(bg, conv.Row, 50)
	if err != nil || added != 20 || more {
		t.Fatalf("second LoadOlder = %d, %v, %v; want the last 20, no more", added, more, err)
	}
	n.mu.Lock()
	asks := n.histAsks
	n.mu.Unlock()
	if added, more, err = e.core.LoadOlder(bg, conv.Row, 50); err != nil || added != 0 || more {
		t.Fatalf("third LoadOlder = %d, %v, %v", added, more, err)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.histAsks != asks {
		t.Fatal("the network was asked again after it said there is nothing older")
	}
	msgs, err := e.core.Messages(bg, conv.Row, 0, 200)
	if err != nil || len(msgs) != 120 {
		t.Fatalf("archive holds %d messages, %v", len(msgs), err)
	}
	for i, m := range msgs {
		if m.Text != fmt.Sprintf("h%03d", i) {
			t.Fatalf("message %d is %q: out of order or doubled", i, m.Text)
		}
	}
	if c, _ := e.core.Conversation(bg, conv.Row); c.Unread != 10 {
		t.Fatalf("unread = %d; history must not count as unread", c.Unread)
	}
}

func TestQuietHoursSilenceNotifications(t *testing.T) {
	e := newEnv(t)
	if err := e.core.SetPref(bg, PrefQuietHours, "09:00-11:00"); err != nil { // the clock says 10:00
		t.Fatal(err)
	}
	if err := e.core.SetPref(bg, PrefQuietHours, "25:00-07:00"); err == nil {
		t.Fatal("a bad quiet-hours value was accepted")
	}
	n, id := newFakeNet(t)
	e.addAccount("work", id)
	updates, cancel := e.core.Subscribe()
	defer cancel()
	e.start()
	n.waitOnline(t)
	n.deliver(t, msg("work", "bob", "bob", "shh", "q1", e.clk.Now()))
	for {
		select {
		case batch := <-updates:
			for _, u := range batch {
				if u.Kind == UpdMessage {
					if u.Notify {
						t.Fatal("notified during quiet hours")
					}
					return
				}
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no message update")
		}
	}
}

func TestSendWaitsInOutboxUntilOnlineAndGoesOutOnce(t *testing.T) {
	e := newEnv(t)
	n, id := newFakeNet(t)
	n.failRuns = 2 // the first two connects fail: the message must wait
	e.addAccount("work", id)
	it, err := e.core.Send(bg, SendRequest{Account: "work", Target: "bob", Text: "queued before connecting"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.core.store.Message(bg, it.MsgRow)
	if err != nil || m.SendState != storage.SendPending || m.Direction != storage.Out {
		t.Fatalf("pending row = %+v, %v", m, err)
	}
	e.start()
	n.waitOnline(t)
	eventually(t, "the message sent", func() bool {
		m, err := e.core.store.Message(bg, it.MsgRow)
		return err == nil && m.SendState == storage.SendSent
	})
	e.reopen()
	e.start()
	n.waitOnline(t)
	if _, err := e.core.Send(bg, SendRequest{Account: "work", Target: "bob", Text: "second"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the second message", func() bool { return len(n.sentTexts()) == 2 })
	if got := n.sentTexts(); !slices.Equal(got, []string{"queued before connecting", "second"}) {
		t.Fatalf("sent %q; want each message exactly once, in order", got)
	}
	m, _ = e.core.store.Message(bg, it.MsgRow)
	if m.RemoteID != "remote-"+strconv.FormatInt(it.ID, 10) {
		t.Fatalf("remote ID %q not recorded", m.RemoteID)
	}
}

func TestMessageInterruptedMidSendIsNotSentTwice(t *testing.T) {
	e := newEnv(t)
	n, id := newFakeNet(t)
	e.addAccount("work", id)
	it, err := e.core.Send(bg, SendRequest{Account: "work", Target: "bob", Text: "in doubt"})
	if err != nil {
		t.Fatal(err)
	}
	// The previous process handed it to the network and died before
	// hearing back.
	if err := e.core.store.MarkSending(bg, it.ID); err != nil {
		t.Fatal(err)
	}
	e.reopen()
	e.start()
	n.waitOnline(t)
	eventually(t, "the in-doubt message marked failed", func() bool {
		m, err := e.core.store.Message(bg, it.MsgRow)
		return err == nil && m.SendState == storage.SendFailed && strings.Contains(m.SendError, "may not have arrived")
	})
	if got := n.sentTexts(); len(got) != 0 {
		t.Fatalf("resent without asking: %q", got)
	}
	if err := e.core.Retry(bg, it.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the retried message sent", func() bool { return len(n.sentTexts()) == 1 })
}

func TestReconnectsAfterFailuresAndReportsState(t *testing.T) {
	e := newEnv(t)
	n, id := newFakeNet(t)
	n.failRuns = 3
	e.addAccount("work", id)
	updates, cancel := e.core.Subscribe()
	defer cancel()
	e.start()
	var states []string
	deadline := time.After(10 * time.Second)
	for !slices.Contains(states, "online") {
		select {
		case batch := <-updates:
			for _, u := range batch {
				if u.Kind == UpdAccount && u.State != nil {
					states = append(states, u.State.State.String())
					if u.State.State == connectors.StateOffline {
						if !strings.Contains(u.State.Reason, "refused") || strings.Contains(u.State.Reason, "reconnecting") {
							t.Errorf("offline reason %q: want the error's words alone", u.State.Reason)
						}
						if u.State.RetryAt.IsZero() {
							t.Errorf("offline after a failure without a retry time: %+v", u.State)
						}
					}
				}
			}
		case <-deadline:
			t.Fatalf("never online; states %v", states)
		}
	}
	if c := strings.Count(strings.Join(states, ","), "offline"); c != 3 {
		t.Fatalf("states %v: want three failures before online", states)
	}
}

func TestWrongPasswordStopsRetryingAndShowsServerWords(t *testing.T) {
	e := newEnv(t)
	n, id := newFakeNet(t)
	n.authFail = "Invalid password for work"
	e.addAccount("work", id)
	e.start()
	eventually(t, "auth failed state", func() bool {
		as, _ := e.core.Accounts(bg)
		return len(as) == 1 && as[0].State == connectors.StateAuthFailed && as[0].Reason == "Invalid password for work"
	})
	time.Sleep(200 * time.Millisecond) // several backoff periods
	n.mu.Lock()
	runs := n.runs
	n.mu.Unlock()
	if runs != 1 {
		t.Fatalf("Run called %d times after an auth failure; want 1", runs)
	}
}

func TestAccountFormIsValidatedAgainstTheNetwork(t *testing.T) {
	e := newEnv(t)
	err := e.core.AddAccount(bg, AccountSpec{Name: "x", Network: "coretest", Settings: map[string]string{}})
	if err == nil || !strings.Contains(err.Error(), "Net is required") {
		t.Fatalf("missing required field: err = %v", err)
	}
	err = e.core.AddAccount(bg, AccountSpec{Name: "x", Network: "coretest", Settings: map[string]string{"net": "a", "password": "oops"}})
	if err == nil || !strings.Contains(err.Error(), "secret") {
		t.Fatalf("secret as a setting: err = %v", err)
	}
	err = e.core.AddAccount(bg, AccountSpec{Name: "x", Network: "nosuch"})
	if err == nil || !strings.Contains(err.Error(), "unknown network") {
		t.Fatalf("unknown network: err = %v", err)
	}
	_, id := newFakeNet(t)
	e.addAccount("x", id)
	if err := e.core.AddAccount(bg, AccountSpec{Name: "x", Network: "coretest", Settings: map[string]string{"net": id}}); err == nil {
		t.Fatal("a duplicate account name was accepted")
	}
	v, err := e.core.secrets.For("x").Get(bg, "password")
	if err != nil || v != "pw-x" {
		t.Fatalf("secret = %q, %v", v, err)
	}
	if err := e.core.RemoveAccount(bg, "x", false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.core.secrets.For("x").Get(bg, "password"); !errors.Is(err, connectors.ErrNoSecret) {
		t.Fatalf("secret survived account removal: %v", err)
	}
}

func TestSyncPositionIsKeptAcrossRestartsAfterItsMessages(t *testing.T) {
	e, n := onlineEnv(t)
	n.deliver(t, msg("work", "bob", "bob", "covered by the position", "p1", e.clk.Now()))
	n.deliver(t, connectors.SyncState{Account: "work", State: "archive@p1"})
	eventually(t, "the position stored", func() bool {
		b, err := e.core.store.Blob(bg, "work", syncBlob)
		return err == nil && string(b) == "archive@p1"
	})
	e.reopen()
	e.start()
	n.waitOnline(t)
	n.mu.Lock()
	seen := slices.Clone(n.syncSeen)
	n.mu.Unlock()
	if !slices.Equal(seen, []string{"", "archive@p1"}) {
		t.Fatalf("Account.SyncState per Run = %q", seen)
	}
}

// TestFilesGoThroughTheOutboxSealed: files sent with a message are sealed
// into the archive as its attachments and reach the network from there; a
// network that cannot send files, a missing file and one over the limit
// are refused before anything is queued.
func TestFilesGoThroughTheOutboxSealed(t *testing.T) {
	e, n := onlineEnv(t)
	dir := t.TempDir()
	quote := filepath.Join(dir, "quote.pdf")
	notes := filepath.Join(dir, "notes")
	big := filepath.Join(dir, "big.bin")
	for path, data := range map[string]string{quote: "%PDF-1.4 quote", notes: "plain words", big: strings.Repeat("x", 1<<20+1)} {
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	it, err := e.core.Send(bg, SendRequest{Account: "work", Target: "dana", Text: "The quote and my notes.", Files: []string{quote, notes}})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the message and its files at the network", func() bool {
		n.mu.Lock()
		defer n.mu.Unlock()
		return len(n.sentFiles) == 2
	})
	n.mu.Lock()
	got := slices.Clone(n.sentFiles)
	n.mu.Unlock()
	if got[0] != "quote.pdf=application/pdf=%PDF-1.4 quote" || got[1] != "notes=text/plain; charset=utf-8=plain words" {
		t.Fatalf("files at the network: %q", got)
	}
	atts, err := e.core.Attachments(bg, it.MsgRow)
	if err != nil || len(atts) != 2 || atts[0].State != storage.AttachSaved || atts[1].Name != "notes" {
		t.Fatalf("the message's files in the archive: %+v, %v", atts, err)
	}

	for _, bad := range [][]string{{filepath.Join(dir, "missing.pdf")}, {big}, {quote, big}} {
		if _, err := e.core.Send(bg, SendRequest{Account: "work", Target: "dana", Text: "x", Files: bad}); err == nil {
			t.Fatalf("files %v were accepted", bad)
		}
	}
	if items, _ := e.core.store.Outbox(bg, "work"); len(items) != 1 {
		t.Fatalf("refused sends left %d outbox items", len(items))
	}
}
