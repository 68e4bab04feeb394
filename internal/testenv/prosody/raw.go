package prosody

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// Raw is a bare-bones XMPP client for tests that must send stanzas no
// well-behaved client would (a hostile sender): direct TLS, SASL PLAIN,
// a bound resource, then raw XML both ways.
type Raw struct {
	JID  string // full JID after binding
	conn net.Conn
	mu   sync.Mutex
	buf  bytes.Buffer // everything read so far
	cond *sync.Cond
	err  error
}

// Dial logs user in on the server's direct TLS port. The connection
// closes when the test ends.
func (s *Server) Dial(t testing.TB, user, password string) *Raw {
	t.Helper()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", s.TLSAddr(),
		&tls.Config{ServerName: Domain, RootCAs: s.certPool(t)})
	if err != nil {
		t.Fatalf("prosody raw client: dial: %v", err)
	}
	r := &Raw{conn: conn}
	r.cond = sync.NewCond(&r.mu)
	go r.read()
	t.Cleanup(func() { conn.Close() })
	open := `<?xml version='1.0'?><stream:stream to='` + Domain + `' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`
	auth := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + password))
	steps := []struct{ send, want string }{
		{open, "</stream:features>"},
		{`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>` + auth + `</auth>`, "<success"},
		{open, "</stream:features>"},
		{`<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>raw</resource></bind></iq>`, "</jid>"},
		{`<presence/>`, ""},
	}
	for _, st := range steps {
		r.Send(t, st.send)
		if st.want == "" {
			continue
		}
		if _, err := r.WaitFor(10*time.Second, st.want); err != nil {
			t.Fatalf("prosody raw client %s: %v", user, err)
		}
	}
	r.mu.Lock()
	out := r.buf.String()
	r.mu.Unlock()
	if i, j := strings.LastIndex(out, "<jid>"), strings.LastIndex(out, "</jid>"); i >= 0 && j > i {
		r.JID = out[i+5 : j]
	}
	return r
}

func (s *Server) certPool(t testing.TB) *x509.CertPool {
	t.Helper()
	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		t.Fatalf("prosody raw client: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("prosody raw client: no certificate in %s", s.CAFile)
	}
	return pool
}

func (r *Raw) read() {
	b := make([]byte, 32<<10)
	for {
		n, err := r.conn.Read(b)
		r.mu.Lock()
		r.buf.Write(b[:n])
		if err != nil {
			r.err = err
		}
		r.cond.Broadcast()
		r.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// Send writes raw XML.
func (r *Raw) Send(t testing.TB, xml string) {
	t.Helper()
	r.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := r.conn.Write([]byte(xml)); err != nil {
		t.Fatalf("prosody raw client: send: %v", err)
	}
}

// WaitFor waits until text has been read (anywhere in what the server
// sent so far) and returns everything read.
func (r *Raw) WaitFor(limit time.Duration, text string) (string, error) {
	timer := time.AfterFunc(limit, func() {
		r.mu.Lock()
		r.cond.Broadcast()
		r.mu.Unlock()
	})
	defer timer.Stop()
	deadline := time.Now().Add(limit)
	r.mu.Lock()
	defer r.mu.Unlock()
	for !strings.Contains(r.buf.String(), text) {
		if r.err != nil {
			return r.buf.String(), fmt.Errorf("connection ended before %q: %w", text, r.err)
		}
		if time.Now().After(deadline) {
			return r.buf.String(), fmt.Errorf("no %q within %s", text, limit)
		}
		r.cond.Wait()
	}
	return r.buf.String(), nil
}
