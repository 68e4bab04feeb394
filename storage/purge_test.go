package storage

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sealedBytes reads a sealed column as stored, for looking for it later.
func sealedBytes(t *testing.T, s *Store, q string, args ...any) []byte {
	t.Helper()
	var b []byte
	if err := s.rdb.QueryRow(q, args...).Scan(&b); err != nil {
		t.Fatalf("read %s: %v", q, err)
	}
	if len(b) < 64 {
		t.Fatalf("sealed value of %d bytes is too short to look for", len(b))
	}
	return b[24:56] // 32 bytes of ciphertext after the version and nonce
}

// lingering names the archive files that still hold any of the values.
func lingering(t *testing.T, dir string, vals map[string][]byte) []string {
	t.Helper()
	var out []string
	for _, f := range []string{archiveFile, archiveFile + "-wal"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for name, v := range vals {
			if bytes.Contains(b, v) {
				out = append(out, name+" in "+f)
			}
		}
	}
	return out
}

// TestPurgedMailAndRemovedAccountsDoNotLinger purges blocked mail and
// removes an account with purge, then looks for their sealed bytes in the
// database file and its WAL: deleted content is overwritten, not left in
// free pages for whoever later has the file and the key.
func TestPurgedMailAndRemovedAccountsDoNotLinger(t *testing.T) {
	s, dir := openTest(t)
	ctx := context.Background()
	if err := s.PutAccount(ctx, Account{Name: "gone", Network: "irc", Settings: map[string]string{"server": "irc.example:6697"}}); err != nil {
		t.Fatal(err)
	}
	m := msg("a", "spam", "b1", "spammer", "blocked canary "+strings.Repeat("x", 300), 0)
	m.Hold, m.HoldReason = HeldBlocked, "blocked"
	m.Attachments = []AttachmentIn{{Name: "offer.pdf", Type: "application/pdf", Size: 5000}}
	res := put(t, s, m, msg("gone", "bob", "g1", "bob", "removed account canary "+strings.Repeat("y", 300), 1))
	atts, err := s.Attachments(ctx, res[0].MsgRow)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveAttachment(ctx, atts[0].ID, strings.NewReader(strings.Repeat("z", 5000))); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSecret(ctx, "gone", "password", strings.Repeat("p", 80)); err != nil {
		t.Fatal(err)
	}
	if err := s.flushIndex(ctx); err != nil { // the writer is idle: no other write runs
		t.Fatal(err)
	}
	vals := map[string][]byte{
		"blocked message":    sealedBytes(t, s, `SELECT body FROM messages WHERE id = ?`, res[0].MsgRow),
		"its attachment":     sealedBytes(t, s, `SELECT body FROM attachment_chunks WHERE att_id = ?`, atts[0].ID),
		"account's message":  sealedBytes(t, s, `SELECT body FROM messages WHERE id = ?`, res[1].MsgRow),
		"account's secret":   sealedBytes(t, s, `SELECT body FROM secrets`),
		"account's settings": sealedBytes(t, s, `SELECT body FROM accounts WHERE network = 'irc' AND deleted = 0`),
	}
	// Fold everything into the database file first, as a long-running
	// app's checkpoints would, so the values are in its pages.
	if _, err := s.wdb.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	if got := lingering(t, dir, vals); len(got) != len(vals) {
		t.Fatalf("the test's values are not all on disk before the purge: %q", got)
	}
	if n, err := s.PurgeBlocked(ctx, ""); err != nil || n != 1 {
		t.Fatalf("purge: %d %v", n, err)
	}
	if err := s.DeleteAccount(ctx, "gone", true); err != nil {
		t.Fatal(err)
	}
	if got := lingering(t, dir, vals); len(got) > 0 {
		t.Errorf("after purge, while open: %q", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := lingering(t, dir, vals); len(got) > 0 {
		t.Errorf("after purge and close: %q", got)
	}
}
