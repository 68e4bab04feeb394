package policy

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // time zones in tests do not depend on the machine's zoneinfo
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func sampleLedger() []LedgerRecord {
	paris := time.FixedZone("CEST", 2*3600)
	return []LedgerRecord{
		{Seq: 1, Time: time.Date(2026, 6, 1, 9, 30, 0, 0, time.UTC), Account: "work-irc", Network: "irc", Brand: "AcmeDeals",
			OldState: "none", NewState: "replies", How: HowUserSent},
		{Seq: 2, Time: time.Date(2026, 6, 2, 10, 0, 0, 500_000_000, paris), Account: "work-irc", Network: "irc", Brand: "AcmeDeals",
			OldState: "replies", NewState: "subscribed", Scopes: []string{"updates", "offers"},
			Until: time.Date(2026, 12, 31, 23, 59, 59, 0, paris), How: HowCLI, MessageID: "msg-42"},
		{Seq: 3, Time: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), Account: "work-irc", Network: "irc", Brand: "AcmeDeals",
			OldState: "subscribed", NewState: "none", How: HowExpiry},
		{Seq: 4, Time: time.Date(2027, 1, 2, 8, 0, 0, 0, time.UTC), Account: "home mail", Network: "email", Brand: "=HYPERLINK(\"http://x\")",
			OldState: "none", NewState: "blocked", How: HowGUI, MessageID: "<a,b@news.example>", Result: "HTTP 200 \"OK\"\nline 2"},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update once): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestLedgerExportsAsCSV(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteLedgerCSV(&buf, sampleLedger()); err != nil {
		t.Fatal(err)
	}
	golden(t, "ledger.csv", buf.Bytes())

	rows, err := csv.NewReader(bytes.NewReader(buf.Bytes())).ReadAll()
	if err != nil {
		t.Fatalf("our CSV does not read back: %v", err)
	}
	if len(rows) != 5 || rows[0][0] != "seq" || rows[2][7] != "updates,offers" || rows[2][8] != "2026-12-31T21:59:59Z" {
		t.Errorf("read back: %q", rows)
	}
	if rows[4][4] != `'=HYPERLINK("http://x")` {
		t.Errorf("formula in a brand name was not defused: %q", rows[4][4])
	}
	if rows[4][11] != "HTTP 200 \"OK\"\nline 2" {
		t.Errorf("result with quotes and a newline: %q", rows[4][11])
	}
}

func TestLedgerExportsAsJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteLedgerJSON(&buf, sampleLedger()); err != nil {
		t.Fatal(err)
	}
	golden(t, "ledger.json", buf.Bytes())

	var back []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatalf("our JSON does not read back: %v", err)
	}
	if len(back) != 4 || back[0]["until"] != nil || back[1]["until"] != "2026-12-31T21:59:59Z" || back[3]["brand"] != "=HYPERLINK(\"http://x\")" {
		t.Errorf("read back: %v", back)
	}
	for _, r := range back {
		if len(r) != 12 {
			t.Errorf("record has %d keys, want all 12 always present: %v", len(r), r)
		}
	}
}

func TestEmptyLedgerExports(t *testing.T) {
	var j, c bytes.Buffer
	if err := WriteLedgerJSON(&j, nil); err != nil || j.String() != "[]\n" {
		t.Errorf("JSON: %q, %v", j.String(), err)
	}
	if err := WriteLedgerCSV(&c, nil); err != nil || c.String() != strings.Join(ledgerColumns(), ",")+"\n" {
		t.Errorf("CSV: %q, %v", c.String(), err)
	}
}

type failingWriter struct{ after int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.after -= len(p); w.after < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestLedgerExportReportsWriteErrors(t *testing.T) {
	if err := WriteLedgerCSV(&failingWriter{}, sampleLedger()); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("CSV: %v", err)
	}
	big := []LedgerRecord{{Seq: 7, Result: strings.Repeat("x", 10000)}}
	if err := WriteLedgerCSV(&failingWriter{after: 100}, big); err == nil || !strings.Contains(err.Error(), "entry 7: disk full") {
		t.Errorf("CSV, long entry: %v", err)
	}
	if err := WriteLedgerJSON(&failingWriter{}, sampleLedger()); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("JSON: %v", err)
	}
}
