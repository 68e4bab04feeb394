package xmpp

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"switchboard/connectors"
)

// startup runs once per new (not resumed) session: carbons, roster,
// initial presence, room joins.
func (s *session) startup(ctx context.Context) error {
	var se *StanzaError
	_, err := s.iq(ctx, E(nsClient, "iq", "type", "set").Add(E(nsCarbons, "enable")))
	if err != nil && !errors.As(err, &se) {
		return err
	}
	res, err := s.iq(ctx, E(nsClient, "iq", "type", "get").Add(E(nsRoster, "query")))
	if err != nil && !errors.As(err, &se) {
		return err
	}
	if res != nil {
		s.rosterItems(res.Child(nsRoster, "query"))
	}
	if err := s.send(E(nsClient, "presence")); err != nil {
		return err
	}
	for _, r := range s.c.roomsToJoin(s.cfg) {
		err := s.join(ctx, r)
		if err != nil && !errors.As(err, &se) && !strings.Contains(err.Error(), "no answer") {
			return err
		}
	}
	return nil
}

// rosterItems reports roster entries (RFC 6121 §2) as contacts.
func (s *session) rosterItems(q *Element) {
	for _, it := range q.ChildrenNamed(nsRoster, "item") {
		jid := bareJID(it.Get("jid"))
		if jid == "" || it.Get("subscription") == "remove" {
			continue
		}
		name := it.Get("name")
		s.c.mu.Lock()
		s.c.names[jid] = name
		s.c.mu.Unlock()
		sub := it.Get("subscription")
		if sub == "" {
			sub = "none"
		}
		s.emit(connectors.ContactUpdated{Account: s.acct, Contact: connectors.Contact{
			Handle: jid, Name: name, Kind: connectors.KindUnknown,
			Evidence: []string{"xmpp: in the user's roster (subscription " + sub + ")"},
		}})
	}
}

func (c *Connector) contactName(bare string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.names[bare]
}

// answerIQ answers the requests a client must handle; nil means "not
// supported" (the caller replies service-unavailable).
func (s *session) answerIQ(iq *Element) *Element {
	from := iq.Get("from")
	ownAccount := from == "" || bareJID(from) == s.bare
	typ := iq.Get("type")
	switch {
	case typ == "get" && iq.Child(nsPing, "ping") != nil:
		return iqResult(iq)
	case typ == "get" && iq.Child(nsDiscoInfo, "query") != nil:
		q := E(nsDiscoInfo, "query", "node", iq.Child(nsDiscoInfo, "query").Get("node")).Add(
			E(nsDiscoInfo, "identity", "category", "client", "type", "pc", "name", "Switchboard"))
		for _, f := range []string{nsDiscoInfo, nsPing, nsReceipts, nsMarkers, nsChatStates, nsMUC, nsSID} {
			q.Add(E(nsDiscoInfo, "feature", "var", f))
		}
		return iqResult(iq).Add(q)
	case typ == "set" && ownAccount && iq.Child(nsRoster, "query") != nil:
		s.rosterItems(iq.Child(nsRoster, "query")) // a roster push
		return iqResult(iq)
	case typ == "set" && ownAccount && iq.ChildIn(nsBlocking) != nil:
		return iqResult(iq) // a block list push from another client
	}
	return nil
}

// handlePresence reports contacts' availability and tracks rooms.
func (s *session) handlePresence(p *Element) {
	from := p.Get("from")
	bare := bareJID(from)
	if s.c.isRoom(bare) {
		s.roomPresence(p)
		return
	}
	if bare == "" || bare == s.bare {
		return
	}
	typ := p.Get("type")
	if typ != "" && typ != "unavailable" {
		return // subscription requests wait for the user; errors are ignored
	}
	res := resourceOf(from)
	s.mu.Lock()
	set := s.presence[bare]
	if set == nil {
		set = map[string]bool{}
		s.presence[bare] = set
	}
	if typ == "unavailable" {
		delete(set, res)
	} else {
		set[res] = true
	}
	online := len(set) > 0
	s.mu.Unlock()
	show := p.ChildText(nsClient, "show")
	s.emit(connectors.Presence{Account: s.acct, Handle: bare, Online: online,
		Away:   online && typ == "" && (show == "away" || show == "xa" || show == "dnd"),
		Status: p.ChildText(nsClient, "status")})
}

