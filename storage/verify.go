package storage

import (
	"context"
	"fmt"
)

// VerifyReport is what Verify read and what it found wrong.
type VerifyReport struct {
	Checked  map[string]int // rows read per table
	Problems []string       // plain words, one per problem (at most maxProblems)
	More     int            // problems beyond those listed
}

const maxProblems = 100

func (r *VerifyReport) problem(format string, args ...any) {
	if len(r.Problems) >= maxProblems {
		r.More++
		return
	}
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

// Verify reads the whole archive without changing it: every sealed value
// is opened with its row's identity and bound clear columns, the consent
// ledger's chain and head are checked, each brand's consent is compared
// with its newest ledger entry (a consent row rolled back or deleted on
// its own shows there), and every conversation's counters are recounted
// from its messages. Attachment chunks are checked when read, not here.
// An error is returned only when the archive could not be read at all.
func (s *Store) Verify(ctx context.Context) (VerifyReport, error) {
	r := VerifyReport{Checked: map[string]int{}}
	checks := []func(context.Context, *VerifyReport) error{
		s.verifyAccounts, s.verifyMessages, s.verifyConversations, s.verifySimple, s.verifyConsent,
	}
	for _, c := range checks {
		if err := c(ctx, &r); err != nil {
			return r, fmt.Errorf("storage: verify: %w", err)
		}
	}
	return r, nil
}

// eachRow runs fn for every row of q, reading in pages by rowid so no
// reader connection stays busy while fn decrypts.
func (s *Store) eachRow(ctx context.Context, q string, n int, fn func(rowid int64, v []any)) error {
	var after int64 = -1 << 62
	for {
		rows, err := s.rdb.QueryContext(ctx, q+` WHERE rowid > ? ORDER BY rowid LIMIT 1000`, after)
		if err != nil {
			return err
		}
		type row struct {
			id int64
			v  []any
		}
		var page []row
		for rows.Next() {
			v := make([]any, n)
			dst := make([]any, n+1)
			var id int64
			dst[0] = &id
			for i := range v {
				dst[i+1] = &v[i]
			}
			if err := rows.Scan(dst...); err != nil {
				rows.Close()
				return err
			}
			page = append(page, row{id, v})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(page) == 0 {
			return nil
		}
		for _, p := range page {
			fn(p.id, p.v)
			after = p.id
		}
	}
}

func i64(v any) int64 {
	n, _ := v.(int64)
	return n
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	}
	return ""
}

func blob(v any) []byte {
	switch x := v.(type) {
	case []byte:
		return x
	case string:
		return []byte(x)
	}
	return nil
}

func (s *Store) verifyAccounts(ctx context.Context, r *VerifyReport) error {
	return s.eachRow(ctx, `SELECT rowid, body FROM accounts`, 1, func(id int64, v []any) {
		r.Checked["accounts"]++
		if _, err := s.openAccount(id, blob(v[0])); err != nil {
			r.problem("account row %d: %v", id, err)
		}
	})
}

func (s *Store) verifyMessages(ctx context.Context, r *VerifyReport) error {
	return s.eachRow(ctx, `SELECT rowid, conv_id, account_id, flags, hold, body FROM messages`, 5, func(id int64, v []any) {
		r.Checked["messages"]++
		k := msgKey{id: id, conv: i64(v[0]), acct: i64(v[1]), flags: int(i64(v[2])), hold: int(i64(v[3]))}
		if _, err := s.openMsg(k, blob(v[4])); err != nil {
			r.problem("message %d: its text, or the conversation, direction or hold it is filed under, was changed outside Switchboard", id)
		}
	})
}

// verifyConversations opens each conversation and recounts its counters
// from its messages' (authenticated) clear columns.
func (s *Store) verifyConversations(ctx context.Context, r *VerifyReport) error {
	want := map[int64]*convState{}
	err := s.eachRow(ctx, `SELECT rowid, conv_id, time, flags, hold FROM messages`, 4, func(id int64, v []any) {
		c := want[i64(v[0])]
		if c == nil {
			c = &convState{}
			want[i64(v[0])] = c
		}
		c.note(id, i64(v[1]), i64(v[2])&flagOut == 0, Hold(i64(v[3])), i64(v[2])&flagSeen != 0, i64(v[2])&flagMention != 0)
	})
	if err != nil {
		return err
	}
	return s.eachRow(ctx, `SELECT rowid, account_id, remote_tag, read_mark, unread, last_msg, held, held_msg, blocked, blocked_msg, body FROM conversations`, 10,
		func(id int64, v []any) {
			r.Checked["conversations"]++
			if _, _, err := s.openConv(id, i64(v[0]), i64(v[1]), blob(v[9])); err != nil {
				r.problem("conversation %d: its title, or the account it belongs to, was changed outside Switchboard", id)
				return
			}
			w := want[id]
			if w == nil {
				w = &convState{}
			}
			// Unread depends on the read mark, itself a clear column; the
			// filing counters do not.
			if i64(v[4]) != w.lastMsg || i64(v[5]) != w.held || i64(v[6]) != w.heldMsg || i64(v[7]) != w.blocked || i64(v[8]) != w.blockedMsg {
				r.problem("conversation %d: its counts (last message, held, blocked) do not match its messages", id)
			}
		})
}

// verifySimple opens the rows whose sealed values carry only their own
// identity.
func (s *Store) verifySimple(ctx context.Context, r *VerifyReport) error {
	type table struct {
		name, q string
		n       int
		open    func(id int64, v []any) error
	}
	tables := []table{
		{"attachments", `SELECT rowid, body FROM attachments`, 1, func(id int64, v []any) error { _, err := s.openAtt(id, blob(v[0])); return err }},
		{"contacts", `SELECT rowid, account_id, handle_tag, kind, user_kind, body FROM contacts`, 5, func(id int64, v []any) error {
			_, err := s.seal.openBound(blob(v[4]), contactAD(id, i64(v[0]), i64(v[1]), str(v[2]), str(v[3])))
			return err
		}},
		{"outbox", `SELECT rowid, body FROM outbox`, 1, func(id int64, v []any) error { _, err := s.openOutbox(id, blob(v[0])); return err }},
		{"blobs", `SELECT rowid, account_id, key_tag, body FROM blobs`, 3, func(id int64, v []any) error {
			_, err := s.seal.open(blob(v[2]), adKey("blobs", i64(v[0]), i64(v[1])))
			return err
		}},
		{"secrets", `SELECT rowid, account_id, key_tag, body FROM secrets`, 3, func(id int64, v []any) error {
			_, err := s.seal.open(blob(v[2]), adKey("secrets", i64(v[0]), i64(v[1])))
			return err
		}},
		{"prefs", `SELECT rowid, key_tag, body FROM prefs`, 2, func(id int64, v []any) error {
			_, err := s.seal.open(blob(v[1]), adKey("prefs", 0, i64(v[0])))
			return err
		}},
		{"audit", `SELECT rowid, time, kind, detail FROM audit`, 3, func(id int64, v []any) error {
			_, err := s.seal.open(blob(v[2]), adAudit(id, i64(v[0]), str(v[1])))
			return err
		}},
	}
	for _, t := range tables {
		err := s.eachRow(ctx, t.q, t.n, func(id int64, v []any) {
			r.Checked[t.name]++
			if err := t.open(id, v); err != nil {
				r.problem("%s row %d: changed outside Switchboard (%v)", t.name, id, err)
			}
		})
		if err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
	}
	return nil
}

// verifyConsent checks the ledger's chain and head, opens every consent,
// and compares each brand's consent with its newest ledger entry.
func (s *Store) verifyConsent(ctx context.Context, r *VerifyReport) error {
	ledger, err := s.verifiedLedger(ctx, s.rdb)
	if err != nil {
		r.problem("consent ledger: %v", err)
	}
	r.Checked["ledger"] = len(ledger)
	type brandKey struct{ account, brand string }
	newest := map[brandKey]LedgerEntry{}
	for _, e := range ledger {
		newest[brandKey{e.Account, e.Brand}] = e
	}
	seen := map[brandKey]bool{}
	err = s.eachRow(ctx, `SELECT rowid, account_id, handle_tag, state, until_time, last_user_msg, updated, body FROM consent`, 7,
		func(id int64, v []any) {
			r.Checked["consent"]++
			c, err := s.scanConsent(ctx, rowValues{i64(v[0]), i64(v[1]), str(v[2]), i64(v[3]), i64(v[4]), i64(v[5]), blob(v[6])})
			if err != nil {
				r.problem("consent row %d: its state or dates were changed outside Switchboard", id)
				return
			}
			k := brandKey{c.Account, c.Handle}
			seen[k] = true
			if e, ok := newest[k]; ok && e.NewState != c.State {
				r.problem("consent of %s on %s is %q but its newest ledger entry (%d) says %q: the consent was rolled back or replaced",
					c.Handle, c.Account, c.State, e.Seq, e.NewState)
			}
		})
	if err != nil {
		return err
	}
	// A purged account's consents are gone with it: its row stays,
	// deleted, without conversations.
	live := map[string]bool{}
	err = s.eachRow(ctx, `SELECT rowid, deleted = 0 OR EXISTS (SELECT 1 FROM conversations c WHERE c.account_id = accounts.id)
		FROM accounts`, 1, func(id int64, v []any) {
		if i64(v[0]) != 0 {
			if ai, err := s.accountInfo(ctx, id); err == nil {
				live[ai.name] = true
			}
		}
	})
	if err != nil {
		return err
	}
	for k, e := range newest {
		if !seen[k] && live[k.account] && e.NewState != "none" {
			r.problem("the consent of %s on %s is missing, but its newest ledger entry (%d) says %q: it was deleted outside Switchboard",
				k.brand, k.account, e.Seq, e.NewState)
		}
	}
	return nil
}
