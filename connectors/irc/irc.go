// Package irc is Switchboard's IRC connector: RFC 1459/2812 plus the IRCv3
// capabilities a messenger needs (CAP LS 302, SASL PLAIN, server-time,
// message-tags, echo-message, labeled-response, away-notify).
//
// The protocol lives in pure code without I/O: message.go parses and
// serialises lines, session*.go is the state machine. link.go is the thin
// adapter between a net.Conn and the session; this file is the
// connectors.Connector the core sees.
package irc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"switchboard/connectors"
)

func init() { connectors.Register("irc", New) }

// Settings keys (the Keys of Info().Fields).
const (
	KeyServer   = "server"
	KeyNick     = "nick"
	KeyUser     = "user"
	KeyRealName = "realname"
	KeyTLS      = "tls"
	KeyCAFile   = "ca_file"
	KeyJoin     = "join"
	KeySASLUser = "sasl_user"
	KeyPassword = "password" // the secret
)

// Connector is one IRC account. It survives reconnects: the channels the
// user joined or left and the nicks blocked carry over to the next Run.
type Connector struct {
	log *slog.Logger

	pingInterval    time.Duration // idle time before we send PING
	pingTimeout     time.Duration // how long to wait for any line after our PING
	registerTimeout time.Duration // from connect to 001
	echoTimeout     time.Duration // how long Send waits for the echo of its message
	joinTimeout     time.Duration

	mu      sync.Mutex
	live    *link             // the registered connection, nil when offline
	joined  map[string]string // folded → name: joined at the user's request
	left    map[string]bool   // folded: left at the user's request
	blocked map[string]string // folded → nick
}

// New returns an unconnected IRC connector.
func New() connectors.Connector {
	return &Connector{
		log:          slog.Default().With("connector", "irc"),
		pingInterval: 90 * time.Second, pingTimeout: 60 * time.Second,
		registerTimeout: 60 * time.Second, echoTimeout: 15 * time.Second, joinTimeout: 30 * time.Second,
		joined: map[string]string{}, left: map[string]bool{}, blocked: map[string]string{},
	}
}

// Info declares the network and its account form.
func (c *Connector) Info() connectors.NetworkInfo {
	return connectors.NetworkInfo{Name: "irc", DisplayName: "IRC", Icon: "irc", Validate: Validate, Target: Target, Fields: []connectors.Field{
		{Key: KeyServer, Label: "Server", Placeholder: "irc.libera.chat:6697", Kind: connectors.FieldHostPort, Required: true,
			Help: "HOST:PORT of the IRC server (6697 is the usual TLS port)"},
		{Key: KeyNick, Label: "Nick", Placeholder: "alice", Kind: connectors.FieldText, Required: true,
			Help: "your nickname; if it is taken, nick_ is tried"},
		{Key: KeyUser, Label: "User name", Kind: connectors.FieldText, Help: "the ident/user name; the nick when empty"},
		{Key: KeyRealName, Label: "Real name", Kind: connectors.FieldText, Help: "shown in WHOIS; the nick when empty"},
		{Key: KeyTLS, Label: "Use TLS", Kind: connectors.FieldBool, Default: "true", Help: connectors.TLSHelp},
		{Key: KeyCAFile, Label: "CA certificate file", Kind: connectors.FieldFile,
			Help: "a PEM file with a private CA to trust in addition to the system's"},
		{Key: KeyJoin, Label: "Channels", Placeholder: "#switchboard,#go-nuts", Kind: connectors.FieldList,
			Help: "channels to join on connect, comma-separated"},
		{Key: KeySASLUser, Label: "SASL account", Kind: connectors.FieldText,
			Help: "the services account to log in as; the nick when empty"},
		{Key: KeyPassword, Label: "Password", Kind: connectors.FieldSecret,
			Help: "SASL PLAIN password when the server offers SASL, else the server password (PASS)"},
	}}
}

// config is an account's settings, checked.
type config struct {
	server   string
	host     string
	tls      bool
	caFile   string
	session  sessionConfig
	channels []string
}

