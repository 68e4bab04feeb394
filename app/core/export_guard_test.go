package core

import (
	"bytes"
	"strings"
	"testing"

	"switchboard/storage"
	"switchboard/storage/storagetest"
)

func TestExportOverTheSocketNeedsThePassphraseAndIsAudited(t *testing.T) {
	dir := t.TempDir()
	pass := func(bool) ([]byte, error) { return []byte("the right passphrase"), nil }
	c, err := Open(bg, Options{ProfileDir: dir, Keyring: &storagetest.MemKeyring{}, PreferPassphrase: true, Passphrase: pass})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.KeyMode() != storage.ModePassphrase {
		t.Fatalf("mode %s", c.KeyMode())
	}
	cl, err := Dial(bg, dir)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	// Any process of the user reaches the socket: without the passphrase,
	// or with a wrong one, nothing is exported.
	if _, err := cl.Export(bg, &buf); err == nil || !strings.Contains(err.Error(), "passphrase") || buf.Len() != 0 {
		t.Fatalf("export without the passphrase: %v, %d bytes", err, buf.Len())
	}
	cl.SetExportPassphrase(func() ([]byte, error) { return []byte("a guess"), nil })
	if _, err := cl.Export(bg, &buf); err == nil || !strings.Contains(err.Error(), "passphrase") || buf.Len() != 0 {
		t.Fatalf("export with a wrong passphrase: %v, %d bytes", err, buf.Len())
	}
	cl.SetExportPassphrase(func() ([]byte, error) { return pass(false) })
	if _, err := cl.Export(bg, &buf); err != nil {
		t.Fatalf("export with the passphrase: %v", err)
	}
	// In process (the archive opened with its key) it needs nothing more.
	if _, err := c.Export(bg, &buf); err != nil {
		t.Fatal(err)
	}
	log, err := c.Audit(bg)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range log {
		kinds = append(kinds, e.Kind)
	}
	if got := strings.Join(kinds, ","); got != "export refused,export refused,export,export" {
		t.Fatalf("audit log kinds = %s (%+v)", got, log)
	}
	if !strings.Contains(log[2].Detail, "control socket") || !strings.Contains(log[3].Detail, "opened the archive") {
		t.Fatalf("audit details: %+v", log)
	}
}

func TestExportOverTheSocketInKeyringModeIsAudited(t *testing.T) {
	e := newEnv(t)
	cl, err := Dial(bg, e.dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Export(bg, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	log, err := e.core.Audit(bg)
	if err != nil || len(log) != 1 || log[0].Kind != "export" {
		t.Fatalf("audit log = %+v, %v", log, err)
	}
}

// TestAllowExportOverTheSocketNeedsThePassphrase: the HTML export, built
// by the client from the other methods, asks AllowExport first; it has
// Export's rule (passphrase mode: the passphrase) and audit entries.
func TestAllowExportOverTheSocketNeedsThePassphrase(t *testing.T) {
	dir := t.TempDir()
	pass := func(bool) ([]byte, error) { return []byte("the right passphrase"), nil }
	c, err := Open(bg, Options{ProfileDir: dir, Keyring: &storagetest.MemKeyring{}, PreferPassphrase: true, Passphrase: pass})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl, err := Dial(bg, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.AllowExport(bg, "html"); err == nil || !strings.Contains(err.Error(), "passphrase") {
		t.Fatalf("without the passphrase: %v", err)
	}
	cl.SetExportPassphrase(func() ([]byte, error) { return []byte("a guess"), nil })
	if err := cl.AllowExport(bg, "html"); err == nil || !strings.Contains(err.Error(), "passphrase") {
		t.Fatalf("with a wrong passphrase: %v", err)
	}
	cl.SetExportPassphrase(func() ([]byte, error) { return pass(false) })
	if err := cl.AllowExport(bg, "html"); err != nil {
		t.Fatalf("with the passphrase: %v", err)
	}
	if err := c.AllowExport(bg, "html"); err != nil {
		t.Fatal(err)
	}
	log, err := c.Audit(bg)
	if err != nil || len(log) != 4 {
		t.Fatalf("audit log = %+v, %v", log, err)
	}
	for i, want := range []string{"export refused", "export refused", "export", "export"} {
		if log[i].Kind != want || !strings.Contains(log[i].Detail, "(html)") {
			t.Fatalf("audit entry %d = %+v, want kind %q naming html", i, log[i], want)
		}
	}
}
