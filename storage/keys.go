package storage

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/zalando/go-keyring"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

// KeyringService is the OS keyring service name of every Switchboard entry.
const KeyringService = "switchboard"

const (
	profileFile = "profile.json"
	archiveFile = "archive.db"
	keySize     = 32
)

// Keyring is the OS keyring as storage needs it. OSKeyring() is the real
// one (go-keyring); tests pass go-keyring's mock through the same interface.
type Keyring interface {
	Get(service, user string) (string, error) // ErrKeyringNotFound when absent
	Set(service, user, secret string) error
	Delete(service, user string) error
}

// ErrKeyringNotFound is what a Keyring returns for an absent entry.
var ErrKeyringNotFound = errors.New("keyring: entry not found")

type osKeyring struct{}

// OSKeyring is the platform keyring through go-keyring (Secret Service on
// Linux, Keychain on macOS, Credential Manager on Windows). go-keyring's
// MockInit replaces what it talks to, which is how most tests use it.
func OSKeyring() Keyring { return osKeyring{} }

func mapKeyringErr(err error) error {
	if errors.Is(err, keyring.ErrNotFound) {
		return ErrKeyringNotFound
	}
	return err
}

func (osKeyring) Get(service, user string) (string, error) {
	s, err := keyring.Get(service, user)
	return s, mapKeyringErr(err)
}

func (osKeyring) Set(service, user, secret string) error {
	return mapKeyringErr(keyring.Set(service, user, secret))
}

func (osKeyring) Delete(service, user string) error {
	return mapKeyringErr(keyring.Delete(service, user))
}

// profile is Dir/profile.json: how the data key is protected. It never
// holds a plaintext key.
type profile struct {
	Version        int        `json:"version"`
	ID             string     `json:"id"`
	Mode           KeyMode    `json:"mode"`
	KeyringService string     `json:"keyring_service,omitempty"`
	KeyringUser    string     `json:"keyring_user,omitempty"`
	KDF            *kdfParams `json:"kdf,omitempty"`
	WrappedKey     string     `json:"wrapped_key,omitempty"` // base64 XChaCha20-Poly1305(kdf(passphrase), data key)
	// Ready is set once archive.db has been created; before that an
	// interrupted first run may be completed.
	Ready bool `json:"ready"`
}

type kdfParams struct {
	Name      string `json:"name"` // "argon2id"
	Salt      string `json:"salt"` // base64
	Time      uint32 `json:"time"`
	MemoryKiB uint32 `json:"memory_kib"`
	Threads   uint8  `json:"threads"`
}

// Exists reports whether a profile archive exists in dir.
func Exists(dir string) bool {
	for _, f := range []string{profileFile, archiveFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return true
		}
	}
	return false
}

func readProfile(dir string) (*profile, error) {
	b, err := os.ReadFile(filepath.Join(dir, profileFile))
	if err != nil {
		return nil, err
	}
	var p profile
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%w: %s is not valid: %v", ErrCorrupt, profileFile, err)
	}
	if p.ID == "" || (p.Mode != ModeKeyring && p.Mode != ModePassphrase) {
		return nil, fmt.Errorf("%w: %s lacks an ID or key mode", ErrCorrupt, profileFile)
	}
	return &p, nil
}

// writeProfile replaces profile.json atomically.
func writeProfile(dir string, p *profile) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("storage: encode profile: %w", err)
	}
	tmp := filepath.Join(dir, profileFile+".tmp")
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("storage: write profile: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("storage: write profile: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("storage: sync profile: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("storage: write profile: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, profileFile)); err != nil {
		return fmt.Errorf("storage: write profile: %w", err)
	}
	return nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("storage: crypto/rand failed: " + err.Error())
	}
	return b
}

// createProfile makes a new data key and protects it with the keyring or,
// failing that, a passphrase.
func createProfile(dir string, kr Keyring, opt Options) (*profile, []byte, error) {
	p := &profile{Version: 1, ID: hex.EncodeToString(randomBytes(16))}
	key := randomBytes(keySize)
	var krErr error
	if !opt.PreferPassphrase {
		krErr = storeInKeyring(kr, p, key, opt.UnlockKeyring)
		if krErr == nil {
			return p, key, nil
		}
		if pr, _ := KeyringProblemOf(krErr); pr == KeyringLocked {
			// A locked keyring is the user's to unlock, not a reason to
			// switch this profile to a passphrase behind their back.
			return nil, nil, fmt.Errorf("storage: keep the new archive's key in the OS keyring: %w", krErr)
		}
	}
	if opt.Passphrase == nil {
		if krErr == nil {
			krErr = errors.New("passphrase mode was asked for but no passphrase prompt was given")
		}
		return nil, nil, fmt.Errorf("%w: %w", ErrNoKeyring, krErr)
	}
	pass, err := opt.Passphrase(true)
	if err != nil {
		return nil, nil, fmt.Errorf("storage: choose passphrase: %w", err)
	}
	if len(pass) == 0 {
		return nil, nil, errors.New("storage: the passphrase is empty; choose a non-empty passphrase")
	}
	kdf := &kdfParams{Name: "argon2id", Salt: base64.StdEncoding.EncodeToString(randomBytes(16)),
		Time: 3, MemoryKiB: 64 * 1024, Threads: 2}
	wrapped, err := wrapKey(kdf, pass, p.ID, key)
	if err != nil {
		return nil, nil, err
	}
	p.Mode, p.KDF, p.WrappedKey = ModePassphrase, kdf, base64.StdEncoding.EncodeToString(wrapped)
	return p, key, nil
}

