package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"

	"switchboard/app/policy"
	"switchboard/storage"
)

// brandOrgs remembers, per account, the organisation domains at which the
// user marked an address as a brand, and which addresses made it so. A new
// address at such a domain is classified as a brand too: writing from a
// fresh address is the easiest way round a block or a held request. The
// list is a sealed blob per account; an organisation stays a brand while
// at least one of its addresses is marked brand.
type brandOrgs struct {
	mu     sync.Mutex
	loaded map[string]map[string][]string // account → org → handles marked brand
}

const brandOrgsBlob = "brand-orgs"

func (o *brandOrgs) load(ctx context.Context, st *storage.Store, account string) (map[string][]string, error) {
	if o.loaded == nil {
		o.loaded = map[string]map[string][]string{}
	}
	if m, ok := o.loaded[account]; ok {
		return m, nil
	}
	m := map[string][]string{}
	b, err := st.Blob(ctx, account, brandOrgsBlob)
	switch {
	case errors.Is(err, storage.ErrNotFound):
	case err != nil:
		return nil, fmt.Errorf("read brand organisations: %w", err)
	default:
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("read brand organisations: %w", err)
		}
	}
	o.loaded[account] = m
	return m, nil
}

// lookup returns the organisation domain of handle when the user marked
// another address there as a brand, else "".
func (o *brandOrgs) lookup(ctx context.Context, st *storage.Store, account, handle string) (string, error) {
	org := policy.OrgDomain(handle)
	if org == "" {
		return "", nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	m, err := o.load(ctx, st, account)
	if err != nil {
		return "", err
	}
	if len(m[org]) == 0 {
		return "", nil
	}
	return org, nil
}

// mark records the user's word on handle: a brand adds it to its
// organisation, a person takes it out.
func (o *brandOrgs) mark(ctx context.Context, st *storage.Store, account, handle string, brand bool) error {
	org := policy.OrgDomain(handle)
	if org == "" {
		return nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	m, err := o.load(ctx, st, account)
	if err != nil {
		return err
	}
	hs := m[org][:0:0]
	for _, h := range m[org] {
		if h != handle {
			hs = append(hs, h)
		}
	}
	if brand {
		hs = append(hs, handle)
		sort.Strings(hs)
	}
	next := map[string][]string{}
	for k, v := range m {
		next[k] = v
	}
	if len(hs) == 0 {
		delete(next, org)
	} else {
		next[org] = hs
	}
	b, err := json.Marshal(next)
	if err != nil {
		return err
	}
	if err := st.PutBlob(ctx, account, brandOrgsBlob, b); err != nil {
		return fmt.Errorf("save brand organisations: %w", err)
	}
	o.loaded[account] = next
	return nil
}

// forget drops an account's cached list (the account was removed).
func (o *brandOrgs) forget(account string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.loaded, account)
}
