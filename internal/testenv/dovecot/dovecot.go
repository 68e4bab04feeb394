// Package dovecot starts a real Dovecot (IMAP, IMAPS, LMTP) on loopback with
// its whole configuration in a temporary directory, plus an in-process SMTP
// submission server (github.com/emersion/go-smtp) that checks AUTH PLAIN
// against the same users and delivers into Dovecot over LMTP.
//
// Tests call New(t, users...); a program (the demo) calls Start and Close.
// Ports are chosen free on 127.0.0.1; Restart brings Dovecot back on the same
// ports and directories. Works as root (Dovecot's processes then run as the
// packaged users dovecot/dovenull) and as any other user.
package dovecot

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
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

// MissingMsg names the Debian packages to install when dovecot is absent.
const MissingMsg = "dovecot not found: install the Debian packages dovecot-imapd dovecot-lmtpd (apt-get install dovecot-imapd dovecot-lmtpd)"

// User is a mail account on the test server.
type User struct {
	Name     string // full address, e.g. "alice@localhost"
	Password string
}

// Options configures Start.
type Options struct {
	Dir   string // where config, certificate and mail live; required
	Users []User
	// Logf receives Dovecot's log tail on failures; may be nil.
	Logf func(format string, args ...any)
}

// Server is a running Dovecot plus the submission bridge.
type Server struct {
	Dir           string // config, users file, cert.pem, key.pem, mail/
	CAFile        string // PEM of the self-signed certificate (trust this)
	IMAPAddr      string // plain IMAP with STARTTLS
	IMAPSAddr     string // IMAP over implicit TLS
	LMTPAddr      string
	SubmitAddr    string // SMTP submission with STARTTLS (AUTH only after TLS)
	SubmitTLSAddr string // SMTP submission over implicit TLS
	PlainSMTP     string // SMTP with AUTH over plaintext (for tls=false loopback tests)

	opts    Options
	users   procUsers
	runDir  string
	cert    tls.Certificate
	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	logFile *os.File
	smtp    *submission
}

// Start writes the configuration, starts Dovecot and the SMTP bridge and
// waits until all ports accept connections.
func Start(opts Options) (*Server, error) {
	if opts.Dir == "" {
		return nil, errors.New("dovecot: Options.Dir is required")
	}
	if _, err := exec.LookPath("dovecot"); err != nil {
		if _, err2 := os.Stat("/usr/sbin/dovecot"); err2 != nil {
			return nil, errors.New(MissingMsg)
		}
	}
	pu, err := lookupProcUsers()
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: opts.Dir, opts: opts, users: pu}
	if err := s.prepareDir(); err != nil {
		return nil, err
	}
	pp, err := ports.Free(6)
	if err != nil {
		return nil, err
	}
	s.IMAPAddr, s.IMAPSAddr, s.LMTPAddr = addr(pp[0]), addr(pp[1]), addr(pp[2])
	conf := renderConfig(confParams{dir: s.Dir, runDir: s.runDir, imap: pp[0], imaps: pp[1], lmtp: pp[2], users: pu})
	if err := os.WriteFile(filepath.Join(s.Dir, "dovecot.conf"), []byte(conf), 0o644); err != nil {
		return nil, fmt.Errorf("dovecot: write config: %w", err)
	}
	for _, u := range opts.Users {
		if err := s.AddUser(u); err != nil {
			return nil, err
		}
	}
	if err := s.startProcess(); err != nil {
		s.cleanupRunDir()
		return nil, err
	}
	sub, err := startSubmission(s, pp[3], pp[4], pp[5])
	if err != nil {
		s.Close()
		return nil, err
	}
	s.smtp = sub
	s.SubmitAddr, s.SubmitTLSAddr, s.PlainSMTP = addr(pp[3]), addr(pp[4]), addr(pp[5])
	return s, nil
}

// New starts a server for a test and stops it in t.Cleanup. A missing
// dovecot binary fails the test naming the packages to install.
func New(t testing.TB, users ...User) *Server {
	t.Helper()
	dir := t.TempDir()
	s, err := Start(Options{Dir: dir, Users: users, Logf: t.Logf})
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func addr(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

func (s *Server) prepareDir() error {
	// Dovecot's unprivileged processes must reach the mail directory, so the
	// directory chain we own is made traversable.
	// Every level below the temporary directory counts: the demo keeps its
	// mail two levels down in a test's 0700 directory.
	tmp := filepath.Clean(os.TempDir())
	for d := filepath.Clean(s.Dir); strings.HasPrefix(d, tmp+string(filepath.Separator)); d = filepath.Dir(d) {
		_ = os.Chmod(d, 0o755)
	}
	for _, d := range []string{"state", "mail"} {
		if err := os.MkdirAll(filepath.Join(s.Dir, d), 0o755); err != nil {
			return fmt.Errorf("dovecot: mkdir: %w", err)
		}
	}
	if err := s.chown(filepath.Join(s.Dir, "mail")); err != nil {
		return err
	}
	// base_dir holds unix sockets; keep its path short (108-byte limit).
	run, err := os.MkdirTemp("", "dvc")
	if err != nil {
		return fmt.Errorf("dovecot: run dir: %w", err)
	}
	if err := os.Chmod(run, 0o755); err != nil {
		return fmt.Errorf("dovecot: run dir: %w", err)
	}
	s.runDir = run
	s.CAFile = filepath.Join(s.Dir, "cert.pem")
	s.cert, err = writeSelfSigned(s.CAFile, filepath.Join(s.Dir, "key.pem"))
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(s.Dir, "users"), nil, 0o644)
}

func (s *Server) chown(path string) error {
	if s.users.mailUID < 0 {
		return nil
	}
	if err := os.Lchown(path, s.users.mailUID, s.users.mailGID); err != nil {
		return fmt.Errorf("dovecot: chown %s: %w", path, err)
	}
	return nil
}

// AddUser appends a user to the passwd-file; Dovecot sees it at once.
func (s *Server) AddUser(u User) error {
	bad := func(v string) bool { return v == "" || strings.ContainsAny(v, ":\r\n") }
	if bad(u.Name) || bad(u.Password) {
		return fmt.Errorf("dovecot: invalid user %q (empty, or contains ':' or a line break)", u.Name)
	}
	f, err := os.OpenFile(filepath.Join(s.Dir, "users"), os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("dovecot: users file: %w", err)
	}
	defer f.Close()
	if _, err := fmt.Fprintf(f, "%s:{PLAIN}%s::::::\n", u.Name, u.Password); err != nil {
		return fmt.Errorf("dovecot: users file: %w", err)
	}
	return nil
}

// hasUser reports whether name has a mailbox here (for the SMTP bridge).
func (s *Server) hasUser(name string) bool {
	data, err := os.ReadFile(filepath.Join(s.Dir, "users"))
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f, _, ok := strings.Cut(line, ":"); ok && strings.EqualFold(f, name) {
			return true
		}
	}
	return false
}

