package irc

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"switchboard/connectors"
)

// link is one live connection: the adapter between a net.Conn and a
// session. Its loop (run) is the only goroutine that touches the session;
// requests from Send/Join/… reach it over reqs.
type link struct {
	c    *Connector
	cfg  config
	conn net.Conn
	sess *session
	sink chan<- connectors.Event

	reqs chan request
	done chan struct{} // closed when run returns

	nextToken int
	waitSend  map[int]*waiter
	waitJoin  map[string][]*waiter // folded channel → waiters
	lastRecv  time.Time
	pingSent  time.Time
	started   time.Time
}

type reqKind int

const (
	reqSend reqKind = iota
	reqJoin
	reqPart
	reqBlock
	reqTyping
	reqRaw // a line written as is: tests use it to act as another client of the same user
)

type request struct {
	kind   reqKind
	out    connectors.Outgoing
	target string
	on     bool
	raw    Message
	reply  chan result
}

type result struct {
	remoteID string
	err      error
}

type waiter struct {
	reply    chan result
	fallback string
	deadline time.Time
}

// do hands a request to the link's loop and waits for its answer.
func (l *link) do(ctx context.Context, r request) (result, error) {
	r.reply = make(chan result, 1)
	select {
	case l.reqs <- r:
	case <-l.done:
		return result{}, connectors.ErrNotConnected
	case <-ctx.Done():
		return result{}, ctx.Err()
	}
	select {
	case res := <-r.reply:
		return res, res.err
	case <-l.done:
		return result{}, fmt.Errorf("irc: connection lost before the server confirmed: %w", connectors.ErrNotConnected)
	case <-ctx.Done():
		return result{}, ctx.Err()
	}
}

// dial opens the TCP (and TLS) connection. TLS verifies the certificate
// against the system roots plus the account's CA file; it is never skipped.
func dial(ctx context.Context, cfg config) (net.Conn, error) {
	d := net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", cfg.server)
	if err != nil {
		return nil, fmt.Errorf("irc: connect to %s: %w", cfg.server, err)
	}
	if !cfg.tls {
		return conn, nil
	}
	tc, err := tlsConfig(cfg)
	if err != nil {
		conn.Close()
		return nil, err
	}
	t := tls.Client(conn, tc)
	hctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := t.HandshakeContext(hctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("irc: TLS handshake with %s: %w", cfg.server, err)
	}
	return t, nil
}

func tlsConfig(cfg config) (*tls.Config, error) {
	tc := &tls.Config{ServerName: cfg.host, MinVersion: tls.VersionTLS12}
	if cfg.caFile == "" {
		return tc, nil
	}
	pem, err := os.ReadFile(cfg.caFile)
	if err != nil {
		return nil, fmt.Errorf("irc: read CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("irc: CA file %s holds no PEM certificate", cfg.caFile)
	}
	tc.RootCAs = pool
	return tc, nil
}

func (c *Connector) runLink(ctx context.Context, cfg config, sink chan<- connectors.Event) error {
	conn, err := dial(ctx, cfg)
	if err != nil {
		return err
	}
	l := &link{
		c: c, cfg: cfg, conn: conn, sess: newSession(cfg.session), sink: sink,
		reqs: make(chan request), done: make(chan struct{}),
		waitSend: map[int]*waiter{}, waitJoin: map[string][]*waiter{},
	}
	defer close(l.done)
	defer c.setLive(nil)
	return l.run(ctx)
}

type readResult struct {
	line string
	err  error
}

// run is the link's loop. It owns the reader goroutine and waits for it.
func (l *link) run(ctx context.Context) error {
	lines := make(chan readResult, 256)
	quit := make(chan struct{})
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		l.read(lines, quit)
	}()
	defer func() {
		close(quit)
		l.conn.Close()
		<-readerDone
	}()
	now := time.Now()
	l.started, l.lastRecv = now, now
	l.sess.start()
	if err := l.flush(ctx); err != nil {
		return err
	}
	tick := time.NewTicker(l.tickEvery())
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			l.quit()
			return ctx.Err()
		case r := <-lines:
			if r.err != nil {
				return r.err
			}
			if err := l.onLine(ctx, r.line); err != nil {
				return err
			}
		case r := <-l.reqs:
			l.onRequest(r)
		case now := <-tick.C:
			if err := l.keepAlive(now); err != nil {
				return err
			}
		}
		if err := l.flush(ctx); err != nil {
			return err
		}
	}
}

func (l *link) tickEvery() time.Duration {
	d := min(l.c.pingInterval, l.c.pingTimeout, l.c.echoTimeout) / 4
	return max(d, 20*time.Millisecond)
}

// read splits the stream into lines. Over-long lines are skipped (and
// reported as malformed), never buffered without bound.
func (l *link) read(lines chan<- readResult, quit <-chan struct{}) {
	r := bufio.NewReaderSize(l.conn, MaxLineBytes+512)
	skipping := false
	for {
		b, err := r.ReadSlice('\n')
		var res readResult
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			if !skipping {
				l.c.log.Warn("irc: skipping over-long line", "account", l.cfg.session.Account, "bytes_at_least", len(b))
			}
			skipping = true
			continue
		case err != nil:
			res.err = fmt.Errorf("irc: connection to %s closed: %w", l.cfg.server, err)
		case skipping:
			skipping = false
			continue
		default:
			res.line = string(bytes.TrimRight(b, "\r\n"))
		}
		select {
		case lines <- res:
		case <-quit:
			return
		}
		if res.err != nil {
			return
		}
	}
}

