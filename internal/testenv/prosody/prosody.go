// Package prosody starts a real Prosody XMPP server on loopback for tests and
// demos: config, data and a self-signed certificate live in one directory,
// ports are picked free on 127.0.0.1, users are registered with prosodyctl
// (password on stdin, never on the command line) and the server is killed
// with SIGKILL. Restart brings it back on the same ports with the same data.
//
// Recipe: ../../../../shared/TESTENV.md §3 (Prosody 0.12). Needs the Debian
// packages prosody, lua-unbound and lua-sec.
package prosody

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"switchboard/internal/testenv/ports"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Domain and MUC are the virtual host and the group chat service.
const (
	Domain = "localhost"
	MUC    = "conference.localhost"
)

// MissingHint names the packages to install when prosody is absent.
const MissingHint = "install the Debian packages: apt-get install prosody lua-unbound lua-sec"

// Config tunes the server. The zero value is a good default.
type Config struct {
	// PasswordHash selects the SCRAM family Prosody offers: "SHA-256"
	// (default: SCRAM-SHA-256 and PLAIN) or "SHA-1" (SCRAM-SHA-1 and PLAIN).
	PasswordHash string
	// NoSmacks disables XEP-0198 stream management.
	NoSmacks bool
	// AllowPlaintext lets clients log in without TLS (SCRAM only), so a
	// test can tamper with the bytes of a live stream.
	AllowPlaintext bool
}

// Server is one running (or killed) Prosody instance.
type Server struct {
	Dir     string // config, data, logs, cert.pem, key.pem
	Port    int    // c2s STARTTLS port
	TLSPort int    // c2s direct TLS port (XEP-0368)
	CAFile  string // the self-signed certificate, usable as a CA file

	cfg    Config
	cfgOut string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// Start starts a server for a test and kills it in t.Cleanup. A missing
// prosody binary fails the test with the packages to install.
func Start(t testing.TB, cfg Config) *Server {
	t.Helper()
	s, err := New(t.TempDir(), cfg)
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// New starts a server rooted in dir (which must exist and be empty or a
// previous server's directory). The caller must Close it. It is the
// non-testing constructor, for demo programs.
func New(dir string, cfg Config) (*Server, error) {
	for _, bin := range []string{"prosody", "prosodyctl"} {
		if _, err := exec.LookPath(bin); err != nil {
			return nil, fmt.Errorf("prosody: %s not found in PATH: %s", bin, MissingHint)
		}
	}
	if cfg.PasswordHash == "" {
		cfg.PasswordHash = "SHA-256"
	}
	s := &Server{Dir: dir, cfg: cfg, CAFile: filepath.Join(dir, "cert.pem")}
	// Prosody drops privileges only when not told otherwise; keep the
	// directory traversable for the case where it runs as another user.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, fmt.Errorf("prosody: chmod %s: %w", dir, err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o750); err != nil {
		return nil, fmt.Errorf("prosody: data dir: %w", err)
	}
	if err := writeSelfSigned(s.CAFile, filepath.Join(dir, "key.pem"), []string{Domain, MUC}); err != nil {
		return nil, err
	}
	pp, err := ports.Free(2)
	if err != nil {
		return nil, fmt.Errorf("prosody: %w", err)
	}
	s.Port, s.TLSPort = pp[0], pp[1]
	if err := os.WriteFile(s.configPath(), []byte(s.config()), 0o644); err != nil {
		return nil, fmt.Errorf("prosody: write config: %w", err)
	}
	if err := s.start(); err != nil {
		return nil, err
	}
	return s, nil
}

// Addr is the STARTTLS address, "127.0.0.1:PORT".
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)) }

// TLSAddr is the direct TLS address.
func (s *Server) TLSAddr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.TLSPort)) }

// JID returns user@localhost.
func JID(user string) string { return user + "@" + Domain }

func (s *Server) configPath() string { return filepath.Join(s.Dir, "prosody.cfg.lua") }

