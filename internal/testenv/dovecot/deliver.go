package dovecot

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
)

// Deliver hands one raw message (RFC 5322, e.g. an .eml file) to Dovecot
// over LMTP for the given local recipients.
func (s *Server) Deliver(from string, to []string, raw io.Reader) error {
	c, err := s.dialLMTP()
	if err != nil {
		return err
	}
	defer c.Close()
	if err := lmtpSend(c, from, to, raw); err != nil {
		return err
	}
	return c.Quit()
}

// DeliverMany delivers several raw messages to the same recipients over one
// LMTP connection (bulk set-up for benchmarks).
func (s *Server) DeliverMany(from string, to []string, raws [][]byte) error {
	c, err := s.dialLMTP()
	if err != nil {
		return err
	}
	defer c.Close()
	for i, raw := range raws {
		if err := lmtpSend(c, from, to, bytes.NewReader(raw)); err != nil {
			return fmt.Errorf("message %d: %w", i, err)
		}
	}
	return c.Quit()
}

func (s *Server) dialLMTP() (*smtp.Client, error) {
	conn, err := net.DialTimeout("tcp", s.LMTPAddr, 10*time.Second)
	if err != nil {
		return nil, fmt.Errorf("dovecot: lmtp dial: %w", err)
	}
	c := smtp.NewClientLMTP(conn)
	if err := c.Hello("localhost"); err != nil {
		c.Close()
		return nil, fmt.Errorf("dovecot: lmtp LHLO: %w", err)
	}
	return c, nil
}

func lmtpSend(c *smtp.Client, from string, to []string, raw io.Reader) error {
	if err := c.Mail(from, nil); err != nil {
		return fmt.Errorf("dovecot: lmtp MAIL FROM: %w", err)
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt, nil); err != nil {
			_ = c.Reset()
			return fmt.Errorf("dovecot: lmtp RCPT TO %s: %w", rcpt, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("dovecot: lmtp DATA: %w", err)
	}
	if _, err := io.Copy(w, raw); err != nil {
		return fmt.Errorf("dovecot: lmtp write: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("dovecot: lmtp delivery: %w", err)
	}
	return nil
}

// MaildirPath is the Maildir++ directory of a user's mailbox: "" or "INBOX"
// for the inbox, "Sent" for Maildir/.Sent.
func (s *Server) MaildirPath(user, mailbox string) string {
	base := filepath.Join(s.Dir, "mail", user, "Maildir")
	if mailbox == "" || strings.EqualFold(mailbox, "INBOX") {
		return base
	}
	return filepath.Join(base, "."+strings.ReplaceAll(mailbox, "/", "."))
}

// WriteMaildir drops raw messages straight into a user's Maildir new/
// directory (much faster than LMTP for bulk set-up). Dovecot assigns UIDs
// when a client next opens the mailbox, in the order of the slice.
func (s *Server) WriteMaildir(user, mailbox string, raws [][]byte) error {
	dir := s.MaildirPath(user, mailbox)
	for _, d := range []string{filepath.Dir(dir), dir, filepath.Join(dir, "cur"), filepath.Join(dir, "new"), filepath.Join(dir, "tmp")} {
		if err := s.mkdirOwned(d); err != nil {
			return err
		}
	}
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return fmt.Errorf("dovecot: maildir name: %w", err)
	}
	now := time.Now().Unix()
	for i, raw := range raws {
		// Names sort in slice order, which Dovecot follows for UIDs.
		name := fmt.Sprintf("%d.M%08dP%s.localhost", now, i, hex.EncodeToString(rnd[:]))
		tmp := filepath.Join(dir, "tmp", name)
		if err := os.WriteFile(tmp, raw, 0o600); err != nil {
			return fmt.Errorf("dovecot: maildir write: %w", err)
		}
		if err := s.chown(tmp); err != nil {
			return err
		}
		if err := os.Rename(tmp, filepath.Join(dir, "new", name)); err != nil {
			return fmt.Errorf("dovecot: maildir rename: %w", err)
		}
	}
	return nil
}

func (s *Server) mkdirOwned(d string) error {
	if _, err := os.Stat(d); err == nil {
		return nil
	}
	if err := os.MkdirAll(d, 0o700); err != nil {
		return fmt.Errorf("dovecot: maildir: %w", err)
	}
	return s.chown(d)
}
