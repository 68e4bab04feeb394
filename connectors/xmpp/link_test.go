package xmpp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/connectors"
	"switchboard/connectors/conformance"
	"switchboard/internal/testenv/prosody"
)

// tapConn wraps the client's TCP connection so a test can cut it, make it
// silently dead, or slip bytes into what the client reads.
type tapConn struct {
	net.Conn
	mu       sync.Mutex
	inject   []byte
	dead     chan struct{} // closed: reads block, writes vanish
	deadOnce sync.Once
	closed   chan struct{}
	closeOne sync.Once
	woken    bool // under mu: a deadline was set only to wake Read
}

func (c *tapConn) Read(p []byte) (int, error) {
	for {
		c.mu.Lock()
		if len(c.inject) > 0 {
			n := copy(p, c.inject)
			c.inject = c.inject[n:]
			c.mu.Unlock()
			return n, nil
		}
		woken := c.woken
		c.woken = false
		c.mu.Unlock()
		select {
		case <-c.dead:
			<-c.closed
			return 0, net.ErrClosed
		default:
		}
		if woken {
			_ = c.Conn.SetReadDeadline(time.Time{})
		}
		n, err := c.Conn.Read(p)
		var ne net.Error
		if n == 0 && errors.As(err, &ne) && ne.Timeout() {
			c.mu.Lock()
			again := c.woken
			c.mu.Unlock()
			if again {
				continue // woken by Inject or Kill, not a real timeout
			}
		}
		return n, err
	}
}

// wake interrupts a blocked Read so it looks at inject and dead again.
func (c *tapConn) wake() {
	c.mu.Lock()
	c.woken = true
	c.mu.Unlock()
	_ = c.Conn.SetReadDeadline(time.Now())
}

func (c *tapConn) Write(p []byte) (int, error) {
	select {
	case <-c.dead:
		return len(p), nil
	default:
	}
	return c.Conn.Write(p)
}

func (c *tapConn) Close() error {
	c.closeOne.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

// Kill makes the link silently dead: the server never hears of it.
func (c *tapConn) Kill() {
	c.deadOnce.Do(func() { close(c.dead) })
	c.wake()
}

// Inject queues bytes for the client's next read.
func (c *tapConn) Inject(b string) {
	c.mu.Lock()
	c.inject = append(c.inject, b...)
	c.mu.Unlock()
	c.wake()
}

type taps struct {
	mu    sync.Mutex
	conns []*tapConn
}

func (d *taps) dial(ctx context.Context, addr string) (net.Conn, error) {
	var nd net.Dialer
	c, err := nd.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	tc := &tapConn{Conn: c, dead: make(chan struct{}), closed: make(chan struct{})}
	d.mu.Lock()
	d.conns = append(d.conns, tc)
	d.mu.Unlock()
	return tc, nil
}

func (d *taps) last() *tapConn {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.conns[len(d.conns)-1]
}

func TestStreamResumesAfterDroppedConnectionWithoutLosingMessages(t *testing.T) {
	t.Parallel()
	srv := testServer(t, prosody.Config{})
	d := &taps{}
	alice := New()
	alice.dial = d.dial
	cl := conformance.Start(t, alice, account(srv, "alice"), secretsFor("alice"))
	next := cl.WaitOnline(t, 0)
	_, bob := online(t, srv, "bob")
	bob.Send(t, direct(prosody.JID("alice")), "before the drop", "r-0")
	waitText(t, cl, "before the drop")

	d.last().Close() // the TCP connection drops under the client
	away := numberedTexts("while away", 5)
	for i, x := range away {
		bob.Send(t, direct(prosody.JID("alice")), x, fmt.Sprintf("r-away-%d", i))
	}
	sentID := cl.Send(t, direct(prosody.JID("bob")), "written during the drop", "r-out")
	cl.WaitOnline(t, next)
	for _, x := range away {
		m := waitText(t, cl, x)
		if m.Backfill {
			t.Errorf("%q came from the archive; a resumed stream delivers it live", x)
		}
	}
	got := waitText(t, bob, "written during the drop")
	if alice.resumes.Load() < 1 {
		t.Error("the stream was not resumed (XEP-0198)")
	}
	time.Sleep(300 * time.Millisecond) // a duplicate would arrive now
	countOnce(t, withPrefix(cl, "while away"), away)
	if n := len(withPrefix(bob, "written during the drop")); n != 1 || got.Message.RemoteID == "" {
		t.Errorf("bob got the message sent during the drop %d times", n)
	}
	_ = sentID
}

func numberedTexts(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s %d", prefix, i)
	}
	return out
}

