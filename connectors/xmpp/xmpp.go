// Package xmpp is Switchboard's XMPP connector, written on encoding/xml
// streams: RFC 6120/6121 client (STARTTLS or direct TLS with verified
// certificates, SCRAM-SHA-256/SCRAM-SHA-1, PLAIN only over TLS, resource
// binding, roster, presence, 1:1 chat), XEP-0198 stream management with
// resumption, XEP-0280 carbons, XEP-0313 archive backfill, XEP-0045 group
// chat, XEP-0184 receipts and XEP-0333 markers, XEP-0085 chat states,
// XEP-0191 blocking and XEP-0199 keep-alive pings.
//
// Remote IDs (storage deduplicates on them) follow one rule, in
// remoteID: the user's own messages carrying an XEP-0359 origin-id use it
// (Send sets origin-id and the stanza id from Outgoing.LocalID, and servers
// echo it unchanged in carbons, MUC reflections and archives); everything
// else uses the server-assigned <stanza-id by=archive/> (XEP-0359), which
// equals the archive ID of the same message in XEP-0313 results. So a
// message has the same RemoteID whether it arrives live, as a carbon, after
// a resumption, or from the archive.
//
// The connector keeps no state on disk. Within one Connector value it
// remembers, across Run calls, the XEP-0198 resumption state, the newest
// archive IDs seen and the messages not yet acknowledged by the server.
package xmpp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/connectors"
)

func init() {
	connectors.Register("xmpp", func() connectors.Connector { return New() })
}

// Connector is one XMPP account's link. Create it with New.
type Connector struct {
	// Hooks for tests in this package; zero values mean the defaults.
	dial         func(ctx context.Context, addr string) (net.Conn, error)
	pingInterval time.Duration
	pingTimeout  time.Duration
	stanzaLimit  int
	forceMech    string       // use only this SASL mechanism
	resumes      atomic.Int32 // XEP-0198 resumptions so far

	resource string // chosen once, so resumption and carbons see one device

	mu       sync.Mutex
	sess     *session
	redirect string            // see-other-host target for the next Run
	rooms    map[string]*room  // joined or to-join group chats, by bare JID
	archive  map[string]string // archive JID ("" = own) -> newest archive ID seen
	filled   map[string]bool   // archive JID -> first backfill completed
	names    map[string]string // roster names by bare JID
	joinWait map[string]chan error
	markable map[string]markRef // 1:1 conversation -> newest live markable message from the peer
	// receipts: delivery receipts asked for, by RemoteID, waiting for the
	// core's Acknowledge (only delivered messages get one); oldest first.
	receipts     map[string]markRef
	receiptOrder []string
	lastSync     string // the SyncState last emitted

	smMu  sync.Mutex
	sm    smState
	smJID string   // the full JID bound with the SM session
	held  []queued // messages of a lost session not yet written on a new stream
}

// smState is the XEP-0198 state that survives a dropped connection.
type smState struct {
	id      string // resumption ID; "" when there is nothing to resume
	inH     uint32 // stanzas we have handled on the current SM session
	outH    uint32 // stanzas we have sent on it
	ackedH  uint32 // of those, acknowledged by the server
	unacked []queued
}

type queued struct {
	data    []byte
	message bool
	// acked is closed once the server has the stanza: acknowledged under
	// XEP-0198, or written to a stream without it. Send waits on it; nil
	// for stanzas no one waits for.
	acked chan struct{}
}

// done closes q.acked: the server has the stanza.
func (q queued) done() {
	if q.acked != nil {
		close(q.acked)
	}
}

// New returns an unconnected XMPP connector.
func New() *Connector {
	return &Connector{
		resource: randomResource(),
		rooms:    map[string]*room{},
		archive:  map[string]string{},
		filled:   map[string]bool{},
		names:    map[string]string{},
		joinWait: map[string]chan error{},
		markable: map[string]markRef{},
		receipts: map[string]markRef{},
	}
}

var (
	_ connectors.Connector    = (*Connector)(nil)
	_ connectors.Historian    = (*Connector)(nil)
	_ connectors.Blocker      = (*Connector)(nil)
	_ connectors.Typer        = (*Connector)(nil)
	_ connectors.Marker       = (*Connector)(nil)
	_ connectors.Acknowledger = (*Connector)(nil)
	_ connectors.Joiner       = (*Connector)(nil)
)