func parseSettings(acct connectors.Account) (config, error) {
	var cfg config
	cfg.server = strings.TrimSpace(acct.Setting(KeyServer, ""))
	host, port, err := net.SplitHostPort(cfg.server)
	if cfg.server == "" {
		return cfg, errors.New("irc: the server setting is empty (want HOST:PORT)")
	}
	if err != nil || host == "" {
		return cfg, fmt.Errorf("irc: server %q is not HOST:PORT", cfg.server)
	}
	if p, perr := strconv.Atoi(port); perr != nil || p <= 0 || p > 65535 {
		return cfg, fmt.Errorf("irc: server %q has no valid port", cfg.server)
	}
	cfg.host = host
	nick := strings.TrimSpace(acct.Setting(KeyNick, ""))
	if !validTarget(nick) || strings.ContainsAny(nick, "#&!@") {
		return cfg, fmt.Errorf("irc: nick %q is not a valid nickname", nick)
	}
	if cfg.tls, err = connectors.TLSSetting(acct.Setting(KeyTLS, "true"), host); err != nil {
		return cfg, fmt.Errorf("irc: %w", err)
	}
	cfg.caFile = acct.Setting(KeyCAFile, "")
	for _, ch := range strings.Split(acct.Setting(KeyJoin, ""), ",") {
		if ch = strings.TrimSpace(ch); ch != "" {
			cfg.channels = append(cfg.channels, ch)
		}
	}
	cfg.session = sessionConfig{
		Account: acct.ID, Nick: nick,
		User:     acct.Setting(KeyUser, ""),
		RealName: acct.Setting(KeyRealName, ""),
		SASLUser: acct.Setting(KeySASLUser, ""),
	}
	return cfg, nil
}

// Run connects and serves the account until ctx ends or the link fails.
func (c *Connector) Run(ctx context.Context, acct connectors.Account, secrets connectors.Secrets, sink chan<- connectors.Event) error {
	emit := func(ev connectors.Event) {
		select {
		case sink <- ev: // even when ctx has ended, if there is room
			return
		default:
		}
		select {
		case sink <- ev:
		case <-ctx.Done():
		}
	}
	cfg, err := parseSettings(acct)
	if err == nil {
		cfg.session.Password, err = password(ctx, secrets)
	}
	if err != nil {
		emit(connectors.ConnectionState{Account: acct.ID, State: connectors.StateOffline, Reason: err.Error()})
		return err
	}
	cfg.session.Channels, cfg.session.Blocked = c.channelsAndBlocks(cfg.channels)
	emit(connectors.ConnectionState{Account: acct.ID, State: connectors.StateConnecting})
	err = c.runLink(ctx, cfg, sink)
	var auth *connectors.AuthError
	switch {
	case ctx.Err() != nil:
		emit(connectors.ConnectionState{Account: acct.ID, State: connectors.StateOffline, Reason: "disconnected"})
		return ctx.Err()
	case errors.As(err, &auth):
		emit(connectors.ConnectionState{Account: acct.ID, State: connectors.StateAuthFailed, Reason: auth.Reason})
	default:
		emit(connectors.ConnectionState{Account: acct.ID, State: connectors.StateOffline, Reason: err.Error()})
	}
	return err
}

func password(ctx context.Context, secrets connectors.Secrets) (string, error) {
	if secrets == nil {
		return "", nil
	}
	pw, err := secrets.Get(ctx, KeyPassword)
	if errors.Is(err, connectors.ErrNoSecret) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("irc: read the password from the secret store: %w", err)
	}
	return pw, nil
}

// channelsAndBlocks: the configured channels plus those the user joined,
// minus those the user left; and the nicks to SILENCE.
func (c *Connector) channelsAndBlocks(configured []string) (channels, blocked []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	seen := map[string]bool{}
	fold := defaultISupport().fold
	for _, ch := range configured {
		if !c.left[fold(ch)] && !seen[fold(ch)] {
			seen[fold(ch)] = true
			channels = append(channels, ch)
		}
	}
	for k, ch := range c.joined {
		if !seen[k] {
			seen[k] = true
			channels = append(channels, ch)
		}
	}
	for _, nick := range c.blocked {
		blocked = append(blocked, nick)
	}
	return channels, blocked
}

