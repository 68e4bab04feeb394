package xmpp

import (
	"testing"

	"switchboard/connectors"
	"switchboard/internal/testenv/prosody"
)

// A second client of alice sends to bob: the first client sees the message
// as Outbound (carbon) with the RemoteID the sender got from Send; a reply
// from bob reaches both clients with one RemoteID; a third client that
// only backfills from the archive reports the same RemoteIDs.
func TestOwnMessagesFromOtherClientsAppearAsOutbound(t *testing.T) {
	t.Parallel()
	srv := testServer(t, prosody.Config{})
	_, phone := online(t, srv, "alice", keyResource, "phone")
	_, laptop := online(t, srv, "alice", keyResource, "laptop")
	_, bob := online(t, srv, "bob")

	sentID := laptop.Send(t, direct(prosody.JID("bob")), "sent from the laptop", "out-42")
	echo := waitText(t, phone, "sent from the laptop")
	if echo.Message.Direction != connectors.Outbound || echo.Message.Conversation.ID != prosody.JID("bob") ||
		echo.Message.Sender != prosody.JID("alice") || echo.Backfill {
		t.Errorf("carbon on the phone: %+v", echo)
	}
	if echo.Message.RemoteID != sentID {
		t.Errorf("carbon RemoteID %q, Send returned %q", echo.Message.RemoteID, sentID)
	}
	waitText(t, bob, "sent from the laptop")

	bob.Send(t, direct(prosody.JID("alice")), "reply to both", "b-1")
	onPhone := waitText(t, phone, "reply to both").Message
	onLaptop := waitText(t, laptop, "reply to both").Message
	if onPhone.RemoteID != onLaptop.RemoteID || onPhone.RemoteID == "" {
		t.Errorf("one message, two RemoteIDs: phone %q laptop %q", onPhone.RemoteID, onLaptop.RemoteID)
	}

	_, tablet := online(t, srv, "alice", keyResource, "tablet")
	fromArchive := waitText(t, tablet, "reply to both")
	if !fromArchive.Backfill || fromArchive.Message.RemoteID != onPhone.RemoteID {
		t.Errorf("archive copy: backfill=%v RemoteID %q, live RemoteID %q", fromArchive.Backfill, fromArchive.Message.RemoteID, onPhone.RemoteID)
	}
	own := waitText(t, tablet, "sent from the laptop")
	if own.Message.RemoteID != sentID || own.Message.Direction != connectors.Outbound {
		t.Errorf("archived own message: %+v, want RemoteID %q outbound", own.Message, sentID)
	}
}
