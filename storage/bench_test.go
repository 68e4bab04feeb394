package storage

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

// Benchmarks of the sealed archive against a plain SQLite FTS5 store over
// the same synthetic corpus (Zipf words, ~110-byte bodies, 10k
// conversations). Run:
//
//	go test -tags sqlite_fts5 -run '^$' -bench Archive -benchtime 1x ./storage/
//	SWITCHBOARD_BENCH_1M=1 go test -tags sqlite_fts5 -run '^$' -bench Archive -benchtime 1x -timeout 60m ./storage/
//
// Without the sqlite_fts5 tag only the sealed store is measured.

// benchTarget is one store under measurement.
type benchTarget interface {
	importJSONL(r io.Reader) (int, error)
	search(q string) (int, error)   // newest 50 hits, decrypted/read
	openConv(conv int) (int, error) // newest 50 messages of conversation "conv<n>"
	close() error
}

type sealedTarget struct {
	s    *Store
	rows map[int]int64
}

func (t *sealedTarget) importJSONL(r io.Reader) (int, error) {
	st, err := t.s.Import(context.Background(), r, nil)
	return st.Inserted, err
}

func (t *sealedTarget) search(q string) (int, error) {
	hits, err := t.s.Search(context.Background(), q, 50, 0)
	return len(hits), err
}

func (t *sealedTarget) openConv(conv int) (int, error) {
	ms, err := t.s.Messages(context.Background(), t.rows[conv], 0, 50, false)
	return len(ms), err
}

func (t *sealedTarget) close() error { return t.s.Close() }

// timeLists measures the unified conversation list: the newest 50 (p50
// over pages and filters) and the whole list of 10k conversations.
func (t *sealedTarget) timeLists(b *testing.B) (p50, all time.Duration) {
	ctx := context.Background()
	var ds []time.Duration
	for i := range 100 {
		// Imported history is archived as read, so Unread lists nothing here.
		q := ConvQuery{Filter: []Filter{FilterAll, FilterAwaiting}[i%2], Limit: 50, Offset: (i % 10) * 50}
		best := time.Hour
		for range 3 {
			st := time.Now()
			cs, err := t.s.ListConversations(ctx, q)
			if err != nil || len(cs) == 0 {
				b.Fatalf("list %+v: %d %v", q, len(cs), err)
			}
			best = min(best, time.Since(st))
		}
		ds = append(ds, best)
	}
	all = time.Hour
	for range 3 {
		st := time.Now()
		cs, err := t.s.ListConversations(ctx, ConvQuery{Filter: FilterAll})
		if err != nil || len(cs) < 9000 {
			b.Fatalf("list all: %d %v", len(cs), err)
		}
		all = min(all, time.Since(st))
	}
	return percentile(ds, 0.5), all
}

// resolve looks up conversation rows ahead of timing (the GUI has them
// from the conversation list).
func (t *sealedTarget) resolve(convs []int) error {
	t.rows = map[int]int64{}
	for _, c := range convs {
		conv, err := t.s.FindConversation(context.Background(), fmt.Sprintf("acct%d", c%3), fmt.Sprintf("conv%d", c))
		if err != nil {
			return err
		}
		t.rows[c] = conv.Row
	}
	return nil
}

type benchResult struct {
	importRate                 float64
	importCPU                  time.Duration // CPU time per message (all goroutines)
	list50P50, listAll         time.Duration // sealed only: unified list, newest 50 / all 10k
	wordP50, wordP95           time.Duration
	prefixP50, prefixP95       time.Duration
	openP50                    time.Duration
	size                       int64
	peakRSSMB                  float64
	wordHitsAvg, prefixHitsAvg float64
}

func dirSize(dir string) int64 {
	var n int64
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "archive.db") || strings.HasPrefix(e.Name(), "plain.db") {
			if info, err := e.Info(); err == nil {
				n += info.Size()
			}
		}
	}
	return n
}

func percentile(d []time.Duration, p float64) time.Duration {
	slices.Sort(d)
	return d[min(len(d)-1, int(float64(len(d))*p))]
}

func peakRSSMB() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Maxrss) / 1024
}

