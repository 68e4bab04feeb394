package core

import (
	"context"
	"errors"
	"fmt"

	"switchboard/connectors"
	"switchboard/storage"
)

// sealedState is an account's connectors.State, kept sealed in the
// archive (storage's account_state table).
type sealedState struct {
	store   *storage.Store
	account string
}

func (c *Core) stateFor(account string) connectors.State {
	return &sealedState{store: c.store, account: account}
}

func (s *sealedState) Get(ctx context.Context, name string) ([]byte, error) {
	v, err := s.store.AccountState(ctx, s.account, name)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("state %q of %q: %w", name, s.account, connectors.ErrNoState)
	}
	return v, err
}

func (s *sealedState) Put(ctx context.Context, name string, value []byte) error {
	if value == nil {
		value = []byte{}
	}
	return s.Update(ctx, map[string][]byte{name: value})
}

func (s *sealedState) Delete(ctx context.Context, name string) error {
	return s.Update(ctx, map[string][]byte{name: nil})
}

func (s *sealedState) Update(ctx context.Context, changes map[string][]byte) error {
	for k, v := range changes {
		if err := connectors.CheckState(k, v); err != nil {
			return fmt.Errorf("account %q: %w", s.account, err)
		}
	}
	return s.store.UpdateAccountState(ctx, s.account, changes)
}