// Info describes the network and its account form.
func (c *Connector) Info() connectors.NetworkInfo { return info() }

func (c *Connector) session() *session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess
}

// ack drops the stanzas the server has acknowledged (h counts all stanzas
// it has handled on this SM session, modulo 2^32).
func (c *Connector) ack(h uint32) {
	c.smMu.Lock()
	defer c.smMu.Unlock()
	n := int(h - c.sm.ackedH)
	if n < 0 || n > len(c.sm.unacked) {
		return // a confused server; keep everything for safety
	}
	for _, q := range c.sm.unacked[:n] {
		q.done()
	}
	c.sm.unacked = c.sm.unacked[n:]
	c.sm.ackedH = h
}

func (c *Connector) unackedCount() int {
	c.smMu.Lock()
	defer c.smMu.Unlock()
	return len(c.sm.unacked)
}

// Send delivers a message to a contact's bare JID or a joined room and
// returns its RemoteID (the origin-id, derived from msg.LocalID).
//
// With stream management (XEP-0198) on, Send returns only once the server
// acknowledged the message. A message whose connection dropped first stays
// in this value's unacknowledged queue and is sent again when the next Run
// resumes the stream (only what the server did not count) or opens a new
// one (the whole message, same id and origin-id, so a copy the server did
// get is recognised by the recipient's archive); Send keeps waiting across
// that reconnect. If ctx ends first, Send fails with "may or may not have
// arrived": the outbox shows it failed, and a retry carries the same
// origin-id. Without stream management a completed write is all the
// protocol confirms.
func (c *Connector) Send(ctx context.Context, msg connectors.Outgoing) (string, error) {
	s := c.session()
	if s == nil {
		return "", connectors.ErrNotConnected
	}
	return s.sendMessage(ctx, msg)
}

func (c *Connector) pingEvery() (time.Duration, time.Duration) {
	iv, to := c.pingInterval, c.pingTimeout
	if iv <= 0 {
		iv = 60 * time.Second
	}
	if to <= 0 {
		to = 30 * time.Second
	}
	return iv, to
}

// iqTimeout bounds the wait for any answer from the server; a silent
// server means a dead link.
func (c *Connector) iqTimeout() time.Duration {
	_, to := c.pingEvery()
	return max(2*to, 5*time.Second)
}

// dialer opens the TCP connection (tests replace it to cut connections).
func (c *Connector) dialer(ctx context.Context, addr string) (net.Conn, error) {
	if c.dial != nil {
		return c.dial(ctx, addr)
	}
	var d net.Dialer
	d.Timeout = negotiationTimeout
	return d.DialContext(ctx, "tcp", addr)
}

// Run connects, synchronises and serves the account until ctx ends or the
// connection fails. See the package doc for what it keeps between calls.
func (c *Connector) Run(ctx context.Context, acct connectors.Account, secrets connectors.Secrets, sink chan<- connectors.Event) error {
	cfg, err := parseConfig(acct, c.resource)
	if err != nil {
		return err
	}
	c.seedSync(acct.SyncState)
	state := func(st connectors.ConnState, reason string) {
		ev := connectors.ConnectionState{Account: acct.ID, State: st, Reason: reason}
		if ctx.Err() == nil {
			select {
			case sink <- ev:
			case <-ctx.Done():
			}
			return
		}
		select {
		case sink <- ev:
		default:
		}
	}
	state(connectors.StateConnecting, "")
	pass, err := secrets.Get(ctx, keyPassword)
	if err != nil {
		err = fmt.Errorf("xmpp: account %s: password: %w", acct.ID, err)
		state(connectors.StateOffline, err.Error())
		return err
	}
	err = c.run(ctx, cfg, acct.ID, pass, sink)
	var ae *connectors.AuthError
	switch {
	case errors.As(err, &ae):
		state(connectors.StateAuthFailed, ae.Reason)
	case err == nil || ctx.Err() != nil:
		state(connectors.StateOffline, "")
		return nil
	default:
		state(connectors.StateOffline, err.Error())
	}
	return err
}
