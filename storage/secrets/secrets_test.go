package secrets

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"switchboard/connectors"
	tkeyring "switchboard/internal/testenv/keyring"
	"switchboard/storage"
)

var _ connectors.Secrets = accountSecrets{}

func open(t *testing.T, opt storage.Options) (*storage.Store, *Store) {
	t.Helper()
	if opt.Dir == "" {
		opt.Dir = t.TempDir()
	}
	st, err := storage.Open(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sec, err := New(st, nil)
	if err != nil {
		t.Fatal(err)
	}
	return st, sec
}

// exercise checks the behaviour every mode shares.
func exercise(t *testing.T, sec *Store) {
	t.Helper()
	ctx := context.Background()
	_, err := sec.Get(ctx, "work", "password")
	if !errors.Is(err, connectors.ErrNoSecret) || !strings.Contains(err.Error(), `no password stored for account "work"`) {
		t.Fatalf("absent: %v", err)
	}
	if err := sec.Set(ctx, "work", "password", "hunter2"); err != nil {
		t.Fatal(err)
	}
	if err := sec.Set(ctx, "home", "password", "other"); err != nil {
		t.Fatal(err)
	}
	if v, err := sec.For("work").Get(ctx, "password"); err != nil || v != "hunter2" {
		t.Fatalf("get via For: %q %v", v, err)
	}
	sec.Set(ctx, "work", "password", "changed")
	if v, _ := sec.Get(ctx, "work", "password"); v != "changed" {
		t.Fatalf("after replace: %q", v)
	}
	if err := sec.Delete(ctx, "work", "password"); err != nil {
		t.Fatal(err)
	}
	if _, err := sec.Get(ctx, "work", "password"); !errors.Is(err, connectors.ErrNoSecret) {
		t.Fatalf("after delete: %v", err)
	}
	if err := sec.Delete(ctx, "work", "password"); err != nil {
		t.Fatalf("delete absent: %v", err)
	}
	if v, _ := sec.Get(ctx, "home", "password"); v != "other" {
		t.Fatalf("other account: %q", v)
	}
	if err := sec.Set(ctx, "work", "token", strings.Repeat("x", MaxSize+1)); err == nil {
		t.Fatal("oversized secret accepted")
	}
}

func TestSecretsLiveInTheKeyring(t *testing.T) {
	keyring.MockInit()
	st, sec := open(t, storage.Options{})
	exercise(t, sec)
	v, err := keyring.Get(storage.KeyringService, st.ProfileID()+"/home/password")
	if err != nil || v != "other" {
		t.Fatalf("keyring entry: %q %v", v, err)
	}
}

func TestSecretsAreSealedInTheArchiveInPassphraseMode(t *testing.T) {
	keyring.MockInitWithError(errors.New("no secret service"))
	dir := t.TempDir()
	pass := func(bool) ([]byte, error) { return []byte("pw"), nil }
	st, sec := open(t, storage.Options{Dir: dir, Passphrase: pass})
	if st.Mode() != storage.ModePassphrase {
		t.Fatalf("mode %q", st.Mode())
	}
	exercise(t, sec)
	sec.Set(context.Background(), "work", "password", "CanaryPassword123")
	st.Close()
	for _, f := range []string{"archive.db", "archive.db-wal", "profile.json"} {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		if strings.Contains(string(b), "CanaryPassword123") {
			t.Fatalf("plaintext secret in %s", f)
		}
	}
	st2, sec2 := open(t, storage.Options{Dir: dir, Passphrase: pass})
	_ = st2
	if v, err := sec2.Get(context.Background(), "work", "password"); err != nil || v != "CanaryPassword123" {
		t.Fatalf("after reopen: %q %v", v, err)
	}
}

func TestSecretsInGnomeKeyring(t *testing.T) {
	if !tkeyring.InSession(t) {
		return
	}
	st, sec := open(t, storage.Options{})
	exercise(t, sec)
	v, err := storage.OSKeyring().Get(storage.KeyringService, st.ProfileID()+"/home/password")
	if err != nil || v != "other" {
		t.Fatalf("gnome-keyring entry: %q %v", v, err)
	}
}
