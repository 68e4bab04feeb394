package email

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// answerTimeout is how long the connector waits for the server while a
// command is outstanding before it gives the connection up. Bytes moving
// either way (a large fetch or upload in progress) reset it; waiting in
// IDLE does not count.
const answerTimeout = 45 * time.Second

var errNoAnswer = errors.New("email: the IMAP server stopped answering")

// watchdog notices a server that stops answering while its socket stays
// open — a link that died without a FIN (network gone, NAT entry expired),
// or a server process that hangs. IMAP commands have no deadline of their
// own, so without it a Run could wait for ever.
type watchdog struct {
	limit    time.Duration
	waiting  atomic.Bool  // a command is outstanding
	since    atomic.Int64 // UnixNano of the later of: waiting began, bytes last arrived
	fired    atomic.Bool
	mu       sync.Mutex
	conn     net.Conn
	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
}

func newWatchdog(limit time.Duration) *watchdog {
	if limit <= 0 {
		limit = answerTimeout
	}
	w := &watchdog{limit: limit, stop: make(chan struct{}), done: make(chan struct{})}
	w.expect(true) // from the first byte on: the greeting is awaited
	go w.run()     // owner: Run, which calls close before returning
	return w
}

// watch wraps the connection so that arriving bytes count as answers.
func (w *watchdog) watch(c net.Conn) net.Conn {
	w.mu.Lock()
	w.conn = c
	w.mu.Unlock()
	return &watchedConn{Conn: c, w: w}
}

// expect says whether the connector now waits for the server (true) or
// waits for news it may never get, in IDLE or between polls (false).
func (w *watchdog) expect(on bool) {
	w.since.Store(time.Now().UnixNano())
	w.waiting.Store(on)
}

func (w *watchdog) run() {
	defer close(w.done)
	tick := time.NewTicker(w.limit / 4)
	defer tick.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-tick.C:
		}
		if !w.waiting.Load() || time.Since(time.Unix(0, w.since.Load())) < w.limit {
			continue
		}
		w.fired.Store(true)
		w.mu.Lock()
		if w.conn != nil {
			w.conn.Close() // every command waiting on it fails now
		}
		w.mu.Unlock()
		return
	}
}

// explain turns the error of a connection the watchdog closed into
// errNoAnswer.
func (w *watchdog) explain(err error) error {
	if err != nil && w.fired.Load() {
		return errNoAnswer
	}
	return err
}

func (w *watchdog) close() {
	w.stopOnce.Do(func() { close(w.stop) })
	<-w.done
}

type watchedConn struct {
	net.Conn
	w *watchdog
}

// Write counts too: a long APPEND upload is progress, and on a dead link
// writes stop once the socket's buffer is full.
func (c *watchedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if n > 0 {
		c.w.since.Store(time.Now().UnixNano())
	}
	return n, err
}

func (c *watchedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.w.since.Store(time.Now().UnixNano())
	}
	return n, err
}
