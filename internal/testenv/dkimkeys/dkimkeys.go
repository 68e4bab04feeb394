// Package dkimkeys gives tests a DKIM signing domain: an Ed25519 key, a
// signer for raw mail, and the key's TXT record for an injected look-up
// (the e-mail connector's test hook; the binary always asks the system's
// resolver).
package dkimkeys

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"net"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"
)

// Selector is the selector every Domain signs with.
const Selector = "sb"

// Domain signs mail for one domain.
type Domain struct {
	Name string
	key  ed25519.PrivateKey
}

// New returns a domain with a fresh key.
func New(t testing.TB, name string) *Domain {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &Domain{Name: name, key: key}
}

// Record is the name of the key's TXT record.
func (d *Domain) Record() string { return Selector + "._domainkey." + d.Name }

// TXT is the key's TXT record.
func (d *Domain) TXT() string {
	return "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(d.key.Public().(ed25519.PublicKey))
}

// Sign returns raw (CRLF line ends) with a DKIM-Signature over headers
// (From is added when missing) and the body.
func (d *Domain) Sign(t testing.TB, raw string, headers ...string) string {
	t.Helper()
	if !containsFold(headers, "From") {
		headers = append([]string{"From"}, headers...)
	}
	var out bytes.Buffer
	err := dkim.Sign(&out, strings.NewReader(raw), &dkim.SignOptions{
		Domain: d.Name, Selector: Selector, Signer: d.key,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed,
		BodyCanonicalization:   dkim.CanonicalizationRelaxed,
		HeaderKeys:             headers,
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// Lookup answers TXT look-ups from domains' records, as the e-mail
// connector's test hook wants them; other names are "not found".
func Lookup(domains ...*Domain) func(context.Context, string) ([]string, error) {
	return func(_ context.Context, name string) ([]string, error) {
		name = strings.TrimSuffix(strings.ToLower(name), ".")
		for _, d := range domains {
			if name == d.Record() {
				return []string{d.TXT()}, nil
			}
		}
		return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	}
}