func (s *Server) config() string {
	smacks := `"smacks";`
	if s.cfg.NoSmacks {
		smacks = ""
	}
	d := s.Dir
	return fmt.Sprintf(`-- Switchboard test server, everything under one directory
run_as_root = true
pidfile = %[1]q
data_path = %[2]q
log = { info = %[3]q; error = %[4]q; }
interfaces = { "127.0.0.1" }
c2s_ports = { %[5]d }
c2s_direct_tls_ports = { %[6]d }
s2s_ports = {}
c2s_require_encryption = %[14]v
allow_unencrypted_plain_auth = false
authentication = "internal_hashed"
password_hash = %[7]q
storage = "internal"
archive_expires_after = "never"
default_archive_policy = true
max_archive_query_results = 250
storage_archive_item_limit = 1000000
certificates = %[8]q
ssl = { certificate = %[9]q; key = %[10]q; }
modules_enabled = {
  "roster"; "saslauth"; "tls"; "disco"; "carbons"; "pep"; "private";
  "blocklist"; "vcard4"; "vcard_legacy"; "version"; "uptime"; "time";
  "ping"; "mam"; %[11]s "csi_simple"; "offline"; "register"; "posix";
}
modules_disabled = { "s2s" }
allow_registration = false

VirtualHost %[12]q
  ssl = { certificate = %[9]q; key = %[10]q; }

Component %[13]q "muc"
  modules_enabled = { "muc_mam" }
  muc_room_locking = false
  muc_room_default_history_length = 20
`, filepath.Join(d, "prosody.pid"), filepath.Join(d, "data"),
		filepath.Join(d, "prosody.log"), filepath.Join(d, "prosody.err"),
		s.Port, s.TLSPort, s.cfg.PasswordHash, d,
		filepath.Join(d, "cert.pem"), filepath.Join(d, "key.pem"), smacks, Domain, MUC, !s.cfg.AllowPlaintext)
}

// start launches prosody in the foreground and waits for both ports.
func (s *Server) start() error {
	_ = os.Remove(filepath.Join(s.Dir, "prosody.pid"))
	out, err := os.OpenFile(filepath.Join(s.Dir, "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("prosody: stdout log: %w", err)
	}
	cmd := exec.Command("prosody", "-F", "--config", s.configPath())
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		out.Close()
		return fmt.Errorf("prosody: start: %w", err)
	}
	done := make(chan struct{})
	go func() { // owner: this Server; ends when the process exits
		_ = cmd.Wait()
		out.Close()
		close(done)
	}()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
	for _, p := range []int{s.Port, s.TLSPort} {
		if err := ports.WaitOpen(net.JoinHostPort("127.0.0.1", strconv.Itoa(p)), done, 15*time.Second); err != nil {
			_ = s.Kill()
			return fmt.Errorf("prosody: %w; log: %s", err, s.logTail())
		}
	}
	return nil
}

func (s *Server) logTail() string {
	var b bytes.Buffer
	for _, f := range []string{"prosody.err", "stdout.log"} {
		data, _ := os.ReadFile(filepath.Join(s.Dir, f))
		if len(data) > 2000 {
			data = data[len(data)-2000:]
		}
		b.Write(data)
	}
	return strings.TrimSpace(b.String())
}

// Kill stops the server with SIGKILL and waits for it to exit. Killing a
// stopped server is a no-op.
func (s *Server) Kill() error {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("prosody: kill: %w", err)
	}
	<-done
	return nil
}

// Restart kills the server and starts it again on the same ports with the
// same data (accounts, archives); sessions are lost.
func (s *Server) Restart() error {
	if err := s.Kill(); err != nil {
		return err
	}
	return s.start()
}

// Pause freezes the server (SIGSTOP): connections stay open and take
// bytes, but nothing is read or answered — a hung server. Kill and
// Restart work on a paused server.
func (s *Server) Pause() error { return s.signal(syscall.SIGSTOP) }

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume() error { return s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) error {
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if cmd == nil {
		return errors.New("prosody: not running")
	}
	if err := syscall.Kill(-cmd.Process.Pid, sig); err != nil {
		return fmt.Errorf("prosody: signal %v: %w", sig, err)
	}
	return nil
}

// Close kills the server. The directory is left to its owner.
func (s *Server) Close() error { return s.Kill() }

// Register creates user@localhost with a password, given to prosodyctl on
// stdin. It works before and while the server runs.
func (s *Server) Register(user, password string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "prosodyctl", "--config", s.configPath(), "adduser", JID(user))
	cmd.Stdin = strings.NewReader(password + "\n" + password + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("prosody: register %s: %w: %s", user, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// AddUser registers a user or fails the test.
func (s *Server) AddUser(t testing.TB, user, password string) {
	t.Helper()
	if err := s.Register(user, password); err != nil {
		t.Fatalf("%v", err)
	}
}
