package xmpp

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"switchboard/connectors"
)

// joinTimeout bounds waiting for a room's self-presence.
const joinTimeout = 20 * time.Second

// room is a group chat (XEP-0045) the account is in or wants to be in.
type room struct {
	jid       string
	nick      string
	joined    bool
	occupants map[string]bool   // occupant JIDs room@service/nick
	realJIDs  map[string]string // occupant JID → real bare JID, where the room shows it
	wait      chan error        // the pending join's outcome
}

func (c *Connector) isRoom(bare string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.rooms[bare]
	return ok
}

// occupantJID is the real bare JID behind a room occupant, when the room
// (non-anonymous, or we moderate it) has shown it; "" otherwise.
func (c *Connector) occupantJID(occupant string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r := c.rooms[bareJID(occupant)]; r != nil {
		return r.realJIDs[occupant]
	}
	return ""
}

func (c *Connector) roomNick(bare string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r := c.rooms[bare]; r != nil {
		return r.nick
	}
	return ""
}

func (c *Connector) joinedRooms() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for j, r := range c.rooms {
		if r.joined {
			out = append(out, j)
		}
	}
	sort.Strings(out)
	return out
}

// roomsToJoin lists the configured rooms and those joined through Join.
func (c *Connector) roomsToJoin(cfg *config) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, j := range cfg.rooms {
		if c.rooms[j] == nil {
			c.rooms[j] = &room{jid: j, nick: cfg.nick}
		}
	}
	var out []string
	for j, r := range c.rooms {
		r.joined, r.occupants = false, map[string]bool{}
		out = append(out, j)
	}
	sort.Strings(out)
	return out
}

// join enters a room with the account's nick (with "_" appended if it is
// taken). History comes from the room's archive, not the join replay.
func (s *session) join(ctx context.Context, roomJID string) error {
	for attempt := 0; attempt < 2; attempt++ {
		wait := make(chan error, 1)
		s.c.mu.Lock()
		r := s.c.rooms[roomJID]
		if r == nil {
			r = &room{jid: roomJID, nick: s.cfg.nick, occupants: map[string]bool{}}
			s.c.rooms[roomJID] = r
		}
		r.wait = wait
		nick := r.nick
		s.c.mu.Unlock()
		p := E(nsClient, "presence", "to", roomJID+"/"+nick).Add(
			E(nsMUC, "x").Add(E(nsMUC, "history", "maxstanzas", "0")))
		if err := s.send(p); err != nil {
			return err
		}
		select {
		case err := <-wait:
			if isCondition(err, "conflict") && attempt == 0 {
				s.c.mu.Lock()
				r.nick += "_"
				s.c.mu.Unlock()
				continue
			}
			return err
		case <-time.After(joinTimeout):
			return fmt.Errorf("xmpp: join %s: no answer from the room", roomJID)
		case <-ctx.Done():
			return ctx.Err()
		case <-s.done:
			return s.readErr
		}
	}
	return fmt.Errorf("xmpp: join %s: nickname taken", roomJID)
}

// roomPresence tracks occupants and our own joins and leaves.
func (s *session) roomPresence(p *Element) {
	from := p.Get("from")
	roomJID := bareJID(from)
	x := p.Child(nsMUCUser, "x")
	self := false
	for _, st := range x.ChildrenNamed(nsMUCUser, "status") {
		if st.Get("code") == "110" {
			self = true
		}
	}
	s.c.mu.Lock()
	r := s.c.rooms[roomJID]
	if r == nil {
		s.c.mu.Unlock()
		return
	}
	typ := p.Get("type")
	if typ == "error" {
		if r.wait != nil && !r.joined {
			r.wait <- parseStanzaError(p)
			r.wait = nil
		}
		s.c.mu.Unlock()
		return
	}
	left := false
	if typ == "unavailable" {
		delete(r.occupants, from)
		delete(r.realJIDs, from)
		if self {
			r.joined, left = false, true
		}
	} else {
		if r.occupants == nil {
			r.occupants = map[string]bool{}
		}
		r.occupants[from] = true
		if real := bareJID(x.Child(nsMUCUser, "item").Get("jid")); real != "" {
			if r.realJIDs == nil {
				r.realJIDs = map[string]string{}
			}
			r.realJIDs[from] = real
		}
		if self {
			r.joined, r.nick = true, resourceOf(from)
			if r.wait != nil {
				r.wait <- nil
				r.wait = nil
			}
		}
	}
	joined := r.joined
	members := make([]string, 0, len(r.occupants))
	for o := range r.occupants {
		members = append(members, o)
	}
	s.c.mu.Unlock()
	if !joined && !left {
		return // the initial occupant list: reported with our own presence
	}
	sort.Strings(members)
	s.emit(connectors.ConversationUpdated{Account: s.acct, Left: left, Members: members,
		Conversation: connectors.ConversationRef{ID: roomJID, Kind: connectors.Group}})
}

// Join enters a group chat now and on every later connect.
func (c *Connector) Join(ctx context.Context, conv string) error {
	s := c.session()
	if s == nil {
		return connectors.ErrNotConnected
	}
	roomJID := bareJID(conv)
	if err := s.join(ctx, roomJID); err != nil {
		c.mu.Lock()
		delete(c.rooms, roomJID)
		c.mu.Unlock()
		return err
	}
	err := s.backfill(ctx, roomJID)
	var se *StanzaError
	if errors.As(err, &se) {
		return nil // joined; the room keeps no archive
	}
	return err
}

// Leave exits a group chat and forgets it.
func (c *Connector) Leave(ctx context.Context, conv string) error {
	s := c.session()
	if s == nil {
		return connectors.ErrNotConnected
	}
	roomJID := bareJID(conv)
	nick := c.roomNick(roomJID)
	c.mu.Lock()
	delete(c.rooms, roomJID)
	c.mu.Unlock()
	if nick == "" {
		return nil
	}
	if err := s.send(E(nsClient, "presence", "to", roomJID+"/"+nick, "type", "unavailable")); err != nil {
		return err
	}
	s.emit(connectors.ConversationUpdated{Account: s.acct, Left: true,
		Conversation: connectors.ConversationRef{ID: roomJID, Kind: connectors.Group}})
	return nil
}
