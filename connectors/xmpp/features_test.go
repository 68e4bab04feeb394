package xmpp

import (
	"context"
	"slices"
	"testing"

	"switchboard/connectors"
	"switchboard/connectors/conformance"
	"switchboard/internal/testenv/prosody"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), conformance.Wait)
	t.Cleanup(cancel)
	return ctx
}

// waitMembers waits for a ConversationUpdated of room whose members
// satisfy ok.
func waitMembers(t *testing.T, cl *conformance.Client, room string, ok func([]string) bool) {
	t.Helper()
	cl.Events.WaitFor(t, 0, "members of "+room, func(ev connectors.Event) bool {
		u, isU := ev.(connectors.ConversationUpdated)
		return isU && u.Conversation.ID == room && !u.Left && ok(u.Members)
	})
}

func TestGroupChatMessagesOccupantsAndRoomHistory(t *testing.T) {
	t.Parallel()
	srv := testServer(t, prosody.Config{})
	room := "team@" + prosody.MUC
	_, alice := online(t, srv, "alice", keyJoin, room)
	bobConn, bob := online(t, srv, "bob", keyJoin, room)
	waitMembers(t, alice, room, func(m []string) bool { return slices.Contains(m, room+"/bob") })

	bob.Send(t, connectors.ConversationRef{ID: room, Kind: connectors.Group}, "hello team", "g-1")
	got := waitText(t, alice, "hello team")
	m := got.Message
	if m.Conversation.ID != room || m.Conversation.Kind != connectors.Group || m.Sender != room+"/bob" ||
		m.SenderName != "bob" || m.Direction != connectors.Inbound {
		t.Errorf("alice got %+v", m)
	}
	echo := waitText(t, bob, "hello team")
	if echo.Message.Direction != connectors.Outbound || echo.Message.RemoteID != "g-1" {
		t.Errorf("bob's own message came back as %+v", echo.Message)
	}

	// carol joins later and gets the room's history from its archive,
	// under the RemoteIDs alice saw live.
	_, carol := online(t, srv, "carol", keyJoin, room)
	old := waitText(t, carol, "hello team")
	if !old.Backfill || old.Message.RemoteID != m.RemoteID {
		t.Errorf("carol's history copy: backfill=%v RemoteID %q; alice's live RemoteID %q", old.Backfill, old.Message.RemoteID, m.RemoteID)
	}

	if err := bobConn.Leave(ctxT(t), room); err != nil {
		t.Fatal(err)
	}
	waitMembers(t, alice, room, func(m []string) bool {
		return slices.Contains(m, room+"/carol") && !slices.Contains(m, room+"/bob")
	})
}

func TestReceiptsTypingAndPresenceReachThePeer(t *testing.T) {
	t.Parallel()
	srv := testServer(t, prosody.Config{})
	aliceConn, alice := online(t, srv, "alice")
	bobConn, bob := online(t, srv, "bob")

	id := alice.Send(t, direct(prosody.JID("bob")), "did you get this?", "rcpt-1")
	got := waitText(t, bob, "did you get this?")
	// The receipt goes once bob's core has delivered the message.
	if err := bobConn.Acknowledge(ctxT(t), got.Message.RemoteID); err != nil {
		t.Fatal(err)
	}
	alice.Events.WaitFor(t, 0, "delivery receipt", func(ev connectors.Event) bool {
		r, ok := ev.(connectors.Receipt)
		return ok && r.RemoteID == id && r.Conversation == prosody.JID("bob") && !r.Read
	})

	if err := bobConn.MarkRead(ctxT(t), direct(prosody.JID("alice")), ""); err != nil {
		t.Fatal(err)
	}
	alice.Events.WaitFor(t, 0, "displayed marker", func(ev connectors.Event) bool {
		r, ok := ev.(connectors.Receipt)
		return ok && r.RemoteID == id && r.Conversation == prosody.JID("bob") && r.Read
	})

	if err := aliceConn.SetTyping(ctxT(t), direct(prosody.JID("bob")), true); err != nil {
		t.Fatal(err)
	}
	bob.Events.WaitFor(t, 0, "typing", func(ev connectors.Event) bool {
		ty, ok := ev.(connectors.Typing)
		return ok && ty.Active && ty.Handle == prosody.JID("alice") && ty.Conversation == prosody.JID("alice")
	})

	// Bob shows himself to alice as away (directed presence).
	full := aliceConn.session().jid
	if err := bobConn.session().send(E(nsClient, "presence", "to", full).Add(
		E(nsClient, "show").SetText("away"), E(nsClient, "status").SetText("at lunch"))); err != nil {
		t.Fatal(err)
	}
	alice.Events.WaitFor(t, 0, "bob's presence", func(ev connectors.Event) bool {
		p, ok := ev.(connectors.Presence)
		return ok && p.Handle == prosody.JID("bob") && p.Online && p.Away && p.Status == "at lunch"
	})
}

