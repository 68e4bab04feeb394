package storage

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// tamperEnv is an archive with a delivered and a held conversation, a
// brand contact, its consent and three ledger entries, and the raw
// database file opened beside it as someone with the disk but not the key.
type tamperEnv struct {
	s        *Store
	dir      string
	db       *sql.DB
	friend   PutResult
	held     PutResult
	heldConv int64
}

func newTamperEnv(t *testing.T) *tamperEnv {
	t.Helper()
	s, dir := openTest(t)
	ctx := context.Background()
	e := &tamperEnv{s: s, dir: dir}
	h := msg("a", "acme", "h1", "acme", "limited offer", 1)
	h.Hold, h.HoldReason = HeldRequest, "not subscribed"
	res := put(t, s, msg("a", "bob", "f1", "bob", "hello friend", 0), h)
	e.friend, e.held = res[0], res[1]
	if err := s.PutContact(ctx, Contact{Account: "a", Handle: "acme", Kind: ContactBrand, Evidence: []string{"bot mode"}}); err != nil {
		t.Fatal(err)
	}
	for _, st := range []string{"subscribed", "none", "blocked"} {
		_, err := s.ApplyConsent(ctx, ConsentChange{Consent: Consent{Account: "a", Handle: "acme", State: st},
			Ledger: &LedgerEntry{Network: "irc", NewState: st, How: "cli"}})
		if err != nil {
			t.Fatal(err)
		}
	}
	e.db = rawDB(t, dir)
	return e
}

