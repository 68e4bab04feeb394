package xmpp

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"
)

// negotiationTimeout bounds each step of connecting before the session
// runs (TCP, TLS, SASL, bind, resume).
const negotiationTimeout = 30 * time.Second

// writeTimeout bounds one write to the socket.
const writeTimeout = 30 * time.Second

// transport is one TCP (or TLS) connection carrying an XMPP stream: the
// synchronous negotiation steps, then raw element writes for the session.
type transport struct {
	conn   net.Conn
	r      *Reader
	limit  int
	tls    bool
	wmu    sync.Mutex
	early  []*Element // stanzas that arrived during negotiation, for the session
	domain string
	from   string
}

func newTransport(conn net.Conn, limit int, overTLS bool) *transport {
	return &transport{conn: conn, r: NewReader(conn, limit), limit: limit, tls: overTLS}
}

func (t *transport) writeRaw(b []byte) error {
	t.wmu.Lock()
	defer t.wmu.Unlock()
	_ = t.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, err := t.conn.Write(b)
	if err != nil {
		return fmt.Errorf("xmpp: write: %w", err)
	}
	return nil
}

func (t *transport) write(el *Element) error { return t.writeRaw(el.Marshal()) }

// open sends our stream header and reads the server's header and features.
func (t *transport) open() (*Element, error) {
	hdr := "<?xml version='1.0'?><stream:stream to='" + attrEscape(t.domain) + "'"
	if t.tls && t.from != "" {
		hdr += " from='" + attrEscape(t.from) + "'"
	}
	hdr += " version='1.0' xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
	if err := t.writeRaw([]byte(hdr)); err != nil {
		return nil, err
	}
	t.r.Restart()
	h, err := t.r.StreamStart()
	if err != nil {
		return nil, fmt.Errorf("xmpp: read stream header: %w", err)
	}
	if v := h.Get("version"); v != "" && v[0] < '1' {
		return nil, fmt.Errorf("xmpp: server speaks XMPP version %q, not 1.0", v)
	}
	el, err := t.next()
	if err != nil {
		return nil, fmt.Errorf("xmpp: read stream features: %w", err)
	}
	if !el.Is(nsStream, "features") {
		return nil, fmt.Errorf("xmpp: expected stream features, got <%s>", el.Name.Local)
	}
	return el, nil
}

// next reads one element, turning a stream error into *StreamError.
func (t *transport) next() (*Element, error) {
	el, err := t.r.Next()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("xmpp: the server closed the stream: %w", io.ErrUnexpectedEOF)
		}
		return nil, err
	}
	if el.Is(nsStream, "error") {
		se := parseStreamError(el)
		se.Secure = t.tls
		return nil, se
	}
	return el, nil
}

// startTLS upgrades the connection (RFC 6120 §5).
func (t *transport) startTLS(ctx context.Context, cfg *tls.Config) error {
	if err := t.write(E(nsTLS, "starttls")); err != nil {
		return err
	}
	el, err := t.next()
	if err != nil {
		return fmt.Errorf("xmpp: starttls: %w", err)
	}
	if !el.Is(nsTLS, "proceed") {
		return errors.New("xmpp: the server refused STARTTLS")
	}
	tc := tls.Client(t.conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return fmt.Errorf("xmpp: TLS handshake with %s: %w", cfg.ServerName, err)
	}
	t.conn, t.tls = tc, true
	t.r = NewReader(tc, t.limit)
	return nil
}

// authenticate runs SASL (RFC 6120 §6) with the chosen mechanism.
func (t *transport) authenticate(m mechanism) error {
	initial, err := m.Start()
	if err != nil {
		return err
	}
	auth := E(nsSASL, "auth", "mechanism", m.Name()).SetText(b64(initial))
	if err := t.write(auth); err != nil {
		return err
	}
	for {
		el, err := t.next()
		if err != nil {
			return fmt.Errorf("xmpp: authenticate: %w", err)
		}
		switch {
		case el.Is(nsSASL, "challenge"):
			data, err := unb64(el.Text)
			if err != nil {
				return fmt.Errorf("xmpp: authenticate: bad challenge: %w", err)
			}
			resp, err := m.Next(data)
			if err != nil {
				_ = t.write(E(nsSASL, "abort"))
				return err
			}
			if err := t.write(E(nsSASL, "response").SetText(b64(resp))); err != nil {
				return err
			}
		case el.Is(nsSASL, "success"):
			data, err := unb64(el.Text)
			if err != nil {
				return fmt.Errorf("xmpp: authenticate: bad success data: %w", err)
			}
			return m.Verify(data)
		case el.Is(nsSASL, "failure"):
			return saslFailure(el)
		default:
			return fmt.Errorf("xmpp: authenticate: unexpected <%s>", el.Name.Local)
		}
	}
}

func b64(b []byte) string {
	if len(b) == 0 {
		return "="
	}
	return base64.StdEncoding.EncodeToString(b)
}

func unb64(s string) ([]byte, error) {
	s = trimmed(s)
	if s == "" || s == "=" {
		return nil, nil
	}
	return base64.StdEncoding.DecodeString(s)
}

// iqSync sends an IQ during negotiation and waits for its answer; other
// stanzas that arrive meanwhile are kept for the session.
func (t *transport) iqSync(iq *Element) (*Element, error) {
	id := iq.Get("id")
	if err := t.write(iq); err != nil {
		return nil, err
	}
	for {
		el, err := t.next()
		if err != nil {
			return nil, err
		}
		if el.Name.Local == "iq" && el.Get("id") == id {
			if el.Get("type") == "error" {
				return nil, parseStanzaError(el)
			}
			return el, nil
		}
		t.early = append(t.early, el)
	}
}

// bind asks for our resource and returns the full JID (RFC 6120 §7).
func (t *transport) bind(resource string) (string, error) {
	iq := E(nsClient, "iq", "type", "set", "id", "bind1").Add(
		E(nsBind, "bind").Add(E(nsBind, "resource").SetText(resource)))
	res, err := t.iqSync(iq)
	if err != nil {
		return "", fmt.Errorf("xmpp: bind resource: %w", err)
	}
	jid := trimmed(res.Child(nsBind, "bind").ChildText(nsBind, "jid"))
	if jid == "" {
		return "", errors.New("xmpp: bind resource: the server returned no address")
	}
	return jid, nil
}

// session establishes the legacy RFC 3921 session where a server still
// requires it (not optional).
func (t *transport) session(features *Element) error {
	s := features.Child(nsSession, "session")
	if s == nil || s.Child(nsSession, "optional") != nil {
		return nil
	}
	_, err := t.iqSync(E(nsClient, "iq", "type", "set", "id", "sess1").Add(E(nsSession, "session")))
	if err != nil {
		return fmt.Errorf("xmpp: establish session: %w", err)
	}
	return nil
}

// smReply waits for the answer to <enable/> or <resume/>.
func (t *transport) smReply() (*Element, error) {
	for {
		el, err := t.next()
		if err != nil {
			return nil, fmt.Errorf("xmpp: stream management: %w", err)
		}
		if el.Name.Space == nsSM {
			return el, nil
		}
		t.early = append(t.early, el)
	}
}

func parseH(el *Element) (uint32, bool) {
	v := el.Get("h")
	if v == "" {
		return 0, false
	}
	n, err := strconv.ParseUint(v, 10, 32)
	return uint32(n), err == nil
}
