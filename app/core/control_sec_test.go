package core

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/storage/storagetest"
)

// longProfileDir is a profile path too long for a socket address next to it.
func longProfileDir(t *testing.T) string {
	t.Helper()
	d := filepath.Join(t.TempDir(), strings.Repeat("p", 60), strings.Repeat("q", 40))
	if err := os.MkdirAll(d, 0o700); err != nil {
		t.Fatal(err)
	}
	return d
}

func noXDG(string) string { return "" }

// shortTemp is a temp directory with a short path (t.TempDir's names
// are long enough to leave no room for a socket name).
func shortTemp(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "sb")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func TestControlSocketFallbackDirectoryMustBeOurs(t *testing.T) {
	uid := os.Getuid()
	profile := longProfileDir(t)
	cases := []struct {
		name  string
		setup func(t *testing.T, d string)
		uid   int
		want  string
	}{
		{"open to everyone", func(t *testing.T, d string) { mkdirMode(t, d, 0o777) }, uid, "other users may use it"},
		{"group readable", func(t *testing.T, d string) { mkdirMode(t, d, 0o750) }, uid, "other users may use it"},
		{"a symbolic link", func(t *testing.T, d string) {
			target := filepath.Join(filepath.Dir(d), "elsewhere")
			mkdirMode(t, target, 0o700)
			if err := os.Symlink(target, d); err != nil {
				t.Fatal(err)
			}
		}, uid, "symbolic link"},
		{"a file", func(t *testing.T, d string) {
			if err := os.WriteFile(d, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}, uid, "not a directory"},
		// Created by the real user, so owned by someone else than the
		// user this process claims to be.
		{"another user's", func(t *testing.T, d string) { mkdirMode(t, d, 0o700) }, uid + 1, "belongs to user"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tmp := shortTemp(t)
			tc.setup(t, filepath.Join(tmp, "switchboard-"+itoa(tc.uid)))
			_, err := socketPath(profile, sockEnv{getenv: noXDG, uid: tc.uid, tmp: tmp}, true)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("socket path in a pre-made directory (%s): err = %v, want %q", tc.name, err, tc.want)
			}
		})
	}
	t.Run("made by us", func(t *testing.T) {
		tmp := shortTemp(t)
		p, err := socketPath(profile, sockEnv{getenv: noXDG, uid: uid, tmp: tmp}, true)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Lstat(filepath.Dir(p))
		if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 || filepath.Dir(filepath.Dir(p)) != tmp {
			t.Fatalf("socket %s: directory %v, %v", p, fi, err)
		}
	})
}

