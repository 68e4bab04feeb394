package storage

import (
	"context"
	"errors"
	"testing"

	tkeyring "switchboard/internal/testenv/keyring"
)

// TestKeyStoreInGnomeKeyring runs the key store against gnome-keyring's
// Secret Service in a private D-Bus session.
func TestKeyStoreInGnomeKeyring(t *testing.T) {
	if !tkeyring.InSession(t) {
		return
	}
	ctx := context.Background()
	dir := t.TempDir()
	kr := OSKeyring()
	s, err := Open(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatalf("open with the real keyring: %v", err)
	}
	if s.Mode() != ModeKeyring {
		t.Fatalf("mode %q, want keyring", s.Mode())
	}
	put(t, s, msg("a", "#go", "1", "bob", "stored under a gnome-keyring key", 0))
	id := s.ProfileID()
	s.Close()
	if _, err := kr.Get(KeyringService, id); err != nil {
		t.Fatalf("key entry not in gnome-keyring: %v", err)
	}
	s, err = Open(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	if m, err := s.Message(ctx, 1); err != nil || m.Text != "stored under a gnome-keyring key" {
		t.Fatalf("after reopen: %+v %v", m, err)
	}
	s.Close()
	if err := kr.Delete(KeyringService, id); err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Get(KeyringService, id); !errors.Is(err, ErrKeyringNotFound) {
		t.Fatalf("absent entry: %v, want ErrKeyringNotFound", err)
	}
	if _, err := Open(ctx, Options{Dir: dir}); !errors.Is(err, ErrKeyMissing) {
		t.Fatalf("open without the key: %v, want ErrKeyMissing", err)
	}
}
