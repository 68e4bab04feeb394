package storage

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"
)

func TestNewProfileKeepsKeyInKeyringNotOnDisk(t *testing.T) {
	s, dir := openTest(t)
	if s.Mode() != ModeKeyring {
		t.Fatalf("mode = %q, want keyring", s.Mode())
	}
	st, err := os.Stat(dir)
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("profile dir perms: %v %v", st.Mode(), err)
	}
	for _, f := range []string{profileFile, archiveFile, archiveFile + "-wal"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("%s perms: %v %v", f, st.Mode(), err)
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, profileFile))
	if err != nil {
		t.Fatal(err)
	}
	var p profile
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	key, err := keyring.Get(KeyringService, p.KeyringUser)
	if err != nil {
		t.Fatalf("key not in keyring: %v", err)
	}
	if strings.Contains(string(raw), key) || p.Mode != ModeKeyring || !p.Ready {
		t.Fatalf("profile.json wrong: %s", raw)
	}
	if !Exists(dir) || Exists(t.TempDir()) {
		t.Fatal("Exists wrong")
	}
	put(t, s, msg("a", "#go", "1", "bob", "hello", 0))
	s = reopen(t, s, dir)
	if m, err := s.Message(context.Background(), 1); err != nil || m.Text != "hello" {
		t.Fatalf("after reopen: %+v %v", m, err)
	}
}

func TestMissingKeyringEntryLeavesArchiveUntouched(t *testing.T) {
	s, dir := openTest(t)
	put(t, s, msg("a", "#go", "1", "bob", "hello", 0))
	s.Close()
	before, _ := os.ReadFile(filepath.Join(dir, archiveFile))
	keyring.MockInit() // a keyring without our entry
	_, err := Open(context.Background(), Options{Dir: dir})
	if !errors.Is(err, ErrKeyMissing) {
		t.Fatalf("err = %v, want ErrKeyMissing", err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, archiveFile))
	if string(before) != string(after) {
		t.Fatal("archive changed")
	}
}

func TestKeyringOfAnotherKeyIsRefused(t *testing.T) {
	s, dir := openTest(t)
	s.Close()
	raw, _ := os.ReadFile(filepath.Join(dir, profileFile))
	var p profile
	json.Unmarshal(raw, &p)
	keyring.Set(KeyringService, p.KeyringUser, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	if _, err := Open(context.Background(), Options{Dir: dir}); !errors.Is(err, ErrKeyMissing) {
		t.Fatalf("err = %v, want ErrKeyMissing", err)
	}
}

func TestPassphraseModeWhenNoKeyringAnswers(t *testing.T) {
	keyring.MockInitWithError(errors.New("dbus: no session bus"))
	dir := t.TempDir()
	asked := []bool{}
	pass := func(create bool) ([]byte, error) { asked = append(asked, create); return []byte("correct horse"), nil }
	s, err := Open(context.Background(), Options{Dir: dir, Passphrase: pass})
	if err != nil {
		t.Fatal(err)
	}
	if s.Mode() != ModePassphrase || len(asked) != 1 || !asked[0] {
		t.Fatalf("mode %q asked %v", s.Mode(), asked)
	}
	put(t, s, msg("a", "#go", "1", "bob", "hello", 0))
	s.Close()
	raw, _ := os.ReadFile(filepath.Join(dir, profileFile))
	var p profile
	json.Unmarshal(raw, &p)
	if p.KDF == nil || p.KDF.Name != "argon2id" || p.WrappedKey == "" {
		t.Fatalf("profile: %s", raw)
	}
	wrong := func(bool) ([]byte, error) { return []byte("wrong"), nil }
	if _, err := Open(context.Background(), Options{Dir: dir, Passphrase: wrong}); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	s, err = Open(context.Background(), Options{Dir: dir, Passphrase: pass})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if len(asked) != 2 || asked[1] {
		t.Fatalf("asked %v", asked)
	}
	if m, err := s.Message(context.Background(), 1); err != nil || m.Text != "hello" {
		t.Fatalf("%+v %v", m, err)
	}
}

func TestNoKeyringAndNoPassphraseIsErrNoKeyring(t *testing.T) {
	keyring.MockInitWithError(errors.New("no keyring"))
	dir := filepath.Join(t.TempDir(), "p")
	if _, err := Open(context.Background(), Options{Dir: dir}); !errors.Is(err, ErrNoKeyring) {
		t.Fatalf("err = %v", err)
	}
	if Exists(dir) {
		t.Fatal("a profile was created")
	}
}

func TestPreferPassphraseSkipsKeyring(t *testing.T) {
	keyring.MockInit()
	s, err := Open(context.Background(), Options{Dir: t.TempDir(), PreferPassphrase: true,
		Passphrase: func(bool) ([]byte, error) { return []byte("pw"), nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Mode() != ModePassphrase {
		t.Fatalf("mode %q", s.Mode())
	}
}

func TestCorruptDatabaseIsErrCorrupt(t *testing.T) {
	s, dir := openTest(t)
	s.Close()
	os.WriteFile(filepath.Join(dir, archiveFile), []byte(strings.Repeat("garbage ", 1000)), 0o600)
	if _, err := Open(context.Background(), Options{Dir: dir}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("err = %v, want ErrCorrupt", err)
	}
	// A valid SQLite file that is not an archive.
	os.Remove(filepath.Join(dir, archiveFile))
	db := rawDB(t, dir)
	if _, err := db.Exec("CREATE TABLE x(a)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(context.Background(), Options{Dir: dir}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("err = %v, want ErrCorrupt", err)
	}
}

func TestDeletedArchiveIsNotRecreated(t *testing.T) {
	s, dir := openTest(t)
	s.Close()
	os.Remove(filepath.Join(dir, archiveFile))
	if _, err := Open(context.Background(), Options{Dir: dir}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("err = %v, want ErrCorrupt", err)
	}
	if _, err := os.Stat(filepath.Join(dir, archiveFile)); err == nil {
		t.Fatal("a fresh archive was created")
	}
}
