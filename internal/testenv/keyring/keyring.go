// Package keyring runs a test against a real Secret Service: a private
// D-Bus session (dbus-run-session) with an unlocked gnome-keyring-daemon
// and a throwaway HOME, so the user's own keyring is never touched.
package keyring

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

const envInside = "SWITCHBOARD_TESTENV_KEYRING_SESSION"

// InSession reports whether the test is already running inside the
// private keyring session; the caller then runs its body. Otherwise it
// re-runs the calling (top-level) test inside such a session, reports the
// child's result as the test's own, and returns false.
//
//	func TestX(t *testing.T) {
//		if !keyring.InSession(t) {
//			return
//		}
//		… go-keyring now talks to gnome-keyring …
//	}
func InSession(t *testing.T) bool {
	t.Helper()
	// The throwaway keyring's unlock password goes in on stdin, never on a
	// command line. --unlock creates and unlocks the "login" collection.
	return inSession(t, `eval "$(gnome-keyring-daemon --unlock --components=secrets)" || exit 97
export GNOME_KEYRING_CONTROL
exec "$@"`)
}

// InLockedSession is InSession with a keyring that runs but is locked, as
// on a desktop before the user unlocks it: started without --unlock, no
// collection is open and no prompt can be shown.
func InLockedSession(t *testing.T) bool {
	t.Helper()
	return inSession(t, `eval "$(gnome-keyring-daemon --start --components=secrets)" || exit 97
export GNOME_KEYRING_CONTROL
exec "$@"`)
}

func inSession(t *testing.T, script string) bool {
	t.Helper()
	if os.Getenv(envInside) == "1" {
		return true
	}
	if _, err := exec.LookPath("dbus-run-session"); err != nil {
		t.Fatalf("dbus-run-session not found: install the Debian package `dbus` (apt-get install dbus): %v", err)
	}
	if _, err := exec.LookPath("gnome-keyring-daemon"); err != nil {
		t.Fatalf("gnome-keyring-daemon not found: install the Debian package `gnome-keyring` (apt-get install gnome-keyring): %v", err)
	}
	home, runtime := t.TempDir(), t.TempDir()
	if err := os.Chmod(runtime, 0o700); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("dbus-run-session", "--", "sh", "-c", script, "sh",
		os.Args[0], "-test.run=^"+regexp.QuoteMeta(t.Name())+"$", "-test.v", "-test.count=1")
	cmd.Env = append(cleanEnv(), envInside+"=1", "HOME="+home, "XDG_RUNTIME_DIR="+runtime)
	cmd.Stdin = strings.NewReader("throwaway-test-keyring\n")
	out, err := cmd.CombinedOutput()
	t.Logf("inside dbus-run-session + gnome-keyring:\n%s", out)
	if err != nil {
		t.Fatalf("the test failed inside the keyring session: %v", err)
	}
	if !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("the test did not pass inside the keyring session")
	}
	return false
}

// cleanEnv drops variables that would point the child at another session
// bus or keyring.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		switch {
		case strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS="), strings.HasPrefix(kv, "GNOME_KEYRING_CONTROL="),
			strings.HasPrefix(kv, "HOME="), strings.HasPrefix(kv, "XDG_RUNTIME_DIR="), strings.HasPrefix(kv, envInside+"="):
			continue
		}
		env = append(env, kv)
	}
	return env
}
