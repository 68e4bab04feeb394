package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/app/core"
	"switchboard/internal/testenv/ircd"
	"switchboard/storage"
)

// BenchmarkWindowStartLargeArchive measures the real binary under Xvfb
// opening a profile with a large archive and 10 IRC accounts (connected to
// a local ngIRCd): exec → window mapped, start → inbox shown (first page
// of conversations on screen), and resident memory 2 s after that.
// SWITCHBOARD_BENCH_MESSAGES sets the archive size (default 100000; the
// issue's figure is 1000000).
func BenchmarkWindowStartLargeArchive(b *testing.B) {
	needTools(b)
	n := 100_000
	if s := os.Getenv("SWITCHBOARD_BENCH_MESSAGES"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 {
			b.Fatalf("SWITCHBOARD_BENCH_MESSAGES=%q: want a positive number", s)
		}
		n = v
	}
	app, _ := buildBinaries(b)
	srv := ircd.StartNgircd(b, ircd.Options{})
	data, home := b.TempDir(), b.TempDir()
	profile, pass := filepath.Join(data, "profile"), filepath.Join(data, "passphrase")
	if err := os.WriteFile(pass, []byte("bench passphrase\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	st := buildArchive(b, profile, srv.Addr, n)
	b.Logf("archive: %d messages imported in %s (%d accounts)", st.Inserted, time.Since(t0).Round(time.Millisecond), 10)
	ready := filepath.Join(data, "ready")
	os.WriteFile(ready, nil, 0o600)

	var mapped, inbox, rss float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := shoot(b, app, home, profile, pass, ready, filepath.Join(b.TempDir(), "bench.png"), 2*time.Second)
		mapped += float64(r.mappedMS)
		inbox += float64(r.inboxMS)
		rss += float64(r.rssKB) / 1024
	}
	b.StopTimer()
	b.ReportMetric(mapped/float64(b.N), "ms-to-window")
	b.ReportMetric(inbox/float64(b.N), "ms-to-inbox")
	b.ReportMetric(rss/float64(b.N), "MB-RSS")
	b.ReportMetric(0, "ns/op")
}

// buildArchive creates the profile: 10 IRC accounts and n messages over
// 10 × 1000 conversations, imported as a streamed JSONL.
func buildArchive(b *testing.B, dir, addr string, n int) storage.ImportStats {
	ctx := context.Background()
	c, err := core.Open(ctx, core.Options{ProfileDir: dir, PreferPassphrase: true, NoControlSocket: true,
		Passphrase: func(bool) ([]byte, error) { return []byte("bench passphrase"), nil }})
	if err != nil {
		b.Fatalf("open profile: %v", err)
	}
	defer c.Close()
	for a := 0; a < 10; a++ {
		spec := core.AccountSpec{Name: fmt.Sprintf("acct%02d", a), Network: "irc",
			Settings: map[string]string{"server": addr, "nick": fmt.Sprintf("bench%02d", a), "tls": "false"}}
		if err := c.AddAccount(ctx, spec); err != nil {
			b.Fatalf("add account: %v", err)
		}
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeCorpus(pw, n)) }()
	st, err := c.Import(ctx, pr)
	if err != nil {
		b.Fatalf("import: %v", err)
	}
	return st
}

var benchWords = strings.Fields("the a to and of in is it you that for on this with we be are have not at can do " +
	"meeting invoice release deploy review customer coffee today tomorrow thanks please check update build " +
	"server ticket design issue fixed merge branch schedule call lunch report budget quote plan launch")

func writeCorpus(w io.Writer, n int) error {
	rng := rand.New(rand.NewPCG(1, 2))
	zipf := rand.NewZipf(rng, 1.2, 1, uint64(len(benchWords)-1))
	enc := json.NewEncoder(w)
	start := time.Now().Add(-365 * 24 * time.Hour)
	step := 365 * 24 * time.Hour / time.Duration(n)
	for i := 0; i < n; i++ {
		a, conv := i%10, (i/10)%1000
		var words []string
		for len(words) < 18 {
			words = append(words, benchWords[zipf.Uint64()])
		}
		dir, sender := storage.In, fmt.Sprintf("peer%d", conv)
		if i%4 == 0 {
			dir, sender = storage.Out, fmt.Sprintf("bench%02d", a)
		}
		err := enc.Encode(storage.ExportRecord{
			Network: "irc", Account: fmt.Sprintf("acct%02d", a), Conversation: fmt.Sprintf("#room%d", conv),
			ConversationTitle: fmt.Sprintf("#room%d", conv), Group: true, Sender: sender,
			RemoteID: fmt.Sprintf("bench-%d", i), Time: start.Add(time.Duration(i) * step).UTC(), Direction: dir,
			Text: strings.Join(words, " "),
		})
		if err != nil {
			return err
		}
	}
	return nil
}
