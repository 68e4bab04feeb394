package xmpp

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"switchboard/connectors"
	"switchboard/connectors/conformance"
	"switchboard/internal/testenv/prosody"
)

// TestSyncStateResumesHistoryAfterARestart: a new process hands the
// connector the position the previous one reported, and the backfill
// continues after it — every message written while the app was closed
// arrives, not only the newest "backfill" ones.
func TestSyncStateResumesHistoryAfterARestart(t *testing.T) {
	t.Parallel()
	srv := testServer(t, prosody.Config{})
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	seed := func(from, to int) {
		t.Helper()
		var msgs []prosody.ArchivedMessage
		for i := from; i <= to; i++ {
			msgs = append(msgs, prosody.ArchivedMessage{
				Key: fmt.Sprintf("k%03d", i), From: prosody.JID("alice") + "/phone", To: prosody.JID("bob"),
				With: prosody.JID("alice"), ID: fmt.Sprintf("s%03d", i), Body: fmt.Sprintf("archived %03d", i),
				When: base.Add(time.Duration(i) * time.Second),
			})
		}
		if err := srv.SeedArchive("bob", msgs); err != nil {
			t.Fatal(err)
		}
	}
	archived := func(cl *conformance.Client, min int) int {
		return len(cl.Events.Messages(func(m connectors.MessageReceived) bool {
			var n int
			_, err := fmt.Sscanf(m.Message.Text, "archived %d", &n)
			return err == nil && n >= min
		}))
	}

	seed(1, 10)
	first := conformance.Start(t, New(), account(srv, "bob", keyBackfill, "3"), secretsFor("bob"))
	ev, _ := first.Events.WaitFor(t, 0, "a sync position", func(ev connectors.Event) bool {
		st, ok := ev.(connectors.SyncState)
		return ok && strings.Contains(st.State, "k010")
	})
	if got := archived(first, 1); got != 3 {
		t.Fatalf("first run backfilled %d messages, want the newest 3", got)
	}
	first.Stop()

	seed(11, 30) // twenty messages while the app was closed
	acct := account(srv, "bob", keyBackfill, "3")
	acct.SyncState = ev.(connectors.SyncState).State
	second := conformance.Start(t, New(), acct, secretsFor("bob"))
	if !second.Events.Until(30*time.Second, func([]connectors.Event) bool { return archived(second, 11) == 20 }) {
		t.Fatalf("after the restart %d of the 20 new messages arrived", archived(second, 11))
	}
	if got := archived(second, 1); got != 20 {
		t.Fatalf("resumed backfill fetched %d messages; want exactly the 20 new ones", got)
	}
}
