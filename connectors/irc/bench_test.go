package irc

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/connectors"
	"switchboard/internal/testenv/ircd"
)

// BenchmarkFlood10kThroughInspIRCd: a peer floods 10,000 private messages
// through a real InspIRCd (no fakelag) to the connector; every one must
// arrive as a MessageReceived event. Reports messages/s and the p95
// wire-to-event latency (the send time travels in the message text).
//
// The peer keeps at most floodWindow messages in flight. InspIRCd 3.15
// stops flushing a client's send queue once a write would block and only
// resumes when that client sends a line or on its 1–2 s housekeeping tick;
// an unbounded flood therefore measures that stall, not the connector.
//
//	go test ./connectors/irc -run '^$' -bench Flood -benchtime 3x
func BenchmarkFlood10kThroughInspIRCd(b *testing.B) {
	const n = 10000
	s := ircd.StartInspircd(b, ircd.Options{})
	h := newHarness(b, plain(s.Addr, "sink"), nil)
	h.start()
	h.online()
	peer := ircd.Connect(b, s.Addr, "flooder", ircd.ClientOptions{})
	var lat []time.Duration
	total := 0
	start := time.Now()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		errc := make(chan error, 1)
		var received atomic.Int64
		go func() { errc <- flood(peer, i, n, &received) }()
		for got := 0; got < n; {
			select {
			case ev := <-h.sink:
				m, ok := ev.(connectors.MessageReceived)
				if !ok || !strings.HasPrefix(m.Message.Text, fmt.Sprintf("r%d ", i)) {
					continue
				}
				f := strings.Fields(m.Message.Text)
				sent, err := strconv.ParseInt(f[2], 10, 64)
				if err != nil {
					b.Fatalf("bad text %q", m.Message.Text)
				}
				lat = append(lat, time.Since(time.Unix(0, sent)))
				got++
				received.Store(int64(got))
			case err := <-h.done:
				b.Fatalf("Run ended after %d of %d messages: %v", got, n, err)
			case <-time.After(wait):
				b.Fatalf("only %d of %d messages arrived", got, n)
			}
		}
		if err := <-errc; err != nil {
			b.Fatal(err)
		}
		total += n
	}
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(total)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
}

const floodWindow = 500

// flood writes n PRIVMSGs in small batches, each stamped as it is written,
// with at most floodWindow of them not yet received.
func flood(peer *ircd.Client, round, n int, received *atomic.Int64) error {
	const batch = 20
	for i := 0; i < n; i += batch {
		for int64(i)-received.Load() > floodWindow {
			time.Sleep(100 * time.Microsecond)
		}
		var sb strings.Builder
		for j := i; j < i+batch && j < n; j++ {
			if j > i {
				sb.WriteString("\r\n")
			}
			fmt.Fprintf(&sb, "PRIVMSG sink :r%d %d %d flood message", round, j, time.Now().UnixNano())
		}
		if err := peer.Send(sb.String()); err != nil {
			return err
		}
	}
	return nil
}
