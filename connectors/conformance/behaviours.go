package conformance

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"switchboard/connectors"
)

// startUser runs a connector for user n and waits until it is online.
func startUser(t *testing.T, s Server, n int, opt Options) *Client {
	t.Helper()
	acct, sec := s.Account(t, n, opt)
	c := Start(t, s.New(), acct, sec)
	c.WaitOnline(t, 0)
	return c
}

func direct(id string) connectors.ConversationRef {
	return connectors.ConversationRef{ID: id, Kind: connectors.Direct}
}

// waitText waits for a message with exactly this text.
func waitText(t *testing.T, c *Client, text string) connectors.MessageReceived {
	t.Helper()
	ev, _ := c.Events.WaitFor(t, 0, fmt.Sprintf("message %q at %s", text, c.Account.ID), func(ev connectors.Event) bool {
		m, ok := ev.(connectors.MessageReceived)
		return ok && m.Message.Text == text
	})
	return ev.(connectors.MessageReceived)
}

// waitAllTexts waits until every text arrived at least once.
func waitAllTexts(t *testing.T, c *Client, texts []string) {
	t.Helper()
	ok := c.Events.Until(2*Wait, func(evs []connectors.Event) bool {
		seen := map[string]bool{}
		for _, m := range Messages(evs, nil) {
			seen[m.Message.Text] = true
		}
		for _, x := range texts {
			if !seen[x] {
				return false
			}
		}
		return true
	})
	if !ok {
		t.Fatalf("%s did not receive all of %d messages", c.Account.ID, len(texts))
	}
}

// exactlyOnce checks that each text has one RemoteID (storage keeps one
// row per RemoteID, so two IDs would be a doubled message) and that the
// texts account for exactly len(texts) distinct RemoteIDs.
func exactlyOnce(t *testing.T, msgs []connectors.MessageReceived, texts []string) map[string]string {
	t.Helper()
	want := map[string]bool{}
	for _, x := range texts {
		want[x] = true
	}
	ids := map[string]string{} // text -> RemoteID
	distinct := map[string]bool{}
	for _, m := range msgs {
		if !want[m.Message.Text] {
			continue
		}
		if m.Message.RemoteID == "" {
			t.Errorf("message %q has no RemoteID", m.Message.Text)
		}
		if prev, ok := ids[m.Message.Text]; ok && prev != m.Message.RemoteID {
			t.Errorf("message %q arrived under two RemoteIDs (%q, %q): it would be stored twice", m.Message.Text, prev, m.Message.RemoteID)
		}
		ids[m.Message.Text] = m.Message.RemoteID
		distinct[m.Message.RemoteID] = true
	}
	if len(ids) != len(texts) || len(distinct) != len(texts) {
		t.Errorf("%d of %d messages arrived, under %d distinct RemoteIDs", len(ids), len(texts), len(distinct))
	}
	return ids
}

func numbered(prefix string, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("%s %d", prefix, i))
	}
	return out
}

func testConnectDisconnect(t *testing.T, s Server, _ Capabilities) {
	acct, sec := s.Account(t, 0, Options{})
	conn := s.New()
	c := Start(t, conn, acct, sec)
	ev, _ := c.Events.WaitFor(t, 0, "online", func(ev connectors.Event) bool {
		st, ok := ev.(connectors.ConnectionState)
		return ok && st.State == connectors.StateOnline
	})
	if ev.(connectors.ConnectionState).Self == "" {
		t.Error("online state without Self (the handle the network knows us by)")
	}
	c.Stop()
	errs := c.RunErrors()
	if len(errs) != 1 {
		t.Fatalf("Run was called %d times (errors %v); want one clean run", len(errs), errs)
	}
	if err := errs[0]; err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v after its context ended; want nil or context.Canceled", err)
	}
	_, err := conn.Send(context.Background(), connectors.Outgoing{LocalID: "x", Conversation: direct(s.Handle(1)), Text: "after stop"})
	if !errors.Is(err, connectors.ErrNotConnected) {
		t.Errorf("Send after Run returned: %v, want ErrNotConnected", err)
	}
}

