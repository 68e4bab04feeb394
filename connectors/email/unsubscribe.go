package email

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"golang.org/x/net/publicsuffix"

	"switchboard/connectors"
)

// ErrNoUnsubscribe is returned when a sender's mail offers no way to
// unsubscribe that Switchboard can use on its own.
var ErrNoUnsubscribe = errors.New("no usable List-Unsubscribe method")

// unsubPlan is what Unsubscribe will do for a sender, decided before
// anything is sent.
type unsubPlan struct {
	sender   string
	oneClick *url.URL // the signed one-click URL, or nil
	mailto   *url.URL // the RFC 2369 mailto:, or nil
	to       string   // mailto's address, once checked ("" if refused)
	mailErr  error    // why the mailto: is not used
	clickErr error    // why one-click is not used
	webHost  string   // a web page offered without one-click
}

// Unsubscribe revokes a subscription at the sender: RFC 8058 one-click (an
// HTTPS POST of "List-Unsubscribe=One-Click", no cookies, no credentials,
// the system's trusted roots — never the account's ca_file) when the
// newest mail from handle carries List-Unsubscribe-Post under a valid DKIM
// signature of the sender's domain covering both List-Unsubscribe
// headers, else the RFC 2369 mailto: address in the sender's own domain.
// The data comes from that newest mail, looked up over IMAP (so it works
// for senders outside this Run's sync window), falling back to what this
// Run has seen. The result is "HTTP <status>" or "mail <Message-ID> to
// <address> sent".
func (c *Connector) Unsubscribe(ctx context.Context, handle string) (string, error) {
	s := c.session()
	if s == nil {
		return "", connectors.ErrNotConnected
	}
	p, err := c.planUnsubscribe(ctx, s, handle)
	if err != nil {
		return "", err
	}
	clickErr := p.clickErr
	if p.oneClick != nil {
		result, err := c.oneClick(ctx, p.oneClick)
		if err == nil || p.to == "" {
			return result, err
		}
		clickErr = err // fall back to mail
	}
	if p.to != "" {
		if clickErr != nil {
			// The reason names the sender's domains: not for the log.
			c.log.Info("email: unsubscribing by mail, one-click not usable", "account", s.cfg.account)
		}
		result, err := c.mailtoUnsubscribe(ctx, s, p.sender, p.mailto)
		if err != nil && clickErr != nil {
			return "", fmt.Errorf("%w; then %w", clickErr, err)
		}
		return result, err
	}
	return "", p.noWay()
}

// UnsubscribePlan says where Unsubscribe would send its request, so the
// user confirms knowing: the one-click host, else the mail's recipient.
func (c *Connector) UnsubscribePlan(ctx context.Context, handle string) (string, error) {
	s := c.session()
	if s == nil {
		return "", connectors.ErrNotConnected
	}
	p, err := c.planUnsubscribe(ctx, s, handle)
	if err != nil {
		return "", err
	}
	switch {
	case p.oneClick != nil && p.to != "":
		return fmt.Sprintf("a one-click request (HTTPS POST, no cookies) to %s; if that fails, a mail from you to %s", p.oneClick.Hostname(), p.to), nil
	case p.oneClick != nil:
		return fmt.Sprintf("a one-click request (HTTPS POST, no cookies) to %s", p.oneClick.Hostname()), nil
	case p.to != "":
		return fmt.Sprintf("a mail from you to %s", p.to), nil
	}
	return "", p.noWay()
}

// noWay is the error when the plan has no usable method.
func (p unsubPlan) noWay() error {
	switch {
	case p.mailErr != nil && p.clickErr != nil:
		return fmt.Errorf("email: unsubscribe %s: %w: %w; %w", p.sender, ErrNoUnsubscribe, p.clickErr, p.mailErr)
	case p.mailErr != nil:
		return fmt.Errorf("email: unsubscribe %s: %w: %w", p.sender, ErrNoUnsubscribe, p.mailErr)
	case p.clickErr != nil:
		return fmt.Errorf("email: unsubscribe %s: %w: %w; it offers no mailto: address (its web page is at %s)", p.sender, ErrNoUnsubscribe, p.clickErr, p.webHost)
	case p.webHost != "":
		return fmt.Errorf("email: unsubscribe %s: %w (it offers only a web page at %s, without one-click)", p.sender, ErrNoUnsubscribe, p.webHost)
	}
	return fmt.Errorf("email: unsubscribe %s: %w", p.sender, ErrNoUnsubscribe)
}

