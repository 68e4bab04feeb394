package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Blobs hold larger connector state (session data), prefs hold app
// preferences, secrets hold passphrase-mode account secrets (for
// storage/secrets). All values are sealed; keys are blind-indexed.

// PutBlob stores data under (account, key); nil data deletes it.
func (s *Store) PutBlob(ctx context.Context, account, key string, data []byte) error {
	return s.putKV(ctx, "blobs", account, key, data)
}

// Blob returns the data under (account, key); ErrNotFound when absent.
func (s *Store) Blob(ctx context.Context, account, key string) ([]byte, error) {
	return s.getKV(ctx, "blobs", account, key)
}

// SetPref sets a preference ("" deletes it).
func (s *Store) SetPref(ctx context.Context, key, value string) error {
	var v []byte
	if value != "" {
		v = []byte(value)
	}
	return s.putKV(ctx, "prefs", "", key, v)
}

// Pref returns a preference; ErrNotFound when unset.
func (s *Store) Pref(ctx context.Context, key string) (string, error) {
	v, err := s.getKV(ctx, "prefs", "", key)
	return string(v), err
}

// PutSecret seals an account secret in the database (passphrase mode;
// used by storage/secrets).
func (s *Store) PutSecret(ctx context.Context, account, key, value string) error {
	return s.putKV(ctx, "secrets", account, key, []byte(value))
}

// Secret returns a sealed account secret; ErrNotFound when absent.
func (s *Store) Secret(ctx context.Context, account, key string) (string, error) {
	v, err := s.getKV(ctx, "secrets", account, key)
	return string(v), err
}

// DeleteSecret removes a sealed account secret (absent is not an error).
func (s *Store) DeleteSecret(ctx context.Context, account, key string) error {
	return s.putKV(ctx, "secrets", account, key, nil)
}

// kvRow returns the WHERE clause and key columns of a key/value table.
func kvWhere(table string) string {
	if table == "prefs" {
		return "key_tag = ?"
	}
	return "account_id = ? AND key_tag = ?"
}

func kvArgs(table string, acct, tag int64) []any {
	if table == "prefs" {
		return []any{tag}
	}
	return []any{acct, tag}
}

func (s *Store) putKV(ctx context.Context, table, account, key string, data []byte) error {
	err := s.write(ctx, func(t *wtx) error {
		var acct int64
		if account != "" {
			var err error
			if acct, err = t.accountID(account, "", true); err != nil {
				return err
			}
		}
		tag := s.tags.key.tag(table, key)
		if data == nil {
			_, err := t.exec("DELETE FROM "+table+" WHERE "+kvWhere(table), kvArgs(table, acct, tag)...)
			return err
		}
		body := s.seal.seal(data, adKey(table, acct, tag))
		if table == "prefs" {
			_, err := t.exec(`INSERT OR REPLACE INTO prefs(key_tag, body) VALUES (?, ?)`, tag, body)
			return err
		}
		_, err := t.exec("INSERT OR REPLACE INTO "+table+"(account_id, key_tag, body) VALUES (?, ?, ?)", acct, tag, body)
		return err
	})
	if err != nil {
		return fmt.Errorf("storage: write %s: %w", table, err)
	}
	return nil
}

func (s *Store) getKV(ctx context.Context, table, account, key string) ([]byte, error) {
	var acct int64
	if account != "" {
		id, ok, err := s.lookupAccountID(ctx, account)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("storage: %s %q: %w", table, key, ErrNotFound)
		}
		acct = id
	}
	tag := s.tags.key.tag(table, key)
	var body []byte
	err := s.rdb.QueryRowContext(ctx, "SELECT body FROM "+table+" WHERE "+kvWhere(table), kvArgs(table, acct, tag)...).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("storage: %s %q: %w", table, key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: read %s: %w", table, err)
	}
	v, err := s.seal.open(body, adKey(table, acct, tag))
	if err != nil {
		return nil, fmt.Errorf("storage: %s %q: %w", table, key, err)
	}
	if v == nil {
		v = []byte{}
	}
	return v, nil
}

// DeleteAccount removes an account. Without purge its history stays in the
// archive (re-adding an account of that name brings it back); with purge
// its messages, conversations, contacts, consent states, outbox, blobs and
// sealed secrets are deleted too. Its connector state (sessions, tokens)
// is deleted either way. Consent ledger entries are kept: the ledger is
// append-only.
func (s *Store) DeleteAccount(ctx context.Context, name string, purge bool) error {
	err := s.write(ctx, func(t *wtx) error {
		defer s.forgetAccounts(t)
		acct, err := t.accountID(name, "", false)
		if err != nil {
			return err
		}
		if _, err := t.exec(sqlStateWipe, acct); err != nil {
			return err
		}
		if !purge {
			_, err := t.exec(`UPDATE accounts SET deleted = 1 WHERE id = ?`, acct)
			return err
		}
		for {
			ids, _, err := t.idsAndConvs(`SELECT id, conv_id FROM messages WHERE account_id = ? LIMIT 2000`, acct)
			if err != nil {
				return err
			}
			if len(ids) == 0 {
				break
			}
			if err := t.deleteMessages(ids); err != nil {
				return err
			}
		}
		for _, q := range []string{
			`DELETE FROM contact_words WHERE contact_id IN (SELECT id FROM contacts WHERE account_id = ?1)`,
			`DELETE FROM contacts WHERE account_id = ?1`, `DELETE FROM conversations WHERE account_id = ?1`,
			`DELETE FROM consent WHERE account_id = ?1`, `DELETE FROM outbox WHERE account_id = ?1`,
			`DELETE FROM blobs WHERE account_id = ?1`, `DELETE FROM secrets WHERE account_id = ?1`,
		} {
			if _, err := t.exec(q, acct); err != nil {
				return err
			}
		}
		t.checkpointAfterPurge()
		// The row stays (ledger entries name it) without its settings.
		body, err := s.sealAccount(acct, Account{Name: name})
		if err != nil {
			return err
		}
		_, err = t.exec(`UPDATE accounts SET deleted = 1, body = ? WHERE id = ?`, body, acct)
		return err
	})
	if err != nil {
		return fmt.Errorf("storage: delete account %q: %w", name, err)
	}
	return nil
}
