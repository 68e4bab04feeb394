package dovecot

import (
	"crypto/tls"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

var (
	alice = User{Name: "alice@localhost", Password: "alicepass"}
	bob   = User{Name: "bob@localhost", Password: "bobpass"}
)

func rawMail(from, to, subject, id string) string {
	return fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s>\r\nDate: %s\r\n\r\nhello\r\n",
		from, to, subject, id, time.Now().Format(time.RFC1123Z))
}

func inboxCount(t *testing.T, s *Server, u User, mailbox string) uint32 {
	t.Helper()
	c, err := imapclient.DialTLS(s.IMAPSAddr, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: s.CertPool()}})
	if err != nil {
		t.Fatalf("imaps dial: %v", err)
	}
	defer c.Close()
	if err := c.Login(u.Name, u.Password).Wait(); err != nil {
		t.Fatalf("login: %v\n%s", err, s.Log())
	}
	sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatalf("select %s: %v", mailbox, err)
	}
	return sel.NumMessages
}

func waitCount(t *testing.T, s *Server, u User, mailbox string, want uint32) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := inboxCount(t, s, u, mailbox)
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s %s has %d messages, want %d", u.Name, mailbox, n, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestLMTPDeliveryReachesIMAPInbox(t *testing.T) {
	s := New(t, alice, bob)
	if err := s.Deliver(alice.Name, []string{bob.Name}, strings.NewReader(rawMail(alice.Name, bob.Name, "hi", "1@t"))); err != nil {
		t.Fatal(err)
	}
	waitCount(t, s, bob, "INBOX", 1)
	// The Sent mailbox is auto-created with the \Sent special use.
	if n := inboxCount(t, s, bob, "Sent"); n != 0 {
		t.Fatalf("Sent has %d messages", n)
	}
}

func TestSubmissionNeedsAuthAndDelivers(t *testing.T) {
	s := New(t, alice, bob)
	msg := rawMail(alice.Name, bob.Name, "via smtp", "2@t")
	tlsConf := &tls.Config{RootCAs: s.CertPool(), ServerName: "localhost"}

	c, err := smtp.DialStartTLS(s.SubmitAddr, tlsConf)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Auth(sasl.NewPlainClient("", alice.Name, "wrong")); err == nil {
		t.Fatal("wrong password accepted")
	}
	c.Close()
	if err := smtp.SendMail(s.SubmitAddr, nil, alice.Name, []string{bob.Name}, strings.NewReader(msg)); err == nil {
		t.Fatal("unauthenticated submission accepted")
	}

	c, err = smtp.DialTLS(s.SubmitTLSAddr, tlsConf)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", alice.Name, alice.Password)); err != nil {
		t.Fatal(err)
	}
	if err := c.SendMail(alice.Name, []string{bob.Name}, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
	waitCount(t, s, bob, "INBOX", 1)
	if subs := s.Submissions(); len(subs) != 1 || subs[0].AuthUser != alice.Name {
		t.Fatalf("submissions = %+v", subs)
	}
}

func TestRestartKeepsMailAndPorts(t *testing.T) {
	s := New(t, alice)
	if err := s.Deliver(alice.Name, []string{alice.Name}, strings.NewReader(rawMail(bob.Name, alice.Name, "a", "3@t"))); err != nil {
		t.Fatal(err)
	}
	waitCount(t, s, alice, "INBOX", 1)
	addr := s.IMAPSAddr
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if s.IMAPSAddr != addr {
		t.Fatalf("address changed")
	}
	waitCount(t, s, alice, "INBOX", 1)
}

func TestWriteMaildirIsSeenByIMAP(t *testing.T) {
	s := New(t, alice)
	var raws [][]byte
	for i := 0; i < 20; i++ {
		raws = append(raws, []byte(rawMail(bob.Name, alice.Name, fmt.Sprint("n", i), fmt.Sprint(i, "@m"))))
	}
	if err := s.WriteMaildir(alice.Name, "INBOX", raws); err != nil {
		t.Fatal(err)
	}
	waitCount(t, s, alice, "INBOX", 20)
}

// selectValidity logs in over IMAPS and returns what SELECT reports.
func selectValidity(t *testing.T, s *Server, u User, mailbox string) (validity, num uint32) {
	t.Helper()
	c, err := imapclient.DialTLS(s.IMAPSAddr, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: s.CertPool()}})
	if err != nil {
		t.Fatalf("imaps dial: %v", err)
	}
	defer c.Close()
	if err := c.Login(u.Name, u.Password).Wait(); err != nil {
		t.Fatalf("login: %v\n%s", err, s.Log())
	}
	sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatalf("select %s: %v", mailbox, err)
	}
	return sel.UIDValidity, sel.NumMessages
}

func TestResetUIDValidityChangesItAndKeepsTheMail(t *testing.T) {
	s := New(t, alice)
	for i := 0; i < 3; i++ {
		if err := s.Deliver(bob.Name, []string{alice.Name}, strings.NewReader(rawMail(bob.Name, alice.Name, "v", fmt.Sprint(i, "@v")))); err != nil {
			t.Fatal(err)
		}
	}
	waitCount(t, s, alice, "INBOX", 3)
	before, _ := selectValidity(t, s, alice, "INBOX")
	if got, err := s.UIDValidity(alice.Name, "INBOX"); err != nil || got != before {
		t.Fatalf("UIDValidity = %d, %v; SELECT said %d", got, err, before)
	}
	next, err := s.ResetUIDValidity(alice.Name, "INBOX")
	if err != nil {
		t.Fatalf("%v\n%s", err, s.Log())
	}
	after, n := selectValidity(t, s, alice, "INBOX")
	if after == before || after != next || n != 3 {
		t.Fatalf("UIDVALIDITY %d → %d (helper said %d), %d mails; want a new value and 3 mails", before, after, next, n)
	}
	// It survives a restart: it is in Dovecot's own files, not a trick of one process.
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if v, n := selectValidity(t, s, alice, "INBOX"); v != next || n != 3 {
		t.Fatalf("after restart: UIDVALIDITY %d, %d mails; want %d and 3", v, n, next)
	}
}
