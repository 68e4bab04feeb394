package xmpp

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/connectors"
)

// session is one live, bound stream. Run owns it: it starts the read loop
// (the only reader of the transport) and ends it by closing the transport.
type session struct {
	c    *Connector
	cfg  *config
	t    *transport
	jid  string // our full JID
	bare string
	acct string
	sink chan<- connectors.Event
	ctx  context.Context // ends when Run returns
	smOn bool            // XEP-0198 enabled or resumed on this stream

	ids atomic.Uint64

	mu       sync.Mutex
	iqs      map[string]*pendingIQ
	mam      map[string]*mamCollector
	presence map[string]map[string]bool // contact bare JID -> online resources
	ackWait  chan struct{}              // closed when the server acks everything

	done    chan struct{} // closed when the read loop ends
	readErr error         // why it ended; read after done
}

type pendingIQ struct {
	ch   chan *Element
	from map[string]bool // addresses allowed to answer
}

func newSession(c *Connector, cfg *config, t *transport, jid, acct string, sink chan<- connectors.Event, ctx context.Context) *session {
	return &session{
		c: c, cfg: cfg, t: t, jid: jid, bare: bareJID(jid), acct: acct, sink: sink, ctx: ctx,
		iqs:      map[string]*pendingIQ{},
		mam:      map[string]*mamCollector{},
		presence: map[string]map[string]bool{},
		done:     make(chan struct{}),
	}
}

func (s *session) newID() string { return "sb" + strconv.FormatUint(s.ids.Add(1), 36) }

// emit hands an event to the core, giving up when Run ends.
func (s *session) emit(ev connectors.Event) bool {
	select {
	case s.sink <- ev:
		return true
	case <-s.ctx.Done():
		return false
	}
}

// isStanza reports whether el counts for XEP-0198 (message, presence, iq).
func isStanza(el *Element) bool {
	if el.Name.Space != nsClient {
		return false
	}
	switch el.Name.Local {
	case "message", "presence", "iq":
		return true
	}
	return false
}

// send writes one element. Stanzas are queued for XEP-0198 before the
// write, so a stanza lost with the connection is resent on resumption.
func (s *session) send(el *Element) error {
	return s.write(queued{data: el.Marshal(), message: el.Name.Local == "message"}, isStanza(el))
}

// sendMessageStanza sends a user's message and returns the channel that is
// closed once the server has it (see Connector.Send). A failed write
// leaves the message queued for the next connection when XEP-0198 is on.
func (s *session) sendMessageStanza(el *Element) (<-chan struct{}, error) {
	q := queued{data: el.Marshal(), message: true, acked: make(chan struct{})}
	return q.acked, s.write(q, true)
}

func (s *session) write(q queued, stanza bool) error {
	s.c.smMu.Lock()
	defer s.c.smMu.Unlock()
	if s.smOn && stanza {
		s.c.sm.outH++
		s.c.sm.unacked = append(s.c.sm.unacked, q)
	}
	err := s.t.writeRaw(q.data)
	if err == nil && s.smOn && q.message {
		err = s.t.writeRaw([]byte("<r xmlns='urn:xmpp:sm:3'/>"))
	}
	if err == nil && !s.smOn {
		q.done() // without XEP-0198 the write is all we learn
	}
	return err
}

// iq sends a get/set and waits for the matching result or error. to == ""
// addresses our own account.
func (s *session) iq(ctx context.Context, iq *Element) (*Element, error) {
	id := s.newID()
	iq.Attr = append(iq.Attr, attr("id", id))
	to := iq.Get("to")
	allowed := map[string]bool{to: true}
	if to == "" || to == s.bare {
		for _, a := range []string{"", s.bare, s.jid, s.cfg.domain} {
			allowed[a] = true
		}
	}
	p := &pendingIQ{ch: make(chan *Element, 1), from: allowed}
	s.mu.Lock()
	s.iqs[id] = p
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.iqs, id)
		s.mu.Unlock()
	}()
	if err := s.send(iq); err != nil {
		return nil, err
	}
	limit := s.c.iqTimeout()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil, fmt.Errorf("xmpp: no answer from the server for %s; the connection is dead", limit)
	case res := <-p.ch:
		if res.Get("type") == "error" {
			return nil, parseStanzaError(res)
		}
		return res, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.done:
		return nil, s.readErr
	}
}

