package storage

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/zalando/go-keyring"
)

func TestExportImportRoundTripsExactly(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	var src bytes.Buffer
	if err := newCorpus(1, 50).writeJSONL(&src, 5000); err != nil {
		t.Fatal(err)
	}
	var batches []ImportStats
	st, err := s.Import(ctx, bytes.NewReader(src.Bytes()), func(b ImportStats) { batches = append(batches, b) })
	if err != nil || st.Read != 5000 || st.Inserted != 5000 || st.Batches != 3 || len(batches) != 3 || batches[0].Inserted != 2000 {
		t.Fatalf("import %+v %v (batches %+v)", st, err, batches)
	}
	// Special cases that must survive too.
	held := msg("acct0", "brand", "h1", "brand", "held offer\nwith \"quotes\" & <html> 東京", 1)
	held.Hold, held.Action, held.Notice, held.ConvGroup = HeldRequest, true, true, true
	held.HoldReason = "brand started a conversation; you have not subscribed"
	put(t, s, held)
	var exp1 bytes.Buffer
	n, err := s.Export(ctx, &exp1)
	if err != nil || n != 5001 {
		t.Fatalf("export %d %v", n, err)
	}
	first := strings.SplitN(exp1.String(), "\n", 2)[0]
	for _, field := range []string{`"network"`, `"account"`, `"conversation"`, `"conversation_title"`, `"sender"`,
		`"sender_name"`, `"remote_id"`, `"time":"2023-`, `"direction"`, `"text"`} {
		if !strings.Contains(first, field) {
			t.Fatalf("export line lacks %s: %s", field, first)
		}
	}
	keyring.MockInit()
	fresh, err := Open(ctx, Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	st, err = fresh.Import(ctx, bytes.NewReader(exp1.Bytes()), nil)
	if err != nil || st.Inserted != 5001 {
		t.Fatalf("re-import %+v %v", st, err)
	}
	var exp2 bytes.Buffer
	if _, err := fresh.Export(ctx, &exp2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(exp1.Bytes(), exp2.Bytes()) {
		t.Fatal("export → import → export is not identical")
	}
	if !strings.Contains(exp2.String(), `"hold_reason":"brand started a conversation; you have not subscribed"`) {
		t.Fatal("the hold reason did not survive export → import")
	}
	// Importing again is all duplicates.
	st, err = fresh.Import(ctx, bytes.NewReader(exp1.Bytes()), nil)
	if err != nil || st.Inserted != 0 || st.Duplicates != 5001 {
		t.Fatalf("duplicate import %+v %v", st, err)
	}
}

func TestImportStopsAtMalformedLineKeepingEarlierLines(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	var src bytes.Buffer
	newCorpus(2, 5).writeJSONL(&src, 10)
	src.WriteString("{not json\n")
	newCorpus(3, 5).writeJSONL(&src, 10)
	st, err := s.Import(ctx, &src, nil)
	if err == nil || !strings.Contains(err.Error(), "line 11") || st.Inserted != 10 {
		t.Fatalf("import %+v %v", st, err)
	}
	st, err = s.Import(ctx, strings.NewReader(`{"account":"a","conversation":"c","remote_id":"x","direction":"in","text":"no time"}`+"\n"), nil)
	if err == nil || !strings.Contains(err.Error(), "no time") {
		t.Fatalf("missing time: %+v %v", st, err)
	}
}

const crashEnv = "SWITCHBOARD_STORAGE_CRASH_CHILD"

// TestImportSurvivesSIGKILL kills a child process in the middle of a large
// batched import; every batch it reported committed must be there.
func TestImportSurvivesSIGKILL(t *testing.T) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(dir)
		return
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "big.jsonl")
	f, err := os.Create(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := newCorpus(7, 1000).writeJSONL(f, 200000); err != nil {
		t.Fatal(err)
	}
	f.Close()
	os.WriteFile(filepath.Join(dir, "pass"), []byte("crash test passphrase"), 0o600)

	cmd := exec.Command(os.Args[0], "-test.run=^TestImportSurvivesSIGKILL$", "-test.v")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	committed := 0
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		var n int
		if _, err := fmt.Sscanf(sc.Text(), "COMMITTED %d", &n); err == nil {
			committed = n
			if committed >= 10*importBatch {
				cmd.Process.Signal(syscall.SIGKILL)
				break
			}
		}
	}
	cmd.Wait()
	if committed < 10*importBatch {
		t.Fatalf("child stopped after %d committed messages before it was killed", committed)
	}
	s, err := Open(context.Background(), Options{Dir: filepath.Join(dir, "profile"), PreferPassphrase: true,
		Passphrase: func(bool) ([]byte, error) { return []byte("crash test passphrase"), nil }})
	if err != nil {
		t.Fatalf("reopen after SIGKILL: %v", err)
	}
	defer s.Close()
	var exp bytes.Buffer
	n, err := s.Export(context.Background(), &exp)
	if err != nil {
		t.Fatal(err)
	}
	if n < committed || n >= 200000 {
		t.Fatalf("%d messages after reopen, child reported %d committed (of 200000)", n, committed)
	}
	have := map[string]bool{}
	for _, line := range strings.Split(exp.String(), "\n") {
		if i := strings.Index(line, `"remote_id":"m`); i >= 0 {
			id := line[i+len(`"remote_id":"`):]
			have[id[:strings.IndexByte(id, '"')]] = true
		}
	}
	for i := range committed {
		if !have["m"+strconv.Itoa(i)] {
			t.Fatalf("message m%d of a committed batch is missing", i)
		}
	}
	// The search index caught up with the messages the crash left unindexed.
	gen := newCorpus(7, 1000)
	var want ExportRecord
	for i := range committed {
		want = gen.record(i)
	}
	word := strings.Fields(want.Text)[0]
	hits, err := s.Search(context.Background(), word, 5000, 0)
	found := false
	for _, h := range hits {
		found = found || h.RemoteID == want.RemoteID
	}
	if err != nil || !found {
		t.Fatalf("last committed message not searchable by %q: %v (%d hits)", word, err, len(hits))
	}
	t.Logf("killed after %d committed of 200000; %d present after reopen", committed, n)
}

