// Package email connects an IMAP + SMTP mail account to Switchboard and makes
// mail feel like chat: one conversation per counterpart (or participant set
// for group mail), the new text of each mail with quotes and signatures
// folded away, newsletters reported as brands, and RFC 8058 / RFC 2369
// unsubscribe.
//
// Run connects to IMAP (implicit TLS or STARTTLS, verified; never a silent
// downgrade), syncs INBOX and the Sent folder — on a first sync their newest
// sync_depth mails (newest page first, emitted with Backfill=true), else
// what lies above the sync position — then waits with IDLE (NOOP polling
// when the server lacks IDLE).
//
// The sync position is each folder's UIDVALIDITY, last UID and newest
// mail time. The
// connector keeps it in memory between Runs and reports it as a
// connectors.SyncState (versioned JSON, see syncPosition) after every
// fetched page and every window sync, so it only ever claims mails already
// emitted. A Run seeds folders it does not know yet from
// Account.SyncState; an unusable position is logged without its content
// and ignored. With a known position and the same UIDVALIDITY, a Run
// fetches every mail above the last UID, oldest first and paged (Backfill
// when catching up with a position from an earlier process, live after a
// reconnect); when the UIDVALIDITY changed it resyncs the newest
// sync_depth mails and every mail dated (SENTSINCE) from two days before
// the newest one it knew. Storage deduplicates on the remote ID (the Message-ID
// or a hash of the headers), so a resync never doubles a mail.
//
// Send submits over SMTP (465 implicit TLS, otherwise STARTTLS; AUTH PLAIN),
// with a Message-ID derived from the outbox ID so a retry is recognisable and
// is not sent twice if its copy is already in Sent, then APPENDs the copy to
// Sent. Capabilities beyond connectors.Connector: connectors.Unsubscriber,
// Original (the full text of a mail, fetched from IMAP on demand) and
// connectors.AttachmentFetcher (a mail's files, streamed from IMAP).
package email

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"switchboard/connectors"
)

func init() {
	connectors.Register("email", func() connectors.Connector { return New() })
}

// Defaults for the account settings and the wait loop.
const (
	DefaultSyncDepth    = 500
	defaultPollInterval = 2 * time.Minute // NOOP fallback and Sent check while idle
	pageSize            = 100
)

// Connector is one e-mail account's live link. Create it with New (or
// connectors.New("email")).
type Connector struct {
	mu       sync.Mutex
	sess     *session                  // non-nil while Run is connected
	folders  map[folderKey]folderState // per server+login+folder; survives Runs, seeded from Account.SyncState
	lastSync string                    // the SyncState last emitted (or restored)
	pending  []pendingAppend           // sent mails whose Sent copy is still to be stored
	log      *slog.Logger

	// Test hooks: zero values are the production behaviour.
	pollInterval time.Duration                                            // 0 = defaultPollInterval
	answerWait   time.Duration                                            // 0 = answerTimeout: how long the server may leave a command unanswered
	fetchPage    int                                                      // 0 = pageSize
	noIdle       bool                                                     // true = behave as with a server without IDLE
	httpRoots    *x509.CertPool                                           // nil = the system roots (which honour SSL_CERT_FILE)
	lookupTXT    func(ctx context.Context, name string) ([]string, error) // nil = DNS (see txtLookup)
	// oneClickAllow says which addresses a one-click POST may connect to;
	// nil = public addresses on port 443 (publicHTTPS). Only tests set it.
	oneClickAllow func(netip.AddrPort) bool
}

// New returns an unconnected connector.
func New() *Connector {
	return &Connector{folders: map[folderKey]folderState{}, log: slog.Default().With("connector", "email")}
}

var (
	_ connectors.Connector          = (*Connector)(nil)
	_ connectors.Unsubscriber       = (*Connector)(nil)
	_ connectors.UnsubscribePlanner = (*Connector)(nil)
)

// Info describes the network and its account form.
func (c *Connector) Info() connectors.NetworkInfo {
	return connectors.NetworkInfo{
		Name:        "email",
		DisplayName: "E-mail",
		Icon:        "email",
		Validate:    Validate,
		Target:      Target,
		Fields: []connectors.Field{
			{Key: "user", Label: "Address", Placeholder: "alice@example.org", Kind: connectors.FieldText, Required: true,
				Help: "Your e-mail address"},
			{Key: "server", Label: "IMAP server", Placeholder: "imap.example.org:993", Kind: connectors.FieldHostPort, Required: true,
				Help: "HOST:PORT; 993 is TLS, others STARTTLS; imaps://HOST:PORT: TLS on another port"},
			{Key: "smtp", Label: "SMTP server", Placeholder: "smtp.example.org:587", Kind: connectors.FieldHostPort, Required: true,
				Help: "HOST:PORT; 465 is TLS, others STARTTLS; smtps://HOST:PORT: TLS on another port"},
			{Key: "tls", Label: "Use TLS", Kind: connectors.FieldBool, Default: "true", Help: connectors.TLSHelp},
			{Key: "ca_file", Label: "CA certificate", Kind: connectors.FieldFile,
				Help: "PEM file of a private CA that signed the servers' certificates (added to the system roots)"},
			{Key: "login", Label: "Login name", Kind: connectors.FieldText,
				Help: "Only if the server's login name is not your address"},
			{Key: "sync_depth", Label: "Mails to sync", Kind: connectors.FieldText, Default: strconv.Itoa(DefaultSyncDepth),
				Help: "How many recent mails per folder the first sync fetches"},
			{Key: "password", Label: "Password", Kind: connectors.FieldSecret, Required: true},
		},
	}
}

