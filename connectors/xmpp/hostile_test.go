package xmpp

import (
	"context"
	"strings"
	"testing"
	"time"

	"switchboard/connectors"
	"switchboard/internal/testenv/prosody"
)

// fullJIDOf has alice's connector write to the raw client and reads her
// full JID off the message, as any correspondent can.
func fullJIDOf(t *testing.T, c *Connector, to string, raw interface {
	WaitFor(time.Duration, string) (string, error)
}) string {
	t.Helper()
	if _, err := c.Send(context.Background(), connectors.Outgoing{Conversation: direct(to), Text: "who are you?"}); err != nil {
		t.Fatal(err)
	}
	seen, err := raw.WaitFor(30*time.Second, "who are you?")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"'", `"`} {
		if i := strings.Index(seen, "from="+q+"alice@"); i >= 0 {
			rest := seen[i+6:]
			return rest[:strings.Index(rest, q)]
		}
	}
	t.Fatalf("no from= in %s", seen)
	return ""
}

// TestGroupChatStanzaFromOutsideAJoinedRoomIsADirectMessage: anyone can
// type a stanza "groupchat"; only a room the user joined makes a group
// conversation (the one place the brand opt-in steps aside).
func TestGroupChatStanzaFromOutsideAJoinedRoomIsADirectMessage(t *testing.T) {
	srv := testServer(t, prosody.Config{})
	c, alice := online(t, srv, "alice")
	bob := srv.Dial(t, "bob", "bobpass")
	full := fullJIDOf(t, c, "bob@localhost", bob)
	bob.Send(t, `<message type='groupchat' to='`+full+`' id='fake-1'><body>fake group deal</body></message>`)
	m := waitText(t, alice, "fake group deal").Message
	if m.Conversation.Kind != connectors.Direct || m.Conversation.Joined || m.Conversation.ID != "bob@localhost" || m.Sender != "bob@localhost" {
		t.Fatalf("got %+v; want a direct message from bob@localhost", m)
	}
}

// TestDelayFromTheSenderIsShownNotTrusted: a live message's <delay> is
// the sender's word (it can name the user's own server as "from"): it is
// the message's displayed time, never its receive time.
func TestDelayFromTheSenderIsShownNotTrusted(t *testing.T) {
	srv := testServer(t, prosody.Config{})
	_, alice := online(t, srv, "alice")
	bob := srv.Dial(t, "bob", "bobpass")
	before := time.Now().Add(-time.Minute)
	bob.Send(t, `<message type='chat' to='alice@localhost' id='old-1'><body>dated last year</body>`+
		`<delay xmlns='urn:xmpp:delay' from='localhost' stamp='2025-01-01T10:00:00Z'/></message>`)
	m := waitText(t, alice, "dated last year").Message
	if !m.Time.Equal(time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("time %v: the sender's stamp should be shown", m.Time)
	}
	if m.Received.Before(before) {
		t.Fatalf("received %v: the sender's <delay> was trusted", m.Received)
	}
}

// TestPrivateMessageThroughARoomComesFromTheOccupantsRealAddress: where
// the room shows who an occupant is (to its owner here), a private
// message through the room is from that address, so a known brand cannot
// slip in under a room nick.
func TestPrivateMessageThroughARoomComesFromTheOccupantsRealAddress(t *testing.T) {
	srv := testServer(t, prosody.Config{})
	room := "deals-room@" + prosody.MUC
	_, alice := online(t, srv, "alice", keyJoin, room)
	alice.Events.WaitFor(t, 0, "alice in the room", func(ev connectors.Event) bool {
		cu, ok := ev.(connectors.ConversationUpdated)
		return ok && cu.Conversation.ID == room && !cu.Left
	})
	bob := srv.Dial(t, "bob", "bobpass")
	bob.Send(t, `<presence to='`+room+`/Deals'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	if _, err := bob.WaitFor(30*time.Second, "status code='110'"); err != nil {
		if _, err := bob.WaitFor(time.Second, `status code="110"`); err != nil {
			t.Fatalf("bob did not enter the room: %v", err)
		}
	}
	bob.Send(t, `<message type='chat' to='`+room+`/alice' id='pm-1'><body>psst, a deal</body><x xmlns='http://jabber.org/protocol/muc#user'/></message>`)
	m := waitText(t, alice, "psst, a deal").Message
	if m.Sender != "bob@localhost" || m.Conversation.ID != room+"/Deals" || m.Conversation.Kind != connectors.Direct {
		t.Fatalf("got %+v; want a direct message from bob@localhost via %s/Deals", m, room)
	}
}
