// Package ircd starts real IRC servers (ngIRCd and InspIRCd) on loopback for
// tests and demos: a config written into a private directory, free ports on
// 127.0.0.1 (plain and TLS), a self-signed certificate made in Go, readiness
// by TCP connect, and SIGKILL on stop. See ../../../../shared/TESTENV.md §1–2.
//
// Tests use StartNgircd / StartInspircd (they fail the test when the server
// is missing, naming the Debian package); programs use Start and Close.
package ircd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"switchboard/internal/testenv/ports"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Kind selects the server implementation.
type Kind int

const (
	Ngircd   Kind = iota // ngIRCd: plain RFC 1459/2812, IRCv3 only multi-prefix; throttles clients
	InspIRCd             // InspIRCd 3: server-time, message-tags, echo-message, labeled-response, away-notify…
)

func (k Kind) String() string {
	if k == InspIRCd {
		return "inspircd"
	}
	return "ngircd"
}

func (k Kind) binary() string {
	if k == InspIRCd {
		return "/usr/sbin/inspircd"
	}
	return "/usr/sbin/ngircd"
}

// Options configure a server.
type Options struct {
	Kind     Kind   // used by Start; StartNgircd/StartInspircd set it
	Password string // server password (connection PASS); empty for none
	Binary   string // path of the server binary; empty for the Debian path
}

// Server is a running (or stopped) IRC server on 127.0.0.1.
type Server struct {
	Kind    Kind
	Addr    string // "127.0.0.1:PORT", plain text
	TLSAddr string // "127.0.0.1:PORT", TLS with the self-signed certificate
	CertPEM []byte // the server's self-signed certificate (also a CA for itself)
	CAFile  string // path of a file holding CertPEM, for a client's CA setting
	Dir     string // where the config, certificate and logs live

	ctx  context.Context
	opts Options

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// ErrMissing is wrapped by Start's error when the server binary is absent.
var ErrMissing = errors.New("IRC server binary not installed")

// StartNgircd starts ngIRCd for a test and stops it in t.Cleanup.
func StartNgircd(t testing.TB, opts Options) *Server {
	t.Helper()
	opts.Kind = Ngircd
	return startT(t, opts)
}

// StartInspircd starts InspIRCd for a test and stops it in t.Cleanup.
func StartInspircd(t testing.TB, opts Options) *Server {
	t.Helper()
	opts.Kind = InspIRCd
	return startT(t, opts)
}

func startT(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := Start(context.Background(), t.TempDir(), opts)
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// Start writes the configuration into dir (created if needed), starts the
// server on free loopback ports and waits until both ports accept
// connections. The server is killed when ctx ends or Close is called.
func Start(ctx context.Context, dir string, opts Options) (*Server, error) {
	bin := opts.Binary
	if bin == "" {
		bin = opts.Kind.binary()
	}
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("ircd: %s not found at %s: install the Debian package %q: %w",
			opts.Kind, bin, opts.Kind.String(), ErrMissing)
	}
	opts.Binary = bin
	if err := prepareDir(dir, opts.Kind); err != nil {
		return nil, err
	}
	certPEM, keyPEM, err := selfSigned()
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{"cert.pem": certPEM, "key.pem": keyPEM, "dhparams.pem": []byte(ffdhe2048)}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return nil, fmt.Errorf("ircd: write %s: %w", name, err)
		}
	}
	s := &Server{Kind: opts.Kind, CertPEM: certPEM, CAFile: filepath.Join(dir, "cert.pem"), Dir: dir, ctx: ctx, opts: opts}
	var lastErr error
	for attempt := 0; attempt < 4; attempt++ { // another process may take a port we picked
		pp, err := ports.Free(2)
		if err != nil {
			return nil, fmt.Errorf("ircd: %w", err)
		}
		port, tlsPort := pp[0], pp[1]
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		s.TLSAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(tlsPort))
		if err := s.writeConfig(port, tlsPort); err != nil {
			return nil, err
		}
		if lastErr = s.launch(); lastErr == nil {
			return s, nil
		}
	}
	return nil, lastErr
}

func prepareDir(dir string, kind Kind) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("ircd: create %s: %w", dir, err)
	}
	// ngIRCd started as root drops to "nobody" before writing its PID file.
	if err := os.Chmod(dir, 0o755); err != nil {
		return fmt.Errorf("ircd: chmod %s: %w", dir, err)
	}
	if kind == InspIRCd {
		for _, sub := range []string{"data", "logs"} {
			if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
				return fmt.Errorf("ircd: create %s: %w", sub, err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, "motd.txt"), []byte("test server\n"), 0o644); err != nil {
			return fmt.Errorf("ircd: write motd: %w", err)
		}
	}
	return nil
}

