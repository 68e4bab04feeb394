package email

import (
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/connectors"
)

// freezer is a TCP relay to the IMAP server whose existing connections
// can be made to swallow everything, as a link that died without a FIN
// (a laptop's network gone, a NAT entry expired) looks to the client.
type freezer struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []*relay
}

type relay struct {
	mu     sync.Mutex
	frozen bool
}

func (r *relay) isFrozen() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.frozen
}

func newFreezer(t *testing.T, target string) *freezer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{ln: ln, target: target}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() { // owner: the test; ends when ln closes
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			r := &relay{}
			f.mu.Lock()
			f.conns = append(f.conns, r)
			f.mu.Unlock()
			wg.Add(2)
			pipe := func(dst, src net.Conn) {
				defer wg.Done()
				defer dst.Close()
				defer src.Close()
				buf := make([]byte, 32<<10)
				for {
					n, err := src.Read(buf)
					if n > 0 && !r.isFrozen() {
						if _, werr := dst.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}
			go pipe(up, c)
			go pipe(c, up)
			t.Cleanup(func() { c.Close(); up.Close() })
		}
	}()
	return f
}

// freeze makes every connection open now swallow what crosses it.
func (f *freezer) freeze() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.conns {
		r.mu.Lock()
		r.frozen = true
		r.mu.Unlock()
	}
}

func TestServerThatStopsAnsweringIsNoticedAndLeft(t *testing.T) {
	srv := startServer(t)
	fz := newFreezer(t, strings.TrimPrefix(srv.IMAPSAddr, "imaps://"))
	acct := account(srv, alice, true)
	acct.Settings["server"] = "imaps://" + fz.ln.Addr().String()
	c := New()
	c.pollInterval = 200 * time.Millisecond // the end of each IDLE is the liveness check
	// Long enough that a sync on a loaded machine is not taken for a dead
	// link (1 s was: "the IMAP server stopped answering" before online).
	c.answerWait = 5 * time.Second
	r := run(t, c, acct, alice.Password)
	r.online(t)
	fz.freeze()
	off := r.next(t, "offline after the link went silent", func(ev connectors.Event) bool {
		cs, ok := ev.(connectors.ConnectionState)
		return ok && cs.State == connectors.StateOffline
	}, nil).(connectors.ConnectionState)
	if !strings.Contains(off.Reason, "stopped answering") {
		t.Fatalf("offline reason %q", off.Reason)
	}
	if err := r.runErr(t); !errors.Is(err, errNoAnswer) {
		t.Fatalf("Run returned %v", err)
	}
	// A new connection works, and mail is not lost.
	deliver(t, srv, alice.Name, mailText("bob@localhost", alice.Name, "after", "after-freeze@localhost", "still here"))
	r2 := run(t, c, acct, alice.Password)
	if got := countIDs(r2.online(t)); got["after-freeze@localhost"] != 1 {
		t.Fatalf("after reconnecting: %v", got)
	}
	// The healthy connection is left alone while it idles.
	time.Sleep(2 * c.answerWait)
	deliver(t, srv, alice.Name, mailText("bob@localhost", alice.Name, "later", "later@localhost", "live"))
	r2.message(t, "live mail on the new connection", func(m connectors.MessageReceived) bool {
		return msgIDPart(m.Message.RemoteID) == "later@localhost" && !m.Backfill
	})
}
