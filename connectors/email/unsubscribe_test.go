package email

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"switchboard/connectors"
	"switchboard/internal/testenv/dkimkeys"
)

// unsubEndpoint is a local HTTPS server that records one-click POSTs.
type unsubEndpoint struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []recordedReq
}

type recordedReq struct {
	method, path, contentType, body string
	cookie, auth                    string
}

func newUnsubEndpoint(t *testing.T) *unsubEndpoint {
	e := &unsubEndpoint{}
	e.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		e.reqs = append(e.reqs, recordedReq{r.Method, r.URL.RequestURI(), r.Header.Get("Content-Type"), string(body),
			r.Header.Get("Cookie"), r.Header.Get("Authorization")})
		e.mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "track", Value: "1"})
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *unsubEndpoint) requests() []recordedReq {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]recordedReq(nil), e.reqs...)
}

// allow is the test's one-click allow-list: only the endpoint itself.
func (e *unsubEndpoint) allow(ap netip.AddrPort) bool {
	return ap.String() == e.srv.Listener.Addr().String()
}

func (e *unsubEndpoint) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(e.srv.Certificate())
	return p
}

// certFile writes the endpoint's certificate as a PEM bundle.
func (e *unsubEndpoint) certFile(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "bundle.pem")
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: e.srv.Certificate().Raw})
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func newsletter(id, listUnsub string, oneClick bool) string {
	extra := []string{"List-Unsubscribe: " + listUnsub, "List-Id: Acme Deals <deals.acme.example>", "Precedence: bulk"}
	if oneClick {
		extra = append(extra, "List-Unsubscribe-Post: List-Unsubscribe=One-Click")
	}
	return mailText(`"Acme Deals" <news@acme.example>`, alice.Name, "50% off", id, "Everything is half price.", extra...)
}

func TestNewsletterIsBrandAndOneClickPostsOnce(t *testing.T) {
	srv := startServer(t)
	ep := newUnsubEndpoint(t)
	// user:pw in the URL must not turn into credentials on the request.
	target := strings.Replace(ep.srv.URL, "https://", "https://user:pw@", 1) + "/unsub?u=123"
	acme := dkimkeys.New(t, "acme.example")
	deliver(t, srv, alice.Name, acme.Sign(t, newsletter("news-1@acme.example", "<"+target+">, <mailto:unsub@acme.example?subject=unsubscribe>", true),
		"Subject", "List-Unsubscribe", "List-Unsubscribe-Post"))
	c := New()
	c.httpRoots = ep.pool()
	c.lookupTXT = dkimkeys.Lookup(acme)
	c.oneClickAllow = ep.allow
	r := run(t, c, account(srv, alice, true), alice.Password)
	before := r.online(t)

	var brand *connectors.Contact
	for _, ev := range before {
		if cu, ok := ev.(connectors.ContactUpdated); ok {
			brand = &cu.Contact
		}
	}
	if brand == nil || brand.Kind != connectors.KindBrand || brand.Handle != "news@acme.example" || brand.Name != "Acme Deals" {
		t.Fatalf("brand contact = %+v", brand)
	}
	ev := strings.Join(brand.Evidence, "|")
	for _, want := range []string{"List-Unsubscribe header", "List-Unsubscribe-Post header", "List-Id header", "Precedence: bulk"} {
		if !strings.Contains(ev, want) {
			t.Errorf("evidence %q lacks %q", ev, want)
		}
	}
	msgs := messages(before)
	if len(msgs) != 1 || msgs[0].Message.Headers["List-Unsubscribe-Post"] != "List-Unsubscribe=One-Click" ||
		msgs[0].Message.Headers["Precedence"] != "bulk" || msgs[0].Message.Headers["List-Id"] == "" {
		t.Fatalf("message headers = %+v", msgs)
	}

	plan, err := c.UnsubscribePlan(context.Background(), "news@acme.example")
	if err != nil || plan != "a one-click request (HTTPS POST, no cookies) to 127.0.0.1; if that fails, a mail from you to unsub@acme.example" {
		t.Fatalf("plan %q, %v", plan, err)
	}
	if n := len(ep.requests()); n != 0 {
		t.Fatalf("planning sent %d requests", n)
	}
	result, err := c.Unsubscribe(context.Background(), "News@Acme.example")
	if err != nil {
		t.Fatal(err)
	}
	if result != "HTTP 200" {
		t.Fatalf("result %q", result)
	}
	reqs := ep.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want exactly 1: %+v", len(reqs), reqs)
	}
	got := reqs[0]
	if got.method != "POST" || got.path != "/unsub?u=123" || got.body != "List-Unsubscribe=One-Click" ||
		got.contentType != "application/x-www-form-urlencoded" || got.cookie != "" || got.auth != "" {
		t.Fatalf("request = %+v", got)
	}
	if n := len(srv.Submissions()); n != 0 {
		t.Fatalf("one-click also sent %d mails", n)
	}
}

