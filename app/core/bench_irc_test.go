package core_test

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/app/core"
	_ "switchboard/connectors/irc"
	"switchboard/internal/testenv/ircd"
	"switchboard/storage"
	"switchboard/storage/storagetest"
)

// BenchmarkIRCFloodToArchive: a peer floods 10,000 messages through
// InspIRCd (no fake lag) into a channel Switchboard has joined; every one
// must be stored. Reports messages/s and the wire-to-stored latency
// (the peer's send time is in each message; "stored" is when the core
// reports the message after its storage batch committed).
//
// "flood" sends as fast as the window allows (throughput; its latency is
// mostly queueing behind the 500 messages in flight); "paced" sends 1,000
// messages a second (the latency a message sees in ordinary traffic).
func BenchmarkIRCFloodToArchive(b *testing.B) {
	srv := ircd.StartInspircd(b, ircd.Options{})
	b.Run("flood", func(b *testing.B) { ircToArchive(b, srv, 10000, 0) })
	b.Run("paced", func(b *testing.B) { ircToArchive(b, srv, 3000, time.Millisecond) })
}

func ircToArchive(b *testing.B, srv *ircd.Server, n int, gap time.Duration) {
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		c, err := core.Open(ctx, core.Options{ProfileDir: b.TempDir(), Keyring: &storagetest.MemKeyring{}, NoControlSocket: true})
		if err != nil {
			b.Fatal(err)
		}
		nick := fmt.Sprintf("sb%d%s", i, b.Name()[len(b.Name())-1:])
		if err := c.AddAccount(ctx, core.AccountSpec{Name: "bench", Network: "irc", Settings: map[string]string{
			"server": srv.Addr, "nick": nick, "tls": "false", "join": "#flood"}}); err != nil {
			b.Fatal(err)
		}
		peer := ircd.Connect(b, srv.Addr, "fl"+nick, ircd.ClientOptions{})
		if err := peer.Join("#flood", 10*time.Second); err != nil {
			b.Fatal(err)
		}
		updates, cancel := c.Subscribe()
		if err := c.Start(ctx); err != nil {
			b.Fatal(err)
		}
		if _, err := peer.WaitFor(30*time.Second, func(l ircd.Line) bool { return l.Command == "JOIN" && l.Nick() == nick }); err != nil {
			b.Fatalf("switchboard never joined: %v", err)
		}
		// At most 500 messages in flight: InspIRCd 3 stops writing to a
		// client whose socket would block until that client speaks or a
		// 1–2 s timer fires, so an unbounded flood measures the server.
		var stored atomic.Int64
		lat := make([]time.Duration, 0, n)
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer stored.Store(int64(n))
			for batch := range updates {
				now := time.Now()
				for _, u := range batch {
					if u.Kind != core.UpdMessage || u.Message == nil {
						continue
					}
					ts, _, ok := strings.Cut(u.Message.Text, " ")
					ns, err := strconv.ParseInt(ts, 10, 64)
					if ok && err == nil {
						lat = append(lat, now.Sub(time.Unix(0, ns)))
					}
					stored.Store(int64(len(lat)))
				}
				if len(lat) >= n {
					return
				}
			}
		}()
		b.ResetTimer()
		start := time.Now()
		for j := 0; j < n; j++ {
			if gap > 0 {
				time.Sleep(gap)
			}
			for int64(j)-stored.Load() >= 500 {
				time.Sleep(100 * time.Microsecond)
			}
			if err := peer.Privmsg("#flood", fmt.Sprintf("%d flood message number %d with some words in it", time.Now().UnixNano(), j)); err != nil {
				b.Fatal(err)
			}
		}
		select {
		case <-done:
		case <-time.After(5 * time.Minute):
			b.Fatalf("only %d of %d messages stored", len(lat), n)
		}
		elapsed := time.Since(start)
		b.StopTimer()
		cancel()
		peer.Close()
		convs, _ := c.Conversations(ctx, storage.ConvQuery{})
		c.Close()
		if len(convs) != 1 {
			b.Fatalf("conversations = %d", len(convs))
		}
		sort.Slice(lat, func(a, z int) bool { return lat[a] < lat[z] })
		b.ReportMetric(float64(n)/elapsed.Seconds(), "msgs/s")
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
	}
}