func (e *tamperEnv) exec(t *testing.T, qs ...string) {
	t.Helper()
	for _, q := range qs {
		if _, err := e.db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func wantTampered(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, ErrTampered) {
		t.Errorf("%s: err = %v, want the tampering reported", what, err)
	}
}

// TestEditedClearColumnsAreReported edits the security-relevant clear
// columns in the database file directly — without the key — and expects
// every edited row to fail to open instead of being trusted.
func TestEditedClearColumnsAreReported(t *testing.T) {
	ctx := context.Background()
	t.Run("held message moved into the inbox", func(t *testing.T) {
		e := newTamperEnv(t)
		e.exec(t, `UPDATE messages SET hold = 0 WHERE remote_tag = (SELECT remote_tag FROM messages WHERE id = `+itoa(e.held.MsgRow)+`)`,
			`UPDATE conversations SET held = 0, last_msg = held_msg, last_time = held_time, unread = 1 WHERE id = `+itoa(e.held.ConvRow))
		_, err := e.s.Messages(ctx, e.held.ConvRow, 0, 10, false)
		wantTampered(t, "messages", err)
		_, err = e.s.ListConversations(ctx, ConvQuery{Filter: FilterAll})
		wantTampered(t, "inbox", err)
	})
	t.Run("inbox counter pointed at a held message", func(t *testing.T) {
		e := newTamperEnv(t)
		e.exec(t, `UPDATE conversations SET last_msg = held_msg, last_time = held_time WHERE id = `+itoa(e.held.ConvRow))
		_, err := e.s.ListConversations(ctx, ConvQuery{Filter: FilterAll})
		wantTampered(t, "inbox", err)
	})
	t.Run("message moved to another conversation", func(t *testing.T) {
		e := newTamperEnv(t)
		e.exec(t, `UPDATE messages SET conv_id = `+itoa(e.friend.ConvRow)+` WHERE id = `+itoa(e.held.MsgRow))
		_, err := e.s.Message(ctx, e.held.MsgRow)
		wantTampered(t, "message", err)
	})
	t.Run("direction flipped", func(t *testing.T) {
		e := newTamperEnv(t)
		e.exec(t, `UPDATE messages SET flags = flags | 1 WHERE id = `+itoa(e.friend.MsgRow))
		_, err := e.s.Message(ctx, e.friend.MsgRow)
		wantTampered(t, "message", err)
	})
	t.Run("conversation moved to another account", func(t *testing.T) {
		e := newTamperEnv(t)
		put(t, e.s, msg("b", "carol", "c1", "carol", "hi", 2))
		e.exec(t, `UPDATE conversations SET account_id = (SELECT max(id) FROM accounts) WHERE id = `+itoa(e.friend.ConvRow))
		_, err := e.s.Conversation(ctx, e.friend.ConvRow)
		wantTampered(t, "conversation", err)
	})
	t.Run("consent set to subscribed", func(t *testing.T) {
		e := newTamperEnv(t)
		e.exec(t, `UPDATE consent SET state = 'subscribed'`)
		_, err := e.s.Consent(ctx, "a", "acme")
		wantTampered(t, "consent", err)
	})
	t.Run("brand made a person", func(t *testing.T) {
		e := newTamperEnv(t)
		e.exec(t, `UPDATE contacts SET kind = 'person'`)
		_, err := e.s.Contact(ctx, "a", "acme")
		wantTampered(t, "contact", err)
	})
	t.Run("ledger entry deleted", func(t *testing.T) {
		e := newTamperEnv(t)
		e.exec(t, `DROP TRIGGER ledger_no_delete`, `DELETE FROM ledger WHERE seq = 2`)
		_, err := e.s.Ledger(ctx, "", "")
		wantTampered(t, "ledger", err)
		_, err = e.s.Ledger(ctx, "a", "acme")
		wantTampered(t, "ledger of one brand", err)
	})
	t.Run("ledger entries reordered", func(t *testing.T) {
		e := newTamperEnv(t)
		e.exec(t, `DROP TRIGGER ledger_no_update`,
			`UPDATE ledger SET seq = -1 WHERE seq = 1`, `UPDATE ledger SET seq = 1 WHERE seq = 2`, `UPDATE ledger SET seq = 2 WHERE seq = -1`)
		_, err := e.s.Ledger(ctx, "", "")
		wantTampered(t, "ledger", err)
	})
	t.Run("newest ledger entry deleted", func(t *testing.T) {
		e := newTamperEnv(t)
		e.exec(t, `DROP TRIGGER ledger_no_delete`, `DELETE FROM ledger WHERE seq = 3`)
		_, err := e.s.Ledger(ctx, "", "")
		wantTampered(t, "ledger", err)
		// And the ledger is not extended as if it were whole.
		_, err = e.s.AppendLedger(ctx, LedgerEntry{Account: "a", Network: "irc", Brand: "acme", NewState: "none"})
		wantTampered(t, "append", err)
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// openLegacyFixture copies testdata/legacy-unbound — an archive written
// by the program before sealed values bound their clear columns — and
// opens it.
func openLegacyFixture(t *testing.T) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{archiveFile, profileFile} {
		b, err := os.ReadFile(filepath.Join("testdata", "legacy-unbound", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Open(context.Background(), Options{Dir: dir, Passphrase: func(bool) ([]byte, error) { return []byte("legacy fixture"), nil }})
	if err != nil {
		t.Fatalf("the older archive does not open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dir
}

// TestOlderArchiveIsBoundOnceAndKeepsOpening opens an archive written
// before the binding: everything reads back, the rows are re-sealed once,
// and from then on an edited clear column is reported there too.
func TestOlderArchiveIsBoundOnceAndKeepsOpening(t *testing.T) {
	ctx := context.Background()
	s, dir := openLegacyFixture(t)
	check := func(s *Store) {
		t.Helper()
		if cs := list(t, s, FilterAll, ""); len(cs) != 1 || cs[0].LastText != "hello friend" {
			t.Fatalf("inbox %+v", cs)
		}
		if cs := list(t, s, FilterBlocked, ""); len(cs) != 1 || cs[0].LastText != "limited offer" {
			t.Fatalf("blocked %+v", cs)
		}
		if c, err := s.Consent(ctx, "a", "acme"); err != nil || c.State != "blocked" {
			t.Fatalf("consent %+v %v", c, err)
		}
		if ct, err := s.Contact(ctx, "a", "acme"); err != nil || ct.Kind != ContactBrand {
			t.Fatalf("contact %+v %v", ct, err)
		}
		if es, err := s.Ledger(ctx, "", ""); err != nil || len(es) != 3 || es[2].NewState != "blocked" {
			t.Fatalf("ledger %+v %v", es, err)
		}
		if hits, err := s.Search(ctx, "friend", 10, 0); err != nil || len(hits) != 1 {
			t.Fatalf("search %+v %v", hits, err)
		}
		if cs, err := s.SearchContacts(ctx, "acm", 10); err != nil || len(cs) != 1 {
			t.Fatalf("search contacts %+v %v", cs, err)
		}
	}
	check(s)
	if rep, err := s.Verify(ctx); err != nil || len(rep.Problems) != 0 {
		t.Fatalf("verify after binding: %+v %v", rep, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, Options{Dir: dir, Passphrase: func(bool) ([]byte, error) { return []byte("legacy fixture"), nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	check(s)
	db := rawDB(t, dir)
	var legacy int
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM messages WHERE substr(body,1,1) = x'01') +
		(SELECT count(*) FROM ledger WHERE substr(body,1,1) = x'01')`).Scan(&legacy); err != nil || legacy != 0 {
		t.Fatalf("%d values left in the old layout (%v)", legacy, err)
	}
	if _, err := db.Exec(`UPDATE consent SET state = 'subscribed'`); err != nil {
		t.Fatal(err)
	}
	_, err = s.Consent(ctx, "a", "acme")
	wantTampered(t, "consent edited after binding", err)
}

// TestVerifyReportsTamperingAndRollback: `archive verify` reads the whole
// archive. A consent rolled back to an older sealed value of its own row
// (which opens: it was once genuine) is caught by the ledger; so is a
// consent row deleted; counters edited and values changed are listed.
func TestVerifyReportsTamperingAndRollback(t *testing.T) {
	ctx := context.Background()
	e := newTamperEnv(t)
	if err := e.s.AddAudit(ctx, t0, "export", "cli"); err != nil {
		t.Fatal(err)
	}
	if rep, err := e.s.Verify(ctx); err != nil || len(rep.Problems) != 0 || rep.Checked["messages"] != 2 || rep.Checked["ledger"] != 3 ||
		rep.Checked["audit"] != 1 {
		t.Fatalf("a sound archive: %+v %v", rep, err)
	}
	// Keep the consent row as it was when it said "subscribed"…
	var old []any = make([]any, 6)
	s2 := e.s
	if _, err := s2.ApplyConsent(ctx, ConsentChange{Consent: Consent{Account: "a", Handle: "acme", State: "subscribed"},
		Ledger: &LedgerEntry{Network: "irc", NewState: "subscribed", How: "cli"}}); err != nil {
		t.Fatal(err)
	}
	if err := e.db.QueryRow(`SELECT state, until_time, last_user_msg, updated, body, handle_tag FROM consent`).Scan(
		&old[0], &old[1], &old[2], &old[3], &old[4], &old[5]); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.ApplyConsent(ctx, ConsentChange{Consent: Consent{Account: "a", Handle: "acme", State: "blocked"},
		Ledger: &LedgerEntry{Network: "irc", NewState: "blocked", How: "cli"}}); err != nil {
		t.Fatal(err)
	}
	// …and put it back: it opens, and only the ledger tells.
	if _, err := e.db.Exec(`UPDATE consent SET state = ?, until_time = ?, last_user_msg = ?, updated = ?, body = ? WHERE handle_tag = ?`, old...); err != nil {
		t.Fatal(err)
	}
	if c, err := e.s.Consent(ctx, "a", "acme"); err != nil || c.State != "subscribed" {
		t.Fatalf("the rolled-back row: %+v %v (the test expects it to open)", c, err)
	}
	e.exec(t, `UPDATE conversations SET held = 5 WHERE id = `+itoa(e.held.ConvRow),
		`UPDATE messages SET hold = 0 WHERE id = `+itoa(e.held.MsgRow), `UPDATE audit SET kind = 'import'`)
	rep, err := e.s.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"rolled back", "message " + itoa(e.held.MsgRow), "conversation " + itoa(e.held.ConvRow), "audit row 1"}
	for _, w := range want {
		found := false
		for _, p := range rep.Problems {
			found = found || strings.Contains(p, w)
		}
		if !found {
			t.Errorf("verify did not report %q: %q", w, rep.Problems)
		}
	}
	e.exec(t, `DELETE FROM consent`)
	if rep, _ := e.s.Verify(ctx); len(rep.Problems) == 0 || !strings.Contains(strings.Join(rep.Problems, "\n"), "is missing") {
		t.Errorf("a deleted consent: %q", rep.Problems)
	}
}
