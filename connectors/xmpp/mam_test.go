package xmpp

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"switchboard/connectors"
	"switchboard/connectors/conformance"
	"switchboard/internal/testenv/prosody"
)

// flush waits until the server acknowledged everything c sent (XEP-0198).
func flush(t testing.TB, c *Connector) {
	t.Helper()
	s := c.session()
	if s == nil || !s.smOn {
		t.Fatal("flush: no session with stream management")
	}
	ctx, cancel := context.WithTimeout(context.Background(), conformance.Wait)
	defer cancel()
	s.waitAcked(ctx)
	if n := c.unackedCount(); n != 0 {
		t.Fatalf("flush: %d stanzas still unacknowledged", n)
	}
}

// sendMany sends n numbered messages from c to a JID and waits for the
// server's acknowledgement.
func sendMany(t testing.TB, c *Connector, to, prefix string, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		_, err := c.Send(context.Background(), connectors.Outgoing{
			LocalID: fmt.Sprintf("%s-%d", prefix, i), Conversation: direct(to), Text: fmt.Sprintf("%s %d", prefix, i)})
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	flush(t, c)
}

// distinct counts RemoteIDs and checks each text maps to exactly one ID.
func distinct(t *testing.T, msgs []connectors.MessageReceived) (ids map[string]bool, texts map[string]string) {
	t.Helper()
	ids, texts = map[string]bool{}, map[string]string{}
	for _, m := range msgs {
		ids[m.Message.RemoteID] = true
		if prev, ok := texts[m.Message.Text]; ok && prev != m.Message.RemoteID {
			t.Errorf("%q arrived under two RemoteIDs %q and %q", m.Message.Text, prev, m.Message.RemoteID)
		}
		texts[m.Message.Text] = m.Message.RemoteID
	}
	return ids, texts
}

func TestArchiveBackfillOfAThousandMessagesLandsExactlyOnce(t *testing.T) {
	t.Parallel()
	srv := testServer(t, prosody.Config{})
	bobConn, _ := online(t, srv, "bob")
	const n = 1000
	t0 := time.Now()
	sendMany(t, bobConn, prosody.JID("alice"), "backlog", n)
	t.Logf("sent %d in %s", n, time.Since(t0))
	t0 = time.Now()
	defer func() { t.Logf("received in %s", time.Since(t0)) }()

	_, alice := online(t, srv, "alice")
	seen := map[string]bool{}
	checked := 0
	// Generous: on a loaded 2-core machine 1,000 archived messages took over a minute.
	ok := alice.Events.Until(4*conformance.Wait, func(evs []connectors.Event) bool {
		for _, m := range conformance.Messages(evs[checked:], nil) {
			if m.Backfill && strings.HasPrefix(m.Message.Text, "backlog ") {
				seen[m.Message.RemoteID] = true
			}
		}
		checked = len(evs)
		return len(seen) >= n
	})
	if !ok {
		t.Fatalf("backfill incomplete: %d messages recorded", len(withPrefix(alice, "backlog ")))
	}
	msgs := withPrefix(alice, "backlog ")
	ids, texts := distinct(t, msgs)
	if len(ids) != n || len(texts) != n {
		t.Errorf("%d events, %d distinct RemoteIDs, %d distinct texts; want %d of each after dedup", len(msgs), len(ids), len(texts), n)
	}
	for _, m := range msgs {
		if m.Message.Direction != connectors.Inbound || m.Message.Conversation.ID != prosody.JID("bob") {
			t.Fatalf("backfilled message in the wrong place: %+v", m.Message)
		}
	}
}

func TestHistoryPagesBackThroughTheArchive(t *testing.T) {
	t.Parallel()
	srv := testServer(t, prosody.Config{})
	bobConn, _ := online(t, srv, "bob")
	sendMany(t, bobConn, prosody.JID("alice"), "old", 30)
	alice, _ := online(t, srv, "alice", keyBackfill, "0")

	var all []connectors.Message
	cur := connectors.Cursor("")
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("History does not terminate")
		}
		ctx, cancel := context.WithTimeout(context.Background(), conformance.Wait)
		msgs, next, err := alice.History(ctx, direct(prosody.JID("bob")), cur, 7)
		cancel()
		if err != nil {
			t.Fatalf("History: %v", err)
		}
		all = append(msgs, all...)
		if next == "" {
			break
		}
		cur = next
	}
	if len(all) != 30 {
		t.Fatalf("History returned %d messages, want 30", len(all))
	}
	for i, m := range all {
		if want := fmt.Sprintf("old %d", i); m.Text != want {
			t.Fatalf("message %d is %q, want %q (oldest first across pages)", i, m.Text, want)
		}
		if i > 0 && m.Time.Before(all[i-1].Time) {
			t.Fatalf("message %d older than its predecessor", i)
		}
	}
	_ = time.Second
}