// queries returns word and prefix queries drawn from the corpus' Zipf
// distribution (words people search for exist in the archive).
func benchQueries(n int) (words, prefixes []string) {
	c := newCorpus(99, 10)
	for len(words) < n {
		w := c.vocab[c.zipf.Uint64()]
		words = append(words, w)
	}
	for len(prefixes) < n {
		w := c.vocab[c.zipf.Uint64()]
		if len(w) >= 5 {
			prefixes = append(prefixes, w[:3])
		}
	}
	return words, prefixes
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// corpusFile writes the benchmark corpus once; both stores import it.
func corpusFile(b *testing.B, msgs int) string {
	path := filepath.Join(b.TempDir(), "corpus.jsonl")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := newCorpus(1, 10000).writeJSONL(f, msgs); err != nil {
		b.Fatal(err)
	}
	return path
}

func measure(b *testing.B, t benchTarget, src string, msgs int, dir string, reopen func() (benchTarget, error)) benchResult {
	var r benchResult
	f, err := os.Open(src)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	start, cpu0 := time.Now(), cpuTime()
	n, err := t.importJSONL(f)
	if err != nil || n != msgs {
		b.Fatalf("import: %d of %d: %v", n, msgs, err)
	}
	if err := t.close(); err != nil { // includes the final index flush
		b.Fatal(err)
	}
	r.importRate = float64(msgs) / time.Since(start).Seconds()
	r.importCPU = (cpuTime() - cpu0) / time.Duration(msgs)
	r.peakRSSMB = peakRSSMB()
	r.size = dirSize(dir)
	if t, err = reopen(); err != nil {
		b.Fatal(err)
	}
	defer t.close()
	words, prefixes := benchQueries(200)
	// Each query runs 3 times and its fastest run counts: other processes
	// share this machine's 2 cores, and the minimum filters their noise.
	timeQueries := func(qs []string) (p50, p95 time.Duration, avg float64) {
		var ds []time.Duration
		total := 0
		for _, q := range qs {
			best := time.Hour
			for range 3 {
				st := time.Now()
				n, err := t.search(q)
				if err != nil {
					b.Fatalf("search %q: %v", q, err)
				}
				best = min(best, time.Since(st))
				total += n
			}
			ds = append(ds, best)
		}
		return percentile(ds, 0.5), percentile(ds, 0.95), float64(total) / float64(3*len(qs))
	}
	r.wordP50, r.wordP95, r.wordHitsAvg = timeQueries(words)
	r.prefixP50, r.prefixP95, r.prefixHitsAvg = timeQueries(prefixes)
	convs := make([]int, 300)
	for i := range convs {
		convs[i] = (i * 7919) % 10000
	}
	if st, ok := t.(*sealedTarget); ok {
		if err := st.resolve(convs); err != nil {
			b.Fatal(err)
		}
		r.list50P50, r.listAll = st.timeLists(b)
	}
	var ds []time.Duration
	for _, c := range convs {
		best := time.Hour
		for range 3 {
			st := time.Now()
			if _, err := t.openConv(c); err != nil {
				b.Fatalf("open conversation: %v", err)
			}
			best = min(best, time.Since(st))
		}
		ds = append(ds, best)
	}
	r.openP50 = percentile(ds, 0.5)
	return r
}

func report(b *testing.B, prefix string, r benchResult) {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(r.importRate, prefix+"_import_msgs/s")
	b.ReportMetric(float64(r.importCPU.Nanoseconds())/1000, prefix+"_import_cpu_us/msg")
	b.ReportMetric(ms(r.wordP50), prefix+"_word_p50_ms")
	b.ReportMetric(ms(r.wordP95), prefix+"_word_p95_ms")
	b.ReportMetric(ms(r.prefixP50), prefix+"_prefix_p50_ms")
	b.ReportMetric(ms(r.prefixP95), prefix+"_prefix_p95_ms")
	b.ReportMetric(ms(r.openP50), prefix+"_open_p50_ms")
	b.ReportMetric(float64(r.size)/(1<<20), prefix+"_db_MB")
	if r.list50P50 > 0 {
		b.ReportMetric(ms(r.list50P50), prefix+"_list50_p50_ms")
		b.ReportMetric(ms(r.listAll), prefix+"_list_all10k_ms")
	}
	b.Logf("%s: import %.0f msgs/s (%v CPU/msg), word p50 %v p95 %v (avg %.1f hits), prefix p50 %v p95 %v (avg %.1f hits), open p50 %v, db %.1f MB, peak RSS so far %.0f MB",
		prefix, r.importRate, r.importCPU, r.wordP50, r.wordP95, r.wordHitsAvg, r.prefixP50, r.prefixP95, r.prefixHitsAvg, r.openP50,
		float64(r.size)/(1<<20), r.peakRSSMB)
}

func BenchmarkArchive(b *testing.B) {
	sizes := []int{100000}
	if os.Getenv("SWITCHBOARD_BENCH_1M") == "1" {
		sizes = []int{1000000}
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("msgs=%d", n), func(b *testing.B) {
			src := corpusFile(b, n)
			keyring.MockInit()
			dir := filepath.Join(b.TempDir(), "sealed")
			opt := Options{Dir: dir, Logger: discardLogger()}
			s, err := Open(context.Background(), opt)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			sealed := measure(b, &sealedTarget{s: s}, src, n, dir, func() (benchTarget, error) {
				s, err := Open(context.Background(), opt)
				return &sealedTarget{s: s}, err
			})
			report(b, "sealed", sealed)
			b.ReportMetric(sealed.peakRSSMB, "sealed_import_peak_RSS_MB")
			pdir := filepath.Join(b.TempDir(), "plain")
			plain := plainFTS5(b, pdir)
			if plain == nil {
				b.Log("plain FTS5 store not built: rerun with -tags sqlite_fts5 for the comparison")
				return
			}
			pr := measure(b, plain, src, n, pdir, func() (benchTarget, error) { return plainFTS5(b, pdir), nil })
			report(b, "fts5", pr)
			b.ReportMetric(sealed.importRate/pr.importRate, "ratio_import_sealed/fts5")
			b.ReportMetric(float64(pr.importCPU)/float64(sealed.importCPU), "ratio_import_cpu_fts5/sealed")
			b.ReportMetric(float64(sealed.wordP95)/float64(pr.wordP95), "ratio_word_p95_sealed/fts5")
			b.ReportMetric(float64(sealed.prefixP95)/float64(pr.prefixP95), "ratio_prefix_p95_sealed/fts5")
			b.ReportMetric(float64(sealed.size)/float64(pr.size), "ratio_size_sealed/fts5")
		})
	}
}
