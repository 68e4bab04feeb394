package cli_test

import (
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/testenv/dovecot"
)

// TestNewsletterIsHeldAndOneClickUnsubscribeOverEmail runs the binary
// against a real Dovecot: a person's mail lands in the inbox, a newsletter
// with List-Unsubscribe-Post is held as a brand, and `brand unsubscribe`
// never POSTs to its one-click URL, which points into the user's own
// machine (and carries no signature the binary could check: no variable
// can point it at another DNS server): the binary mails the sender's own
// unsubscribe address instead, and says so in the consent ledger. The
// one-click POST itself is tested in connectors/email with an injected
// allow-list that only tests can set.
func TestNewsletterIsHeldAndOneClickUnsubscribeOverEmail(t *testing.T) {
	srv := dovecot.New(t, dovecot.User{Name: "alice@localhost", Password: "alicepass"}, dovecot.User{Name: "bob@localhost", Password: "bobpass"})

	var mu sync.Mutex
	var posts []string
	endpoint := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		posts = append(posts, fmt.Sprintf("%s %s cookie=%q auth=%q", r.Method, body, r.Header.Get("Cookie"), r.Header.Get("Authorization")))
		mu.Unlock()
	}))
	defer endpoint.Close()
	roots := filepath.Join(t.TempDir(), "roots.pem")
	if err := os.WriteFile(roots, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: endpoint.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}

	p := newProfile(t)
	p.env = append(p.env, "SSL_CERT_FILE="+roots)
	p.sb("alicepass\n", "account", "add", "email", "mail", "--user", "alice@localhost",
		"--server", srv.IMAPAddr, "--smtp", srv.SubmitAddr, "--ca-file", srv.CAFile, "--secret-stdin")

	crlf := func(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }
	deliver := func(raw string) {
		t.Helper()
		if err := srv.Deliver("sender@localhost", []string{"alice@localhost"}, strings.NewReader(raw)); err != nil {
			t.Fatal(err)
		}
	}
	deliver(crlf(`From: Bob <bob@localhost>
To: alice@localhost
Subject: lunch
Message-ID: <lunch-1@localhost>
Date: ` + time.Now().Format(time.RFC1123Z) + `
Content-Type: text/plain; charset=utf-8

Lunch at noon?

-- 
Bob Builder
Builder & Sons, Site Office
`))
	deliver(crlf(`From: Shop Deals <deals@shop.example>
To: alice@localhost
Subject: This week's deals
Message-ID: <deals-1@shop.example>
Date: ` + time.Now().Format(time.RFC1123Z) + `
List-Unsubscribe: <` + endpoint.URL + `/unsub?u=alice>, <mailto:unsub@shop.example?subject=unsubscribe%20alice>
List-Unsubscribe-Post: List-Unsubscribe=One-Click
Content-Type: text/plain; charset=utf-8

Everything is 30% off this week.
`))
	p.start()

	eventually(t, "Bob's mail in the inbox", func() bool {
		rows := p.inbox()
		return len(rows) == 1 && strings.Contains(rows[0].LastText, "Lunch at noon?")
	})
	// The chat shows the new text; the signature is one command away.
	bobConv := p.inbox()[0]
	if strings.Contains(bobConv.LastText, "Site Office") {
		t.Fatalf("the signature was not folded away: %q", bobConv.LastText)
	}
	var bobMsgs []struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal([]byte(p.sb("", "read", fmt.Sprint(bobConv.ID), "--json")), &bobMsgs); err != nil || len(bobMsgs) != 1 {
		t.Fatalf("read Bob's conversation: %v %+v", err, bobMsgs)
	}
	if orig := p.sb("", "original", fmt.Sprint(bobMsgs[0].ID)); !strings.Contains(orig, "Lunch at noon?") || !strings.Contains(orig, "Site Office") {
		t.Fatalf("original = %q", orig)
	}

	var req []inboxJSON
	eventually(t, "the newsletter held", func() bool { req = p.inbox("--filter", "requests"); return len(req) == 1 })
	if !strings.Contains(req[0].LastText, "30% off") || !strings.Contains(req[0].Reason, "not subscribed") {
		t.Fatalf("request = %+v", req[0])
	}
	if list := p.sb("", "brand", "list", "--json"); !strings.Contains(list, "deals@shop.example") || !strings.Contains(list, "List-Unsubscribe") {
		t.Fatalf("brand list = %s", list)
	}

	out := p.sb("", "brand", "unsubscribe", "mail", "deals@shop.example")
	if !strings.Contains(out, "to unsub@shop.example sent") {
		t.Fatalf("unsubscribe said %q", out)
	}
	mu.Lock()
	got := append([]string(nil), posts...)
	mu.Unlock()
	if len(got) != 0 {
		t.Fatalf("one-click requests reached this machine: %q", got)
	}
	var unsubMail string
	for _, sub := range srv.Submissions() {
		if len(sub.To) == 1 && sub.To[0] == "unsub@shop.example" {
			unsubMail = string(sub.Data)
		}
	}
	if !strings.Contains(unsubMail, "Subject: unsubscribe alice") {
		t.Fatalf("no unsubscribe mail to the sender's domain: %q", unsubMail)
	}
	if led := p.sb("", "consent", "export", "--format", "csv"); !strings.Contains(led, "to unsub@shop.example sent") {
		t.Fatalf("ledger = %s", led)
	}

	menu := filepath.Join(t.TempDir(), "menu.txt")
	if err := os.WriteFile(menu, []byte("Soup of the day: tomato.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p.sb("", "send", "mail", "bob@localhost", "Noon works for me.", "--subject", "Lunch: noon it is", "--file", menu)
	eventually(t, "the reply submitted with the menu", func() bool {
		for _, sub := range srv.Submissions() {
			if d := string(sub.Data); strings.Contains(d, "Noon works for me.") {
				return strings.Contains(d, "Subject: Lunch: noon it is") && strings.Contains(d, "In-Reply-To: <lunch-1@localhost>") &&
					strings.Contains(d, `filename=menu.txt`) && strings.Contains(d, base64.StdEncoding.EncodeToString([]byte("Soup of the day: tomato.\n")))
			}
		}
		return false
	})
	if _, errOut, code := p.try("", "send", "mail", "bob@localhost", "x", "--file", filepath.Join(t.TempDir(), "missing.pdf")); code == 0 || !strings.Contains(errOut, "missing.pdf") {
		t.Fatalf("sending a missing file: exit %d, %q", code, errOut)
	}
	eventually(t, "the reply in the conversation", func() bool {
		rows := p.inbox()
		for _, r := range rows {
			if strings.Contains(r.LastText, "Noon works") {
				return true
			}
		}
		return false
	})
}