// TestOneClickNeedsTheSendersSignature: RFC 8058 §4 — without a valid
// DKIM signature of the sender's domain over both List-Unsubscribe headers
// no POST is made (a forged newsletter could aim it anywhere); the mailto:
// address is used instead, or the user is told why nothing was done.
func TestOneClickNeedsTheSendersSignature(t *testing.T) {
	acme := dkimkeys.New(t, "acme.example")
	other := dkimkeys.New(t, "mailer.example")
	both := []string{"List-Unsubscribe", "List-Unsubscribe-Post"}
	tampered := func(raw string) string {
		return raw + "P.S. changed in transit\r\n"
	}
	for _, tc := range []struct {
		name   string
		sign   func(raw string) string
		mailto bool
		why    string
	}{
		{"unsigned", func(raw string) string { return raw }, true, "no DKIM signature"},
		{"signed by another domain", func(raw string) string { return other.Sign(t, raw, both...) }, true, "not by the sender's domain acme.example"},
		{"headers not signed", func(raw string) string { return acme.Sign(t, raw, "Subject") }, true, "does not cover the List-Unsubscribe headers"},
		{"changed after signing", func(raw string) string { return tampered(acme.Sign(t, raw, both...)) }, false, "does not verify"},
		{"key not published", func(raw string) string { return dkimkeys.New(t, "acme.example").Sign(t, raw, both...) }, false, "does not verify"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t)
			ep := newUnsubEndpoint(t)
			list := "<" + ep.srv.URL + "/unsub>"
			if tc.mailto {
				list += ", <mailto:unsub@acme.example?subject=unsubscribe>"
			}
			deliver(t, srv, alice.Name, tc.sign(newsletter("news-d@acme.example", list, true)))
			c := New()
			c.httpRoots = ep.pool()
			c.lookupTXT = dkimkeys.Lookup(acme, other)
			c.oneClickAllow = ep.allow
			r := run(t, c, account(srv, alice, false), alice.Password)
			r.online(t)
			result, err := c.Unsubscribe(context.Background(), "news@acme.example")
			if n := len(ep.requests()); n != 0 {
				t.Fatalf("%d one-click POSTs without a valid signature", n)
			}
			if tc.mailto {
				if err != nil || !strings.HasPrefix(result, "mail <") || len(srv.Submissions()) != 1 {
					t.Fatalf("result %q, err %v, %d mails; want the mailto: fallback", result, err, len(srv.Submissions()))
				}
				return
			}
			if !errors.Is(err, ErrNoUnsubscribe) || !strings.Contains(err.Error(), tc.why) || !strings.Contains(err.Error(), "one-click unsubscribe not used") {
				t.Fatalf("result %q, err = %v; want ErrNoUnsubscribe saying %q", result, err, tc.why)
			}
			if n := len(srv.Submissions()); n != 0 {
				t.Fatalf("%d mails sent", n)
			}
		})
	}
}

