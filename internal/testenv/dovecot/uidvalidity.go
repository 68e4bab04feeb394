package dovecot

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// UIDValidity returns a mailbox's current UIDVALIDITY as Dovecot reports it
// (doveadm mailbox status), without an IMAP login.
func (s *Server) UIDValidity(user, mailbox string) (uint32, error) {
	out, err := s.doveadm("-f", "flow", "mailbox", "status", "-u", user, "uidvalidity", mailbox)
	if err != nil {
		return 0, err
	}
	// "INBOX uidvalidity=1700000000"
	var v string
	for _, f := range strings.Fields(out) {
		if rest, ok := strings.CutPrefix(f, "uidvalidity="); ok {
			v = rest
		}
	}
	if v == "" {
		return 0, fmt.Errorf("dovecot: doveadm mailbox status: unexpected output %q", out)
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("dovecot: doveadm mailbox status: bad uidvalidity %q", v)
	}
	return uint32(n), nil
}

// ResetUIDValidity gives a mailbox a new UIDVALIDITY, as a server does
// after its index is rebuilt or the mail is migrated: every client must
// forget the UIDs it knew. The mail itself stays. It returns the new value
// (the old one plus one). Dovecot must be running; clients that have the
// mailbox selected are disconnected by it.
func (s *Server) ResetUIDValidity(user, mailbox string) (uint32, error) {
	old, err := s.UIDValidity(user, mailbox)
	if err != nil {
		return 0, err
	}
	next := old + 1
	if next == 0 {
		next = 1
	}
	if _, err := s.doveadm("mailbox", "update", "-u", user, "--uid-validity", strconv.FormatUint(uint64(next), 10), mailbox); err != nil {
		return 0, err
	}
	got, err := s.UIDValidity(user, mailbox)
	if err != nil {
		return 0, err
	}
	if got != next {
		return 0, fmt.Errorf("dovecot: UIDVALIDITY of %s is %d after the update, want %d", mailbox, got, next)
	}
	return next, nil
}

// doveadm runs one doveadm command against this server's configuration
// (it reaches the running Dovecot through the sockets in base_dir).
func (s *Server) doveadm(args ...string) (string, error) {
	bin, err := exec.LookPath("doveadm")
	if err != nil {
		bin = "/usr/bin/doveadm"
	}
	full := append([]string{"-c", filepath.Join(s.Dir, "dovecot.conf")}, args...)
	cmd := exec.Command(bin, full...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("dovecot: doveadm %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}
