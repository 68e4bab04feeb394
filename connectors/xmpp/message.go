package xmpp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"switchboard/connectors"
)

// origin says how a message reached us.
type origin int

const (
	fromLive        origin = iota // addressed to us
	fromCarbonSent                // XEP-0280: sent by another of our clients
	fromCarbonRecvd               // XEP-0280: received by another of our clients
	fromArchive                   // XEP-0313 result
)

// handleMessage routes an incoming <message/>: archive results to their
// query, carbons unwrapped, everything else to events.
func (s *session) handleMessage(m *Element) {
	if m.Get("type") == "error" {
		return
	}
	if res := m.Child(nsMAM, "result"); res != nil {
		s.collectMAM(m, res)
		return
	}
	from := m.Get("from")
	if from == "" || bareJID(from) == s.bare {
		for _, dir := range []string{"sent", "received"} {
			c := m.Child(nsCarbons, dir)
			if c == nil {
				continue
			}
			inner := c.Child(nsForward, "forwarded").Child(nsClient, "message")
			if inner == nil {
				return
			}
			o := fromCarbonRecvd
			if dir == "sent" {
				o = fromCarbonSent
			}
			s.messageEvents(inner, o, "", time.Time{})
			return
		}
	}
	s.messageEvents(m, fromLive, "", time.Time{})
}

