package irc

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/connectors"
	"switchboard/internal/testenv/ircd"
)

const wait = 30 * time.Second // generous: ngIRCd throttles, InspIRCd registers slowly

type secrets map[string]string

func (s secrets) Get(_ context.Context, key string) (string, error) {
	if v, ok := s[key]; ok {
		return v, nil
	}
	return "", connectors.ErrNoSecret
}

// harness runs a Connector against a server and records its events.
type harness struct {
	t      testing.TB
	c      *Connector
	acct   connectors.Account
	secret secrets
	sink   chan connectors.Event

	mu     sync.Mutex
	seen   []connectors.Event
	cancel context.CancelFunc
	done   chan error
}

func newHarness(t testing.TB, settings map[string]string, secret secrets) *harness {
	h := &harness{
		t: t, c: New().(*Connector), secret: secret,
		acct: connectors.Account{ID: "acct-" + settings[KeyNick], Network: "irc", Settings: settings},
		sink: make(chan connectors.Event, 16384),
	}
	t.Cleanup(h.stop)
	return h
}

// plain returns settings for a plain-text connection to addr.
func plain(addr, nick string, channels ...string) map[string]string {
	return map[string]string{KeyServer: addr, KeyNick: nick, KeyTLS: "false", KeyJoin: strings.Join(channels, ",")}
}

// start runs Run in the background.
func (h *harness) start() {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	done := make(chan error, 1)
	h.done = done
	go func() { done <- h.c.Run(ctx, h.acct, h.secret, h.sink) }()
}

// stop ends Run and waits for it.
func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	select {
	case <-h.done:
	case <-time.After(wait):
		h.t.Errorf("Run did not return after cancel")
	}
	h.cancel = nil
}

// runErr waits for Run to return by itself.
func (h *harness) runErr() error {
	h.t.Helper()
	select {
	case err := <-h.done:
		h.cancel()
		h.cancel = nil
		return err
	case <-time.After(wait):
		h.t.Fatalf("Run did not return within %s", wait)
		return nil
	}
}

// next waits for an event matching pred, recording every event seen.
func (h *harness) next(what string, pred func(connectors.Event) bool) connectors.Event {
	h.t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case ev := <-h.sink:
			h.mu.Lock()
			h.seen = append(h.seen, ev)
			h.mu.Unlock()
			if pred(ev) {
				return ev
			}
		case err := <-h.done:
			h.done <- err
			h.t.Fatalf("waiting for %s: Run returned %v", what, err)
		case <-deadline:
			h.t.Fatalf("no %s within %s", what, wait)
		}
	}
}

func (h *harness) online() string {
	h.t.Helper()
	ev := h.next("online state", func(ev connectors.Event) bool {
		s, ok := ev.(connectors.ConnectionState)
		return ok && s.State == connectors.StateOnline
	})
	return ev.(connectors.ConnectionState).Self
}

func (h *harness) joined(channel string) connectors.ConversationUpdated {
	h.t.Helper()
	return h.next("join of "+channel, func(ev connectors.Event) bool {
		u, ok := ev.(connectors.ConversationUpdated)
		return ok && strings.EqualFold(u.Conversation.ID, channel) && !u.Left
	}).(connectors.ConversationUpdated)
}

func (h *harness) message(text string) connectors.Message {
	h.t.Helper()
	return h.next("message "+text, func(ev connectors.Event) bool {
		m, ok := ev.(connectors.MessageReceived)
		return ok && m.Message.Text == text
	}).(connectors.MessageReceived).Message
}

// messages returns every MessageReceived seen so far.
func (h *harness) messages() []connectors.Message {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []connectors.Message
	for _, ev := range h.seen {
		if m, ok := ev.(connectors.MessageReceived); ok {
			out = append(out, m.Message)
		}
	}
	return out
}

func (h *harness) send(conv connectors.ConversationRef, text string) string {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	id, err := h.c.Send(ctx, connectors.Outgoing{LocalID: "l-" + text, Conversation: conv, Text: text})
	if err != nil {
		h.t.Fatalf("Send %q: %v", text, err)
	}
	if id == "" {
		h.t.Fatalf("Send %q returned an empty remote ID", text)
	}
	return id
}

// sendWhenOnline retries Send until the link is registered (Online is
// emitted just before the link is published to Send).
func (h *harness) sendWhenOnline(conv connectors.ConversationRef, text string) string {
	h.t.Helper()
	deadline := time.Now().Add(wait)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		id, err := h.c.Send(ctx, connectors.Outgoing{Conversation: conv, Text: text})
		cancel()
		if err == nil {
			return id
		}
		if !errors.Is(err, connectors.ErrNotConnected) || time.Now().After(deadline) {
			h.t.Fatalf("Send %q: %v", text, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func channelRef(name string) connectors.ConversationRef {
	return connectors.ConversationRef{ID: name, Kind: connectors.Group}
}

func queryRef(nick string) connectors.ConversationRef {
	return connectors.ConversationRef{ID: nick, Kind: connectors.Direct}
}

// privmsgTo waits until the raw client receives a PRIVMSG with the text.
func privmsgTo(t testing.TB, c *ircd.Client, text string) ircd.Line {
	t.Helper()
	l, err := c.WaitFor(wait, func(l ircd.Line) bool { return l.Command == "PRIVMSG" && l.Param(1) == text })
	if err != nil {
		t.Fatalf("%s never got %q: %v", c.Nick, text, err)
	}
	return l
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
