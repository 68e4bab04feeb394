package core

import (
	"context"
	"errors"
	"fmt"

	"switchboard/connectors"
	"switchboard/storage"
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

// TEMP until storage/secrets lands: an in-memory store.
type memSecrets map[string]string

func newSecrets(st *storage.Store, kr storage.Keyring) (secretStore, error) { return memSecrets{}, nil }
func (m memSecrets) Set(ctx context.Context, a, k, v string) error          { m[a+"/"+k] = v; return nil }
func (m memSecrets) Delete(ctx context.Context, a, k string) error          { delete(m, a+"/"+k); return nil }
func (m memSecrets) For(a string) connectors.Secrets                        { return memFor{m, a} }

type memFor struct {
	m memSecrets
	a string
}

func (f memFor) Get(ctx context.Context, k string) (string, error) {
	if v, ok := f.m[f.a+"/"+k]; ok {
		return v, nil
	}
	return "", connectors.ErrNoSecret
}
