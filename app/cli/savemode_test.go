package cli

import (
	"path/filepath"
	"testing"
)

func TestSavedAttachmentIsTheUsersAlone(t *testing.T) {
	f, p, err := createNew(filepath.Join(t.TempDir(), "invoice.pdf"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Mode().Perm()&0o077 != 0 {
		t.Fatalf("%s: mode %v, %v; want no access for group or others", p, fi.Mode().Perm(), err)
	}
}
