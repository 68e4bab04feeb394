package conformance

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"switchboard/connectors"
)

// Wait is the generous deadline for anything a test waits on. It holds on
// a loaded 2-core machine where every behaviour starts its own server at
// once: a first login to a freshly (re)started Dovecot takes 1–4 s there
// when the machine is quiet, and ran past 30 s under a full test run.
const Wait = 60 * time.Second

// Recorder keeps every event a connector emitted, in order, and lets a
// test wait for one that matches.
type Recorder struct {
	mu      sync.Mutex
	events  []connectors.Event
	changed chan struct{} // closed and replaced on each new event
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder { return &Recorder{changed: make(chan struct{})} }

// Add records an event.
func (r *Recorder) Add(ev connectors.Event) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

// Events returns a copy of everything recorded so far.
func (r *Recorder) Events() []connectors.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]connectors.Event(nil), r.events...)
}

// Messages returns the recorded MessageReceived events that match keep
// (nil keeps all).
func (r *Recorder) Messages(keep func(connectors.MessageReceived) bool) []connectors.MessageReceived {
	return Messages(r.Events(), keep)
}

// Messages returns the MessageReceived events among evs that match keep
// (nil keeps all).
func Messages(evs []connectors.Event, keep func(connectors.MessageReceived) bool) []connectors.MessageReceived {
	var out []connectors.MessageReceived
	for _, ev := range evs {
		if m, ok := ev.(connectors.MessageReceived); ok && (keep == nil || keep(m)) {
			out = append(out, m)
		}
	}
	return out
}

// Until waits until cond holds over the recorded events, or the deadline.
// cond gets a snapshot (it may call the recorder's other methods).
func (r *Recorder) Until(timeout time.Duration, cond func([]connectors.Event) bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		snap := r.events[:len(r.events):len(r.events)] // appends never touch this prefix
		ch := r.changed
		r.mu.Unlock()
		if cond(snap) {
			return true
		}
		select {
		case <-ch:
		case <-deadline.C:
			return false
		}
	}
}

// WaitFor waits for an event matching pred recorded at index >= from and
// returns it with its index, failing the test after Wait.
func (r *Recorder) WaitFor(t testing.TB, from int, what string, pred func(connectors.Event) bool) (connectors.Event, int) {
	t.Helper()
	var found connectors.Event
	idx := -1
	ok := r.Until(Wait, func(evs []connectors.Event) bool {
		for i := from; i < len(evs); i++ {
			if pred(evs[i]) {
				found, idx = evs[i], i
				return true
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("timed out after %s waiting for %s; recorded %d events", Wait, what, len(r.Events()))
	}
	return found, idx
}

// Len is the number of events recorded.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

// Client runs one connector the way the core does (connectors.Connector,
// "Lifetime"): one value for the account's life, Run on it again after a
// failure (after a short pause instead of the core's backoff) until Stop,
// each Run given the account's last SyncState, and no further Run after
// refused credentials. Every Run's result is kept in RunErrors.
type Client struct {
	Conn    connectors.Connector
	Account connectors.Account
	Events  *Recorder

	secrets connectors.Secrets
	cancel  context.CancelFunc
	done    chan struct{}
	once    bool // run once, don't restart

	mu        sync.Mutex
	runErrs   []error
	syncState string // the last SyncState event's State
}

// Start runs conn for acct until Stop (or the test's end), restarting Run
// after failures like the core's supervisor (without the long backoff).
func Start(t testing.TB, conn connectors.Connector, acct connectors.Account, secrets connectors.Secrets) *Client {
	return start(t, conn, acct, secrets, false)
}

// RunOnce calls Run once; the Client stops when Run returns.
func RunOnce(t testing.TB, conn connectors.Connector, acct connectors.Account, secrets connectors.Secrets) *Client {
	return start(t, conn, acct, secrets, true)
}

func start(t testing.TB, conn connectors.Connector, acct connectors.Account, secrets connectors.Secrets, once bool) *Client {
	ctx, cancel := context.WithCancel(context.Background())
	c := &Client{Conn: conn, Account: acct, Events: NewRecorder(), secrets: secrets, cancel: cancel,
		done: make(chan struct{}), once: once, syncState: acct.SyncState}
	sink := make(chan connectors.Event, 64)
	pumpDone := make(chan struct{})
	go func() { // owner: c; ends when the run loop closed sink
		defer close(pumpDone)
		for ev := range sink {
			if st, ok := ev.(connectors.SyncState); ok {
				c.mu.Lock()
				c.syncState = st.State // the core stores it and hands it to the next Run
				c.mu.Unlock()
			}
			c.Events.Add(ev)
		}
	}()
	go func() { // owner: c; ends with ctx
		defer close(c.done)
		defer func() { close(sink); <-pumpDone }()
		for {
			c.mu.Lock()
			acct.SyncState = c.syncState
			c.mu.Unlock()
			err := conn.Run(ctx, acct, secrets, sink)
			c.mu.Lock()
			c.runErrs = append(c.runErrs, err)
			c.mu.Unlock()
			var auth *connectors.AuthError
			if c.once || ctx.Err() != nil || errors.As(err, &auth) {
				return // the core, too, stops until the account is changed
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(c.Stop)
	return c
}

// Stop cancels Run and waits for it to return.
func (c *Client) Stop() {
	c.cancel()
	<-c.done
}

// Done is closed when the client stopped running.
func (c *Client) Done() <-chan struct{} { return c.done }

// RunErrors returns what each Run call returned so far.
func (c *Client) RunErrors() []error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]error(nil), c.runErrs...)
}

// WaitOnline waits for a ConnectionState online recorded at index >= from
// and returns the index after it.
func (c *Client) WaitOnline(t testing.TB, from int) int {
	t.Helper()
	online := func(ev connectors.Event) bool {
		s, ok := ev.(connectors.ConnectionState)
		return ok && s.State == connectors.StateOnline
	}
	idx := -1
	c.Events.Until(Wait, func(evs []connectors.Event) bool {
		for i := from; i < len(evs); i++ {
			if online(evs[i]) {
				idx = i
				return true
			}
		}
		return false
	})
	if idx < 0 {
		// Say why: every state change since from, and what each Run returned.
		var states []string
		for i, ev := range c.Events.Events() {
			if s, ok := ev.(connectors.ConnectionState); ok && i >= from {
				states = append(states, fmt.Sprintf("%s %q", s.State, s.Reason))
			}
		}
		t.Fatalf("timed out after %s waiting for %s online; states since: %v; Run returned: %v", Wait, c.Account.ID, states, c.RunErrors())
	}
	return idx + 1
}

// Send sends text, retrying while the connector is not connected (as the
// core's outbox does), with the same LocalID each time.
func (c *Client) Send(t testing.TB, conv connectors.ConversationRef, text, localID string) string {
	t.Helper()
	deadline := time.Now().Add(Wait)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), Wait)
		id, err := c.Conn.Send(ctx, connectors.Outgoing{LocalID: localID, Conversation: conv, Text: text})
		cancel()
		if err == nil {
			return id
		}
		if !errors.Is(err, connectors.ErrNotConnected) || time.Now().After(deadline) {
			t.Fatalf("%s: send to %s: %v", c.Account.ID, conv.ID, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// StaticSecrets serves secrets from a map (tests only).
type StaticSecrets map[string]string

// Get returns the secret or connectors.ErrNoSecret.
func (s StaticSecrets) Get(_ context.Context, key string) (string, error) {
	v, ok := s[key]
	if !ok {
		return "", fmt.Errorf("%s: %w", key, connectors.ErrNoSecret)
	}
	return v, nil
}
