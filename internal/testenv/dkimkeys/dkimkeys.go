// Package dkimkeys gives tests a DKIM signing domain: an Ed25519 key, a
// signer for raw mail, and the key's TXT record — served by a loopback
// DNS server for tests that run the real binary (SWITCHBOARD_DKIM_DNS).
package dkimkeys

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-msgauth/dkim"
	"golang.org/x/net/dns/dnsmessage"
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

// Serve starts a DNS server on loopback UDP answering TXT queries for the
// domains' records (NXDOMAIN for anything else) until the test ends, and
// returns its HOST:PORT.
func Serve(t testing.TB, domains ...*Domain) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	records := map[string]string{}
	for _, d := range domains {
		records[d.Record()+"."] = d.TXT()
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				if !errors.Is(err, net.ErrClosed) {
					t.Errorf("dkimkeys: dns read: %v", err)
				}
				return
			}
			if resp, ok := answer(buf[:n], records); ok {
				_, _ = pc.WriteTo(resp, from)
			}
		}
	}()
	t.Cleanup(func() { pc.Close(); wg.Wait() })
	return pc.LocalAddr().String()
}

// answer builds the response to one query; ok is false for garbage.
func answer(query []byte, records map[string]string) ([]byte, bool) {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil, false
	}
	q, err := p.Question()
	if err != nil {
		return nil, false
	}
	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired}
	txt, found := records[strings.ToLower(q.Name.String())]
	if !found {
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, rh)
	b.EnableCompression()
	if b.StartQuestions() != nil || b.Question(q) != nil || b.StartAnswers() != nil {
		return nil, false
	}
	if found && q.Type == dnsmessage.TypeTXT {
		err := b.TXTResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60},
			dnsmessage.TXTResource{TXT: []string{txt}})
		if err != nil {
			return nil, false
		}
	}
	resp, err := b.Finish()
	return resp, err == nil
}
