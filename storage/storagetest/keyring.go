// Package storagetest has test doubles for users of storage (the core,
// the GUI, benchmarks). The storage package's own tests use go-keyring's
// mock and a real gnome-keyring instead.
package storagetest

import (
	"sync"

	"switchboard/storage"
)

// MemKeyring is an in-memory storage.Keyring. The zero value is ready.
type MemKeyring struct {
	mu sync.Mutex
	m  map[string]string
}

func key(service, user string) string { return service + "\x00" + user }

// Get returns the secret, or storage.ErrKeyringNotFound.
func (k *MemKeyring) Get(service, user string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[key(service, user)]
	if !ok {
		return "", storage.ErrKeyringNotFound
	}
	return v, nil
}

// Set stores a secret.
func (k *MemKeyring) Set(service, user, secret string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil {
		k.m = map[string]string{}
	}
	k.m[key(service, user)] = secret
	return nil
}

// Delete removes a secret; an absent one is storage.ErrKeyringNotFound.
func (k *MemKeyring) Delete(service, user string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.m[key(service, user)]; !ok {
		return storage.ErrKeyringNotFound
	}
	delete(k.m, key(service, user))
	return nil
}

var _ storage.Keyring = (*MemKeyring)(nil)