// checkPassword verifies a login against the users file (for the SMTP bridge).
func (s *Server) checkPassword(name, pass string) bool {
	data, err := os.ReadFile(filepath.Join(s.Dir, "users"))
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) >= 2 && strings.EqualFold(f[0], name) && f[1] == "{PLAIN}"+pass {
			return true
		}
	}
	return false
}

// CertPool returns a pool that trusts the server's certificate.
func (s *Server) CertPool() *x509.CertPool {
	pool := x509.NewCertPool()
	pem, err := os.ReadFile(s.CAFile)
	if err == nil {
		pool.AppendCertsFromPEM(pem)
	}
	return pool
}

func (s *Server) startProcess() error {
	logFile, err := os.OpenFile(filepath.Join(s.Dir, "dovecot.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("dovecot: log file: %w", err)
	}
	bin, err := exec.LookPath("dovecot")
	if err != nil {
		bin = "/usr/sbin/dovecot"
	}
	cmd := exec.Command(bin, "-F", "-c", filepath.Join(s.Dir, "dovecot.conf"))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("dovecot: start: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	s.mu.Lock()
	s.cmd, s.exited, s.logFile = cmd, exited, logFile
	s.mu.Unlock()
	for _, a := range []string{s.IMAPAddr, s.IMAPSAddr, s.LMTPAddr} {
		if err := ports.WaitOpen(a, exited, 15*time.Second); err != nil {
			s.stopProcess()
			return fmt.Errorf("dovecot: %w; log:\n%s", err, s.logTail())
		}
	}
	if err := waitAuthReady(s.IMAPAddr, exited, readyLimit); err != nil {
		s.stopProcess()
		return fmt.Errorf("dovecot: %w; log:\n%s", err, s.logTail())
	}
	return nil
}

// readyLimit bounds the wait for Dovecot's authentication process after a
// start: seconds on a quiet machine, far more on a loaded one.
const readyLimit = 90 * time.Second

// waitAuthReady waits until Dovecot can log users in. Its ports open
// before its authentication process answers; until then a client is
// greeted with "Waiting for authentication process to respond.." and a
// login waits (seconds on a quiet machine, tens on a loaded one). A
// server is ready when a new connection is greeted at once with the real
// greeting, so tests' deadlines measure the client, not the server's start.
func waitAuthReady(addr string, exited <-chan struct{}, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		if greetedReady(addr, time.Until(deadline)) {
			return nil
		}
		select {
		case <-exited:
			return errors.New("exited before its authentication process was ready")
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("authentication process not ready after %s", limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// greetedReady connects and reports whether the greeting is the ready one
// (an untagged OK that is not "Waiting for authentication process").
func greetedReady(addr string, limit time.Duration) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(min(limit, 10*time.Second)))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "* OK") || strings.Contains(line, "Waiting for authentication") {
		return false
	}
	_, _ = c.Write([]byte("z LOGOUT\r\n"))
	return true
}

// stopProcess kills Dovecot's whole process group and waits for it.
func (s *Server) stopProcess() {
	s.mu.Lock()
	cmd, exited, logFile := s.cmd, s.exited, s.logFile
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-exited
	// Children notice the master's death on their own; wait until none of
	// them still holds a listening port.
	for _, a := range []string{s.IMAPAddr, s.IMAPSAddr, s.LMTPAddr} {
		waitClosed(a, 10*time.Second)
	}
	logFile.Close()
}

func waitClosed(a string, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", a, 100*time.Millisecond)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills Dovecot (the SMTP bridge stays up); Restart starts it again.
func (s *Server) Stop() { s.stopProcess() }

// Restart kills Dovecot and starts it again on the same ports and
// directories; mail already delivered is kept.
func (s *Server) Restart() error {
	s.stopProcess()
	return s.startProcess()
}

// Close stops everything and removes the socket directory. The data
// directory belongs to the caller (t.TempDir for New).
func (s *Server) Close() error {
	if s.smtp != nil {
		s.smtp.close()
	}
	s.stopProcess()
	s.cleanupRunDir()
	return nil
}

func (s *Server) cleanupRunDir() {
	if s.runDir != "" {
		_ = os.RemoveAll(s.runDir)
	}
}

func (s *Server) logTail() string {
	data, _ := os.ReadFile(filepath.Join(s.Dir, "dovecot.log"))
	if len(data) > 4000 {
		data = data[len(data)-4000:]
	}
	return string(bytes.TrimSpace(data))
}

// Log returns the end of Dovecot's log (for test failure messages).
func (s *Server) Log() string { return s.logTail() }
