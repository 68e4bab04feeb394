package storage

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

// syncBuffer collects log output from the store under test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}

// openTest opens a fresh keyring-mode store in a temp dir backed by
// go-keyring's in-memory mock.
func openTest(t *testing.T) (*Store, string) {
	t.Helper()
	keyring.MockInit()
	dir := filepath.Join(t.TempDir(), "profile")
	s, err := Open(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dir
}

func reopen(t *testing.T, s *Store, dir string) *Store {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	s2, err := Open(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	t.Cleanup(func() { s2.Close() })
	return s2
}

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func msg(acct, conv, rid, sender, text string, min int) MessageIn {
	return MessageIn{Account: acct, Network: "irc", ConvID: conv, RemoteID: rid, Sender: sender,
		SenderName: sender + " Name", Time: t0.Add(time.Duration(min) * time.Minute), Direction: In, Text: text}
}

func put(t *testing.T, s *Store, msgs ...MessageIn) []PutResult {
	t.Helper()
	res, err := s.PutMessages(context.Background(), msgs)
	if err != nil {
		t.Fatalf("put messages: %v", err)
	}
	return res
}

// rawDB opens the archive file directly, as an attacker with the disk would.
func rawDB(t *testing.T, dir string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, archiveFile)+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func texts(ms []Message) string {
	var b bytes.Buffer
	for i, m := range ms {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, m.Text)
	}
	return b.String()
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