func mkdirMode(t *testing.T, d string, mode os.FileMode) {
	t.Helper()
	if err := os.Mkdir(d, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(d, mode); err != nil {
		t.Fatal(err)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestLongProfilePathRefusesAnOpenSocketDirectory(t *testing.T) {
	tmp := shortTemp(t)
	t.Setenv("TMPDIR", tmp)
	t.Setenv("XDG_RUNTIME_DIR", "")
	mkdirMode(t, filepath.Join(tmp, "switchboard-"+itoa(os.Getuid())), 0o777)
	_, err := Open(bg, Options{ProfileDir: longProfileDir(t), Keyring: &storagetest.MemKeyring{}})
	if err == nil || !strings.Contains(err.Error(), "other users may use it") {
		t.Fatalf("open with a world-writable socket directory = %v, want a refusal", err)
	}
}

func TestLongProfilePathUsesXDGRuntimeDir(t *testing.T) {
	rt := shortTemp(t)
	if err := os.Chmod(rt, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_RUNTIME_DIR", rt)
	dir := longProfileDir(t)
	c, err := Open(bg, Options{ProfileDir: dir, Keyring: &storagetest.MemKeyring{}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if filepath.Dir(c.ctl.path) != rt {
		t.Fatalf("socket at %s, want it in XDG_RUNTIME_DIR %s", c.ctl.path, rt)
	}
	cl, err := Dial(bg, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Accounts(bg); err != nil {
		t.Fatal(err)
	}
	// An XDG_RUNTIME_DIR open to others is refused, not used.
	if err := os.Chmod(rt, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := socketPath(dir, osSockEnv(), true); err == nil || !strings.Contains(err.Error(), "XDG_RUNTIME_DIR") {
		t.Fatalf("an open XDG_RUNTIME_DIR: err = %v", err)
	}
}

func TestProfileDirectoryOpenToOthersIsClosedAtOpen(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	c, err := Open(bg, Options{ProfileDir: dir, Keyring: &storagetest.MemKeyring{}, NoControlSocket: true})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("profile directory mode after open = %v (%v), want 0700", fi.Mode().Perm(), err)
	}
	// One that belongs to someone else is refused.
	if err := secureProfileDir(dir, os.Getuid()+1, slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil || !strings.Contains(err.Error(), "belongs to user") {
		t.Fatalf("another user's profile directory: err = %v", err)
	}
}

// ctlServer starts a control server for e's core on its own socket, with
// set applied before it serves.
func ctlServer(t testing.TB, e *env, set func(*controlServer)) string {
	return serveControl(t, e.core, set)
}

func serveControl(t testing.TB, c *Core, set func(*controlServer)) string {
	t.Helper()
	dir := t.TempDir()
	s, err := listenControl(dir, c, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if set != nil {
		set(s)
	}
	ctx, cancel := context.WithCancel(bg)
	done := make(chan struct{})
	go func() { defer close(done); s.serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("the control server did not stop")
		}
	})
	return s.path
}

// rawCall sends one line and reads the answer line (or the close).
func rawCall(t testing.TB, path string, line []byte) (ctlResponse, error) {
	t.Helper()
	conn, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	go func() { conn.Write(line); conn.(*net.UnixConn).CloseWrite() }()
	ans, err := bufio.NewReader(conn).ReadBytes('\n')
	if err != nil {
		return ctlResponse{}, err
	}
	var r ctlResponse
	if err := json.Unmarshal(ans, &r); err != nil {
		t.Fatalf("answer %q is not JSON: %v", ans, err)
	}
	return r, nil
}

func TestControlSocketRefusesAnotherUsersProcess(t *testing.T) {
	e := newEnv(t)
	path := ctlServer(t, e, func(s *controlServer) { s.uid = os.Getuid() + 1 })
	r, err := rawCall(t, path, []byte(`{"method":"Accounts"}`+"\n"))
	if err != nil || !strings.Contains(r.Error, "runs as user") || r.Result != nil {
		t.Fatalf("a process of another user got %+v, %v; want a refusal", r, err)
	}
	// The kernel's word on the peer is what is compared.
	conn, err := net.Dial("unix", ctlServer(t, e, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if got, err := peerUID(conn); err != nil || got != os.Getuid() {
		t.Fatalf("peer uid = %d, %v; want %d", got, err, os.Getuid())
	}
	if err := checkPeer(conn, os.Getuid()+1); err == nil {
		t.Fatal("checkPeer accepted a peer of another uid")
	}
}

func TestControlSocketBadRequestsGetAnErrorAndTheServerLives(t *testing.T) {
	e := newEnv(t)
	path := ctlServer(t, e, nil)
	huge := append([]byte(`{"method":"Accounts","params":"`), strings.Repeat("a", 3<<20)...)
	for _, tc := range []struct {
		name string
		line []byte
		want string
	}{
		{"longer than 1 MiB", huge, "longer than"},
		{"not JSON", []byte("hello\n"), "bad control request"},
		{"unknown method", []byte(`{"method":"Nope"}` + "\n"), "unknown control method"},
		{"bad parameters", []byte(`{"method":"Messages","params":{"conversation":"x"}}` + "\n"), "bad parameters"},
		{"deep nesting", []byte(`{"method":"Search","params":` + strings.Repeat("[", 100000) + "}\n"), "bad"},
	} {
		r, err := rawCall(t, path, tc.line)
		if err != nil || !strings.Contains(r.Error, tc.want) {
			t.Errorf("%s: answer %+v, %v; want an error with %q", tc.name, r, err, tc.want)
		}
	}
	r, err := rawCall(t, path, []byte(`{"method":"Accounts"}`+"\n"))
	if err != nil || r.Error != "" {
		t.Fatalf("after bad requests: %+v, %v", r, err)
	}
}

func TestControlSocketBoundsConcurrentConnections(t *testing.T) {
	e := newEnv(t)
	path := ctlServer(t, e, nil)
	var idle []net.Conn
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()
	// Idle connections that never send a request hold their slots.
	for i := 0; i < maxControlConn; i++ {
		c, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
	}
	var r ctlResponse
	var err error
	eventually(t, "a refusal once every slot is taken", func() bool {
		r, err = rawCall(t, path, []byte(`{"method":"Accounts"}`+"\n"))
		return err == nil && strings.Contains(r.Error, "busy")
	})
	idle[0].Close()
	eventually(t, "an answer once a slot is free", func() bool {
		r, err = rawCall(t, path, []byte(`{"method":"Accounts"}`+"\n"))
		return err == nil && r.Error == ""
	})
}

func FuzzControlRequest(f *testing.F) {
	for _, s := range []string{
		`{"method":"Accounts"}`, `{"method":"Search","params":{"Query":"x","Limit":-1}}`,
		`{"method":"Messages","params":{"Conv":-5,"Limit":1000000000}}`, `{"method":"Conversation","params":{"Row":9}}`,
		`{"method":"RemoveAccount","params":{"Name":""}}`, `{"method":"SetConsent","params":{}}`,
		`{"method":"Import"}`, `{"method":"SaveAttachment","params":{"Row":1}}`, `null`, `{}`, `[`, "\x00\xff",
	} {
		f.Add([]byte(s))
	}
	c, err := Open(bg, Options{ProfileDir: f.TempDir(), Keyring: &storagetest.MemKeyring{}, NoControlSocket: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { c.Close() })
	path := serveControl(f, c, nil)
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := rawCall(t, path, append(in, '\n'))
		if err != nil && !errors.Is(err, io.EOF) {
			t.Fatalf("request %q: %v", in, err)
		}
		_ = r
		if r, err := rawCall(t, path, []byte(`{"method":"Accounts"}`+"\n")); err != nil || r.Error != "" {
			t.Fatalf("after %q the server answers %+v, %v", in, r, err)
		}
	})
}
