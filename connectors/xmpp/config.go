package xmpp

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"switchboard/connectors"
)

// Setting keys of an XMPP account (see Info).
const (
	keyServer    = "server"
	keyUser      = "user"
	keyCAFile    = "ca_file"
	keyTLS       = "tls"
	keyDirectTLS = "direct_tls"
	keyJoin      = "join"
	keyNick      = "nick"
	keyResource  = "resource"
	keyBackfill  = "backfill"
	keyPassword  = "password"
)

// defaultBackfill is how many of the newest archived messages (per archive:
// the account's own, and each joined room's) a connector instance fetches
// on its first connect. Later gaps are filled from the last archive ID seen.
const defaultBackfill = 1000

// info is the account form: the CLI maps --server/--user/--ca-file/--tls/
// --join/--nick onto these keys.
func info() connectors.NetworkInfo {
	return connectors.NetworkInfo{
		Name:        "xmpp",
		DisplayName: "XMPP (Jabber)",
		Icon:        "xmpp",
		Validate:    validate,
		Target:      target,
		Fields: []connectors.Field{
			{Key: keyUser, Label: "Address (JID)", Placeholder: "alice@example.org", Kind: connectors.FieldText, Required: true,
				Help: "Your full XMPP address."},
			{Key: keyPassword, Label: "Password", Kind: connectors.FieldSecret, Required: true},
			{Key: keyServer, Label: "Server", Placeholder: "xmpp.example.org:5222", Kind: connectors.FieldHostPort,
				Help: "Optional: defaults to the address's domain on port 5222 (5223 means direct TLS)."},
			{Key: keyTLS, Label: "Use TLS", Kind: connectors.FieldBool, Default: "true",
				Help: connectors.TLSHelp},
			{Key: keyDirectTLS, Label: "Direct TLS", Kind: connectors.FieldBool, Default: "false",
				Help: "TLS from the first byte (XEP-0368), as on port 5223."},
			{Key: keyCAFile, Label: "CA certificate file", Kind: connectors.FieldFile,
				Help: "Trust this PEM file (a private CA) in addition to the system's roots."},
			{Key: keyJoin, Label: "Group chats", Placeholder: "room@conference.example.org", Kind: connectors.FieldList,
				Help: "Rooms (XEP-0045) to join on connect, comma-separated."},
			{Key: keyNick, Label: "Nickname in group chats", Kind: connectors.FieldText,
				Help: "Defaults to the address's local part."},
			{Key: keyResource, Label: "Resource", Kind: connectors.FieldText,
				Help: "Optional name of this device; a random one is used otherwise."},
			{Key: keyBackfill, Label: "History to fetch", Kind: connectors.FieldText, Default: strconv.Itoa(defaultBackfill),
				Help: "How many archived messages to fetch per conversation archive on first connect."},
		},
	}
}

// config is an account's parsed settings.
type config struct {
	local, domain string // of the user's JID
	bare          string // local@domain
	addr          string // host:port to dial
	directTLS     bool
	requireTLS    bool
	tls           *tls.Config
	rooms         []string
	nick          string
	resource      string
	backfill      int
}

func parseConfig(acct connectors.Account, resource string) (*config, error) {
	user := strings.TrimSpace(acct.Setting(keyUser, ""))
	local, domain, res := splitJID(user)
	if local == "" || domain == "" {
		return nil, fmt.Errorf("xmpp: account %s: %q is not an XMPP address (want user@domain)", acct.ID, user)
	}
	c := &config{local: local, domain: domain, bare: local + "@" + domain}
	c.addr = acct.Setting(keyServer, net.JoinHostPort(domain, "5222"))
	host, port, err := net.SplitHostPort(c.addr)
	if err != nil || host == "" || port == "" {
		return nil, fmt.Errorf("xmpp: account %s: server %q is not HOST:PORT", acct.ID, c.addr)
	}
	switch v := strings.ToLower(acct.Setting(keyDirectTLS, "false")); v {
	case "true", "false":
		c.directTLS = port == "5223" || v == "true"
	default:
		return nil, fmt.Errorf("xmpp: account %s: direct_tls %q is neither true nor false", acct.ID, v)
	}
	if c.requireTLS, err = connectors.TLSSetting(acct.Setting(keyTLS, "true"), host); err != nil {
		return nil, fmt.Errorf("xmpp: account %s: %w", acct.ID, err)
	}
	if c.directTLS && !c.requireTLS {
		return nil, fmt.Errorf("xmpp: account %s: direct TLS (port 5223 or direct_tls) needs tls on", acct.ID)
	}
	c.tls = &tls.Config{ServerName: domain, MinVersion: tls.VersionTLS12}
	if f := acct.Setting(keyCAFile, ""); f != "" {
		pool, err := loadCAFile(f)
		if err != nil {
			return nil, fmt.Errorf("xmpp: account %s: %w", acct.ID, err)
		}
		c.tls.RootCAs = pool
	}
	for _, r := range strings.Split(acct.Setting(keyJoin, ""), ",") {
		if r = strings.TrimSpace(r); r != "" {
			rl, rd, _ := splitJID(r)
			if rl == "" || rd == "" {
				return nil, fmt.Errorf("xmpp: account %s: room %q is not room@service", acct.ID, r)
			}
			c.rooms = append(c.rooms, rl+"@"+rd)
		}
	}
	c.nick = acct.Setting(keyNick, local)
	c.resource = acct.Setting(keyResource, res)
	if c.resource == "" {
		c.resource = resource
	}
	c.backfill = defaultBackfill
	if v := acct.Setting(keyBackfill, ""); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("xmpp: account %s: backfill %q is not a count", acct.ID, v)
		}
		c.backfill = n
	}
	return c, nil
}

// loadCAFile reads a PEM bundle and adds it to the system roots.
func loadCAFile(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("CA file %s holds no PEM certificate", path)
	}
	return pool, nil
}

func randomResource() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "switchboard-" + hex.EncodeToString(b[:])
}

// splitJID splits local@domain/resource. Local part and domain are
// case-folded (a simplification of RFC 7622's PRECIS rules that is right
// for ASCII addresses); the resource keeps its case.
func splitJID(j string) (local, domain, resource string) {
	if i := strings.IndexByte(j, '/'); i >= 0 {
		j, resource = j[:i], j[i+1:]
	}
	if i := strings.IndexByte(j, '@'); i >= 0 {
		local, j = j[:i], j[i+1:]
	}
	return strings.ToLower(local), strings.ToLower(strings.TrimSuffix(j, ".")), resource
}

// bareJID returns the normalised local@domain (or domain) of a JID.
func bareJID(j string) string {
	l, d, _ := splitJID(j)
	if l == "" {
		return d
	}
	return l + "@" + d
}

// resourceOf returns the resource part of a JID.
func resourceOf(j string) string {
	_, _, r := splitJID(j)
	return r
}