func (s *Server) configPath() string { return filepath.Join(s.Dir, s.Kind.String()+".conf") }

// LogPath is the file that receives the server's stdout and stderr.
func (s *Server) LogPath() string { return filepath.Join(s.Dir, s.Kind.String()+".log") }

func (s *Server) writeConfig(port, tlsPort int) error {
	var conf string
	if s.Kind == InspIRCd {
		conf = inspircdConfig(s.Dir, port, tlsPort, s.opts)
	} else {
		conf = ngircdConfig(s.Dir, port, tlsPort, s.opts)
	}
	if err := os.WriteFile(s.configPath(), []byte(conf), 0o644); err != nil {
		return fmt.Errorf("ircd: write config: %w", err)
	}
	return nil
}

func (s *Server) command() *exec.Cmd {
	if s.Kind == InspIRCd {
		args := []string{"-c", `ulimit -c 0; exec "$0" "$@"`, s.opts.Binary, "--config", s.configPath(), "--nofork"}
		if os.Geteuid() == 0 {
			args = append(args, "--runasroot")
		}
		return exec.Command("/bin/sh", args...)
	}
	return exec.Command(s.opts.Binary, "-n", "-f", s.configPath())
}

// launch starts the process and waits for both ports.
func (s *Server) launch() error {
	logf, err := os.OpenFile(s.LogPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("ircd: open log: %w", err)
	}
	cmd := s.command()
	cmd.Dir = s.Dir // a core dump, if any, stays in the temp dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("ircd: start %s: %w", s.Kind, err)
	}
	done := make(chan struct{})
	go func() { // owned by the Server: ends when the process exits (Stop kills it)
		_ = cmd.Wait()
		logf.Close()
		close(done)
	}()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
	if err := s.waitReady(done); err != nil {
		_ = s.Stop()
		return err
	}
	return nil
}

func (s *Server) waitReady(done <-chan struct{}) error {
	deadline := time.Now().Add(15 * time.Second)
	for _, addr := range []string{s.Addr, s.TLSAddr} {
		for {
			c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-done:
				return fmt.Errorf("ircd: %s exited before opening %s (see %s)", s.Kind, addr, s.LogPath())
			case <-s.ctx.Done():
				return fmt.Errorf("ircd: start %s: %w", s.Kind, s.ctx.Err())
			case <-time.After(10 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("ircd: %s did not open %s within 15s (see %s)", s.Kind, addr, s.LogPath())
			}
		}
	}
	go s.killOnCancel(done)
	return nil
}

// killOnCancel ties the process to the Start context; it ends with the process.
func (s *Server) killOnCancel(done <-chan struct{}) {
	select {
	case <-done:
	case <-s.ctx.Done():
		_ = s.Stop()
	}
}

// Stop kills the server (SIGKILL: InspIRCd segfaults on SIGTERM) and waits
// for it to exit. Stopping a stopped server is a no-op.
func (s *Server) Stop() error {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // the process group: the sh wrapper execs, but be thorough
	_ = cmd.Process.Kill()
	select {
	case <-done:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("ircd: %s (pid %d) did not exit after SIGKILL", s.Kind, cmd.Process.Pid)
	}
}

// Restart kills the server if it runs and starts it again on the same ports
// with the same certificate, waiting until it accepts connections.
func (s *Server) Restart() error {
	if err := s.Stop(); err != nil {
		return err
	}
	var err error
	for attempt := 0; attempt < 50; attempt++ { // the port may linger a moment after the kill
		if err = s.launch(); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("ircd: restart: %w", err)
}

// Pause freezes the server (SIGSTOP): connections stay open but nothing is
// answered, as with a hung server or a dead network path.
func (s *Server) Pause() error { return s.signal(syscall.SIGSTOP) }

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume() error { return s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) error {
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if cmd == nil {
		return fmt.Errorf("ircd: %s is not running", s.Kind)
	}
	if err := cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("ircd: signal %s: %w", s.Kind, err)
	}
	return nil
}

// Close stops the server. The directory is left to its owner (t.TempDir
// removes it in tests).
func (s *Server) Close() error {
	_ = s.Resume() // a stopped process ignores nothing but SIGKILL, yet be tidy
	return s.Stop()
}
