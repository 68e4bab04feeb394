package email

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-msgauth/dkim"
)

// RFC 8058 §4: a one-click unsubscribe is offered only for a message with
// a valid DKIM signature whose signed headers include List-Unsubscribe and
// List-Unsubscribe-Post ("If the message does not have the required DKIM
// signature, the mail receiver SHOULD NOT offer a one-click unsubscribe").
// Without it anyone can forge a newsletter whose "unsubscribe" makes the
// user's client POST to a URL of the forger's choosing.

// maxSignedMail bounds the mail read into memory to check its signature.
const maxSignedMail = 16 << 20

// dkimCheck is the outcome of checking a newsletter's signature.
type dkimCheck struct {
	ok     bool
	domain string // the signing domain that made it ok
	why    string // plain words when not ok
	// listUnsubscribe is the value of the mail's one List-Unsubscribe
	// header, the instance the signature covers (set when ok).
	listUnsubscribe string
}

// fetchRaw reads one whole mail (at most maxSignedMail bytes) of the
// selected folder.
func fetchRaw(ic *imapclient.Client, uid imap.UID) ([]byte, error) {
	cmd := ic.Fetch(imap.UIDSetNum(uid), fetchFull)
	defer cmd.Close()
	var raw []byte
	var tooBig bool
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		for item := msg.Next(); item != nil; item = msg.Next() {
			body, ok := item.(imapclient.FetchItemDataBodySection)
			if !ok || body.Literal == nil {
				continue
			}
			var b bytes.Buffer
			n, _ := b.ReadFrom(io.LimitReader(body.Literal, maxSignedMail+1))
			drain(body.Literal)
			tooBig = n > maxSignedMail
			raw = b.Bytes()
		}
	}
	if err := cmd.Close(); err != nil {
		return nil, fmt.Errorf("email: fetch the newsletter: %w", err)
	}
	if tooBig {
		return nil, fmt.Errorf("the newsletter is larger than %d MB, too large to check its signature", maxSignedMail>>20)
	}
	return raw, nil
}

// checkOneClickSignature verifies raw's DKIM signatures: one must be
// valid, by the From address's domain or a parent of it, and sign both
// List-Unsubscribe headers. A mail with more than one From,
// List-Unsubscribe or List-Unsubscribe-Post is refused outright: DKIM
// signs the bottom-most instance, and a header added above it in transit
// must never be the one used.
func (c *Connector) checkOneClickSignature(ctx context.Context, raw []byte, fromAddr string) dkimCheck {
	_, fromDomain, _ := strings.Cut(strings.ToLower(fromAddr), "@")
	single, why := singleHeaders(raw, fromAddr)
	if why != "" {
		return dkimCheck{why: why}
	}
	lookup := c.txtLookup(ctx)
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{LookupTXT: lookup, MaxVerifications: 8})
	if err != nil && len(vs) == 0 {
		return dkimCheck{why: "its DKIM signatures could not be read: " + err.Error()}
	}
	if len(vs) == 0 {
		return dkimCheck{why: "it carries no DKIM signature"}
	}
	why = ""
	for _, v := range vs {
		d := strings.ToLower(strings.TrimSuffix(v.Domain, "."))
		switch {
		case v.Err != nil:
			why = fmt.Sprintf("its DKIM signature by %s does not verify (%v)", d, v.Err)
		case d != fromDomain && !strings.HasSuffix(fromDomain, "."+d):
			why = fmt.Sprintf("it is signed by %s, not by the sender's domain %s", d, fromDomain)
		case !signs(v.HeaderKeys, "List-Unsubscribe") || !signs(v.HeaderKeys, "List-Unsubscribe-Post"):
			why = fmt.Sprintf("its DKIM signature by %s does not cover the List-Unsubscribe headers", d)
		default:
			return dkimCheck{ok: true, domain: d, listUnsubscribe: single}
		}
	}
	return dkimCheck{why: why}
}

func signs(keys []string, header string) bool {
	return slices.ContainsFunc(keys, func(k string) bool { return strings.EqualFold(strings.TrimSpace(k), header) })
}

// singleHeaders checks that raw's header has exactly one From (naming
// fromAddr), one List-Unsubscribe and one List-Unsubscribe-Post, and
// returns that List-Unsubscribe's value; else why not, in plain words.
func singleHeaders(raw []byte, fromAddr string) (listUnsubscribe, why string) {
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		return "", "its header could not be read: " + err.Error()
	}
	for _, k := range []string{"From", "List-Unsubscribe", "List-Unsubscribe-Post"} {
		if n := len(h.Values(k)); n != 1 {
			return "", fmt.Sprintf("it has %d %s headers, not one", n, k)
		}
	}
	from := addressList(mail.Header{Header: message.Header{Header: h}}, "From")
	if len(from) != 1 || !strings.EqualFold(from[0].Addr, fromAddr) {
		return "", "its From header does not name the sender"
	}
	return oneLine(h.Get("List-Unsubscribe")), ""
}

// txtLookup is the DKIM key look-up: the test's, else the system's
// resolver (no setting or variable names another: a DNS server that
// answers for any domain could sign any newsletter); each look-up has 10 s.
func (c *Connector) txtLookup(ctx context.Context) func(string) ([]string, error) {
	if c.lookupTXT != nil {
		return func(name string) ([]string, error) { return c.lookupTXT(ctx, name) }
	}
	r := net.DefaultResolver
	return func(name string) ([]string, error) {
		lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return r.LookupTXT(lctx, name)
	}
}
