package core

import (
	"context"
	"errors"
	"fmt"

	"switchboard/connectors"
	"switchboard/storage"
	"switchboard/storage/secrets"
)

// secretStore is what the core needs of storage/secrets.
type secretStore interface {
	Set(ctx context.Context, account, key, value string) error
	Delete(ctx context.Context, account, key string) error
	For(account string) connectors.Secrets
}

// deleteSecrets removes every secret the account's network declares.
func (c *Core) deleteSecrets(ctx context.Context, account string) error {
	a, err := c.store.Account(ctx, account)
	if err != nil {
		return err
	}
	conn, err := connectors.New(a.Network)
	if err != nil {
		return nil // the network is gone from this build: nothing of it to delete
	}
	for _, f := range conn.Info().Fields {
		if f.Kind != connectors.FieldSecret {
			continue
		}
		if err := c.secrets.Delete(ctx, account, f.Key); err != nil && !errors.Is(err, connectors.ErrNoSecret) {
			return fmt.Errorf("delete %s: %w", f.Key, err)
		}
	}
	return nil
}

// newSecrets uses the keyring the archive was opened with (kr, wrapped
// with the archive's deadline on every call).
func newSecrets(st *storage.Store, _ storage.Keyring) (secretStore, error) {
	return secrets.New(st, nil)
}
