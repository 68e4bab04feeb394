package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

const sqlConsentCols = `account_id, handle_tag, state, until_time, last_user_msg, updated, body`

// A consent's state, end date, the time of the user's last message and
// its update time are bound to its sealed value: a consent edited to
// "subscribed" in the file fails to open.
func consentAD(acct, tag int64, state string, until, last, updated int64) []byte {
	return boundAD("consent", acct, tag, state, until, last, updated)
}

func (s *Store) sealConsent(acct, tag int64, c Consent) []byte {
	f := (&fields{}).str(c.Handle)
	for _, sc := range c.Scopes {
		f.str(sc)
	}
	return s.seal.seal(f.b, consentAD(acct, tag, c.State, unixNano(c.Until), unixNano(c.LastUserMsg), unixNano(c.Updated)))
}

// PutConsent upserts the current consent state of a brand.
func (s *Store) PutConsent(ctx context.Context, c Consent) error {
	if c.Account == "" || c.Handle == "" {
		return errors.New("storage: put consent: account and handle are required")
	}
	if c.Updated.IsZero() {
		c.Updated = time.Now()
	}
	err := s.write(ctx, func(t *wtx) error { return t.putConsent(c) })
	if err != nil {
		return fmt.Errorf("storage: put consent: %w", err)
	}
	return nil
}

// putConsent upserts a consent row inside a write transaction.
func (t *wtx) putConsent(c Consent) error {
	s := t.w.s
	acct, err := t.accountID(c.Account, "", true)
	if err != nil {
		return err
	}
	tag := s.tags.handle.tagID(acct, c.Handle)
	_, err = t.exec(`INSERT OR REPLACE INTO consent(`+sqlConsentCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		acct, tag, c.State, unixNano(c.Until), unixNano(c.LastUserMsg), unixNano(c.Updated), s.sealConsent(acct, tag, c))
	return err
}

func (s *Store) scanConsent(ctx context.Context, sc interface{ Scan(...any) error }) (Consent, error) {
	var acct, tag, until, last, updated int64
	var c Consent
	var body []byte
	if err := sc.Scan(&acct, &tag, &c.State, &until, &last, &updated, &body); err != nil {
		return Consent{}, err
	}
	plain, err := s.seal.openBound(body, consentAD(acct, tag, c.State, until, last, updated))
	if err != nil {
		return Consent{}, fmt.Errorf("storage: consent: %w", err)
	}
	r := &fieldReader{b: plain}
	c.Handle = r.str()
	for r.err == nil && len(r.b) > 0 {
		c.Scopes = append(c.Scopes, r.str())
	}
	if r.err != nil {
		return Consent{}, fmt.Errorf("storage: consent: %w", ErrTampered)
	}
	ai, err := s.accountInfo(ctx, acct)
	if err != nil {
		return Consent{}, err
	}
	c.Account, c.Until, c.LastUserMsg, c.Updated = ai.name, fromNano(until), fromNano(last), fromNano(updated)
	return c, nil
}

// Consent returns a brand's consent state; ErrNotFound when never set.
func (s *Store) Consent(ctx context.Context, account, handle string) (Consent, error) {
	acct, ok, err := s.lookupAccountID(ctx, account)
	if err != nil {
		return Consent{}, err
	}
	if ok {
		c, err := s.scanConsent(ctx, s.rdb.QueryRowContext(ctx, `SELECT `+sqlConsentCols+` FROM consent
			WHERE account_id = ? AND handle_tag = ?`, acct, s.tags.handle.tagID(acct, handle)))
		if !errors.Is(err, sql.ErrNoRows) {
			return c, err
		}
	}
	return Consent{}, fmt.Errorf("storage: consent for %q: %w", handle, ErrNotFound)
}