func TestRosterAndRosterPushesReportContactNames(t *testing.T) {
	t.Parallel()
	srv := testServer(t, prosody.Config{})
	_, alice := online(t, srv, "alice", keyResource, "desk")
	other, _ := online(t, srv, "alice", keyResource, "other")
	_, err := other.session().iq(ctxT(t), E(nsClient, "iq", "type", "set").Add(
		E(nsRoster, "query").Add(E(nsRoster, "item", "jid", prosody.JID("bob"), "name", "Bob Builder"))))
	if err != nil {
		t.Fatalf("roster set: %v", err)
	}
	hasBob := func(ev connectors.Event) bool {
		c, ok := ev.(connectors.ContactUpdated)
		return ok && c.Contact.Handle == prosody.JID("bob") && c.Contact.Name == "Bob Builder"
	}
	alice.Events.WaitFor(t, 0, "roster push", hasBob)
	_, fresh := online(t, srv, "alice", keyResource, "fresh")
	fresh.Events.WaitFor(t, 0, "roster on connect", hasBob)
}

func TestBlockedContactCannotReachTheAccount(t *testing.T) {
	t.Parallel()
	srv := testServer(t, prosody.Config{})
	aliceConn, alice := online(t, srv, "alice")
	bobConn, bob := online(t, srv, "bob")
	if err := aliceConn.Block(ctxT(t), prosody.JID("bob"), true); err != nil {
		t.Fatalf("block: %v", err)
	}
	bob.Send(t, direct(prosody.JID("alice")), "you should not see this", "blk-1")
	flush(t, bobConn) // the server has handled it before we unblock
	if err := aliceConn.Block(ctxT(t), prosody.JID("bob"), false); err != nil {
		t.Fatalf("unblock: %v", err)
	}
	bob.Send(t, direct(prosody.JID("alice")), "after unblocking", "blk-2")
	waitText(t, alice, "after unblocking")
	if n := len(withPrefix(alice, "you should not see")); n != 0 {
		t.Errorf("a blocked contact's message arrived %d times", n)
	}
}

func TestLoginWithSCRAMSHA1DirectTLSAndPlain(t *testing.T) {
	t.Parallel()
	srv := testServer(t, prosody.Config{PasswordHash: "SHA-1"})
	cases := []struct {
		name  string
		mech  string
		extra []string
	}{
		{"SCRAM-SHA-1 over STARTTLS", "SCRAM-SHA-1", nil},
		{"PLAIN over direct TLS", "PLAIN", []string{keyServer, srv.TLSAddr(), keyDirectTLS, "true"}},
	}
	for _, tc := range cases {
		c := New()
		c.forceMech = tc.mech
		cl := conformance.Start(t, c, account(srv, "alice", tc.extra...), secretsFor("alice"))
		cl.WaitOnline(t, 0)
		cl.Stop()
		if errs := cl.RunErrors(); len(errs) != 1 || errs[0] != nil {
			t.Errorf("%s: runs ended with %v", tc.name, errs)
		}
	}
}
