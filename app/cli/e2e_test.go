package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"switchboard/internal/testenv/ircd"
)

// The end-to-end tests run the real switchboard binary against a real
// IRC server, as a user would: account add → run in the background → a
// separate raw IRC client talks to it → inbox/read/search → send.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds switchboard once for the package's tests.
func binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "switchboard-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "switchboard")
		root, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			buildErr = fmt.Errorf("go env GOMOD: %w", err)
			return
		}
		args := []string{"build", "-o", binPath}
		if raceBuild {
			args = append(args, "-race")
		}
		cmd := exec.Command("go", append(args, ".")...)
		cmd.Dir = filepath.Dir(strings.TrimSpace(string(root)))
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// profile is one CLI profile. Under `make test` (scripts/test.sh) a
// throwaway gnome-keyring answers on a private D-Bus session, and profiles
// keep their key there, as on a desktop. Elsewhere (a bare `go test`) no
// keyring is offered to the child, so the test never touches the
// developer's own keyring: the profile uses a passphrase instead.
type profile struct {
	t   testing.TB
	dir string
	env []string
	bin string
}

func newProfile(t testing.TB) *profile {
	return newProfileMode(t, os.Getenv("SWITCHBOARD_TEST_HOME") == "" || os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "")
}

func newProfileMode(t testing.TB, passphrase bool) *profile {
	t.Helper()
	dir := t.TempDir()
	env := append(os.Environ(),
		"SWITCHBOARD_PROFILE="+filepath.Join(dir, "profile"),
		"LANG=en_US.UTF-8",
	)
	if passphrase {
		pass := filepath.Join(t.TempDir(), "pass")
		if err := os.WriteFile(pass, []byte("correct horse battery staple\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		env = append(env,
			"SWITCHBOARD_PASSPHRASE_FILE="+pass,
			"DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(dir, "no-bus"),
			"HOME="+dir,
		)
	}
	return &profile{t: t, dir: filepath.Join(dir, "profile"), env: env, bin: binary(t)}
}

// sb runs one command and returns stdout; it fails the test on a non-zero exit.
func (p *profile) sb(stdin string, args ...string) string {
	p.t.Helper()
	out, errOut, code := p.try(stdin, args...)
	if code != 0 {
		p.t.Fatalf("switchboard %s: exit %d\nstderr: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

func (p *profile) try(stdin string, args ...string) (stdout, stderr string, code int) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.bin, args...)
	cmd.Env = p.env
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return o.String(), e.String(), ee.ExitCode()
	}
	if err != nil {
		p.t.Fatalf("run switchboard: %v", err)
	}
	return o.String(), e.String(), 0
}

// start runs `switchboard run` in the background until the test ends.
func (p *profile) start() *exec.Cmd {
	p.t.Helper()
	cmd := exec.Command(p.bin, "run")
	cmd.Env = p.env
	var e lockedBuffer
	cmd.Stderr = &e
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGINT)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
		if p.t.Failed() {
			p.t.Logf("switchboard run stderr:\n%s", e.String())
		}
	})
	return cmd
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type inboxJSON struct {
	ID       int64     `json:"id"`
	Account  string    `json:"account"`
	Network  string    `json:"network"`
	Title    string    `json:"title"`
	Unread   int       `json:"unread"`
	LastTime time.Time `json:"last_time"`
	LastText string    `json:"last_text"`
	Reason   string    `json:"reason"`
}

