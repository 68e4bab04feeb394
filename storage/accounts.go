package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

const (
	sqlAccountByTag  = `SELECT id FROM accounts WHERE name_tag = ?`
	sqlAccountInsert = `INSERT INTO accounts(id, name_tag, network, created, disabled, deleted, body) VALUES (?, ?, ?, ?, ?, 0, ?)`
	// Accounts first seen in messages or imports stay hidden (deleted = 1)
	// until PutAccount configures them.
	sqlAccountAuto   = `INSERT INTO accounts(id, name_tag, network, created, disabled, deleted, body) VALUES (?, ?, ?, ?, 0, 1, ?)`
	sqlAccountUpdate = `UPDATE accounts SET network = ?, disabled = ?, deleted = 0, body = ?, created = ? WHERE id = ?`
	sqlAccountRows   = `SELECT id, network, created, disabled, body FROM accounts WHERE deleted = 0 ORDER BY id`
	sqlAccountOne    = `SELECT id, network, created, disabled, body FROM accounts WHERE name_tag = ? AND deleted = 0`
	sqlAccountInfo   = `SELECT network, body FROM accounts WHERE id = ?`
)

// acctInfo is the decrypted identity of an account row.
type acctInfo struct {
	name    string
	network string
}

func (s *Store) sealAccount(id int64, a Account) ([]byte, error) {
	settings, err := json.Marshal(a.Settings)
	if err != nil {
		return nil, fmt.Errorf("storage: encode account settings: %w", err)
	}
	f := (&fields{}).str(a.Name).str(string(settings))
	return s.seal.seal(f.b, ad("accounts", id)), nil
}

func (s *Store) openAccount(id int64, body []byte) (Account, error) {
	plain, err := s.seal.open(body, ad("accounts", id))
	if err != nil {
		return Account{}, fmt.Errorf("storage: account %d: %w", id, err)
	}
	r := &fieldReader{b: plain}
	a := Account{Name: r.str()}
	settings := r.str()
	if r.err != nil {
		return Account{}, fmt.Errorf("storage: account %d: %w", id, ErrTampered)
	}
	if err := json.Unmarshal([]byte(settings), &a.Settings); err != nil {
		return Account{}, fmt.Errorf("storage: account %d settings: %w", id, err)
	}
	return a, nil
}

// PutAccount creates or updates an account (matched by name). A deleted
// (unpurged) account of the same name gets its history back.
func (s *Store) PutAccount(ctx context.Context, a Account) error {
	if a.Name == "" {
		return errors.New("storage: put account: the account has no name")
	}
	err := s.write(ctx, func(t *wtx) error {
		defer s.forgetAccounts(t)
		var id int64
		var created int64
		err := t.queryRow("SELECT id, created FROM accounts WHERE name_tag = ?", s.tags.account.tag(a.Name)).Scan(&id, &created)
		if errors.Is(err, sql.ErrNoRows) {
			if a.Created.IsZero() {
				a.Created = time.Now()
			}
			if id, err = t.newID("accounts"); err != nil {
				return err
			}
			body, err := s.sealAccount(id, a)
			if err != nil {
				return err
			}
			_, err = t.exec(sqlAccountInsert, id, s.tags.account.tag(a.Name), a.Network, unixNano(a.Created), a.Disabled, body)
			return err
		}
		if err != nil {
			return err
		}
		if !a.Created.IsZero() {
			created = unixNano(a.Created)
		}
		body, err := s.sealAccount(id, a)
		if err != nil {
			return err
		}
		_, err = t.exec(sqlAccountUpdate, a.Network, a.Disabled, body, created, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("storage: put account: %w", err)
	}
	return nil
}

// forgetAccounts drops the account caches (after any account write).
func (s *Store) forgetAccounts(t *wtx) {
	t.w.acctIDs = map[string]int64{}
	s.acctMu.Lock()
	s.accts = map[int64]acctInfo{}
	s.acctMu.Unlock()
	t.after = append(t.after, func() {
		s.acctMu.Lock()
		s.accts = map[int64]acctInfo{}
		s.acctMu.Unlock()
	})
}

// Accounts lists the configured accounts (deleted ones excluded).
func (s *Store) Accounts(ctx context.Context) ([]Account, error) {
	rows, err := s.rdb.QueryContext(ctx, sqlAccountRows)
	if err != nil {
		return nil, fmt.Errorf("storage: list accounts: %w", err)
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		a, err := s.scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: list accounts: %w", err)
	}
	return out, nil
}

// Account returns one account by name; ErrNotFound when absent.
func (s *Store) Account(ctx context.Context, name string) (Account, error) {
	a, err := s.scanAccount(s.rdb.QueryRowContext(ctx, sqlAccountOne, s.tags.account.tag(name)))
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, fmt.Errorf("storage: account %q: %w", name, ErrNotFound)
	}
	return a, err
}

func (s *Store) scanAccount(sc interface{ Scan(...any) error }) (Account, error) {
	var id, created int64
	var network string
	var disabled bool
	var body []byte
	if err := sc.Scan(&id, &network, &created, &disabled, &body); err != nil {
		return Account{}, err
	}
	a, err := s.openAccount(id, body)
	if err != nil {
		return Account{}, err
	}
	a.Network, a.Created, a.Disabled = network, fromNano(created), disabled
	return a, nil
}

// accountInfo returns the name and network of an account row (cached).
func (s *Store) accountInfo(ctx context.Context, id int64) (acctInfo, error) {
	s.acctMu.RLock()
	ai, ok := s.accts[id]
	s.acctMu.RUnlock()
	if ok {
		return ai, nil
	}
	var body []byte
	if err := s.rdb.QueryRowContext(ctx, sqlAccountInfo, id).Scan(&ai.network, &body); err != nil {
		return acctInfo{}, fmt.Errorf("storage: account row %d: %w", id, err)
	}
	a, err := s.openAccount(id, body)
	if err != nil {
		return acctInfo{}, err
	}
	ai.name = a.Name
	s.acctMu.Lock()
	s.accts[id] = ai
	s.acctMu.Unlock()
	return ai, nil
}

// lookupAccountID finds an account row for reads; ok=false when unknown.
func (s *Store) lookupAccountID(ctx context.Context, name string) (int64, bool, error) {
	var id int64
	err := s.rdb.QueryRowContext(ctx, sqlAccountByTag, s.tags.account.tag(name)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("storage: find account: %w", err)
	}
	return id, true, nil
}

// accountID finds (or, with network != "", creates) an account row inside
// a write transaction.
func (t *wtx) accountID(name, network string, create bool) (int64, error) {
	if id, ok := t.w.acctIDs[name]; ok {
		return id, nil
	}
	s := t.w.s
	tag := s.tags.account.tag(name)
	var id int64
	err := t.queryRow(sqlAccountByTag, tag).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		if !create {
			return 0, fmt.Errorf("account %q: %w", name, ErrNotFound)
		}
		if id, err = t.newID("accounts"); err != nil {
			return 0, err
		}
		body, err := s.sealAccount(id, Account{Name: name, Network: network})
		if err != nil {
			return 0, err
		}
		if _, err := t.exec(sqlAccountAuto, id, tag, network, unixNano(time.Now()), body); err != nil {
			return 0, fmt.Errorf("storage: create account: %w", err)
		}
	} else if err != nil {
		return 0, fmt.Errorf("storage: find account: %w", err)
	}
	t.w.acctIDs[name] = id
	return id, nil
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