// countOnce checks each text arrived under exactly one RemoteID.
func countOnce(t *testing.T, msgs []connectors.MessageReceived, texts []string) {
	t.Helper()
	ids, byText := distinct(t, msgs)
	if len(ids) != len(texts) || len(byText) != len(texts) {
		t.Errorf("%d distinct RemoteIDs for %d texts (%d events); want %d", len(ids), len(byText), len(msgs), len(texts))
	}
}

func TestUnansweredKeepAlivePingEndsRun(t *testing.T) {
	t.Parallel()
	srv := testServer(t, prosody.Config{})
	d := &taps{}
	alice := New()
	alice.dial = d.dial
	alice.pingInterval, alice.pingTimeout = 200*time.Millisecond, 400*time.Millisecond
	// No archive queries: after going online the pings are the only traffic.
	cl := conformance.Start(t, alice, account(srv, "alice", keyBackfill, "0"), secretsFor("alice"))
	next := cl.WaitOnline(t, 0)
	d.last().Kill()
	cl.Events.WaitFor(t, next, "offline because of the keep-alive", func(ev connectors.Event) bool {
		st, ok := ev.(connectors.ConnectionState)
		return ok && st.State == connectors.StateOffline && strings.Contains(st.Reason, "keep-alive ping unanswered")
	})
	cl.WaitOnline(t, next) // and it comes back
}

// Hostile bytes inside a live stream end Run with a clear error; the next
// Run connects again. Unknown elements are ignored.
func TestHostileStreamContentEndsRunWithClearError(t *testing.T) {
	t.Parallel()
	srv := testServer(t, prosody.Config{AllowPlaintext: true})
	cases := []struct {
		name, inject, reason string
	}{
		{"dtd", "<!DOCTYPE x [<!ENTITY a 'aaaaaaaaaa'>]>", "restricted XML"},
		{"entity", "<message><body>&a;</body></message>", "malformed XML"},
		{"oversized", "<message><body>" + strings.Repeat("x", 70<<10) + "</body></message>", "size limit"},
		{"mismatched", "<message><body>unclosed</message>", "malformed XML"},
		{"stream-error", "<stream:error><system-shutdown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>", "shutting down"},
	}
	d := &taps{}
	alice := New()
	alice.dial, alice.stanzaLimit = d.dial, 64<<10
	cl := conformance.Start(t, alice, account(srv, "alice", keyTLS, "false"), secretsFor("alice"))
	next := cl.WaitOnline(t, 0)
	// Unknown top-level elements are ignored and the session lives on.
	d.last().Inject("<unknown xmlns='urn:example:nothing'><deep><er/></deep></unknown> ")
	_, bob := online(t, srv, "bob")
	bob.Send(t, direct(prosody.JID("alice")), "still alive", "h-0")
	waitText(t, cl, "still alive")
	for _, tc := range cases {
		d.last().Inject(tc.inject)
		_, i := cl.Events.WaitFor(t, next, tc.name+": offline with a clear reason", func(ev connectors.Event) bool {
			st, ok := ev.(connectors.ConnectionState)
			return ok && st.State == connectors.StateOffline && strings.Contains(st.Reason, tc.reason)
		})
		next = cl.WaitOnline(t, i)
	}
}