func crashChild(dir string) {
	pass, _ := os.ReadFile(filepath.Join(dir, "pass"))
	s, err := Open(context.Background(), Options{Dir: filepath.Join(dir, "profile"), PreferPassphrase: true,
		Passphrase: func(bool) ([]byte, error) { return pass, nil }})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		return
	}
	f, err := os.Open(filepath.Join(dir, "big.jsonl"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return
	}
	s.Import(context.Background(), f, func(st ImportStats) {
		fmt.Fprintf(os.Stdout, "COMMITTED %d\n", st.Read)
	})
	s.Close()
}

func TestImportedHistoryIsNotUnread(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	src := `{"account":"acct","network":"irc","conversation":"bob","remote_id":"h1","time":"2025-03-01T12:00:00Z","direction":"in","sender":"bob","text":"old news"}
{"account":"acct","network":"irc","conversation":"bob","remote_id":"h2","time":"2025-03-01T12:01:00Z","direction":"in","sender":"bob","text":"older news"}
`
	if _, err := s.Import(ctx, strings.NewReader(src), nil); err != nil {
		t.Fatal(err)
	}
	if n, err := s.UnreadTotal(ctx); err != nil || n != 0 {
		t.Fatalf("unread after import: %d %v", n, err)
	}
	put(t, s, msg("acct", "bob", "live1", "bob", "fresh news", 90))
	c, err := s.FindConversation(ctx, "acct", "bob")
	if err != nil || c.Unread != 1 || c.LastText != "fresh news" {
		t.Fatalf("after a live message: %+v %v", c, err)
	}
	// A recount (as after a hold change) keeps imported messages read.
	if err := s.write(ctx, func(tx *wtx) error { return tx.recomputeConv(c.Row) }); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.FindConversation(ctx, "acct", "bob"); c.Unread != 1 {
		t.Fatalf("after recount: unread %d", c.Unread)
	}
}