func (c *Connector) current() *link {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.live
}

func (c *Connector) setLive(l *link) {
	c.mu.Lock()
	c.live = l
	c.mu.Unlock()
}

// Send delivers one message (split into several lines when long) and
// returns its remote ID: the msgid of the server's echo when the server
// echoes, else the deterministic hash. With several chunks the ID is the
// first chunk's.
func (c *Connector) Send(ctx context.Context, msg connectors.Outgoing) (string, error) {
	l := c.current()
	if l == nil {
		return "", connectors.ErrNotConnected
	}
	res, err := l.do(ctx, request{kind: reqSend, out: msg})
	return res.remoteID, err
}

// Join joins a channel, waits for the server to confirm it, and keeps it
// joined across reconnects.
func (c *Connector) Join(ctx context.Context, conv string) error {
	if !validTarget(conv) {
		return fmt.Errorf("irc: join %q: %w", conv, ErrBadTarget)
	}
	l := c.current()
	if l == nil {
		return connectors.ErrNotConnected
	}
	if _, err := l.do(ctx, request{kind: reqJoin, target: conv}); err != nil {
		return fmt.Errorf("irc: join %s: %w", conv, err)
	}
	c.mu.Lock()
	k := defaultISupport().fold(conv)
	c.joined[k] = conv
	delete(c.left, k)
	c.mu.Unlock()
	return nil
}

// Leave parts a channel and stops rejoining it on reconnect.
func (c *Connector) Leave(ctx context.Context, conv string) error {
	if !validTarget(conv) {
		return fmt.Errorf("irc: leave %q: %w", conv, ErrBadTarget)
	}
	c.mu.Lock()
	k := defaultISupport().fold(conv)
	delete(c.joined, k)
	c.left[k] = true
	c.mu.Unlock()
	l := c.current()
	if l == nil {
		return nil // not rejoined when we reconnect
	}
	if _, err := l.do(ctx, request{kind: reqPart, target: conv}); err != nil {
		return fmt.Errorf("irc: leave %s: %w", conv, err)
	}
	return nil
}

// Block ignores a nick. Where the server advertises SILENCE (ISUPPORT) the
// server drops the nick's messages (re-applied after every reconnect).
// Otherwise the ignore is client-side and nothing is dropped: the nick's
// messages are still reported, with Headers["irc-ignored"], so the brand
// policy can hold them. Block works offline too; it applies on connect.
func (c *Connector) Block(ctx context.Context, handle string, block bool) error {
	if !validTarget(handle) {
		return fmt.Errorf("irc: block %q: %w", handle, ErrBadTarget)
	}
	c.mu.Lock()
	if block {
		c.blocked[defaultISupport().fold(handle)] = handle
	} else {
		delete(c.blocked, defaultISupport().fold(handle))
	}
	c.mu.Unlock()
	l := c.current()
	if l == nil {
		return nil
	}
	if _, err := l.do(ctx, request{kind: reqBlock, target: handle, on: block}); err != nil {
		return fmt.Errorf("irc: block %s: %w", handle, err)
	}
	return nil
}

// SetTyping sends an IRCv3 +typing notification; it returns an error
// wrapping errors.ErrUnsupported when the server lacks message-tags.
func (c *Connector) SetTyping(ctx context.Context, conv connectors.ConversationRef, active bool) error {
	l := c.current()
	if l == nil {
		return connectors.ErrNotConnected
	}
	_, err := l.do(ctx, request{kind: reqTyping, target: conv.ID, on: active})
	return err
}

var (
	_ connectors.Connector = (*Connector)(nil)
	_ connectors.Joiner    = (*Connector)(nil)
	_ connectors.Blocker   = (*Connector)(nil)
	_ connectors.Typer     = (*Connector)(nil)
)
