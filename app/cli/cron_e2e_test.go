package cli_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tkeyring "switchboard/internal/testenv/keyring"
)

// cronEnv is the environment cron gives a job: no session bus, no display,
// LANG=C.UTF-8, and here a HOME long enough to push the control socket out
// of the profile directory into XDG_RUNTIME_DIR.
func cronEnv(home, runtime string) []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "LANG=C.UTF-8", "XDG_RUNTIME_DIR=" + runtime,
		"TMPDIR=" + os.TempDir()}
}

func runWith(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t), args...)
	cmd.Env = env
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("switchboard %s still running after a minute (stderr %q)", strings.Join(args, " "), e.String())
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return o.String(), e.String(), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), 0
}

// leftovers lists processes whose environment carries marker (the test's
// unique HOME): anything the command started and left behind.
func leftovers(marker string) []string {
	var out []string
	procs, _ := filepath.Glob("/proc/[0-9]*/environ")
	for _, f := range procs {
		b, err := os.ReadFile(f)
		if err != nil || !bytes.Contains(b, []byte("\x00"+marker+"\x00")) && !bytes.HasPrefix(b, []byte(marker+"\x00")) {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join(filepath.Dir(f), "cmdline"))
		out = append(out, strings.ReplaceAll(string(cmdline), "\x00", " "))
	}
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func TestCLIUnderCronLeavesNothingRunningAndSaysWhatWorks(t *testing.T) {
	if !tkeyring.InSession(t) {
		return
	}
	home := filepath.Join(t.TempDir(), strings.Repeat("h", 100))
	runtime := shortDir(t)
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	cron := cronEnv(home, runtime)

	// A new profile: no bus, no passphrase file.
	_, stderr, code := runWith(t, cron, "account", "add", "irc", "work", "--server", "127.0.0.1:1", "--nick", "ada")
	checkCronError(t, "new profile", code, stderr)
	if !strings.Contains(stderr, "--passphrase-file") {
		t.Errorf("new profile: the passphrase way is not offered: %q", stderr)
	}
	if left := leftovers("HOME=" + home); len(left) > 0 {
		t.Fatalf("processes outlived the command: %q", left)
	}

	// A keyring profile made in the desktop session, then used from cron.
	desk := append(os.Environ(), "HOME="+home, "XDG_RUNTIME_DIR="+runtime, "LANG=en_US.UTF-8")
	if _, e, c := runWith(t, desk, "account", "list"); c != 0 {
		t.Fatalf("account list in the desktop session: exit %d: %s", c, e)
	}
	// Under LANG=C (ASCII) this time.
	_, stderr, code = runWith(t, append(cron, "LANG=C"), "account", "list")
	checkCronError(t, "keyring profile", code, stderr)
	if strings.Contains(stderr, "--passphrase-file") || strings.Contains(stderr, "no OS keyring is available") {
		t.Errorf("keyring profile: advice that cannot open it: %q", stderr)
	}
	if left := leftovers("HOME=" + home); len(left) > 0 {
		t.Fatalf("processes outlived the command: %q", left)
	}

	// What the error says works: the same command while Switchboard runs.
	run := exec.Command(binary(t), "run")
	run.Env = desk
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { run.Process.Signal(os.Interrupt); run.Wait() }()
	eventually(t, "account list from cron over the control socket", func() bool {
		out, _, c := runWith(t, append(cron, "LANG=C"), "account", "list")
		return c == 0 && strings.Contains(out, "No accounts") && isASCII(out)
	})
}

func checkCronError(t *testing.T, what string, code int, stderr string) {
	t.Helper()
	for _, want := range []string{"no D-Bus session bus", "while Switchboard runs", "control socket", "DBUS_SESSION_BUS_ADDRESS"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("%s: stderr does not say %q: %q", what, want, stderr)
		}
	}
	for _, bad := range []string{"corrupt", "Fyne error", "locale"} {
		if strings.Contains(stderr, bad) {
			t.Errorf("%s: stderr says %q: %q", what, bad, stderr)
		}
	}
	if code != 1 || !isASCII(stderr) {
		t.Errorf("%s: exit %d, ASCII %v: %q", what, code, isASCII(stderr), stderr)
	}
}

func shortDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "sbrt")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(d, 0o700)
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}