// planUnsubscribe reads the sender's newest List-Unsubscribe and decides:
// one-click only under the sender's signature on the one header there is,
// mailto: only to the sender's own domain.
func (c *Connector) planUnsubscribe(ctx context.Context, s *session, handle string) (unsubPlan, error) {
	p := unsubPlan{sender: strings.ToLower(strings.TrimSpace(handle))}
	if err := checkAddress(p.sender); err != nil {
		return p, fmt.Errorf("email: unsubscribe: %w", err)
	}
	info, raw, err := c.findUnsubscribe(ctx, s, p.sender)
	if err != nil {
		return p, err
	}
	httpsURL, mailto := parseListUnsubscribe(info.header)
	if httpsURL != nil {
		p.webHost = httpsURL.Host
	}
	if mailto != nil {
		if to, _, _, err := unsubscribeMail(p.sender, mailto); err != nil {
			p.mailErr = err
		} else {
			p.mailto, p.to = mailto, to
		}
	}
	if httpsURL == nil || !strings.Contains(strings.ToLower(info.post), "list-unsubscribe=one-click") {
		return p, nil
	}
	check := dkimCheck{why: "the newsletter could not be read again from the server to check its signature"}
	if raw != nil {
		check = c.checkOneClickSignature(ctx, raw, p.sender)
	}
	if check.ok {
		// The URL of the very header the signature covers: the mail has
		// exactly one (checkOneClickSignature refuses more).
		p.oneClick, _ = parseListUnsubscribe(check.listUnsubscribe)
	}
	if p.oneClick == nil {
		// RFC 8058 §4: no one-click without the sender's signature on it.
		p.clickErr = fmt.Errorf("one-click unsubscribe not used: %s (RFC 8058 asks for one)", check.why)
	}
	return p, nil
}

var angleItem = regexp.MustCompile(`<([^<>]*)>`)

// parseListUnsubscribe picks the first https URL and the first mailto URL
// of a List-Unsubscribe value (RFC 2369: a list of <URI>s).
func parseListUnsubscribe(v string) (httpsURL, mailto *url.URL) {
	for _, m := range angleItem.FindAllStringSubmatch(v, 20) {
		u, err := url.Parse(strings.TrimSpace(m[1]))
		if err != nil {
			continue
		}
		switch strings.ToLower(u.Scheme) {
		case "https":
			if httpsURL == nil && u.Host != "" {
				httpsURL = u
			}
		case "mailto":
			if mailto == nil {
				mailto = u
			}
		}
	}
	return httpsURL, mailto
}

// findUnsubscribe returns the List-Unsubscribe data of the newest INBOX
// mail from sender, looked up over IMAP, else from this Run's memory; and,
// when it offers one-click, that whole mail (to check its signature), or
// nil when it could not be read.
func (c *Connector) findUnsubscribe(ctx context.Context, s *session, sender string) (unsubInfo, []byte, error) {
	var (
		found unsubInfo
		raw   []byte
	)
	err := c.call(ctx, func(ctx context.Context, ic *imapclient.Client) error {
		if err := s.ensureSelected(ctx, ic, "INBOX"); err != nil {
			return err
		}
		var (
			uid       imap.UID
			lookupErr error
		)
		found, uid, lookupErr = lookupUnsubscribe(ic, sender)
		if lookupErr != nil || found.post == "" {
			return lookupErr
		}
		var rawErr error
		if raw, rawErr = fetchRaw(ic, uid); rawErr != nil {
			c.log.Warn("email: newsletter not read for its signature check", "account", s.cfg.account, "err", rawErr)
		}
		return nil
	})
	if err != nil {
		return unsubInfo{}, nil, err
	}
	if found.header != "" {
		return found, raw, nil
	}
	s.mu.Lock()
	mem, ok := s.unsub[sender]
	s.mu.Unlock()
	if ok {
		return mem, nil, nil
	}
	return unsubInfo{}, nil, fmt.Errorf("email: unsubscribe %s: %w (no mail from this sender has List-Unsubscribe)", sender, ErrNoUnsubscribe)
}

