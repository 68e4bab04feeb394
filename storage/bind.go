package storage

import (
	"context"
	"database/sql"
	"fmt"
)

// bindClearColumns re-seals, once, the rows of an archive written before
// sealed values carried their rows' clear columns (conversation, account,
// flags and hold of messages; account of conversations; kinds of
// contacts; state and times of consents; the consent ledger's columns and
// chain). It runs at open in one transaction, then marks the key check
// "bound"; from then on a value in the old layout in those tables is
// tampering, never re-sealed. A value that does not open under its old
// associated data is left as it is and reported where it is read.
func (s *Store) bindClearColumns(ctx context.Context) error {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("storage: bind clear columns: %w", err)
	}
	defer tx.Rollback()
	steps := []rebind{
		{`SELECT rowid, id, conv_id, account_id, flags, hold, body FROM messages`, `UPDATE messages SET body = ? WHERE rowid = ?`,
			func(v []int64, _ []string) (old, bound []byte) {
				return ad("messages", v[0]), msgKey{id: v[0], conv: v[1], acct: v[2], flags: int(v[3]), hold: int(v[4])}.ad()
			}, 5, 0},
		{`SELECT rowid, id, account_id, remote_tag, body FROM conversations`, `UPDATE conversations SET body = ? WHERE rowid = ?`,
			func(v []int64, _ []string) (old, bound []byte) {
				return ad("conversations", v[0]), convAD(v[0], v[1], v[2])
			}, 3, 0},
		{`SELECT rowid, id, account_id, handle_tag, kind, user_kind, body FROM contacts`, `UPDATE contacts SET body = ? WHERE rowid = ?`,
			func(v []int64, t []string) (old, bound []byte) {
				return ad("contacts", v[0]), contactAD(v[0], v[1], v[2], t[0], t[1])
			}, 3, 2},
		{`SELECT rowid, account_id, handle_tag, until_time, last_user_msg, updated, state, body FROM consent`, `UPDATE consent SET body = ? WHERE rowid = ?`,
			func(v []int64, t []string) (old, bound []byte) {
				return adKey("consent", v[0], v[1]), consentAD(v[0], v[1], t[0], v[2], v[3], v[4])
			}, 5, 1},
	}
	n := 0
	for _, st := range steps {
		k, err := st.run(ctx, tx, s.seal)
		if err != nil {
			return fmt.Errorf("storage: bind clear columns: %w", err)
		}
		n += k
	}
	k, err := s.rebindLedger(ctx, tx)
	if err != nil {
		return fmt.Errorf("storage: bind the consent ledger: %w", err)
	}
	n += k
	if err := s.rebuildContactWords(ctx, tx); err != nil {
		return fmt.Errorf("storage: rebuild the contacts' search index: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT OR REPLACE INTO meta(k, v) VALUES ('check', ?)",
		s.seal.seal([]byte(keyCheckBound), keyCheckAD)); err != nil {
		return fmt.Errorf("storage: bind clear columns: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("storage: bind clear columns: %w", err)
	}
	s.log.Info("storage: sealed values now bind their rows' clear columns", "resealed", n)
	return nil
}

// rebind re-seals one table: sel yields the rowid, then ints integers,
// strs strings and the body; ad builds the old and the bound associated
// data from those integers and strings.
type rebind struct {
	sel, upd   string
	ad         func(ints []int64, strs []string) (old, bound []byte)
	ints, strs int
}

func (r rebind) run(ctx context.Context, tx *sql.Tx, sl *sealer) (int, error) {
	type row struct {
		rowid      int64
		old, bound []byte
		body       []byte
	}
	n := 0
	var after int64
	for {
		rows, err := tx.QueryContext(ctx, r.sel+` WHERE rowid > ? AND substr(body, 1, 1) = x'01' ORDER BY rowid LIMIT 2000`, after)
		if err != nil {
			return n, err
		}
		var batch []row
		for rows.Next() {
			var rowid int64
			ints := make([]int64, r.ints)
			strs := make([]string, r.strs)
			var body []byte
			dst := []any{&rowid}
			for i := range ints {
				dst = append(dst, &ints[i])
			}
			for i := range strs {
				dst = append(dst, &strs[i])
			}
			if err := rows.Scan(append(dst, &body)...); err != nil {
				rows.Close()
				return n, err
			}
			old, bound := r.ad(ints, strs)
			batch = append(batch, row{rowid, old, bound, body})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return n, err
		}
		if len(batch) == 0 {
			return n, nil
		}
		for _, b := range batch {
			after = b.rowid
			plain, err := sl.open(b.body, b.old)
			if err != nil {
				continue // not re-sealed: reported as tampered where read
			}
			if _, err := tx.ExecContext(ctx, r.upd, sl.seal(plain, b.bound), b.rowid); err != nil {
				return n, err
			}
			n++
		}
	}
}

// rebindLedger re-seals the ledger in order as a chain and writes its
// head. The append-only triggers are lifted for this transaction only.
func (s *Store) rebindLedger(ctx context.Context, tx *sql.Tx) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT seq, time, account_id, network, brand_tag, body FROM ledger ORDER BY seq`)
	if err != nil {
		return 0, err
	}
	type row struct {
		seq, when, acct, tag int64
		network              string
		body                 []byte
	}
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.seq, &r.when, &r.acct, &r.network, &r.tag, &r.body); err != nil {
			rows.Close()
			return 0, err
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(all) == 0 {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `DROP TRIGGER ledger_no_update`); err != nil {
		return 0, err
	}
	var prev []byte
	for i, r := range all {
		body := r.body
		// An entry that does not open stays as it is: the chain goes on
		// over it, and reading the ledger reports it.
		if plain, err := s.seal.open(r.body, ad("ledger", r.seq)); err == nil {
			body = s.seal.seal(plain, ledgerAD(r.seq, r.when, r.acct, r.network, r.tag, prev))
			if _, err := tx.ExecContext(ctx, `UPDATE ledger SET body = ? WHERE seq = ?`, body, r.seq); err != nil {
				return 0, err
			}
		}
		prev = tagOf(body)
		all[i].body = body
	}
	if _, err := tx.ExecContext(ctx, `CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
		BEGIN SELECT RAISE(ABORT, 'the consent ledger is append-only'); END`); err != nil {
		return 0, err
	}
	last := all[len(all)-1]
	return len(all), s.putLedgerHead(ctx, tx, last.seq, last.body)
}

// rebuildContactWords indexes every contact's handle and name again (the
// index was emptied by migration 6 for its narrower tags).
func (s *Store) rebuildContactWords(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, account_id, handle_tag, kind, user_kind, body FROM contacts`)
	if err != nil {
		return err
	}
	words := map[int64][]int64{}
	for rows.Next() {
		var id, acct, tag int64
		var kind, userKind string
		var body []byte
		if err := rows.Scan(&id, &acct, &tag, &kind, &userKind, &body); err != nil {
			rows.Close()
			return err
		}
		plain, err := s.seal.openBound(body, contactAD(id, acct, tag, kind, userKind))
		if err != nil {
			continue // reported where the contact is read
		}
		r := &fieldReader{b: plain}
		handle, name := r.str(), r.str()
		indexTokens(normalize(handle+" "+name), func(tok string) { words[id] = append(words[id], s.tags.contact.tag(tok)) })
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for id, toks := range words {
		for _, tok := range toks {
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO contact_words(tok, contact_id) VALUES (?, ?)`, tok, id); err != nil {
				return err
			}
		}
	}
	return nil
}