// Block blocks or unblocks a JID on the server (XEP-0191): the server
// then drops its messages and hides our presence from it.
func (c *Connector) Block(ctx context.Context, handle string, block bool) error {
	s := c.session()
	if s == nil {
		return connectors.ErrNotConnected
	}
	op := "unblock"
	if block {
		op = "block"
	}
	jid := strings.TrimSpace(handle)
	if _, d, _ := splitJID(jid); d == "" {
		return fmt.Errorf("xmpp: %s: %q is not an XMPP address", op, handle)
	}
	_, err := s.iq(ctx, E(nsClient, "iq", "type", "set").Add(
		E(nsBlocking, op).Add(E(nsBlocking, "item", "jid", jid))))
	if err != nil {
		return fmt.Errorf("xmpp: %s: %w", op, err)
	}
	return nil
}

// SetTyping sends an XEP-0085 chat state (composing or paused).
func (c *Connector) SetTyping(ctx context.Context, conv connectors.ConversationRef, active bool) error {
	s := c.session()
	if s == nil {
		return connectors.ErrNotConnected
	}
	to := strings.TrimSpace(conv.ID)
	typ := "chat"
	if conv.Kind == connectors.Group || c.isRoom(bareJID(to)) && resourceOf(to) == "" {
		typ = "groupchat"
	}
	state := "paused"
	if active {
		state = "composing"
	}
	return s.send(E(nsClient, "message", "to", to, "type", typ, "id", s.newID()).Add(
		E(nsChatStates, state), E(nsHints, "no-store")))
}

// markRef is a peer's message that asked for chat markers (XEP-0333).
type markRef struct{ from, id string }

// maxReceipts bounds the receipts waiting for the core's word.
const maxReceipts = 512

// noteReceipt keeps a receipt request until Acknowledge (or drops the
// oldest beyond maxReceipts: a held sender is never answered anyway).
func (c *Connector) noteReceipt(remoteID, from, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.receipts[remoteID]; !ok {
		c.receiptOrder = append(c.receiptOrder, remoteID)
	}
	c.receipts[remoteID] = markRef{from: from, id: id}
	for len(c.receiptOrder) > maxReceipts {
		delete(c.receipts, c.receiptOrder[0])
		c.receiptOrder = c.receiptOrder[1:]
	}
}

// Acknowledge sends the XEP-0184 receipt a delivered message asked for.
func (c *Connector) Acknowledge(ctx context.Context, remoteID string) error {
	c.mu.Lock()
	ref, ok := c.receipts[remoteID]
	delete(c.receipts, remoteID)
	c.mu.Unlock()
	if !ok {
		return nil
	}
	s := c.session()
	if s == nil {
		return connectors.ErrNotConnected
	}
	if err := s.send(E(nsClient, "message", "to", ref.from, "id", s.newID()).Add(E(nsReceipts, "received", "id", ref.id))); err != nil {
		return fmt.Errorf("xmpp: receipt to %s: %w", bareJID(ref.from), err)
	}
	return nil
}

func (c *Connector) noteMarkable(conv, from, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.markable[conv] = markRef{from: from, id: id}
}

// MarkRead sends an XEP-0333 "displayed" marker for the newest markable
// message the peer sent in this 1:1 conversation while we were connected
// (markers acknowledge everything up to the marked message). Without one
// there is nothing to mark, and that is not an error.
func (c *Connector) MarkRead(ctx context.Context, conv connectors.ConversationRef, remoteID string) error {
	s := c.session()
	if s == nil {
		return connectors.ErrNotConnected
	}
	c.mu.Lock()
	ref, ok := c.markable[conv.ID]
	delete(c.markable, conv.ID)
	c.mu.Unlock()
	if !ok || conv.Kind == connectors.Group {
		return nil
	}
	if err := s.send(E(nsClient, "message", "to", ref.from, "type", "chat", "id", s.newID()).Add(
		E(nsMarkers, "displayed", "id", ref.id))); err != nil {
		return fmt.Errorf("xmpp: mark %s read: %w", conv.ID, err)
	}
	return nil
}