// convOf works out the conversation and direction of a message. A
// groupchat stanza counts as a group message only from a room the user
// chose to join; from anyone else it is a direct message from its sender
// (anyone can type a stanza "groupchat", and a brand must not pass the
// opt-in that way). A private message through a room comes from the
// occupant: its real address when the room shows it, else room/nick.
func (s *session) convOf(m *Element, o origin) (conv connectors.ConversationRef, sender string, out bool) {
	from, to := m.Get("from"), m.Get("to")
	if from == "" {
		from = s.cfg.domain
	}
	if m.Get("type") == "groupchat" && s.c.isRoom(bareJID(from)) {
		room := bareJID(from)
		nick := resourceOf(from)
		out = nick != "" && nick == s.c.roomNick(room)
		return connectors.ConversationRef{ID: room, Kind: connectors.Group, Joined: true}, from, out
	}
	out = o == fromCarbonSent || bareJID(from) == s.bare
	peer := from
	if out {
		peer = to
	}
	id := bareJID(peer)
	viaRoom := s.c.isRoom(id) && resourceOf(peer) != ""
	if viaRoom {
		id = id + "/" + resourceOf(peer) // a private message through a room
	}
	sender = bareJID(from)
	switch {
	case out:
		sender = s.bare
	case viaRoom:
		sender = firstNonEmpty(s.c.occupantJID(from), from)
	}
	return connectors.ConversationRef{ID: id, Kind: connectors.Direct}, sender, out
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// remoteID is the one rule for a message's stable ID (see the package doc):
//  1. own messages with an XEP-0359 origin-id use it (Send returns it);
//  2. then own messages' id attribute, which our other clients' carbons and
//     the archive carry unchanged (servers stamp stanza-id only on messages
//     they receive for us, not on the ones we send);
//  3. others' messages with an origin-id use it scoped by the sender's
//     address ("o:" sender ":" origin-id): a sender whose client resends
//     after losing its connection (XEP-0198 is at-least-once) produces a
//     second copy with a new stanza-id but the same origin-id, and the
//     scope means a sender can only ever collide with itself;
//  4. otherwise the archive ID: the XEP-0313 result id, or the
//     <stanza-id by=archive/> the server stamped on the live message;
//  5. otherwise (no archive) a hash of sender, recipient, id and body.
func remoteID(m *Element, out bool, sender, archiveJID, archiveID string) string {
	oid := m.Child(nsSID, "origin-id").Get("id")
	if out {
		if oid != "" {
			return oid
		}
		if id := m.Get("id"); id != "" {
			return "id:" + bareJID(m.Get("to")) + ":" + id
		}
	}
	if oid != "" && sender != "" {
		return "o:" + sender + ":" + oid
	}
	if archiveID != "" {
		return archiveID
	}
	if sid := stanzaID(m, archiveJID); sid != "" {
		return sid
	}
	h := sha256.Sum256([]byte(m.Get("from") + "\x00" + m.Get("to") + "\x00" + m.Get("id") + "\x00" + m.ChildText(nsClient, "body")))
	return "h:" + hex.EncodeToString(h[:16])
}

// stanzaID returns the XEP-0359 stanza-id stamped by the given archive.
func stanzaID(m *Element, by string) string {
	for _, sid := range m.ChildrenNamed(nsSID, "stanza-id") {
		if bareJID(sid.Get("by")) == by {
			return sid.Get("id")
		}
	}
	return ""
}

// messageEvents turns one message into events. archiveID and stamp are set
// for archive results.
func (s *session) messageEvents(m *Element, o origin, archiveID string, stamp time.Time) []connectors.Event {
	conv, sender, out := s.convOf(m, o)
	archive, key := s.bare, "" // the archive that stamps IDs, and its key in Connector.archive
	if conv.Kind == connectors.Group {
		archive, key = conv.ID, conv.ID
	}
	var evs []connectors.Event
	body, hasBody := bodyOf(m)
	if hasBody {
		msg := connectors.Message{
			RemoteID:     remoteID(m, out, sender, archive, archiveID),
			Conversation: conv,
			Sender:       sender,
			Time:         messageTime(m, stamp),
			Received:     receivedTime(stamp),
			Text:         body,
		}
		if out {
			msg.Direction = connectors.Outbound
		}
		s.fillNames(&msg)
		if strings.HasPrefix(body, "/me ") { // XEP-0245
			msg.Action, msg.Text = true, body[4:]
		}
		msg.Notice = m.Get("type") == "headline"
		evs = append(evs, connectors.MessageReceived{Account: s.acct, Message: msg, Backfill: o == fromArchive})
	}
	if subj := m.Child(nsClient, "subject"); subj != nil && !hasBody && conv.Kind == connectors.Group && o != fromArchive {
		evs = append(evs, connectors.ConversationUpdated{Account: s.acct, Conversation: conv, Topic: subj.Text})
	}
	if (o == fromLive || o == fromCarbonRecvd) && !out {
		evs = append(evs, s.signals(m, conv, sender)...)
	}
	// Known before anyone sees the message, so it can be marked read at once.
	if hasBody && o == fromLive && !out && conv.Kind == connectors.Direct && m.Child(nsMarkers, "markable") != nil && m.Get("id") != "" {
		s.c.noteMarkable(conv.ID, m.Get("from"), m.Get("id"))
	}
	// The receipt waits for the core's Acknowledge: it goes only to a
	// sender whose message was delivered, never to a held brand. It is noted before the message is emitted,
	// or an Acknowledge that comes at once would find nothing to answer.
	if hasBody && o == fromLive && !out && conv.Kind == connectors.Direct && m.Child(nsReceipts, "request") != nil && m.Get("id") != "" {
		if mr, ok := evs[0].(connectors.MessageReceived); ok {
			s.c.noteReceipt(mr.Message.RemoteID, m.Get("from"), m.Get("id"))
		}
	}
	if o != fromArchive {
		for _, ev := range evs {
			if !s.emit(ev) {
				return nil
			}
		}
		if sid := stanzaID(m, archive); sid != "" && o == fromLive {
			s.c.noteArchiveID(key, sid)
		}
	}
	return evs
}

// signals are the non-message events a message carries: chat states,
// receipts and markers from the peer.
func (s *session) signals(m *Element, conv connectors.ConversationRef, sender string) []connectors.Event {
	var evs []connectors.Event
	if st := m.ChildIn(nsChatStates); st != nil {
		evs = append(evs, connectors.Typing{Account: s.acct, Conversation: conv.ID, Handle: sender,
			Active: st.Name.Local == "composing"})
	}
	now := time.Now()
	if r := m.Child(nsReceipts, "received"); r != nil && r.Get("id") != "" {
		evs = append(evs, connectors.Receipt{Account: s.acct, Conversation: conv.ID, RemoteID: r.Get("id"), Time: now})
	}
	for _, mk := range []string{"received", "displayed", "acknowledged"} {
		if r := m.Child(nsMarkers, mk); r != nil && r.Get("id") != "" {
			evs = append(evs, connectors.Receipt{Account: s.acct, Conversation: conv.ID, RemoteID: r.Get("id"),
				Read: mk != "received", Time: now})
		}
	}
	return evs
}

func bodyOf(m *Element) (string, bool) {
	b := m.Child(nsClient, "body")
	if b == nil {
		return "", false
	}
	return b.Text, true
}

// messageTime is the archive stamp, else the XEP-0203 delay, else now.
func messageTime(m *Element, stamp time.Time) time.Time {
	if !stamp.IsZero() {
		return stamp
	}
	if d := m.Child(nsDelay, "delay"); d != nil {
		if t, err := time.Parse(time.RFC3339Nano, d.Get("stamp")); err == nil {
			return t
		}
	}
	return time.Now().UTC()
}

// receivedTime is when the user's own server took the message in: the
// stamp of the user's archive (or a joined room's), else now. A <delay>
// on a live message is never used: the sender can write one, "from" the
// user's own server included, so it is shown as the message's time only.
func receivedTime(stamp time.Time) time.Time {
	if !stamp.IsZero() {
		return stamp
	}
	return time.Now().UTC()
}

func (s *session) fillNames(msg *connectors.Message) {
	if msg.Conversation.Kind == connectors.Group {
		msg.SenderName = resourceOf(msg.Sender)
		return
	}
	msg.SenderName = s.c.contactName(msg.Sender)
}

// sendMessage sends a chat or group chat message. The origin-id and the
// stanza id come from out.LocalID, so a retry is recognisable and the
// echo of this message (carbon, room reflection, archive) has the RemoteID
// returned here.
func (s *session) sendMessage(ctx context.Context, out connectors.Outgoing) (string, error) {
	to := strings.TrimSpace(out.Conversation.ID)
	if to == "" {
		return "", errors.New("xmpp: send: no recipient")
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	l, d, r := splitJID(to)
	if d == "" {
		return "", errors.New("xmpp: send: " + to + " is not an XMPP address")
	}
	bare := d
	if l != "" {
		bare = l + "@" + d
	}
	group := s.c.isRoom(bare) && r == ""
	if out.Conversation.Kind == connectors.Group && !group {
		return "", errors.New("xmpp: send: not joined to the group chat " + bare)
	}
	id := out.LocalID
	if id == "" {
		id = s.newID() + "-" + randomResource()[12:]
	}
	typ, dest := "chat", bare
	if group {
		typ = "groupchat"
	} else if r != "" {
		dest = bare + "/" + r
	}
	text := out.Text
	if out.Action {
		text = "/me " + text
	}
	m := E(nsClient, "message", "to", dest, "type", typ, "id", id).Add(
		E(nsClient, "body").SetText(text),
		E(nsSID, "origin-id", "id", id),
		E(nsChatStates, "active"))
	if !group {
		m.Add(E(nsReceipts, "request"), E(nsMarkers, "markable"))
	}
	acked, err := s.sendMessageStanza(m)
	if err != nil && !s.smOn {
		return "", err
	}
	select {
	case <-acked:
		return id, nil
	case <-ctx.Done():
		return "", fmt.Errorf("xmpp: send to %s: the server has not confirmed the message (%w); it may or may not have arrived", bare, ctx.Err())
	}
}
