package xmpp

import (
	"context"
	"strings"
	"testing"
	"time"

	"switchboard/connectors"
	"switchboard/connectors/conformance"
	"switchboard/internal/testenv/prosody"
)

// A message written into a link that died silently is not reported sent
// until the server has it: Send waits across the reconnect (the stream is
// resumed and the message sent again from this value's queue) and the
// peer gets it once.
func TestSendIntoADeadLinkIsConfirmedOnlyOnceTheServerHasIt(t *testing.T) {
	t.Parallel()
	srv := testServer(t, prosody.Config{})
	d := &taps{}
	alice := New()
	alice.dial = d.dial
	alice.pingInterval, alice.pingTimeout = 300*time.Millisecond, time.Second
	cl := conformance.Start(t, alice, account(srv, "alice", keyBackfill, "0"), secretsFor("alice"))
	next := cl.WaitOnline(t, 0)
	_, bob := online(t, srv, "bob")

	d.last().Kill() // writes vanish, nothing is read: the server never hears
	type result struct {
		id   string
		err  error
		seen int // events recorded when Send returned
	}
	done := make(chan result, 1)
	go func() { // owner: this test; ends when Send returns (its ctx is bounded)
		ctx, cancel := context.WithTimeout(context.Background(), 2*conformance.Wait)
		defer cancel()
		id, err := alice.Send(ctx, connectors.Outgoing{LocalID: "dead-1", Conversation: direct(prosody.JID("bob")), Text: "written into a dead link"})
		done <- result{id, err, cl.Events.Len()}
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(3 * conformance.Wait):
		t.Fatal("Send never returned")
	}
	if r.err != nil {
		t.Fatalf("Send: %v", r.err)
	}
	back := false
	for _, ev := range cl.Events.Events()[next:r.seen] {
		if st, ok := ev.(connectors.ConnectionState); ok && st.State == connectors.StateOnline {
			back = true
		}
	}
	if !back {
		t.Fatal("Send reported the message sent while the link was dead, before the server could have it")
	}
	got := waitText(t, bob, "written into a dead link")
	time.Sleep(300 * time.Millisecond) // a duplicate would arrive now
	if n := len(withPrefix(bob, "written into a dead link")); n != 1 || got.Message.RemoteID != "o:"+prosody.JID("alice")+":"+r.id {
		t.Errorf("bob got it %d times, RemoteID %q (Send returned %q)", n, got.Message.RemoteID, r.id)
	}
}

// A Send whose context ends before the server confirmed says so: the
// message may or may not have arrived (the outbox shows it failed).
func TestSendUnconfirmedWhenItsContextEndsSaysItMayNotHaveArrived(t *testing.T) {
	t.Parallel()
	srv := testServer(t, prosody.Config{})
	alice, _ := online(t, srv, "alice", keyBackfill, "0")
	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Resume() })
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err := alice.Send(ctx, connectors.Outgoing{LocalID: "hung-1", Conversation: direct(prosody.JID("bob")), Text: "to a hung server"})
	if err == nil {
		t.Fatal("Send reported a message sent that a hung server never read")
	}
	if want := "may or may not have arrived"; !strings.Contains(err.Error(), want) {
		t.Errorf("Send error %q does not say %q", err, want)
	}
}
