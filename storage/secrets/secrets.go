// Package secrets keeps account passwords and tokens. In keyring mode they
// are OS keyring entries (service "switchboard", user
// "<profile ID>/<account>/<key>"); in passphrase mode, where no keyring
// answers, they are sealed in the archive database. Session state larger
// than a password belongs in storage.Store.PutBlob, not here.
package secrets

import (
	"context"
	"errors"
	"fmt"

	"switchboard/connectors"
	"switchboard/storage"
)

// MaxSize is the largest secret accepted (keyrings are for small values).
const MaxSize = 4096

// Store reads and writes one profile's account secrets.
type Store struct {
	st *storage.Store
	kr storage.Keyring
}

// New returns the secret store of an open profile; kr nil means the
// keyring the profile was opened with.
func New(st *storage.Store, kr storage.Keyring) (*Store, error) {
	if st == nil {
		return nil, errors.New("secrets: no open archive")
	}
	if kr == nil {
		kr = st.Keyring()
	}
	return &Store{st: st, kr: kr}, nil
}

func (s *Store) user(account, key string) string {
	return s.st.ProfileID() + "/" + account + "/" + key
}

func check(account, key string) error {
	if account == "" || key == "" {
		return errors.New("secrets: account and key are required")
	}
	return nil
}

// Set stores a secret, replacing any previous value.
func (s *Store) Set(ctx context.Context, account, key, value string) error {
	if err := check(account, key); err != nil {
		return err
	}
	if len(value) > MaxSize {
		return fmt.Errorf("secrets: the %s for account %q is %d bytes; secrets are limited to %d bytes", key, account, len(value), MaxSize)
	}
	if s.st.Mode() == storage.ModePassphrase {
		if err := s.st.PutSecret(ctx, account, key, value); err != nil {
			return fmt.Errorf("secrets: store %s for account %q: %w", key, account, err)
		}
		return nil
	}
	if err := s.kr.Set(storage.KeyringService, s.user(account, key), value); err != nil {
		return fmt.Errorf("secrets: store %s for account %q in the OS keyring: %w", key, account, err)
	}
	return nil
}

// Get returns a secret; an error wrapping connectors.ErrNoSecret when
// none is stored.
func (s *Store) Get(ctx context.Context, account, key string) (string, error) {
	if err := check(account, key); err != nil {
		return "", err
	}
	var v string
	var err error
	if s.st.Mode() == storage.ModePassphrase {
		v, err = s.st.Secret(ctx, account, key)
		if errors.Is(err, storage.ErrNotFound) {
			return "", missing(account, key)
		}
	} else {
		v, err = s.kr.Get(storage.KeyringService, s.user(account, key))
		if errors.Is(err, storage.ErrKeyringNotFound) {
			return "", missing(account, key)
		}
	}
	if err != nil {
		return "", fmt.Errorf("secrets: read %s for account %q: %w", key, account, err)
	}
	return v, nil
}

func missing(account, key string) error {
	return fmt.Errorf("no %s stored for account %q: %w", key, account, connectors.ErrNoSecret)
}

// Delete removes a secret; deleting an absent secret is not an error.
func (s *Store) Delete(ctx context.Context, account, key string) error {
	if err := check(account, key); err != nil {
		return err
	}
	if s.st.Mode() == storage.ModePassphrase {
		if err := s.st.DeleteSecret(ctx, account, key); err != nil {
			return fmt.Errorf("secrets: delete %s for account %q: %w", key, account, err)
		}
		return nil
	}
	err := s.kr.Delete(storage.KeyringService, s.user(account, key))
	if err != nil && !errors.Is(err, storage.ErrKeyringNotFound) {
		return fmt.Errorf("secrets: delete %s for account %q from the OS keyring: %w", key, account, err)
	}
	return nil
}

// For returns the secrets of one account as a connector sees them.
func (s *Store) For(account string) connectors.Secrets {
	return accountSecrets{s: s, account: account}
}

type accountSecrets struct {
	s       *Store
	account string
}

func (a accountSecrets) Get(ctx context.Context, key string) (string, error) {
	return a.s.Get(ctx, a.account, key)
}