var unsubFields = &imap.FetchOptions{
	UID: true,
	BodySection: []*imap.FetchItemBodySection{{
		Specifier: imap.PartSpecifierHeader, Peek: true,
		HeaderFields: []string{"From", "List-Unsubscribe", "List-Unsubscribe-Post"},
	}},
}

func lookupUnsubscribe(ic *imapclient.Client, sender string) (unsubInfo, imap.UID, error) {
	data, err := ic.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{
		{Key: "From", Value: sender}, {Key: "List-Unsubscribe", Value: ""},
	}}, nil).Wait()
	if err != nil {
		return unsubInfo{}, 0, fmt.Errorf("email: search unsubscribe data: %w", err)
	}
	uids := data.AllUIDs()
	slices.Sort(uids)
	if len(uids) > 10 { // SEARCH FROM is a substring match: check the newest few
		uids = uids[len(uids)-10:]
	}
	if len(uids) == 0 {
		return unsubInfo{}, 0, nil
	}
	msgs, err := ic.Fetch(imap.UIDSetNum(uids...), unsubFields).Collect()
	if err != nil {
		return unsubInfo{}, 0, fmt.Errorf("email: fetch unsubscribe data: %w", err)
	}
	slices.SortFunc(msgs, func(a, b *imapclient.FetchMessageBuffer) int { return cmp.Compare(b.UID, a.UID) })
	for _, m := range msgs {
		for _, sec := range m.BodySection {
			e, _ := message.Read(bytes.NewReader(sec.Bytes)) // a charset error still yields the header
			if e == nil {
				continue
			}
			mh := mail.Header{Header: e.Header}
			from := addressList(mh, "From")
			if len(from) == 0 || from[0].Addr != sender {
				continue
			}
			return unsubInfo{header: oneLine(mh.Get("List-Unsubscribe")), post: oneLine(mh.Get("List-Unsubscribe-Post"))}, m.UID, nil
		}
	}
	return unsubInfo{}, 0, nil
}

// oneClick performs the RFC 8058 POST. Its client trusts the system roots
// only (on Linux SSL_CERT_FILE can point Go at another bundle), sends no
// cookies and no credentials (user:password in the URL is dropped), uses
// no proxy, connects only to a public address on port 443 (checked on the
// address actually connected, so a name that resolves — or re-resolves —
// to the user's own network is refused), and follows no redirect.
func (c *Connector) oneClick(ctx context.Context, target *url.URL) (string, error) {
	u := *target
	u.User = nil
	if u.Scheme != "https" {
		return "", fmt.Errorf("email: one-click unsubscribe needs an https URL, not %s", u.Scheme)
	}
	if p := u.Port(); p != "" && p != "443" && c.oneClickAllow == nil {
		return "", fmt.Errorf("email: one-click unsubscribe at %s refused: only port 443 is used, not %s", u.Hostname(), p)
	}
	client := newUnsubscribeClient(c.httpRoots, c.oneClickAllow)
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		return "", fmt.Errorf("email: one-click unsubscribe: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "Switchboard")
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("email: one-click unsubscribe at %s: %w", redactURL(&u), scrubURLError(err))
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	result := fmt.Sprintf("HTTP %d", resp.StatusCode)
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		result += " (redirect not followed)"
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return result, fmt.Errorf("email: one-click unsubscribe at %s answered %s", redactURL(&u), result)
	}
	return result, nil
}

// newUnsubscribeClient builds a fresh client per request: no cookie jar,
// no proxy, its own transport (nothing shared with other code), RootCAs
// nil = the system pool unless a test injects one, and a dialer that
// refuses every address allow does not accept (nil: public addresses on
// port 443).
func newUnsubscribeClient(roots *x509.CertPool, allow func(netip.AddrPort) bool) *http.Client {
	if allow == nil {
		allow = publicHTTPS
	}
	d := &net.Dialer{Timeout: 15 * time.Second, Control: func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("unsubscribe address %q: %w", address, err)
		}
		if !allow(ap) {
			return fmt.Errorf("%w: %s", errNotPublic, ap)
		}
		return nil
	}}
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         d.DialContext,
			TLSClientConfig:     &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout: 10 * time.Second,
			ForceAttemptHTTP2:   true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// errNotPublic: a one-click URL led to an address of the user's own
// network (or a reserved one), which a sender must never make us reach.
var errNotPublic = errors.New("refused: not a public internet address on port 443")

