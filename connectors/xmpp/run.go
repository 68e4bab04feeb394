package xmpp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"switchboard/connectors"
)

// run is one connection's life: connect, resume or bind, synchronise,
// serve until ctx ends or the link fails.
func (c *Connector) run(ctx context.Context, cfg *config, acctID, pass string, sink chan<- connectors.Event) error {
	t, features, err := c.connect(ctx, cfg, pass)
	if err != nil {
		return err
	}
	jid, resumed, smOn, pending, err := c.establish(t, cfg, features)
	if err != nil {
		t.conn.Close()
		return err
	}
	_ = t.conn.SetDeadline(time.Time{})
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	s := newSession(c, cfg, t, jid, acctID, sink, runCtx)
	s.smOn = smOn
	go s.readLoop() // owner: this function; ends when the transport closes
	c.mu.Lock()
	c.sess = s
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.sess = nil
		c.mu.Unlock()
	}()

	err = c.serve(runCtx, s, resumed, pending)
	graceful := ctx.Err() != nil && err == nil
	s.shutdown(graceful)
	c.afterSession(graceful, s.readErr)
	if err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}

// connect dials, secures the stream and authenticates. It returns the
// features of the authenticated stream.
func (c *Connector) connect(ctx context.Context, cfg *config, pass string) (*transport, *Element, error) {
	addr := cfg.addr
	c.mu.Lock()
	if c.redirect != "" {
		addr, c.redirect = c.redirect, ""
	}
	c.mu.Unlock()
	conn, err := c.dialer(ctx, addr)
	if err != nil {
		return nil, nil, fmt.Errorf("xmpp: connect to %s: %w", addr, err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	_ = conn.SetDeadline(time.Now().Add(negotiationTimeout))
	t, features, err := c.negotiate(ctx, conn, cfg, pass)
	if err != nil {
		conn.Close()
		c.noteRedirect(err)
		return nil, nil, err
	}
	return t, features, nil
}

func (c *Connector) negotiate(ctx context.Context, conn net.Conn, cfg *config, pass string) (*transport, *Element, error) {
	overTLS := false
	if cfg.directTLS {
		tc := tls.Client(conn, cfg.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, nil, fmt.Errorf("xmpp: TLS handshake with %s: %w", cfg.domain, err)
		}
		conn, overTLS = tc, true
	}
	t := newTransport(conn, c.stanzaLimit, overTLS)
	t.domain, t.from = cfg.domain, cfg.bare
	features, err := t.open()
	if err != nil {
		return nil, nil, err
	}
	if !t.tls {
		switch {
		case features.Child(nsTLS, "starttls") != nil && cfg.requireTLS:
			if err := t.startTLS(ctx, cfg.tls); err != nil {
				return nil, nil, err
			}
			if features, err = t.open(); err != nil {
				return nil, nil, err
			}
		case cfg.requireTLS:
			return nil, nil, fmt.Errorf("xmpp: the server for %s does not offer STARTTLS; refusing to log in without encryption", cfg.domain)
		}
	}
	var offered []string
	for _, m := range features.Child(nsSASL, "mechanisms").ChildrenNamed(nsSASL, "mechanism") {
		offered = append(offered, trimmed(m.Text))
	}
	mech, err := chooseMechanism(offered, cfg.local, pass, t.tls, c.forceMech)
	if err != nil {
		return nil, nil, err
	}
	if err := t.authenticate(mech); err != nil {
		return nil, nil, err
	}
	features, err = t.open()
	if err != nil {
		return nil, nil, err
	}
	return t, features, nil
}

// establish resumes the previous XEP-0198 session if there is one, else
// binds a resource and enables stream management. pending are messages of a
// lost session to send again.
func (c *Connector) establish(t *transport, cfg *config, features *Element) (jid string, resumed, smOn bool, pending []queued, err error) {
	smOffered := features.Child(nsSM, "sm") != nil
	c.smMu.Lock()
	prev, inH, prevJID := c.sm.id, c.sm.inH, c.smJID
	c.smMu.Unlock()
	if smOffered && prev != "" {
		if err := t.write(E(nsSM, "resume", "previd", prev, "h", strconv.FormatUint(uint64(inH), 10))); err != nil {
			return "", false, false, nil, err
		}
		reply, err := t.smReply()
		if err != nil {
			return "", false, false, nil, err
		}
		if h, ok := parseH(reply); ok {
			c.ack(h)
		}
		if reply.Name.Local == "resumed" {
			c.resumes.Add(1)
			return prevJID, true, true, c.takeUnacked(true), nil
		}
	}
	taken := c.takeUnacked(false) // a new SM session starts from zero
	defer func() {
		if err != nil {
			c.requeue(taken) // for the next connection
		}
	}()
	pending = taken
	jid, err = t.bind(cfg.resource)
	if err != nil {
		return "", false, false, nil, err
	}
	if err := t.session(features); err != nil {
		return "", false, false, nil, err
	}
	if smOffered {
		if err := t.write(E(nsSM, "enable", "resume", "true")); err != nil {
			return "", false, false, nil, err
		}
		reply, err := t.smReply()
		if err != nil {
			return "", false, false, nil, err
		}
		if reply.Name.Local == "enabled" {
			smOn = true
			c.smMu.Lock()
			if r := reply.Get("resume"); r == "true" || r == "1" {
				c.sm.id = reply.Get("id")
			}
			c.smJID = jid
			c.smMu.Unlock()
		}
	}
	return jid, false, smOn, pending, nil
}

// takeUnacked removes the stanzas not acknowledged by the server. After a
// resumption they are all resent; otherwise only messages are (IQs and
// presence belong to the lost session) and the SM counters restart.
func (c *Connector) takeUnacked(resumed bool) []queued {
	c.smMu.Lock()
	defer c.smMu.Unlock()
	out := c.held
	c.held = nil
	for _, q := range c.sm.unacked {
		if resumed || q.message {
			out = append(out, q)
		}
	}
	if resumed {
		c.sm.outH = c.sm.ackedH
		c.sm.unacked = nil
	} else {
		c.sm = smState{}
	}
	return out
}

// requeue keeps messages of a lost session that were not written on this
// stream (so the server's XEP-0198 count does not cover them) for the next
// connection.
func (c *Connector) requeue(pending []queued) {
	if len(pending) == 0 {
		return
	}
	c.smMu.Lock()
	defer c.smMu.Unlock()
	c.held = append(c.held, pending...)
}

// afterSession decides what survives the session: after a clean close or a
// stream error the server has forgotten it, so only unacknowledged messages
// are kept; after a dropped connection everything is kept for resumption.
func (c *Connector) afterSession(graceful bool, readErr error) {
	var se *StreamError
	errors.As(readErr, &se)
	c.noteRedirect(readErr)
	if graceful || se != nil {
		c.smMu.Lock()
		c.sm.id = ""
		c.smMu.Unlock()
	}
}

// noteRedirect remembers a see-other-host target for the next Run, if it
// came over TLS (before TLS anyone on the path could have sent it). The
// certificate is still verified for the account's domain there.
func (c *Connector) noteRedirect(err error) {
	var se *StreamError
	if errors.As(err, &se) && se.Condition == "see-other-host" && se.OtherHost != "" && se.Secure {
		host := se.OtherHost
		if _, _, err := net.SplitHostPort(host); err != nil {
			host = net.JoinHostPort(strings.Trim(host, "[]"), "5222")
		}
		c.mu.Lock()
		c.redirect = host
		c.mu.Unlock()
	}
}

// serve synchronises the account and keeps it alive.
func (c *Connector) serve(ctx context.Context, s *session, resumed bool, pending []queued) error {
	if !resumed {
		// A new session: messages of the lost one go out once the rooms
		// they may be addressed to are joined again.
		if err := s.startup(ctx); err != nil {
			c.requeue(pending)
			return s.failure(err)
		}
	}
	if err := s.resend(pending); err != nil {
		return s.failure(err)
	}
	s.emit(connectors.ConnectionState{Account: s.acct, State: connectors.StateOnline, Self: s.bare})
	if err := s.backfillAll(ctx, resumed); err != nil {
		return s.failure(err)
	}
	s.emitSync()
	iv, timeout := c.pingEvery()
	tick := time.NewTicker(iv)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-s.done:
			return s.failure(s.readErr)
		case <-tick.C:
			if err := s.ping(ctx, timeout); err != nil {
				return s.failure(err)
			}
			s.emitSync()
		}
	}
}