func (p *profile) inbox(args ...string) []inboxJSON {
	p.t.Helper()
	var rows []inboxJSON
	out := p.sb("", append([]string{"inbox", "--json"}, args...)...)
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		p.t.Fatalf("inbox --json: %v\n%s", err, out)
	}
	return rows
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestCLIEndToEndAgainstRealIRCServer(t *testing.T) {
	srv := ircd.StartNgircd(t, ircd.Options{})
	p := newProfile(t)
	p.sb("", "account", "add", "irc", "work", "--server", srv.Addr, "--nick", "sbuser", "--tls=false", "--join", "#team")
	list := p.sb("", "account", "list", "--json")
	if !strings.Contains(list, `"name": "work"`) || strings.Contains(list, "password") {
		t.Fatalf("account list = %s", list)
	}

	peer := ircd.Connect(t, srv.Addr, "peer", ircd.ClientOptions{})
	if err := peer.Join("#team", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	p.start()
	if _, err := peer.WaitFor(30*time.Second, func(l ircd.Line) bool {
		return l.Command == "JOIN" && l.Nick() == "sbuser"
	}); err != nil {
		t.Fatalf("switchboard never joined #team: %v", err)
	}
	peer.Privmsg("#team", "the quarterly invoice is ready")
	peer.Privmsg("sbuser", "hello from peer, are you there?")

	var rows []inboxJSON
	eventually(t, "two conversations in the inbox", func() bool { rows = p.inbox(); return len(rows) == 2 })
	byTitle := map[string]inboxJSON{}
	for _, r := range rows {
		byTitle[r.Title] = r
		if r.Account != "work" || r.Network != "irc" || r.Unread != 1 || r.LastTime.IsZero() {
			t.Fatalf("inbox row = %+v", r)
		}
	}
	if byTitle["#team"].LastText != "the quarterly invoice is ready" || byTitle["peer"].LastText != "hello from peer, are you there?" {
		t.Fatalf("inbox = %+v", rows)
	}
	// Awaiting reply is what the user owes an answer to: the direct
	// message, not a channel line that does not name the user.
	if aw := p.inbox("--filter", "awaiting"); len(aw) != 1 || aw[0].Title != "peer" {
		t.Fatalf("awaiting = %+v", aw)
	}

	var msgs []struct {
		ID        int64  `json:"id"`
		RemoteID  string `json:"remote_id"`
		Sender    string `json:"sender"`
		Direction string `json:"direction"`
		Text      string `json:"text"`
	}
	out := p.sb("", "read", fmt.Sprint(byTitle["peer"].ID), "--json")
	if err := json.Unmarshal([]byte(out), &msgs); err != nil || len(msgs) != 1 {
		t.Fatalf("read --json: %v\n%s", err, out)
	}
	if msgs[0].Sender != "peer" || msgs[0].Direction != "in" || msgs[0].RemoteID == "" {
		t.Fatalf("message = %+v", msgs[0])
	}
	if u := p.inbox("--filter", "unread"); len(u) != 1 || u[0].Title != "#team" {
		t.Fatalf("after read, unread = %+v", u)
	}

	var hits []struct {
		Conversation int64  `json:"conversation"`
		Account      string `json:"account"`
		Sender       string `json:"sender"`
		Text         string `json:"text"`
	}
	out = p.sb("", "search", "INVO", "--json")
	if err := json.Unmarshal([]byte(out), &hits); err != nil || len(hits) != 1 || hits[0].Sender != "peer" || hits[0].Conversation != byTitle["#team"].ID {
		t.Fatalf("search INVO: %v\n%s", err, out)
	}

	// send goes through the running process's control socket.
	p.sb("", "send", "work", "peer", "yes, replying from switchboard")
	if _, err := peer.WaitFor(20*time.Second, func(l ircd.Line) bool {
		return l.Command == "PRIVMSG" && l.Nick() == "sbuser" && l.Param(1) == "yes, replying from switchboard"
	}); err != nil {
		t.Fatalf("peer never got the reply: %v", err)
	}
	p.sb("a message\nfrom stdin", "send", "work", "#team", "-")
	if _, err := peer.WaitFor(20*time.Second, func(l ircd.Line) bool {
		return l.Command == "PRIVMSG" && l.Param(0) == "#team" && strings.Contains(l.Param(1), "from stdin")
	}); err != nil {
		t.Fatalf("peer never got the stdin message: %v", err)
	}
	eventually(t, "the reply as sent in the archive", func() bool {
		for _, r := range p.inbox("--filter", "awaiting") {
			if r.Title == "peer" {
				return false // answered conversations leave "awaiting"
			}
		}
		return true
	})

	// Export → import into a fresh profile round-trips.
	exp := filepath.Join(t.TempDir(), "archive.jsonl")
	p.sb("", "export", "--format", "jsonl", "--out", exp)
	data, err := os.ReadFile(exp)
	if err != nil || bytes.Count(data, []byte("\n")) < 4 {
		t.Fatalf("export: %v, %d lines", err, bytes.Count(data, []byte("\n")))
	}
	q := newProfile(t)
	q.sb("", "import", "--format", "jsonl", exp)
	if got := q.inbox(); len(got) != 2 {
		t.Fatalf("imported inbox = %+v", got)
	}
}

func TestCLIErrorsArePlainAndExitNonZero(t *testing.T) {
	p := newProfileMode(t, true)
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"read", "abc"}, 2, "not a number"},
		{[]string{"send", "nobody", "bob", "hi"}, 1, "nobody"},
		{[]string{"account", "add", "irc", "x", "--server", "h:1", "--nick", "n", "--smtp", "h:2"}, 1, "no setting"},
		{[]string{"account", "add", "carrierpigeon", "x"}, 1, "unknown network"},
		{[]string{"inbox", "--filter", "weird"}, 1, "unknown filter"},
		{[]string{"frobnicate"}, 2, "unknown command"},
	}
	for _, c := range cases {
		_, stderr, code := p.try("", c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("switchboard %s: exit %d, stderr %q; want exit %d mentioning %q", strings.Join(c.args, " "), code, stderr, c.code, c.want)
		}
	}
	// A wrong passphrase is its own plain error and leaves the archive alone.
	p.sb("", "account", "list")
	bad := filepath.Join(t.TempDir(), "bad")
	os.WriteFile(bad, []byte("not the passphrase\n"), 0o600)
	p.env = append(p.env, "SWITCHBOARD_PASSPHRASE_FILE="+bad)
	_, stderr, code := p.try("", "inbox")
	if code == 0 || !strings.Contains(strings.ToLower(stderr), "passphrase") {
		t.Fatalf("wrong passphrase: exit %d, %q", code, stderr)
	}
}
