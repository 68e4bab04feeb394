package storage

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A tampered profile.json must not make unlocking hang or exhaust memory:
// the Argon2id parameters read back are bounded before any work is done.
func TestTamperedKeyDerivationParametersAreRefused(t *testing.T) {
	dir := t.TempDir()
	pass := func(bool) ([]byte, error) { return []byte("a passphrase"), nil }
	s, err := Open(bg(), Options{Dir: dir, PreferPassphrase: true, Passphrase: pass, Keyring: &mapKeyring{m: map[string]string{}}})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	orig, err := os.ReadFile(filepath.Join(dir, profileFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		field string
		value any
	}{
		{"time", 1 << 31},
		{"memory_kib", 4294967295},
		{"memory_kib", 1},
		{"threads", 255},
		{"time", 0},
	} {
		var p map[string]any
		json.Unmarshal(orig, &p)
		p["kdf"].(map[string]any)[tc.field] = tc.value
		b, _ := json.Marshal(p)
		if err := os.WriteFile(filepath.Join(dir, profileFile), b, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := openWithin(t, bg(), Options{Dir: dir, Passphrase: pass})
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), profileFile) {
			t.Errorf("%s = %v: err = %v, want a refusal naming %s", tc.field, tc.value, err, profileFile)
		}
	}
	// The untouched profile still opens.
	if err := os.WriteFile(filepath.Join(dir, profileFile), orig, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := openWithin(t, bg(), Options{Dir: dir, Passphrase: pass}); err != nil {
		t.Fatal(err)
	}
}
