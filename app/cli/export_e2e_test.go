package cli_test

import (
	"strings"
	"testing"
)

// TestCLIExportFromAnotherProcessNeedsThePassphrase: while `switchboard
// run` holds a passphrase profile, any process of the user reaches its
// socket; `export` gets the plaintext archive only with the passphrase,
// and every export is in `audit`.
func TestCLIExportFromAnotherProcessNeedsThePassphrase(t *testing.T) {
	p := newProfileMode(t, true)
	p.sb("", "account", "list") // creates the passphrase profile
	p.start()
	eventually(t, "the running Switchboard to answer", func() bool {
		_, e, c := p.try("", "inbox")
		return c == 0 && !strings.Contains(e, "Waiting")
	})
	// Another process without the passphrase file.
	var stripped []string
	for _, kv := range p.env {
		if !strings.HasPrefix(kv, "SWITCHBOARD_PASSPHRASE_FILE=") {
			stripped = append(stripped, kv)
		}
	}
	q := *p
	q.env = stripped
	out, stderr, code := q.try("", "export", "--format", "jsonl")
	if code == 0 || !strings.Contains(stderr, "passphrase") || out != "" {
		t.Fatalf("export without the passphrase: exit %d, stderr %q, %d bytes out", code, stderr, len(out))
	}
	if _, stderr, code := p.try("", "export", "--format", "jsonl"); code != 0 {
		t.Fatalf("export with the passphrase file: exit %d: %s", code, stderr)
	}
	log := p.sb("", "audit")
	// The process without the passphrase never asked (it had none to
	// send); the refusals of the running process are tested in app/core.
	if strings.Count(log, "plaintext export over the control socket") != 1 {
		t.Fatalf("audit log:\n%s", log)
	}
}