// failure turns an error during the session into Run's error, preferring
// the reason the read loop saw (a stream error says more than "closed").
func (s *session) failure(err error) error {
	if s.ctx.Err() != nil {
		return nil
	}
	select {
	case <-s.done:
		if s.readErr != nil {
			err = s.readErr
		}
	default:
	}
	if err == nil {
		err = errSessionEnded
	}
	if !strings.HasPrefix(err.Error(), "xmpp:") {
		err = fmt.Errorf("xmpp: connection lost: %w", err)
	}
	return err
}

// ping checks the link (XEP-0199); an unanswered ping ends the session.
func (s *session) ping(ctx context.Context, timeout time.Duration) error {
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, err := s.iq(pctx, E(nsClient, "iq", "type", "get", "to", s.cfg.domain).Add(E(nsPing, "ping")))
	var se *StanzaError
	switch {
	case err == nil, errors.As(err, &se):
		return nil // any answer proves the link is alive
	case ctx.Err() != nil:
		return nil
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("xmpp: keep-alive ping unanswered for %s; the connection is dead", timeout)
	}
	return err
}

// shutdown ends the session: a clean close sends what is unacknowledged,
// closes the stream and waits briefly for the server's close.
func (s *session) shutdown(graceful bool) {
	if graceful {
		wctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		s.waitAcked(wctx)
		cancel()
		if s.t.writeRaw([]byte("</stream:stream>")) == nil {
			select {
			case <-s.done:
			case <-time.After(time.Second):
			}
		}
	}
	s.t.conn.Close()
	<-s.done
}

// resend writes the stanzas a previous connection left unacknowledged.
// On a stream without XEP-0198 a message whose write fails goes back to
// the queue for the next connection; with it, write queues it anyway.
func (s *session) resend(pending []queued) error {
	for i, q := range pending {
		if err := s.write(q, true); err != nil {
			if !s.smOn {
				s.c.requeue(pending[i:])
			} else {
				s.c.requeue(pending[i+1:])
			}
			return err
		}
	}
	return nil
}