// refuseLocked asks, before a keyring call, whether the keyring is
// locked: calling a locked one shows an unlock prompt the user never asked
// for (and, headless, one nobody can answer). unlocking means they asked.
func refuseLocked(kr Keyring, unlocking bool) error {
	if dk, ok := kr.(deadlineKeyring); ok && !unlocking {
		if pr, ok := dk.probe(context.Background()); ok && pr == KeyringLocked {
			return &KeyringError{Problem: KeyringLocked}
		}
	}
	return nil
}

func storeInKeyring(kr Keyring, p *profile, key []byte, unlocking bool) error {
	if err := refuseLocked(kr, unlocking); err != nil {
		return err
	}
	enc := base64.StdEncoding.EncodeToString(key)
	if err := kr.Set(KeyringService, p.ID, enc); err != nil {
		return fmt.Errorf("keyring set: %w", err)
	}
	got, err := kr.Get(KeyringService, p.ID)
	if err != nil || got != enc {
		return fmt.Errorf("keyring did not return the key just stored (err %v)", err)
	}
	p.Mode, p.KeyringService, p.KeyringUser = ModeKeyring, KeyringService, p.ID
	return nil
}

// unlock recovers the data key of an existing profile.
func unlock(p *profile, kr Keyring, opt Options) ([]byte, error) {
	switch p.Mode {
	case ModeKeyring:
		if err := refuseLocked(kr, opt.UnlockKeyring); err != nil {
			return nil, fmt.Errorf("storage: read the archive key from the OS keyring: %w", err)
		}
		enc, err := kr.Get(p.KeyringService, p.KeyringUser)
		if errors.Is(err, ErrKeyringNotFound) {
			return nil, ErrKeyMissing
		}
		if err != nil {
			return nil, fmt.Errorf("storage: read the archive key from the OS keyring: %w", err)
		}
		key, err := base64.StdEncoding.DecodeString(enc)
		if err != nil || len(key) != keySize {
			return nil, fmt.Errorf("%w (the keyring entry is not a Switchboard key)", ErrKeyMissing)
		}
		return key, nil
	case ModePassphrase:
		if opt.Passphrase == nil {
			return nil, errors.New("storage: this archive is protected by a passphrase and none was given")
		}
		pass, err := opt.Passphrase(false)
		if err != nil {
			return nil, fmt.Errorf("storage: read passphrase: %w", err)
		}
		wrapped, err := base64.StdEncoding.DecodeString(p.WrappedKey)
		if err != nil || p.KDF == nil {
			return nil, fmt.Errorf("%w: %s has no usable wrapped key", ErrCorrupt, profileFile)
		}
		return unwrapKey(p.KDF, pass, p.ID, wrapped)
	}
	return nil, fmt.Errorf("%w: unknown key mode %q", ErrCorrupt, p.Mode)
}

// Bounds on the Argon2id parameters read back from profile.json: the file
// is not authenticated, and a tampered one must not make unlocking take
// hours or all the memory (the defaults are 3 passes, 64 MiB, 2 lanes).
const (
	kdfMaxTime      = 10
	kdfMinMemoryKiB = 8 * 1024
	kdfMaxMemoryKiB = 1024 * 1024 // 1 GiB
	kdfMaxThreads   = 16
)

func kekFor(kdf *kdfParams, pass []byte) ([]byte, error) {
	salt, err := base64.StdEncoding.DecodeString(kdf.Salt)
	if err != nil || kdf.Name != "argon2id" || len(salt) < 16 || len(salt) > 64 {
		return nil, fmt.Errorf("%w: %s has unusable key-derivation parameters", ErrCorrupt, profileFile)
	}
	if kdf.Time < 1 || kdf.Time > kdfMaxTime || kdf.MemoryKiB < kdfMinMemoryKiB || kdf.MemoryKiB > kdfMaxMemoryKiB ||
		kdf.Threads < 1 || kdf.Threads > kdfMaxThreads {
		return nil, fmt.Errorf("%w: %s asks Argon2id for %d passes over %d MiB in %d lanes; allowed are 1-%d passes, %d-%d MiB, 1-%d lanes",
			ErrCorrupt, profileFile, kdf.Time, kdf.MemoryKiB/1024, kdf.Threads, kdfMaxTime, kdfMinMemoryKiB/1024, kdfMaxMemoryKiB/1024, kdfMaxThreads)
	}
	return argon2.IDKey(pass, salt, kdf.Time, kdf.MemoryKiB, kdf.Threads, keySize), nil
}

func wrapKey(kdf *kdfParams, pass []byte, id string, key []byte) ([]byte, error) {
	kek, err := kekFor(kdf, pass)
	if err != nil {
		return nil, err
	}
	a, err := chacha20poly1305.NewX(kek)
	if err != nil {
		return nil, fmt.Errorf("storage: wrap key: %w", err)
	}
	nonce := randomBytes(chacha20poly1305.NonceSizeX)
	return a.Seal(nonce, nonce, key, []byte("switchboard key wrap|"+id)), nil
}

func unwrapKey(kdf *kdfParams, pass []byte, id string, wrapped []byte) ([]byte, error) {
	kek, err := kekFor(kdf, pass)
	if err != nil {
		return nil, err
	}
	a, err := chacha20poly1305.NewX(kek)
	if err != nil {
		return nil, fmt.Errorf("storage: unwrap key: %w", err)
	}
	if len(wrapped) < chacha20poly1305.NonceSizeX {
		return nil, fmt.Errorf("%w: wrapped key too short", ErrCorrupt)
	}
	key, err := a.Open(nil, wrapped[:chacha20poly1305.NonceSizeX], wrapped[chacha20poly1305.NonceSizeX:],
		[]byte("switchboard key wrap|"+id))
	if err != nil {
		return nil, ErrWrongPassphrase
	}
	return key, nil
}
