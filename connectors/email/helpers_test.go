package email

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"switchboard/connectors"
	"switchboard/internal/testenv/dovecot"
)

var (
	alice = dovecot.User{Name: "alice@localhost", Password: "alice-secret"}
	bob   = dovecot.User{Name: "bob@localhost", Password: "bob-secret"}
	unsub = dovecot.User{Name: "unsub@localhost", Password: "unsub-secret"}
)

// waitLimit bounds every wait for an event. It is only reached when a test
// fails, so it is generous: on a loaded 2-core machine a first sync of a
// 25 MB mail took more than 20 s.
const waitLimit = 60 * time.Second

type secretMap map[string]string

func (m secretMap) Get(_ context.Context, key string) (string, error) {
	if v, ok := m[key]; ok {
		return v, nil
	}
	return "", connectors.ErrNoSecret
}

func startServer(t testing.TB) *dovecot.Server {
	t.Helper()
	return dovecot.New(t, alice, bob, unsub)
}

// account builds settings for u: STARTTLS on the plain IMAP and submission
// ports unless implicit is set (then imaps:// and smtps://).
func account(srv *dovecot.Server, u dovecot.User, implicit bool, extra ...string) connectors.Account {
	set := map[string]string{
		"user":    u.Name,
		"server":  srv.IMAPAddr,
		"smtp":    srv.SubmitAddr,
		"ca_file": srv.CAFile,
	}
	if implicit {
		set["server"] = "imaps://" + srv.IMAPSAddr
		set["smtp"] = "smtps://" + srv.SubmitTLSAddr
	}
	for i := 0; i+1 < len(extra); i += 2 {
		set[extra[i]] = extra[i+1]
	}
	return connectors.Account{ID: "acct-" + strings.SplitN(u.Name, "@", 2)[0], Network: "email", Settings: set}
}

// running is a connector whose Run goroutine the test owns.
type running struct {
	c      *Connector
	events chan connectors.Event
	cancel context.CancelFunc
	done   chan error
}

func run(t *testing.T, c *Connector, acct connectors.Account, pw string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{c: c, events: make(chan connectors.Event, 100000), cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- c.Run(ctx, acct, secretMap{"password": pw}, r.events) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

func (r *running) stop(t *testing.T) {
	r.cancel()
	select {
	case err, ok := <-r.done:
		if ok && err != nil {
			t.Logf("Run ended: %v", err)
		}
		if ok {
			close(r.done)
		}
	case <-time.After(waitLimit):
		t.Errorf("Run did not stop after cancel")
	}
}

// next returns the next event matching pred, failing after the wait limit.
// Events that do not match are collected in skipped (if non-nil).
func (r *running) next(t *testing.T, what string, pred func(connectors.Event) bool, skipped *[]connectors.Event) connectors.Event {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		select {
		case ev := <-r.events:
			if pred(ev) {
				return ev
			}
			if skipped != nil {
				*skipped = append(*skipped, ev)
			}
		case err := <-r.done:
			r.done <- err
			for { // events sent before Run returned still count
				select {
				case ev := <-r.events:
					if pred(ev) {
						return ev
					}
					continue
				default:
				}
				break
			}
			t.Fatalf("waiting for %s: Run ended: %v", what, err)
		case <-deadline:
			t.Fatalf("waiting for %s: nothing after %v", what, waitLimit)
		}
	}
}

// online waits for StateOnline and returns the events before it.
func (r *running) online(t *testing.T) []connectors.Event {
	t.Helper()
	var before []connectors.Event
	r.next(t, "online", func(ev connectors.Event) bool {
		cs, ok := ev.(connectors.ConnectionState)
		return ok && cs.State == connectors.StateOnline
	}, &before)
	return before
}

func (r *running) message(t *testing.T, what string, pred func(connectors.MessageReceived) bool) connectors.MessageReceived {
	t.Helper()
	ev := r.next(t, what, func(ev connectors.Event) bool {
		m, ok := ev.(connectors.MessageReceived)
		return ok && pred(m)
	}, nil)
	return ev.(connectors.MessageReceived)
}

func messages(evs []connectors.Event) []connectors.MessageReceived {
	var out []connectors.MessageReceived
	for _, ev := range evs {
		if m, ok := ev.(connectors.MessageReceived); ok {
			out = append(out, m)
		}
	}
	return out
}

// runErr waits for Run to return on its own.
func (r *running) runErr(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.done:
		r.done <- err
		return err
	case <-time.After(waitLimit):
		t.Fatalf("Run did not return")
		return nil
	}
}

func mailText(from, to, subject, id, body string, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\n", from, to, subject, time.Now().Format(time.RFC1123Z))
	if id != "" {
		fmt.Fprintf(&b, "Message-ID: <%s>\r\n", id)
	}
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n")
	return b.String()
}

func deliver(t *testing.T, srv *dovecot.Server, to string, raw string) {
	t.Helper()
	if err := srv.Deliver("sender@example.org", []string{to}, strings.NewReader(raw)); err != nil {
		t.Fatalf("deliver: %v", err)
	}
}

func isAuthError(err error) bool {
	var ae *connectors.AuthError
	return errors.As(err, &ae)
}

// msgIDPart is the Message-ID a scoped remote ID names.
func msgIDPart(remoteID string) string {
	id, _ := messageIDOf(remoteID)
	return id
}