func TestMailtoUnsubscribeSendsMail(t *testing.T) {
	srv := startServer(t)
	deliver(t, srv, alice.Name, newsletter("news-2@acme.example", "<mailto:unsub@lists.acme.example?subject=unsubscribe%20me&body=please%20stop>, <https://acme.example/page>", false))
	r := run(t, New(), account(srv, alice, false), alice.Password)
	r.online(t)
	if plan, err := r.c.UnsubscribePlan(context.Background(), "news@acme.example"); err != nil || plan != "a mail from you to unsub@lists.acme.example" {
		t.Fatalf("plan %q, %v", plan, err)
	}
	result, err := r.c.Unsubscribe(context.Background(), "news@acme.example")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(result, "mail <sb.") || !strings.HasSuffix(result, "@localhost> to unsub@lists.acme.example sent") {
		t.Fatalf("result %q", result)
	}
	subs := srv.Submissions()
	if len(subs) != 1 || len(subs[0].To) != 1 || subs[0].To[0] != "unsub@lists.acme.example" || subs[0].From != alice.Name {
		t.Fatalf("submissions %+v", subs)
	}
	data := string(subs[0].Data)
	if !strings.Contains(data, "Subject: unsubscribe me") || !strings.Contains(data, "please stop") ||
		!strings.Contains(data, strings.Fields(result)[1]) ||
		!strings.Contains(data, "Auto-Submitted: auto-generated") {
		t.Fatalf("unsubscribe mail:\n%s", data)
	}

	// Its copy is in Sent, yet a fresh sync does not make it a conversation
	// with the list robot; the newsletter and the user's own mail still come.
	deliver(t, srv, alice.Name, mailText(alice.Name, "bob@localhost", "lunch", "lunch-1@localhost", "Lunch at noon?"))
	sent, _ := filepath.Glob(filepath.Join(srv.MaildirPath(alice.Name, "Sent"), "*", "*"))
	if len(sent) != 1 {
		t.Fatalf("Sent holds %d mails, want the unsubscribe request: %v", len(sent), sent)
	}
	r.stop(t)
	again := run(t, New(), account(srv, alice, false), alice.Password)
	var convs []string
	for _, m := range messages(again.online(t)) {
		convs = append(convs, m.Message.Conversation.ID)
	}
	slices.Sort(convs)
	if !slices.Equal(convs, []string{"bob@localhost", "news@acme.example"}) {
		t.Fatalf("conversations after a fresh sync: %q", convs)
	}
}

func TestUnsubscribeRefusesInjectedMailto(t *testing.T) {
	srv := startServer(t)
	deliver(t, srv, alice.Name, newsletter("news-3@acme.example", "<mailto:unsub@acme.example?subject=x%0D%0ABcc:%20victim@localhost>", false))
	r := run(t, New(), account(srv, alice, false), alice.Password)
	r.online(t)
	if _, err := r.c.Unsubscribe(context.Background(), "news@acme.example"); !errors.Is(err, ErrHeaderInjection) {
		t.Fatalf("err = %v, want ErrHeaderInjection", err)
	}
	if _, err := r.c.Unsubscribe(context.Background(), "nobody@example.org"); !errors.Is(err, ErrNoUnsubscribe) {
		t.Fatalf("unknown sender: err = %v", err)
	}
	if n := len(srv.Submissions()); n != 0 {
		t.Fatalf("%d mails sent", n)
	}
}

// TestOneClickTrustsSystemRootsOnly runs the production client (no
// injected pool) in a child process whose SSL_CERT_FILE is the endpoint's
// certificate: the POST succeeds. With a bundle that lacks it, it fails.
func TestOneClickTrustsSystemRootsOnly(t *testing.T) {
	ep := newUnsubEndpoint(t)
	srv := startServer(t) // only for an unrelated CA file
	for _, tc := range []struct {
		bundle string
		want   string
	}{{ep.certFile(t), "HTTP 200"}, {srv.CAFile, "certificate"}} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperOneClickChild$")
		cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+tc.bundle, "SSL_CERT_DIR=/nonexistent",
			"ONECLICK_TEST_CHILD_URL="+ep.srv.URL+"/u")
		out, _ := cmd.CombinedOutput()
		if !strings.Contains(string(out), "RESULT: ") || !strings.Contains(string(out), tc.want) {
			t.Fatalf("bundle %s: child said:\n%s", tc.bundle, out)
		}
	}
	if n := len(ep.requests()); n != 1 {
		t.Fatalf("%d requests reached the endpoint, want 1", n)
	}
}

// TestHelperOneClickChild is the child of TestOneClickTrustsSystemRootsOnly.
func TestHelperOneClickChild(t *testing.T) {
	target := os.Getenv("ONECLICK_TEST_CHILD_URL") // read by this test binary only
	if target == "" {
		return // not running as the child: nothing to do
	}
	https, _ := parseListUnsubscribe("<" + target + ">")
	c := New()
	c.oneClickAllow = func(netip.AddrPort) bool { return true }
	res, err := c.oneClick(context.Background(), https)
	if err != nil {
		res = "error: " + err.Error()
	}
	os.Stdout.WriteString("RESULT: " + res + "\n")
}
