package dovecot

import (
	"crypto/tls"
	"fmt"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Append stores raw in a user's mailbox over IMAP with the given
// INTERNALDATE (the time the server says it received the mail), creating
// the mailbox if needed: how a test puts mail "received a year ago" there.
func (s *Server) Append(user, password, mailbox string, raw []byte, received time.Time) error {
	c, err := imapclient.DialTLS(s.IMAPSAddr, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: s.CertPool()}})
	if err != nil {
		return fmt.Errorf("dovecot: append: dial: %w", err)
	}
	defer c.Close()
	if err := c.Login(user, password).Wait(); err != nil {
		return fmt.Errorf("dovecot: append: login %s: %w", user, err)
	}
	_ = c.Create(mailbox, nil).Wait() // exists already: fine
	cmd := c.Append(mailbox, int64(len(raw)), &imap.AppendOptions{Time: received, Flags: []imap.Flag{imap.FlagSeen}})
	if _, err := cmd.Write(raw); err != nil {
		return fmt.Errorf("dovecot: append: write: %w", err)
	}
	if err := cmd.Close(); err != nil {
		return fmt.Errorf("dovecot: append: %w", err)
	}
	if _, err := cmd.Wait(); err != nil {
		return fmt.Errorf("dovecot: append to %s: %w", mailbox, err)
	}
	return c.Logout().Wait()
}
