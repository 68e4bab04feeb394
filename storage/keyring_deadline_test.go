package storage

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	dbus "github.com/godbus/dbus/v5"

	tkeyring "switchboard/internal/testenv/keyring"
)

// silentKeyring never answers until released, like a Secret Service
// behind a bus whose activation never completes.
type silentKeyring struct{ release chan struct{} }

func newSilentKeyring(t *testing.T) silentKeyring {
	k := silentKeyring{release: make(chan struct{})}
	t.Cleanup(func() { close(k.release) })
	return k
}

func (k silentKeyring) Get(string, string) (string, error) {
	<-k.release
	return "", errors.New("late")
}
func (k silentKeyring) Set(string, string, string) error { <-k.release; return errors.New("late") }
func (k silentKeyring) Delete(string, string) error      { <-k.release; return errors.New("late") }

// openWithin runs Open and fails the test if it has not returned after a
// minute (the keyring deadline in these tests is 100 ms).
func openWithin(t *testing.T, ctx context.Context, opt Options) (*Store, error) {
	t.Helper()
	type res struct {
		s   *Store
		err error
	}
	done := make(chan res, 1)
	go func() {
		s, err := Open(ctx, opt)
		done <- res{s, err}
	}()
	select {
	case r := <-done:
		if r.s != nil {
			t.Cleanup(func() { r.s.Close() })
		}
		return r.s, r.err
	case <-time.After(time.Minute):
		t.Fatal("Open is still waiting for a keyring that does not answer")
		return nil, nil
	}
}

func TestKeyringThatDoesNotAnswerIsGivenUp(t *testing.T) {
	kr := newSilentKeyring(t)
	pass := func(bool) ([]byte, error) { return []byte("a passphrase"), nil }

	// A new profile with a passphrase prompt takes the passphrase path.
	s, err := openWithin(t, bg(), Options{Dir: t.TempDir(), Keyring: kr, Passphrase: pass, KeyringTimeout: 100 * time.Millisecond})
	if err != nil || s.Mode() != ModePassphrase {
		t.Fatalf("new profile, silent keyring, passphrase prompt: %v", err)
	}
	// Without one it says what happened.
	_, err = openWithin(t, bg(), Options{Dir: filepath.Join(t.TempDir(), "p"), Keyring: kr, KeyringTimeout: 100 * time.Millisecond})
	if p, _ := KeyringProblemOf(err); !errors.Is(err, ErrNoKeyring) || p != KeyringTimeout || !strings.Contains(err.Error(), "did not answer") {
		t.Fatalf("new profile, silent keyring, no prompt: %v", err)
	}
	// An existing keyring profile whose keyring went silent is not "corrupt".
	dir := t.TempDir()
	mem := &mapKeyring{m: map[string]string{}}
	s, err = Open(bg(), Options{Dir: dir, Keyring: mem})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = openWithin(t, bg(), Options{Dir: dir, Keyring: kr, KeyringTimeout: 100 * time.Millisecond})
	if p, _ := KeyringProblemOf(err); p != KeyringTimeout || errors.Is(err, ErrCorrupt) || errors.Is(err, ErrKeyMissing) {
		t.Fatalf("existing profile, silent keyring: %v", err)
	}
}

func TestInterruptedOpenIsNotReportedAsCorrupt(t *testing.T) {
	dir := t.TempDir()
	kr := &mapKeyring{m: map[string]string{}}
	s, err := Open(bg(), Options{Dir: dir, Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	ctx, cancel := context.WithCancel(bg())
	cancel()
	_, err = Open(ctx, Options{Dir: dir, Keyring: kr})
	if err == nil || errors.Is(err, ErrCorrupt) || !errors.Is(err, context.Canceled) {
		t.Fatalf("open with a cancelled context = %v; want context.Canceled, not ErrCorrupt", err)
	}
	// And it opens fine afterwards.
	s, err = Open(bg(), Options{Dir: dir, Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

// TestLockedKeyringIsCalledLocked runs against a real gnome-keyring that
// runs but is locked: a new profile is not quietly switched to a
// passphrase, and the error says "locked", not "no keyring".
func TestLockedKeyringIsCalledLocked(t *testing.T) {
	if !tkeyring.InLockedSession(t) {
		return
	}
	asked := false
	pass := func(bool) ([]byte, error) { asked = true; return []byte("a passphrase"), nil }
	dir := filepath.Join(t.TempDir(), "p")
	_, err := openWithin(t, bg(), Options{Dir: dir, Passphrase: pass})
	if p, _ := KeyringProblemOf(err); p != KeyringLocked || !strings.Contains(err.Error(), "locked") || asked {
		t.Fatalf("new profile, locked keyring: err %v (asked for a passphrase: %v)", err, asked)
	}
	if Exists(dir) {
		t.Fatal("a profile was created")
	}
	// Choosing a passphrase instead still works.
	s, err := openWithin(t, bg(), Options{Dir: dir, Passphrase: pass, PreferPassphrase: true})
	if err != nil || s.Mode() != ModePassphrase {
		t.Fatalf("passphrase instead: %v", err)
	}
}

func bg() context.Context { return context.Background() }

// mapKeyring is a keyring in a map (storagetest's imports this package).
type mapKeyring struct {
	mu sync.Mutex
	m  map[string]string
}

func (k *mapKeyring) Get(s, u string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[s+"/"+u]
	if !ok {
		return "", ErrKeyringNotFound
	}
	return v, nil
}

func (k *mapKeyring) Set(s, u, v string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.m[s+"/"+u] = v
	return nil
}

func (k *mapKeyring) Delete(s, u string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.m, s+"/"+u)
	return nil
}

// TestLockedLoginKeyringIsCalledLocked locks a real, unlocked
// gnome-keyring's login collection (as a desktop does on screen lock) and
// opens a new profile and an existing one.
func TestLockedLoginKeyringIsCalledLocked(t *testing.T) {
	if !tkeyring.InSession(t) {
		return
	}
	dir := t.TempDir()
	s, err := openWithin(t, bg(), Options{Dir: dir})
	if err != nil || s.Mode() != ModeKeyring {
		t.Fatalf("open with the unlocked keyring: %v", err)
	}
	s.Close()
	lockLoginCollection(t)
	_, err = openWithin(t, bg(), Options{Dir: filepath.Join(t.TempDir(), "p"),
		Passphrase: func(bool) ([]byte, error) { return []byte("x"), nil }})
	if p, _ := KeyringProblemOf(err); p != KeyringLocked {
		t.Fatalf("new profile, locked login keyring: %v", err)
	}
	_, err = openWithin(t, bg(), Options{Dir: dir})
	if p, _ := KeyringProblemOf(err); p != KeyringLocked || errors.Is(err, ErrCorrupt) {
		t.Fatalf("existing profile, locked login keyring: %v", err)
	}
}

func lockLoginCollection(t *testing.T) {
	t.Helper()
	conn, err := dbus.SessionBus()
	if err != nil {
		t.Fatal(err)
	}
	var def dbus.ObjectPath
	svc := conn.Object(secretService, "/org/freedesktop/secrets")
	if err := svc.Call("org.freedesktop.Secret.Service.ReadAlias", 0, "default").Store(&def); err != nil || def == "/" {
		t.Fatalf("default collection %q: %v", def, err)
	}
	var locked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	if err := svc.Call("org.freedesktop.Secret.Service.Lock", 0, []dbus.ObjectPath{def}).Store(&locked, &prompt); err != nil || len(locked) != 1 {
		t.Fatalf("lock %s: %v (locked %v, prompt %s)", def, err, locked, prompt)
	}
}