func (l *link) onLine(ctx context.Context, line string) error {
	now := time.Now()
	l.lastRecv, l.pingSent = now, time.Time{}
	if line == "" {
		return nil
	}
	m, err := ParseLine(line)
	if err != nil {
		l.c.log.Warn("irc: skipping malformed line", "account", l.cfg.session.Account, "error", err, "bytes", len(line))
		return nil
	}
	wasOnline := l.sess.registered()
	if err := l.sess.handle(m, now); err != nil {
		return err
	}
	if !wasOnline && l.sess.registered() {
		l.c.setLive(l)
	}
	return nil
}

func (l *link) onRequest(r request) {
	now := time.Now()
	switch r.kind {
	case reqSend:
		l.nextToken++
		tok := l.nextToken
		fb, err := l.sess.prepareSend(r.out, tok, now)
		if err != nil {
			r.reply <- result{err: err}
			return
		}
		l.waitSend[tok] = &waiter{reply: r.reply, fallback: fb, deadline: now.Add(l.c.echoTimeout)}
	case reqJoin:
		k := l.sess.fold(r.target)
		if l.sess.channel(r.target) != nil {
			r.reply <- result{}
			return
		}
		l.waitJoin[k] = append(l.waitJoin[k], &waiter{reply: r.reply, deadline: now.Add(l.c.joinTimeout)})
		l.sess.joinChannels([]string{r.target})
	case reqPart:
		l.sess.send("PART", r.target)
		r.reply <- result{}
	case reqBlock:
		l.sess.setIgnored(r.target, r.on)
		l.sess.silence(r.target, r.on)
		r.reply <- result{}
	case reqTyping:
		r.reply <- result{err: l.sess.typing(r.target, r.on)}
	case reqRaw:
		l.sess.out = append(l.sess.out, r.raw)
		r.reply <- result{}
	}
}

// flush writes what the session queued, delivers its events and answers
// finished requests.
func (l *link) flush(ctx context.Context) error {
	if len(l.sess.out) > 0 {
		var buf bytes.Buffer
		for _, m := range l.sess.out {
			line, err := m.Encode()
			if err != nil {
				l.c.log.Error("irc: dropping an outgoing line that cannot be encoded", "account", l.cfg.session.Account, "command", m.Command, "error", err)
				continue
			}
			buf.WriteString(line)
			buf.WriteString("\r\n")
		}
		l.sess.out = l.sess.out[:0]
		_ = l.conn.SetWriteDeadline(time.Now().Add(30 * time.Second))
		if _, err := l.conn.Write(buf.Bytes()); err != nil {
			return fmt.Errorf("irc: write to %s: %w", l.cfg.server, err)
		}
	}
	for _, d := range l.sess.sends {
		if w, ok := l.waitSend[d.token]; ok {
			delete(l.waitSend, d.token)
			if d.remoteID == "" && d.err == nil {
				d.remoteID = w.fallback // sent, but nothing named it
			}
			w.reply <- result{remoteID: d.remoteID, err: d.err}
		}
	}
	l.sess.sends = l.sess.sends[:0]
	for _, j := range l.sess.joins {
		for _, w := range l.waitJoin[j.channel] {
			w.reply <- result{err: j.err}
		}
		delete(l.waitJoin, j.channel)
	}
	l.sess.joins = l.sess.joins[:0]
	for i, ev := range l.sess.events {
		select {
		case l.sink <- ev:
		case <-ctx.Done():
			l.sess.events = l.sess.events[:0]
			return ctx.Err()
		}
		l.sess.events[i] = nil
	}
	l.sess.events = l.sess.events[:0]
	return nil
}

// keepAlive pings an idle server, fails a silent one, and times out
// registration, echoes and joins.
func (l *link) keepAlive(now time.Time) error {
	if !l.sess.registered() && now.Sub(l.started) > l.c.registerTimeout {
		return fmt.Errorf("irc: %s did not complete registration within %s", l.cfg.server, l.c.registerTimeout)
	}
	if !l.pingSent.IsZero() && now.Sub(l.pingSent) > l.c.pingTimeout {
		return fmt.Errorf("irc: %s did not answer PING within %s", l.cfg.server, l.c.pingTimeout)
	}
	if l.pingSent.IsZero() && now.Sub(l.lastRecv) > l.c.pingInterval {
		l.pingSent = now
		l.sess.send("PING", "switchboard")
	}
	for tok, w := range l.waitSend {
		if now.After(w.deadline) { // no echo came: the message went out, use the hash
			delete(l.waitSend, tok)
			w.reply <- result{remoteID: w.fallback}
		}
	}
	for k, ws := range l.waitJoin {
		if len(ws) > 0 && now.After(ws[0].deadline) {
			for _, w := range ws {
				w.reply <- result{err: errors.New("irc: the server did not confirm the join in time")}
			}
			delete(l.waitJoin, k)
		}
	}
	return nil
}

// quit says goodbye on a best-effort basis when the context ends.
func (l *link) quit() {
	_ = l.conn.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = l.conn.Write([]byte("QUIT :" + strings.TrimSpace(l.sess.cfg.Version) + "\r\n"))
}
