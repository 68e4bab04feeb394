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
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"

	"switchboard/connectors"
)

// ErrNoUnsubscribe is returned when a sender's mail offers no way to
// unsubscribe that Switchboard can use on its own.
var ErrNoUnsubscribe = errors.New("no usable List-Unsubscribe method")

// Unsubscribe revokes a subscription at the sender: RFC 8058 one-click (an
// HTTPS POST of "List-Unsubscribe=One-Click", no cookies, no credentials,
// the system's trusted roots — never the account's ca_file) when the
// newest mail from handle carries List-Unsubscribe-Post under a valid DKIM
// signature of the sender's domain covering both List-Unsubscribe
// headers, else the RFC 2369 mailto: address. The data comes from that newest mail, looked up over
// IMAP (so it works for senders outside this Run's sync window), falling
// back to what this Run has seen. The result is "HTTP <status>" or
// "mail <Message-ID> sent".
func (c *Connector) Unsubscribe(ctx context.Context, handle string) (string, error) {
	s := c.session()
	if s == nil {
		return "", connectors.ErrNotConnected
	}
	sender := strings.ToLower(strings.TrimSpace(handle))
	if err := checkAddress(sender); err != nil {
		return "", fmt.Errorf("email: unsubscribe: %w", err)
	}
	info, raw, err := c.findUnsubscribe(ctx, s, sender)
	if err != nil {
		return "", err
	}
	httpsURL, mailto := parseListUnsubscribe(info.header)
	oneClick := strings.Contains(strings.ToLower(info.post), "list-unsubscribe=one-click")
	var clickErr error
	if oneClick && httpsURL != nil {
		check := dkimCheck{why: "the newsletter could not be read again from the server to check its signature"}
		if raw != nil {
			check = c.checkOneClickSignature(ctx, raw, sender)
		}
		if !check.ok {
			// RFC 8058 §4: no one-click without the sender's signature on it.
			oneClick = false
			clickErr = fmt.Errorf("one-click unsubscribe not used: %s (RFC 8058 asks for one)", check.why)
		}
	}
	if oneClick && httpsURL != nil {
		result, err := c.oneClick(ctx, httpsURL)
		if err == nil {
			return result, nil
		}
		if mailto == nil {
			return result, err
		}
		clickErr = err // fall back to mail
	}
	if mailto != nil {
		if clickErr != nil {
			// The reason names the sender's domains: not for the log.
			c.log.Info("email: unsubscribing by mail, one-click not usable", "account", s.cfg.account)
		}
		result, err := c.mailtoUnsubscribe(ctx, s, mailto)
		if err != nil && clickErr != nil {
			return "", fmt.Errorf("%w; then %w", clickErr, err)
		}
		return result, err
	}
	if httpsURL != nil && clickErr != nil {
		return "", fmt.Errorf("email: unsubscribe %s: %w: %w; it offers no mailto: address (its web page is at %s)", sender, ErrNoUnsubscribe, clickErr, httpsURL.Host)
	}
	if httpsURL != nil {
		return "", fmt.Errorf("email: unsubscribe %s: %w (it offers only a web page at %s, without one-click)", sender, ErrNoUnsubscribe, httpsURL.Host)
	}
	return "", fmt.Errorf("email: unsubscribe %s: %w", sender, ErrNoUnsubscribe)
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
// cookies and no credentials (user:password in the URL is dropped), and
// follows a redirect only if it stays an HTTPS POST (307/308).
func (c *Connector) oneClick(ctx context.Context, target *url.URL) (string, error) {
	u := *target
	u.User = nil
	if u.Scheme != "https" {
		return "", fmt.Errorf("email: one-click unsubscribe needs an https URL, not %s", u.Scheme)
	}
	client := newUnsubscribeClient(c.httpRoots)
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
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return result, fmt.Errorf("email: one-click unsubscribe at %s answered %s", redactURL(&u), result)
	}
	return result, nil
}

// newUnsubscribeClient builds a fresh client per request: no cookie jar,
// its own transport (nothing shared with other code), RootCAs nil = the
// system pool unless a test injects one.
func newUnsubscribeClient(roots *x509.CertPool) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			TLSClientConfig:     &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout: 10 * time.Second,
			ForceAttemptHTTP2:   true,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 || req.Method != http.MethodPost || req.URL.Scheme != "https" {
				return http.ErrUseLastResponse
			}
			req.URL.User = nil
			return nil
		},
	}
}

// scrubURLError drops the URL (which carries a personal token) from a
// *url.Error.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// mailtoUnsubscribe sends the RFC 2369 unsubscribe mail. A mailto whose
// address, subject or body smuggle header lines is refused.
func (c *Connector) mailtoUnsubscribe(ctx context.Context, s *session, u *url.URL) (string, error) {
	addr := u.Opaque
	if addr == "" {
		addr = u.Path
	}
	addr, err := url.PathUnescape(addr)
	if err != nil {
		return "", fmt.Errorf("email: unsubscribe mailto: %w", err)
	}
	addr = strings.ToLower(strings.TrimSpace(addr))
	q := u.Query()
	subject := q.Get("subject")
	if subject == "" {
		subject = "unsubscribe"
	}
	body := q.Get("body")
	if body == "" {
		body = "unsubscribe"
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
	return "mail <" + m.messageID + "> sent", nil
}
