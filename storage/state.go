package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Account state: named values a connector keeps for its account (a
// session, tokens, device keys), sealed like everything else. Names are
// keyed hashes; values are sealed with the account and name hash as
// associated data, so a value moved to another account or name fails to
// open. The rows go with the account on DeleteAccount, purge or not.

const (
	sqlStateGet    = `SELECT body FROM account_state WHERE account_id = ? AND key_tag = ?`
	sqlStatePut    = `INSERT OR REPLACE INTO account_state(account_id, key_tag, body) VALUES (?, ?, ?)`
	sqlStateDelete = `DELETE FROM account_state WHERE account_id = ? AND key_tag = ?`
	sqlStateWipe   = `DELETE FROM account_state WHERE account_id = ?`
)

func stateTag(s *Store, name string) int64 { return s.tags.key.tag("account_state", name) }

// AccountState returns the value kept under name for account; ErrNotFound
// when there is none.
func (s *Store) AccountState(ctx context.Context, account, name string) ([]byte, error) {
	acct, ok, err := s.lookupAccountID(ctx, account)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("storage: state of %q: %w", account, ErrNotFound)
	}
	tag := stateTag(s, name)
	var body []byte
	err = s.rdb.QueryRowContext(ctx, sqlStateGet, acct, tag).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("storage: state %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: read state: %w", err)
	}
	v, err := s.seal.open(body, adKey("account_state", acct, tag))
	if err != nil {
		return nil, fmt.Errorf("storage: state %q: %w", name, err)
	}
	if v == nil {
		v = []byte{}
	}
	return v, nil
}

// UpdateAccountState writes several values of an account's state in one
// transaction; a nil value deletes its name. The account must exist.
func (s *Store) UpdateAccountState(ctx context.Context, account string, changes map[string][]byte) error {
	err := s.write(ctx, func(t *wtx) error {
		acct, err := t.accountID(account, "", false)
		if err != nil {
			return err
		}
		for name, v := range changes {
			tag := stateTag(s, name)
			if v == nil {
				if _, err := t.exec(sqlStateDelete, acct, tag); err != nil {
					return err
				}
				continue
			}
			if _, err := t.exec(sqlStatePut, acct, tag, s.seal.seal(v, adKey("account_state", acct, tag))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("storage: write state of %q: %w", account, err)
	}
	return nil
}