// Consents lists every stored consent state.
func (s *Store) Consents(ctx context.Context) ([]Consent, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+sqlConsentCols+` FROM consent ORDER BY account_id, updated`)
	if err != nil {
		return nil, fmt.Errorf("storage: consents: %w", err)
	}
	var raws []rowValues
	for rows.Next() {
		var acct, tag, until, last, updated int64
		var state string
		var body []byte
		if err := rows.Scan(&acct, &tag, &state, &until, &last, &updated, &body); err != nil {
			rows.Close()
			return nil, fmt.Errorf("storage: consents: %w", err)
		}
		raws = append(raws, rowValues{acct, tag, state, until, last, updated, body})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: consents: %w", err)
	}
	out := make([]Consent, 0, len(raws))
	for _, r := range raws {
		c, err := s.scanConsent(ctx, r)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// ledgerAD binds an entry's clear columns and the previous entry's AEAD
// tag: the entries form a hash chain, so one deleted, moved or reordered
// breaks the entry after it.
func ledgerAD(seq, when, acct int64, network string, brandTag int64, prev []byte) []byte {
	return boundAD("ledger", seq, when, acct, network, brandTag, prev)
}

func (s *Store) sealLedger(e LedgerEntry, acct, brandTag int64, prev []byte) []byte {
	f := (&fields{}).str(e.Brand).str(e.OldState).str(e.NewState).str(e.How).str(e.MessageID).str(e.Result).
		str(fmt.Sprint(unixNano(e.Until)))
	for _, sc := range e.Scopes {
		f.str(sc)
	}
	return s.seal.seal(f.b, ledgerAD(e.Seq, unixNano(e.Time), acct, e.Network, brandTag, prev))
}

// AppendLedger appends a consent ledger entry, assigning Seq (and Time
// when zero). The table refuses UPDATE and DELETE (triggers).
func (s *Store) AppendLedger(ctx context.Context, e LedgerEntry) (LedgerEntry, error) {
	if e.Account == "" || e.Brand == "" {
		return e, errors.New("storage: append ledger: account and brand are required")
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	err := s.write(ctx, func(t *wtx) error { return t.appendLedger(&e) })
	if err != nil {
		return e, fmt.Errorf("storage: append ledger: %w", err)
	}
	return e, nil
}

// appendLedger appends e inside a write transaction, setting e.Seq. The
// chain is checked against its sealed head first, so a ledger whose last
// entries were deleted is never extended as if whole.
func (t *wtx) appendLedger(e *LedgerEntry) error {
	s := t.w.s
	acct, err := t.accountID(e.Account, e.Network, true)
	if err != nil {
		return err
	}
	var lastSeq int64
	var last []byte
	err = t.queryRow(`SELECT seq, body FROM ledger ORDER BY seq DESC LIMIT 1`).Scan(&lastSeq, &last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if err := s.checkLedgerHead(t.ctx, t.tx, lastSeq, last); err != nil {
		return err
	}
	if e.Seq, err = t.newID("ledger"); err != nil {
		return err
	}
	tag := s.tags.handle.tagID(acct, e.Brand)
	body := s.sealLedger(*e, acct, tag, tagOf(last))
	if _, err = t.exec(`INSERT INTO ledger(seq, time, account_id, network, brand_tag, body) VALUES (?, ?, ?, ?, ?, ?)`,
		e.Seq, unixNano(e.Time), acct, e.Network, tag, body); err != nil {
		return err
	}
	return s.putLedgerHead(t.ctx, t.tx, e.Seq, body)
}

// Ledger lists ledger entries oldest first ("" account or brand = all).
// The whole chain is verified on every read (the ledger grows at the pace
// of the user's decisions): an entry deleted, moved, reordered or edited,
// or the newest ones removed, is an ErrTampered naming where.
func (s *Store) Ledger(ctx context.Context, account, brand string) ([]LedgerEntry, error) {
	all, err := s.verifiedLedger(ctx, s.rdb)
	if err != nil {
		return nil, err
	}
	var out []LedgerEntry
	for _, e := range all {
		if (account == "" || e.Account == account) && (brand == "" || e.Brand == brand) {
			out = append(out, e)
		}
	}
	return out, nil
}

func (s *Store) openLedger(ctx context.Context, e LedgerEntry, acct int64, body, ad []byte) (LedgerEntry, error) {
	plain, err := s.seal.openBound(body, ad)
	if err != nil {
		return e, fmt.Errorf("storage: ledger entry %d: %w", e.Seq, err)
	}
	r := &fieldReader{b: plain}
	e.Brand, e.OldState, e.NewState, e.How, e.MessageID, e.Result = r.str(), r.str(), r.str(), r.str(), r.str(), r.str()
	var until int64
	fmt.Sscan(r.str(), &until)
	for r.err == nil && len(r.b) > 0 {
		e.Scopes = append(e.Scopes, r.str())
	}
	if r.err != nil {
		return e, fmt.Errorf("storage: ledger entry %d: %w", e.Seq, ErrTampered)
	}
	e.Until = fromNano(until)
	ai, err := s.accountInfo(ctx, acct)
	if err != nil {
		return e, err
	}
	e.Account = ai.name
	return e, nil
}
