package storage

import (
	"encoding/base64"
	"fmt"
)

// CheckPassphrase reports whether pass unlocks this passphrase-mode
// profile (nil), or ErrWrongPassphrase. It costs one Argon2id derivation,
// which is also what slows guessing down. A keyring-mode profile has no
// passphrase: that is an error too.
func (s *Store) CheckPassphrase(pass []byte) error {
	if s.mode != ModePassphrase {
		return fmt.Errorf("storage: this archive is protected by the OS keyring, not by a passphrase")
	}
	p, err := readProfile(s.dir)
	if err != nil {
		return fmt.Errorf("storage: read %s: %w", profileFile, err)
	}
	if p.ID != s.profileID || p.KDF == nil {
		return fmt.Errorf("%w: %s changed while the archive was open", ErrCorrupt, profileFile)
	}
	wrapped, err := base64.StdEncoding.DecodeString(p.WrappedKey)
	if err != nil {
		return fmt.Errorf("%w: %s has no usable wrapped key", ErrCorrupt, profileFile)
	}
	_, err = unwrapKey(p.KDF, pass, p.ID, wrapped)
	return err
}

// ReadKeyMode says how the profile in dir protects its key, without
// unlocking it ("" when there is no profile yet).
func ReadKeyMode(dir string) (KeyMode, error) {
	p, err := readProfile(dir)
	if err != nil {
		return "", err
	}
	return p.Mode, nil
}
