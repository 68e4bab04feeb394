package signinfake

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"switchboard/connectors"
)

// sessionKey is the State name of the session token.
const sessionKey = "session"

// Conn is the fake network's connector.
type Conn struct {
	mu   sync.Mutex
	live *serverConn // while Run is connected
}

// New is the registry factory.
func New() connectors.Connector { return &Conn{} }

// Info describes the network: a server and a phone number; no password
// field (the password is asked at sign-in, as two-step passwords are).
func (c *Conn) Info() connectors.NetworkInfo {
	return connectors.NetworkInfo{Name: "signinfake", DisplayName: "Sign-in test network", Fields: []connectors.Field{
		{Key: "server", Label: "Server", Kind: connectors.FieldHostPort, Required: true, Placeholder: "127.0.0.1:4000"},
		{Key: "phone", Label: "Phone number", Kind: connectors.FieldText, Required: true, Placeholder: "+15550100"},
		{Key: "method", Label: "Sign in with", Kind: connectors.FieldText, Default: "code", Help: "code (a code and a password) or qr"},
	}}
}

func dial(ctx context.Context, acct connectors.Account) (net.Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", acct.Setting("server", ""))
	if err != nil {
		return nil, fmt.Errorf("signinfake: connect: %w", err)
	}
	return nc, nil
}

// SignIn asks for the code and the password, or shows the QR codes until
// one is scanned, and keeps the session the server grants.
func (c *Conn) SignIn(ctx context.Context, acct connectors.Account, _ connectors.Secrets, p connectors.Prompter) error {
	nc, err := dial(ctx, acct)
	if err != nil {
		return err
	}
	defer nc.Close()
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	sc, r := &serverConn{c: nc}, bufio.NewReader(nc)
	var tok string
	if acct.Setting("method", "code") == "qr" {
		tok, err = signInQR(ctx, sc, r, p)
	} else {
		tok, err = signInCode(ctx, sc, r, p, acct.Setting("phone", ""))
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return err
	}
	return acct.State.Put(ctx, sessionKey, []byte(tok))
}

func signInCode(ctx context.Context, sc *serverConn, r *bufio.Reader, p connectors.Prompter, phone string) (string, error) {
	if err := sc.send("SIGNIN", phone); err != nil {
		return "", fmt.Errorf("signinfake: %w", err)
	}
	questions := map[string]connectors.Question{
		"CODE":     {Key: "code", Label: "Code sent to " + phone, Help: "The code arrives by SMS within a minute"},
		"PASSWORD": {Key: "password", Label: "Two-step password", Secret: true},
	}
	for {
		verb, f, err := readLine(r)
		if err != nil {
			return "", fmt.Errorf("signinfake: read: %w", err)
		}
		switch verb {
		case "SESSION":
			return field(f, 0), nil
		case "ERR":
			return "", &connectors.AuthError{Reason: field(f, 0)}
		case "CODE", "PASSWORD":
			ans, err := p.Ask(ctx, questions[verb])
			if err != nil {
				return "", err
			}
			if err := sc.send(verb, ans); err != nil {
				return "", fmt.Errorf("signinfake: %w", err)
			}
		default:
			return "", fmt.Errorf("signinfake: unexpected %s", verb)
		}
	}
}

func signInQR(ctx context.Context, sc *serverConn, r *bufio.Reader, p connectors.Prompter) (string, error) {
	if err := sc.send("QR"); err != nil {
		return "", fmt.Errorf("signinfake: %w", err)
	}
	for {
		verb, f, err := readLine(r)
		if err != nil {
			return "", fmt.Errorf("signinfake: read: %w", err)
		}
		switch verb {
		case "QR":
			qr := connectors.QRCode{Payload: field(f, 0), Caption: "Scan this code with the test network's app on your phone",
				Expires: time.Now().Add(20 * time.Second)}
			if err := p.ShowQR(ctx, qr); err != nil {
				return "", err
			}
		case "SESSION":
			return field(f, 0), nil
		case "ERR":
			return "", &connectors.AuthError{Reason: field(f, 0)}
		}
	}
}

// Run resumes the kept session; without one, or when the server revokes
// it, it returns a *SignInError.
func (c *Conn) Run(ctx context.Context, acct connectors.Account, _ connectors.Secrets, sink chan<- connectors.Event) error {
	tok, err := acct.State.Get(ctx, sessionKey)
	if errors.Is(err, connectors.ErrNoState) {
		return &connectors.SignInError{Reason: "not signed in yet"}
	}
	if err != nil {
		return fmt.Errorf("signinfake: read session: %w", err)
	}
	nc, err := dial(ctx, acct)
	if err != nil {
		return err
	}
	defer nc.Close()
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	sc, r := &serverConn{c: nc}, bufio.NewReader(nc)
	if err := sc.send("RESUME", string(tok)); err != nil {
		return fmt.Errorf("signinfake: %w", err)
	}
	c.mu.Lock()
	c.live = sc
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.live = nil
		c.mu.Unlock()
	}()
	return c.serve(ctx, acct, r, sink)
}

func (c *Conn) serve(ctx context.Context, acct connectors.Account, r *bufio.Reader, sink chan<- connectors.Event) error {
	for {
		verb, f, err := readLine(r)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			return fmt.Errorf("signinfake: read: %w", err)
		}
		var ev connectors.Event
		switch verb {
		case "REVOKED":
			return &connectors.SignInError{Reason: field(f, 0)}
		case "OK":
			ev = connectors.ConnectionState{Account: acct.ID, State: connectors.StateOnline, Self: field(f, 0)}
		case "MSG":
			ev = connectors.MessageReceived{Account: acct.ID, Message: connectors.Message{
				RemoteID: field(f, 0), Conversation: connectors.ConversationRef{ID: field(f, 1), Kind: connectors.Direct, Origin: field(f, 2)},
				Sender: field(f, 3), Time: time.Now(), Text: field(f, 4)}}
		case "BRIDGE":
			ev = connectors.ConversationUpdated{Account: acct.ID, Conversation: connectors.ConversationRef{
				ID: field(f, 0), Kind: connectors.Direct, Origin: field(f, 1)}}
		default:
			continue
		}
		select {
		case sink <- ev:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Send hands the text to the server (which does nothing with it).
func (c *Conn) Send(ctx context.Context, msg connectors.Outgoing) (string, error) {
	c.mu.Lock()
	sc := c.live
	c.mu.Unlock()
	if sc == nil {
		return "", connectors.ErrNotConnected
	}
	if err := sc.send("SEND", msg.Conversation.ID, msg.Text); err != nil {
		return "", fmt.Errorf("signinfake: send: %w", err)
	}
	return "out-" + msg.LocalID, nil
}
