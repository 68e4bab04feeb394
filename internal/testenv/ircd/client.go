package ircd

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// Client is a tiny raw IRC client for tests: it registers, joins, sends
// PRIVMSG and reads lines with a deadline. It answers PING by itself while
// reading. It is deliberately independent of connectors/irc so it can check
// that package from the outside.
type Client struct {
	Nick string // the nick it registered with
	conn net.Conn
	r    *bufio.Reader
	wmu  sync.Mutex
}

// ClientOptions configure Dial.
type ClientOptions struct {
	TLS      bool     // connect with TLS
	CertPEM  []byte   // trust this certificate (the Server's CertPEM) for TLS
	Caps     []string // IRCv3 capabilities to request (CAP REQ) before registering
	Password string   // server password (PASS)
	Timeout  time.Duration
}

// Line is a received line split into its parts. Tags are raw (unescaped
// values are not needed by tests).
type Line struct {
	Raw     string
	Tags    map[string]string
	Prefix  string
	Command string
	Params  []string
}

// Nick is the nick part of the prefix.
func (l Line) Nick() string {
	if i := strings.IndexAny(l.Prefix, "!@"); i >= 0 {
		return l.Prefix[:i]
	}
	return l.Prefix
}

// Param returns parameter i or "".
func (l Line) Param(i int) string {
	if i < len(l.Params) {
		return l.Params[i]
	}
	return ""
}

// Split parses one raw line (without CRLF) leniently.
func Split(raw string) Line {
	l := Line{Raw: raw, Tags: map[string]string{}}
	rest := raw
	if strings.HasPrefix(rest, "@") {
		var tags string
		tags, rest, _ = strings.Cut(rest[1:], " ")
		for _, kv := range strings.Split(tags, ";") {
			k, v, _ := strings.Cut(kv, "=")
			l.Tags[k] = v
		}
	}
	rest = strings.TrimLeft(rest, " ")
	if strings.HasPrefix(rest, ":") {
		l.Prefix, rest, _ = strings.Cut(rest[1:], " ")
	}
	rest = strings.TrimLeft(rest, " ")
	l.Command, rest, _ = strings.Cut(rest, " ")
	l.Command = strings.ToUpper(l.Command)
	for rest != "" {
		rest = strings.TrimLeft(rest, " ")
		if strings.HasPrefix(rest, ":") {
			l.Params = append(l.Params, rest[1:])
			break
		}
		var p string
		p, rest, _ = strings.Cut(rest, " ")
		if p != "" {
			l.Params = append(l.Params, p)
		}
	}
	return l
}

// Connect dials and registers for a test; it fails the test on error and
// closes the client in t.Cleanup.
func Connect(t testing.TB, addr, nick string, opts ClientOptions) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Dial(ctx, addr, nick, opts)
	if err != nil {
		t.Fatalf("ircd client %s: %v", nick, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Dial connects to addr and registers as nick, waiting for 001.
func Dial(ctx context.Context, addr, nick string, opts ClientOptions) (*Client, error) {
	if opts.Timeout == 0 {
		opts.Timeout = 20 * time.Second
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("ircd client: dial %s: %w", addr, err)
	}
	if opts.TLS {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(opts.CertPEM)
		tc := tls.Client(conn, &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12})
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, fmt.Errorf("ircd client: TLS handshake: %w", err)
		}
		conn = tc
	}
	c := &Client{Nick: nick, conn: conn, r: bufio.NewReaderSize(conn, 16384)}
	if err := c.register(opts); err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

func (c *Client) register(opts ClientOptions) error {
	if len(opts.Caps) > 0 {
		if err := c.Send("CAP LS 302"); err != nil {
			return err
		}
		if err := c.Send("CAP REQ :" + strings.Join(opts.Caps, " ")); err != nil {
			return err
		}
		if _, err := c.WaitFor(opts.Timeout, func(l Line) bool {
			return l.Command == "CAP" && (l.Param(1) == "ACK" || l.Param(1) == "NAK")
		}); err != nil {
			return fmt.Errorf("ircd client: CAP REQ: %w", err)
		}
		if err := c.Send("CAP END"); err != nil {
			return err
		}
	}
	if opts.Password != "" {
		if err := c.Send("PASS " + opts.Password); err != nil {
			return err
		}
	}
	if err := c.Send("NICK " + c.Nick); err != nil {
		return err
	}
	if err := c.Send("USER " + c.Nick + " 0 * :raw test client"); err != nil {
		return err
	}
	l, err := c.WaitFor(opts.Timeout, func(l Line) bool {
		return l.Command == "001" || l.Command == "433" || l.Command == "ERROR" || l.Command == "464"
	})
	if err != nil {
		return fmt.Errorf("ircd client: register %s: %w", c.Nick, err)
	}
	if l.Command != "001" {
		return fmt.Errorf("ircd client: register %s: %s", c.Nick, l.Raw)
	}
	return nil
}

// Send writes one raw line (CRLF is added).
func (c *Client) Send(line string) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.conn.SetWriteDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.conn.Write([]byte(line + "\r\n")); err != nil {
		return fmt.Errorf("ircd client %s: write: %w", c.Nick, err)
	}
	return nil
}

// Privmsg sends PRIVMSG target :text.
func (c *Client) Privmsg(target, text string) error {
	return c.Send("PRIVMSG " + target + " :" + text)
}

// Join joins a channel and waits for the end of its NAMES list.
func (c *Client) Join(channel string, timeout time.Duration) error {
	if err := c.Send("JOIN " + channel); err != nil {
		return err
	}
	_, err := c.WaitFor(timeout, func(l Line) bool {
		return l.Command == "366" && strings.EqualFold(l.Param(1), channel)
	})
	if err != nil {
		return fmt.Errorf("ircd client %s: join %s: %w", c.Nick, channel, err)
	}
	return nil
}

// ErrClosed is returned by ReadLine when the server closed the connection.
var ErrClosed = errors.New("connection closed")

// ReadLine returns the next line (PINGs are answered and skipped), waiting
// at most timeout.
func (c *Client) ReadLine(timeout time.Duration) (Line, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(timeout))
	for {
		raw, err := c.r.ReadString('\n')
		if err != nil {
			if errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) {
				return Line{}, fmt.Errorf("ircd client %s: %w", c.Nick, ErrClosed)
			}
			return Line{}, fmt.Errorf("ircd client %s: read: %w", c.Nick, err)
		}
		l := Split(strings.TrimRight(raw, "\r\n"))
		if l.Command == "PING" {
			if err := c.Send("PONG :" + l.Param(0)); err != nil {
				return Line{}, err
			}
			continue
		}
		return l, nil
	}
}

// WaitFor reads lines until match returns true, for at most timeout in all.
func (c *Client) WaitFor(timeout time.Duration, match func(Line) bool) (Line, error) {
	deadline := time.Now().Add(timeout)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return Line{}, fmt.Errorf("ircd client %s: no matching line within %s", c.Nick, timeout)
		}
		l, err := c.ReadLine(left)
		if err != nil {
			return Line{}, err
		}
		if match(l) {
			return l, nil
		}
	}
}

// Close sends QUIT and closes the connection.
func (c *Client) Close() error {
	_ = c.Send("QUIT :bye")
	return c.conn.Close()
}
