package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/storage"
)

// failingArchive makes the core's message writes fail while fail is set,
// and passes them to the real archive otherwise.
func failingArchive(e *env, fail *atomic.Bool) {
	real := e.core.putMessages
	e.core.putMessages = func(ctx context.Context, ins []storage.MessageIn) ([]storage.PutResult, error) {
		if fail.Load() {
			return nil, errors.New("disk I/O error (injected by the test)")
		}
		return real(ctx, ins)
	}
}

// waitArchiveUpdate waits for an UpdArchive whose error matches want.
func waitArchiveUpdate(t *testing.T, updates <-chan []Update, want func(string) bool) string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case batch := <-updates:
			for _, u := range batch {
				if u.Kind == UpdArchive && want(u.ArchiveError) {
					return u.ArchiveError
				}
			}
		case <-deadline:
			t.Fatal("no archive status update")
		}
	}
}

// A received message is never dropped because the archive fails: the
// batch is held, the connectors wait on the full event channel, the user
// is told, and everything is stored once the archive writes again.
func TestFailingArchiveHoldsReceivedMessagesUntilItWritesAgain(t *testing.T) {
	e := newEnv(t)
	var fail atomic.Bool
	failingArchive(e, &fail)
	n, id := newFakeNet(t)
	e.addAccount("work", id)
	updates, cancel := e.core.Subscribe()
	defer cancel()
	e.start()
	n.waitOnline(t)

	fail.Store(true)
	n.deliver(t, msg("work", "bob", "bob", "first while failing", "f-0", e.clk.Now()))
	reason := waitArchiveUpdate(t, updates, func(s string) bool { return s != "" })
	if !strings.Contains(reason, "disk I/O error") || e.core.ArchiveError() != reason {
		t.Fatalf("archive status %q (ArchiveError %q); want the archive's error", reason, e.core.ArchiveError())
	}
	// The router reads nothing more: the connector blocks once the event
	// channel is full (backpressure), instead of anything being dropped.
	total := cap(e.core.events) + 50
	sent := make(chan struct{})
	go func() { // owner: this test; ends once the router reads again
		defer close(sent)
		for i := 1; i < total; i++ {
			n.deliver(t, msg("work", "bob", "bob", fmt.Sprintf("message %d", i), fmt.Sprintf("f-%d", i), e.clk.Now()))
		}
	}()
	eventually(t, "the event channel full", func() bool { return len(e.core.events) == cap(e.core.events) })
	select {
	case <-sent:
		t.Fatal("the connector was never held back while the archive failed")
	default:
	}

	fail.Store(false)
	waitArchiveUpdate(t, updates, func(s string) bool { return s == "" })
	<-sent
	eventually(t, "every message stored", func() bool {
		cs := e.convs(storage.FilterAll)
		return len(cs) == 1 && cs[0].Unread == total
	})
	if e.core.ArchiveError() != "" {
		t.Errorf("archive error still %q", e.core.ArchiveError())
	}
}

// Closing while the archive fails does not hang: the held batch is given
// up after a few tries (logged), the process can exit.
func TestCloseWhileTheArchiveFailsReturns(t *testing.T) {
	e := newEnv(t)
	var fail atomic.Bool
	failingArchive(e, &fail)
	n, id := newFakeNet(t)
	e.addAccount("work", id)
	updates, cancel := e.core.Subscribe()
	defer cancel()
	e.start()
	n.waitOnline(t)
	fail.Store(true)
	n.deliver(t, msg("work", "bob", "bob", "held at close", "c-0", e.clk.Now()))
	waitArchiveUpdate(t, updates, func(s string) bool { return s != "" })
	closed := make(chan error, 1)
	go func() { closed <- e.core.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("Close hung on a failing archive")
	}
}