func testDirectMessages(t *testing.T, s Server, _ Capabilities) {
	a := startUser(t, s, 0, Options{})
	b := startUser(t, s, 1, Options{})
	sentID := a.Send(t, direct(s.Handle(1)), "hello from 0, <b>&amp; ünïcode ✓", "conf-dm-1")
	got := waitText(t, b, "hello from 0, <b>&amp; ünïcode ✓").Message
	if got.Direction != connectors.Inbound || got.Conversation.ID != s.Handle(0) ||
		got.Conversation.Kind != connectors.Direct || got.Sender != s.Handle(0) || got.RemoteID == "" {
		t.Errorf("user 1 got %+v; want inbound from %s in a direct conversation with a RemoteID", got, s.Handle(0))
	}
	b.Send(t, direct(s.Handle(0)), "reply from 1", "conf-dm-2")
	back := waitText(t, a, "reply from 1").Message
	if back.Direction != connectors.Inbound || back.Conversation.ID != s.Handle(1) || back.Sender != s.Handle(1) {
		t.Errorf("user 0 got %+v", back)
	}
	for _, m := range a.Events.Messages(nil) {
		if strings.HasPrefix(m.Message.Text, "hello from 0") && m.Message.RemoteID != sentID {
			t.Errorf("the echo of our own message has RemoteID %q, Send returned %q: stored twice", m.Message.RemoteID, sentID)
		}
	}
}

func testEcho(t *testing.T, s Server, _ Capabilities) {
	first := startUser(t, s, 0, Options{})
	second := startUser(t, s, 0, Options{SecondClient: true})
	peer := startUser(t, s, 1, Options{})
	id := second.Send(t, direct(s.Handle(1)), "sent on the other device", "conf-echo-1")
	echo := waitText(t, first, "sent on the other device").Message
	if echo.Direction != connectors.Outbound || echo.Conversation.ID != s.Handle(1) {
		t.Errorf("first client saw %+v; want an outbound message in the conversation with %s", echo, s.Handle(1))
	}
	if echo.RemoteID != id {
		t.Errorf("echo RemoteID %q, the sending client's Send returned %q", echo.RemoteID, id)
	}
	waitText(t, peer, "sent on the other device")
}

func testGroup(t *testing.T, s Server, _ Capabilities) {
	g := s.Group()
	joined := func(c *Client) {
		c.Events.WaitFor(t, 0, c.Account.ID+" joined "+g.ID, func(ev connectors.Event) bool {
			u, ok := ev.(connectors.ConversationUpdated)
			return ok && u.Conversation.ID == g.ID && !u.Left
		})
	}
	a := startUser(t, s, 0, Options{JoinGroup: true})
	b := startUser(t, s, 1, Options{JoinGroup: true})
	joined(a)
	joined(b)
	b.Send(t, g, "hello group from 1", "conf-g-1")
	got := waitText(t, a, "hello group from 1").Message
	if got.Direction != connectors.Inbound || got.Conversation.ID != g.ID || got.Conversation.Kind != connectors.Group || got.Sender == "" {
		t.Errorf("user 0 got %+v; want inbound in group %s", got, g.ID)
	}
	id := a.Send(t, g, "hello group from 0", "conf-g-2")
	waitText(t, b, "hello group from 0")
	for _, m := range a.Events.Messages(nil) {
		if m.Message.Text == "hello group from 0" && (m.Message.RemoteID != id || m.Message.Direction != connectors.Outbound) {
			t.Errorf("own group message echoed as %+v; Send returned %q", m.Message, id)
		}
	}
}

func testHistory(t *testing.T, s Server, _ Capabilities) {
	b := startUser(t, s, 1, Options{})
	texts := numbered("history", 0, 20)
	for i, x := range texts {
		b.Send(t, direct(s.Handle(0)), x, fmt.Sprintf("conf-h-%d", i))
	}
	// User 0 connects for the first time, then again with a fresh
	// connector (an app restart): the union must hold each message once.
	first := startUser(t, s, 0, Options{})
	waitAllTexts(t, first, texts)
	first.Stop()
	second := startUser(t, s, 0, Options{})
	conn := second.Conn
	if h, ok := conn.(connectors.Historian); ok {
		ctx, cancel := context.WithTimeout(context.Background(), Wait)
		defer cancel()
		msgs, _, err := h.History(ctx, direct(s.Handle(1)), "", 50)
		if err != nil {
			t.Fatalf("History: %v", err)
		}
		for _, m := range msgs {
			second.Events.Add(connectors.MessageReceived{Account: second.Account.ID, Message: m, Backfill: true})
		}
	}
	waitAllTexts(t, second, texts)
	all := append(first.Events.Messages(nil), second.Events.Messages(nil)...)
	exactlyOnce(t, all, texts)
}