// readLoop reads and dispatches until the stream ends. Stanzas that came
// during negotiation (before stream management was enabled) are handled
// first and not counted for XEP-0198.
func (s *session) readLoop() {
	defer close(s.done)
	for _, el := range s.t.early {
		s.dispatch(el, false)
	}
	s.t.early = nil
	for {
		el, err := s.t.next()
		if err != nil {
			s.readErr = err
			return
		}
		s.dispatch(el, s.smOn)
	}
}

// dispatch handles one top-level element; unknown ones are ignored.
func (s *session) dispatch(el *Element, count bool) {
	if el.Name.Space == nsSM {
		s.handleSM(el)
		return
	}
	if !isStanza(el) {
		return
	}
	switch el.Name.Local {
	case "iq":
		s.handleIQ(el)
	case "message":
		s.handleMessage(el)
	case "presence":
		s.handlePresence(el)
	}
	if count {
		s.c.smMu.Lock()
		s.c.sm.inH++
		s.c.smMu.Unlock()
	}
}

// handleSM answers ack requests and processes acks (XEP-0198).
func (s *session) handleSM(el *Element) {
	switch el.Name.Local {
	case "r":
		s.c.smMu.Lock()
		h := s.c.sm.inH
		s.c.smMu.Unlock()
		_ = s.t.write(E(nsSM, "a", "h", strconv.FormatUint(uint64(h), 10)))
	case "a":
		if h, ok := parseH(el); ok {
			s.c.ack(h)
			s.mu.Lock()
			if s.ackWait != nil && s.c.unackedCount() == 0 {
				close(s.ackWait)
				s.ackWait = nil
			}
			s.mu.Unlock()
		}
	}
}

// handleIQ routes results to waiters and answers requests.
func (s *session) handleIQ(el *Element) {
	typ := el.Get("type")
	if typ == "result" || typ == "error" {
		s.mu.Lock()
		p := s.iqs[el.Get("id")]
		s.mu.Unlock()
		if p != nil && p.from[el.Get("from")] {
			select {
			case p.ch <- el:
			default:
			}
		}
		return
	}
	if typ != "get" && typ != "set" {
		return
	}
	if res := s.answerIQ(el); res != nil {
		_ = s.send(res)
		return
	}
	_ = s.send(iqError(el, "cancel", "service-unavailable"))
}

func attr(name, value string) xml.Attr { return xml.Attr{Name: xml.Name{Local: name}, Value: value} }

func iqResult(req *Element) *Element {
	return E(nsClient, "iq", "type", "result", "id", req.Get("id"), "to", req.Get("from"))
}

func iqError(req *Element, typ, cond string) *Element {
	return E(nsClient, "iq", "type", "error", "id", req.Get("id"), "to", req.Get("from")).Add(
		E(nsClient, "error", "type", typ).Add(E(nsStanzas, cond)))
}

// waitAcked asks the server to acknowledge everything we sent and waits
// until it has (or ctx ends).
func (s *session) waitAcked(ctx context.Context) {
	if !s.smOn || s.c.unackedCount() == 0 {
		return
	}
	ch := make(chan struct{})
	s.mu.Lock()
	s.ackWait = ch
	s.mu.Unlock()
	if err := s.t.writeRaw([]byte("<r xmlns='urn:xmpp:sm:3'/>")); err != nil {
		return
	}
	select {
	case <-ch:
	case <-ctx.Done():
	case <-s.done:
	}
}

var errSessionEnded = errors.New("xmpp: the session ended")