// endpoint is one server address and how to secure it.
type endpoint struct {
	addr     string // host:port
	host     string
	implicit bool // TLS from the first byte; otherwise STARTTLS (or plaintext when tls=false)
}

// config is the validated account settings.
type config struct {
	account  string
	user     string // the address, lowercased
	login    string
	imap     endpoint
	smtp     endpoint
	useTLS   bool
	caFile   string
	depth    int
	password string
}

// parseEndpoint reads HOST:PORT with an optional scheme. implicitPort is
// the port that means implicit TLS (993 for IMAP, 465 for SMTP).
func parseEndpoint(v string, implicitPort string, implicitSchemes, startTLSSchemes []string) (endpoint, error) {
	var ep endpoint
	forced := ""
	if i := strings.Index(v, "://"); i >= 0 {
		scheme := strings.ToLower(v[:i])
		switch {
		case contains(implicitSchemes, scheme):
			forced = "implicit"
		case contains(startTLSSchemes, scheme):
			forced = "starttls"
		default:
			return ep, fmt.Errorf("unknown scheme %q (use %s or %s)", scheme, implicitSchemes[0], startTLSSchemes[0])
		}
		v = strings.TrimSuffix(v[i+3:], "/")
	}
	host, port, err := net.SplitHostPort(v)
	if err != nil || host == "" || port == "" {
		return ep, fmt.Errorf("%q is not HOST:PORT", v)
	}
	if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
		return ep, fmt.Errorf("bad port in %q", v)
	}
	ep = endpoint{addr: net.JoinHostPort(host, port), host: host, implicit: port == implicitPort}
	if forced != "" {
		ep.implicit = forced == "implicit"
	}
	return ep, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func parseConfig(acct connectors.Account) (config, error) {
	cfg := config{account: acct.ID}
	cfg.user = strings.ToLower(strings.TrimSpace(acct.Setting("user", "")))
	if err := checkAddress(cfg.user); err != nil {
		return cfg, fmt.Errorf("email: setting user: %w", err)
	}
	cfg.login = acct.Setting("login", cfg.user)
	var err error
	if cfg.imap, err = parseEndpoint(acct.Setting("server", ""), "993", []string{"imaps"}, []string{"imap"}); err != nil {
		return cfg, fmt.Errorf("email: setting server: %w", err)
	}
	if cfg.smtp, err = parseEndpoint(acct.Setting("smtp", ""), "465", []string{"smtps"}, []string{"submission", "smtp"}); err != nil {
		return cfg, fmt.Errorf("email: setting smtp: %w", err)
	}
	if cfg.useTLS, err = connectors.TLSSetting(acct.Setting("tls", "true"), cfg.imap.host, cfg.smtp.host); err != nil {
		return cfg, fmt.Errorf("email: %w", err)
	}
	for _, ep := range []endpoint{cfg.imap, cfg.smtp} {
		if !cfg.useTLS && ep.implicit {
			return cfg, fmt.Errorf("email: %s uses TLS from the start (its port or scheme says so), but tls is off", ep.addr)
		}
	}
	cfg.caFile = acct.Setting("ca_file", "")
	cfg.depth = DefaultSyncDepth
	if v := acct.Setting("sync_depth", ""); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1_000_000 {
			return cfg, fmt.Errorf("email: setting sync_depth: %q is not a number from 0 to 1000000", v)
		}
		cfg.depth = n
	}
	return cfg, nil
}

// tlsConfig verifies the server against the system roots plus ca_file.
func (cfg config) tlsConfig(host string) (*tls.Config, error) {
	tc := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if cfg.caFile == "" {
		return tc, nil
	}
	pem, err := os.ReadFile(cfg.caFile)
	if err != nil {
		return nil, fmt.Errorf("email: read ca_file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("email: ca_file %s holds no PEM certificate", cfg.caFile)
	}
	tc.RootCAs = pool
	return tc, nil
}

// ErrHeaderInjection is returned when an address or subject to be sent
// contains a line break (or another control character).
var ErrHeaderInjection = errors.New("line breaks and control characters are not allowed in mail headers")

// checkAddress accepts one bare addr-spec: local@domain, no display name,
// no control characters.
func checkAddress(a string) error {
	if a == "" {
		return errors.New("empty address")
	}
	if strings.ContainsFunc(a, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("address %q: %w", a, ErrHeaderInjection)
	}
	at := strings.LastIndexByte(a, '@')
	if at <= 0 || at == len(a)-1 || strings.ContainsAny(a, " <>,;:\"()[]\\") {
		return fmt.Errorf("%q is not an e-mail address", a)
	}
	return nil
}

// redactURL keeps scheme and host of a URL for error messages (unsubscribe
// tokens are personal).
func redactURL(u *url.URL) string {
	return u.Scheme + "://" + u.Host + "/…"
}