func testRestart(t *testing.T, s Server, caps Capabilities) {
	a := startUser(t, s, 0, Options{})
	b := startUser(t, s, 1, Options{})
	if caps.NoOfflineDelivery != "" {
		refusedWhenOffline(t, b, s.Handle(2))
	}
	before := numbered("before restart", 0, 5)
	for i, x := range before {
		b.Send(t, direct(s.Handle(0)), x, fmt.Sprintf("conf-r-%d", i))
	}
	waitAllTexts(t, a, before)
	ia, ib := a.Events.Len(), b.Events.Len()
	s.Restart(t)
	if caps.NoOfflineDelivery != "" {
		t.Logf("waiting for the recipient before the in-between message: %s", caps.NoOfflineDelivery)
		a.WaitOnline(t, ia)
	}
	during := "sent while reconnecting"
	b.Send(t, direct(s.Handle(0)), during, "conf-r-during") // retried until b is back
	a.WaitOnline(t, ia)
	b.WaitOnline(t, ib)
	after := numbered("after restart", 0, 5)
	for i, x := range after {
		b.Send(t, direct(s.Handle(0)), x, fmt.Sprintf("conf-r-after-%d", i))
	}
	all := append(append(append([]string{}, before...), during), after...)
	waitAllTexts(t, a, all)
	time.Sleep(500 * time.Millisecond) // let a late duplicate show itself
	exactlyOnce(t, a.Events.Messages(nil), all)
}

// refusedWhenOffline: on a network that keeps nothing for offline users,
// a message to one must fail Send, not be reported sent and lost.
func refusedWhenOffline(t *testing.T, c *Client, offline string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Wait)
	defer cancel()
	id, err := c.Conn.Send(ctx, connectors.Outgoing{LocalID: "conf-r-offline", Conversation: direct(offline), Text: "to nobody online"})
	if err == nil || errors.Is(err, connectors.ErrNotConnected) || ctx.Err() != nil {
		t.Errorf("Send to %s, who never connected, returned (%q, %v); want the server's refusal as an error", offline, id, err)
	}
}

func testWrongPassword(t *testing.T, s Server, caps Capabilities) {
	acct, sec := s.Account(t, 0, Options{WrongPassword: true})
	c := RunOnce(t, s.New(), acct, sec)
	select {
	case <-c.Done():
	case <-time.After(Wait):
		t.Fatal("Run did not return after the server refused the password")
	}
	err := c.RunErrors()[0]
	var ae *connectors.AuthError
	if !errors.As(err, &ae) {
		t.Fatalf("Run returned %v (%T); want *connectors.AuthError", err, err)
	}
	if ae.Reason == "" || !strings.Contains(ae.Reason, caps.AuthReason) {
		t.Errorf("AuthError reason %q; want the server's words containing %q", ae.Reason, caps.AuthReason)
	}
	sawState := false
	for _, ev := range c.Events.Events() {
		if st, ok := ev.(connectors.ConnectionState); ok {
			if st.State == connectors.StateOnline {
				t.Error("went online with a wrong password")
			}
			if st.State == connectors.StateAuthFailed && st.Reason == ae.Reason {
				sawState = true
			}
		}
	}
	if !sawState {
		t.Error("no ConnectionState auth failed event carrying the reason")
	}
}

func testUntrustedTLS(t *testing.T, s Server, _ Capabilities) {
	acct, sec := s.Account(t, 0, Options{UntrustedTLS: true})
	c := RunOnce(t, s.New(), acct, sec)
	select {
	case <-c.Done():
	case <-time.After(Wait):
		t.Fatal("Run did not return on an untrusted certificate")
	}
	err := c.RunErrors()[0]
	var ae *connectors.AuthError
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	switch {
	case err == nil:
		t.Fatal("Run returned nil on an untrusted certificate")
	case errors.As(err, &ae):
		t.Fatalf("Run returned an auth failure %v; want a certificate error", err)
	case !errors.As(err, &cv) && !errors.As(err, &ua):
		t.Errorf("Run returned %v; want an error wrapping the certificate verification failure", err)
	}
	for _, ev := range c.Events.Events() {
		if st, ok := ev.(connectors.ConnectionState); ok && st.State == connectors.StateOnline {
			t.Error("went online with an untrusted certificate")
		}
	}
}
