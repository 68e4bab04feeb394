package dovecot

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Submission is one message accepted by the SMTP bridge.
type Submission struct {
	AuthUser string
	From     string
	To       []string
	Data     []byte
}

// submission is the in-process SMTP server: three listeners (STARTTLS,
// implicit TLS, plaintext with AUTH for tls=false loopback tests) sharing one
// backend that checks AUTH PLAIN against the users file and hands every
// accepted message to Dovecot over LMTP.
type submission struct {
	srv     *Server
	servers []*smtp.Server
	wg      sync.WaitGroup

	mu   sync.Mutex
	subs []Submission
}

func startSubmission(s *Server, startTLSPort, tlsPort, plainPort int) (*submission, error) {
	sub := &submission{srv: s}
	tlsConf := &tls.Config{Certificates: []tls.Certificate{s.cert}, MinVersion: tls.VersionTLS12}
	type lis struct {
		port     int
		implicit bool
		plain    bool
	}
	for _, l := range []lis{{startTLSPort, false, false}, {tlsPort, true, false}, {plainPort, false, true}} {
		ln, err := net.Listen("tcp", addr(l.port))
		if err != nil {
			sub.close()
			return nil, fmt.Errorf("dovecot: smtp listen: %w", err)
		}
		srv := smtp.NewServer(smtp.BackendFunc(sub.newSession))
		srv.Domain = "localhost"
		srv.MaxMessageBytes = 64 << 20
		srv.MaxRecipients = 50
		srv.ReadTimeout = time.Minute
		srv.WriteTimeout = time.Minute
		srv.ErrorLog = quietLog{} // clients hanging up are normal in tests
		switch {
		case l.implicit:
			ln = tls.NewListener(ln, tlsConf)
		case l.plain:
			srv.AllowInsecureAuth = true
		default:
			srv.TLSConfig = tlsConf
		}
		sub.servers = append(sub.servers, srv)
		sub.wg.Add(1)
		go func() {
			defer sub.wg.Done()
			_ = srv.Serve(ln)
		}()
	}
	return sub, nil
}

func (sub *submission) close() {
	for _, srv := range sub.servers {
		_ = srv.Close()
	}
	sub.wg.Wait()
}

// Submissions returns the messages the SMTP bridge accepted so far.
func (s *Server) Submissions() []Submission {
	if s.smtp == nil {
		return nil
	}
	s.smtp.mu.Lock()
	defer s.smtp.mu.Unlock()
	return append([]Submission(nil), s.smtp.subs...)
}

func (sub *submission) newSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{sub: sub}, nil
}

type session struct {
	sub  *submission
	user string
	from string
	to   []string
}

var errAuthRequired = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}

func (se *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (se *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if identity != "" && identity != username {
			return errors.New("identity not allowed")
		}
		if !se.sub.srv.checkPassword(username, password) {
			return smtp.ErrAuthFailed
		}
		se.user = username
		return nil
	}), nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	if se.user == "" {
		return errAuthRequired
	}
	se.from = from
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if se.user == "" {
		return errAuthRequired
	}
	se.to = append(se.to, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	se.sub.mu.Lock()
	se.sub.subs = append(se.sub.subs, Submission{AuthUser: se.user, From: se.from, To: append([]string(nil), se.to...), Data: data})
	se.sub.mu.Unlock()
	// Mail for addresses without a mailbox here is only recorded: there is
	// nowhere to relay it (and LMTP would refuse the whole mail).
	var local []string
	for _, to := range se.to {
		if se.sub.srv.hasUser(to) || strings.HasSuffix(strings.ToLower(to), "@localhost") {
			local = append(local, to)
		}
	}
	if len(local) == 0 {
		return nil
	}
	if err := se.sub.srv.Deliver(se.from, local, bytes.NewReader(data)); err != nil {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "LMTP delivery failed: " + err.Error()}
	}
	return nil
}

func (se *session) Reset()        { se.from, se.to = "", nil }
func (se *session) Logout() error { return nil }

// quietLog drops go-smtp's connection error log lines.
type quietLog struct{}

func (quietLog) Printf(string, ...interface{}) {}
func (quietLog) Println(...interface{})        {}