// publicHTTPS accepts a public unicast address on port 443 only: never
// loopback, private (RFC 1918, IPv6 ULA), link-local, CGNAT (100.64/10),
// multicast, unspecified, documentation, benchmarking or reserved ranges,
// nor an IPv6 address that embeds an IPv4 one (mapped, NAT64, 6to4).
func publicHTTPS(ap netip.AddrPort) bool {
	if ap.Port() != 443 {
		return false
	}
	a := ap.Addr().Unmap()
	if !a.IsGlobalUnicast() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

var nonPublic = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4",
		"64:ff9b::/96", "64:ff9b:1::/48", "2001::/32", "2001:db8::/32", "2002::/16", "100::/64",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// scrubURLError drops the URL (which carries a personal token) from a
// *url.Error.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Caps on what an unsubscribe mailto may make the user's address send.
const (
	maxUnsubSubject = 128
	maxUnsubBody    = 512
)

// mailtoUnsubscribe sends the RFC 2369 unsubscribe mail, from the user's
// address, only to the sender's own organisation (its domain, or a domain
// under the same registrable domain): a newsletter cannot make the user
// mail a third party. Subject and body are kept short (a list's token
// fits; a letter does not). A mailto that smuggles header lines is refused.
func (c *Connector) mailtoUnsubscribe(ctx context.Context, s *session, sender string, u *url.URL) (string, error) {
	addr, subject, body, err := unsubscribeMail(sender, u)
	if err != nil {
		return "", err
	}
	m := outMail{from: s.cfg.user, to: []string{addr}, subject: subject, text: body, date: time.Now(), automatic: true}
	m.messageID = newMessageID("", s.cfg.user, addr, body)
	raw, err := m.build()
	if err != nil {
		return "", fmt.Errorf("email: unsubscribe mailto refused: %w", err)
	}
	if err := submit(ctx, s.cfg, m.from, m.to, raw); err != nil {
		return "", err
	}
	if err := c.appendSent(ctx, raw, m.date); err != nil {
		c.queueAppend(raw, m.date)
	}
	return "mail <" + m.messageID + "> to " + addr + " sent", nil
}

// unsubscribeMail reads a mailto: URL of sender's List-Unsubscribe: the
// address (refused outside the sender's organisation), subject and body
// (defaults "unsubscribe", capped).
func unsubscribeMail(sender string, u *url.URL) (addr, subject, body string, err error) {
	addr = u.Opaque
	if addr == "" {
		addr = u.Path
	}
	if addr, err = url.PathUnescape(addr); err != nil {
		return "", "", "", fmt.Errorf("email: unsubscribe mailto: %w", err)
	}
	addr = strings.ToLower(strings.TrimSpace(addr))
	if err := checkAddress(addr); err != nil {
		return "", "", "", fmt.Errorf("email: unsubscribe mailto: %w", err)
	}
	_, senderDomain, _ := strings.Cut(sender, "@")
	_, toDomain, _ := strings.Cut(addr, "@")
	if !sameOrganisation(senderDomain, toDomain) {
		return "", "", "", fmt.Errorf("email: unsubscribe mailto refused: it names %s, outside the sender's domain %s: %w", addr, senderDomain, ErrForeignMailto)
	}
	q := u.Query()
	subject = capText(firstNonEmpty(q.Get("subject"), "unsubscribe"), maxUnsubSubject)
	body = capText(firstNonEmpty(q.Get("body"), "unsubscribe"), maxUnsubBody)
	return addr, subject, body, nil
}

// ErrForeignMailto: a List-Unsubscribe mailto: names an address outside
// the sender's organisation.
var ErrForeignMailto = errors.New("an unsubscribe mail goes only to the sender's own domain")

// sameOrganisation: a and b are one domain, or share their registrable
// domain (news.acme.example and acme.example; not acme.example and
// other.example, nor two customers of one public suffix like co.uk).
func sameOrganisation(a, b string) bool {
	a, b = strings.ToLower(strings.TrimSuffix(a, ".")), strings.ToLower(strings.TrimSuffix(b, "."))
	if a == "" || b == "" {
		return false
	}
	if a == b {
		return true
	}
	oa, errA := publicsuffix.EffectiveTLDPlusOne(a)
	ob, errB := publicsuffix.EffectiveTLDPlusOne(b)
	return errA == nil && errB == nil && oa == ob
}

func capText(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}
