package storage

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
)

// The consent ledger's chain head: the newest entry's sequence number and
// AEAD tag, sealed in meta and rewritten with every append. Deleting the
// newest entries leaves a head that names an entry no longer there.
const ledgerHeadKey = "ledger_head"

var ledgerHeadAD = []byte("meta|ledger_head")

type querier interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

type execer interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}

func (s *Store) putLedgerHead(ctx context.Context, db execer, seq int64, body []byte) error {
	v := binary.AppendVarint(nil, seq)
	v = append(v, tagOf(body)...)
	_, err := db.ExecContext(ctx, `INSERT OR REPLACE INTO meta(k, v) VALUES (?, ?)`, ledgerHeadKey, s.seal.seal(v, ledgerHeadAD))
	return err
}

// checkLedgerHead compares the newest entry (seq 0: none) with the head.
func (s *Store) checkLedgerHead(ctx context.Context, db querier, lastSeq int64, last []byte) error {
	var sealed []byte
	err := db.QueryRowContext(ctx, `SELECT v FROM meta WHERE k = ?`, ledgerHeadKey).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		if lastSeq == 0 {
			return nil
		}
		return fmt.Errorf("storage: the consent ledger's sealed head is missing: %w", ErrTampered)
	}
	if err != nil {
		return fmt.Errorf("storage: read the consent ledger's head: %w", err)
	}
	v, err := s.seal.open(sealed, ledgerHeadAD)
	if err != nil {
		return fmt.Errorf("storage: the consent ledger's head: %w", err)
	}
	seq, n := binary.Varint(v)
	if n <= 0 || seq != lastSeq || !bytes.Equal(v[n:], tagOf(last)) {
		return fmt.Errorf("storage: the consent ledger ends at entry %d but its sealed head names entry %d (newest entries deleted or replaced): %w",
			lastSeq, seq, ErrTampered)
	}
	return nil
}

// verifiedLedger reads the whole ledger in order, opening each entry with
// the previous entry's tag, and checks the head.
func (s *Store) verifiedLedger(ctx context.Context, db querier) ([]LedgerEntry, error) {
	rows, err := db.QueryContext(ctx, `SELECT seq, time, account_id, network, brand_tag, body FROM ledger ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("storage: ledger: %w", err)
	}
	type raw struct {
		e         LedgerEntry
		acct, tag int64
		body      []byte
	}
	var raws []raw
	for rows.Next() {
		var r raw
		var when int64
		if err := rows.Scan(&r.e.Seq, &when, &r.acct, &r.e.Network, &r.tag, &r.body); err != nil {
			rows.Close()
			return nil, fmt.Errorf("storage: ledger: %w", err)
		}
		r.e.Time = fromNano(when)
		raws = append(raws, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: ledger: %w", err)
	}
	out := make([]LedgerEntry, 0, len(raws))
	var prev []byte
	for _, r := range raws {
		ad := ledgerAD(r.e.Seq, unixNano(r.e.Time), r.acct, r.e.Network, r.tag, prev)
		e, err := s.openLedger(ctx, r.e, r.acct, r.body, ad)
		if err != nil {
			return nil, fmt.Errorf("storage: the consent ledger is broken at entry %d (it, or an entry before it, was deleted, moved or changed): %w",
				r.e.Seq, err)
		}
		out = append(out, e)
		prev = tagOf(r.body)
	}
	var lastSeq int64
	var last []byte
	if len(raws) > 0 {
		lastSeq, last = raws[len(raws)-1].e.Seq, raws[len(raws)-1].body
	}
	if err := s.checkLedgerHead(ctx, db, lastSeq, last); err != nil {
		return nil, err
	}
	return out, nil
}
