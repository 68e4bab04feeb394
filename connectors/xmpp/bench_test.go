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

// seeded starts a Prosody whose alice has n archived messages from bob.
func seeded(tb testing.TB, n int) *prosody.Server {
	srv := prosody.Start(tb, prosody.Config{})
	srv.AddUser(tb, "alice", "alicepass")
	srv.AddUser(tb, "bob", "bobpass")
	msgs := make([]prosody.ArchivedMessage, n)
	start := time.Now().Add(-time.Duration(n) * time.Second)
	for i := range msgs {
		msgs[i] = prosody.ArchivedMessage{
			Key: fmt.Sprintf("seed-%06d", i), From: "bob@localhost/phone", To: "alice@localhost", With: "bob@localhost",
			ID: fmt.Sprintf("m%d", i), Body: fmt.Sprintf("archived message %d with some ordinary text \"quoted\" ✓", i),
			When: start.Add(time.Duration(i) * time.Second),
		}
	}
	if err := srv.SeedArchive("alice", msgs); err != nil {
		tb.Fatal(err)
	}
	return srv
}

// backfillOnce connects a fresh connector and waits for n distinct
// backfilled messages.
func backfillOnce(tb testing.TB, srv *prosody.Server, n int) map[string]bool {
	c := New()
	acct := connectors.Account{ID: "alice", Network: "xmpp", Settings: map[string]string{
		keyUser: "alice@localhost", keyServer: srv.Addr(), keyCAFile: srv.CAFile, keyBackfill: fmt.Sprint(n)}}
	cl := conformance.Start(tb, c, acct, conformance.StaticSecrets{keyPassword: "alicepass"})
	seen := map[string]bool{}
	checked := 0
	ok := cl.Events.Until(3*conformance.Wait, func(evs []connectors.Event) bool {
		for _, m := range conformance.Messages(evs[checked:], nil) {
			if m.Backfill && strings.HasPrefix(m.Message.Text, "archived message ") {
				seen[m.Message.RemoteID] = true
			}
		}
		checked = len(evs)
		return len(seen) >= n
	})
	cl.Stop()
	if !ok {
		tb.Fatalf("backfill stopped at %d of %d", len(seen), n)
	}
	return seen
}

func TestSeededArchiveBackfillsEveryMessageOnce(t *testing.T) {
	t.Parallel()
	srv := seeded(t, 600)
	seen := backfillOnce(t, srv, 600)
	for i := 0; i < 600; i++ {
		if !seen[fmt.Sprintf("seed-%06d", i)] {
			t.Fatalf("archive ID seed-%06d missing", i)
		}
	}
}

// BenchmarkArchiveBackfill10k: connect and backfill 10,000 archived
// messages (XEP-0313, paged) into events; reports messages per second.
func BenchmarkArchiveBackfill10k(b *testing.B) {
	const n = 10000
	srv := seeded(b, n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		backfillOnce(b, srv, n)
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkArchivePageDecode measures the client side alone: reading
// archive result stanzas off the wire and turning them into messages
// (stanza reader, result collection, RemoteID rule), no server.
func BenchmarkArchivePageDecode(b *testing.B) {
	var wire strings.Builder
	wire.WriteString(header)
	const n = 10000
	for i := 0; i < n; i++ {
		fmt.Fprintf(&wire, `<message to='alice@localhost/x' from='alice@localhost'><result xmlns='urn:xmpp:mam:2' queryid='q1' id='A%06d'>`+
			`<forwarded xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' stamp='2026-01-02T03:04:05Z'/>`+
			`<message xmlns='jabber:client' from='bob@localhost/phone' to='alice@localhost' type='chat' id='m%d'>`+
			`<body>archived message %d with some ordinary text &quot;quoted&quot; ✓</body><origin-id xmlns='urn:xmpp:sid:0' id='o%d'/></message>`+
			`</forwarded></result></message>`, i, i, i, i)
	}
	data := wire.String()
	cfg := &config{local: "alice", domain: "localhost", bare: "alice@localhost"}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := newSession(New(), cfg, nil, "alice@localhost/x", "alice", nil, context.Background())
		s.mam["q1"] = &mamCollector{}
		r := NewReader(strings.NewReader(data), 0)
		if _, err := r.StreamStart(); err != nil {
			b.Fatal(err)
		}
		for {
			el, err := r.Next()
			if err != nil {
				break
			}
			s.handleMessage(el)
		}
		msgs := s.pageMessages(&mamPage{items: s.mam["q1"].items})
		if len(msgs) != n {
			b.Fatalf("%d messages", len(msgs))
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "msgs/s")
}
