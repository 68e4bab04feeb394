package xmpp

import (
	"testing"

	"switchboard/connectors"
	"switchboard/internal/testenv/prosody"
)

func TestTwoUsersExchangeMessages(t *testing.T) {
	t.Parallel()
	srv := testServer(t, prosody.Config{})
	_, alice := online(t, srv, "alice")
	_, bob := online(t, srv, "bob")

	id := alice.Send(t, direct(prosody.JID("bob")), "hello bob <&> ünïcode", "local-1")
	if id != "local-1" {
		t.Errorf("Send returned %q, want the origin-id derived from LocalID %q", id, "local-1")
	}
	got := waitText(t, bob, "hello bob <&> ünïcode").Message
	if got.Direction != connectors.Inbound || got.Sender != prosody.JID("alice") ||
		got.Conversation.ID != prosody.JID("alice") || got.Conversation.Kind != connectors.Direct {
		t.Errorf("bob got %+v", got)
	}
	if got.RemoteID == "" {
		t.Error("inbound message without RemoteID")
	}
	bob.Send(t, direct(prosody.JID("alice")), "hi alice", "local-2")
	back := waitText(t, alice, "hi alice").Message
	if back.Sender != prosody.JID("bob") || back.Direction != connectors.Inbound {
		t.Errorf("alice got %+v", back)
	}
}
