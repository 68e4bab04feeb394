package email

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"switchboard/connectors"
	"switchboard/internal/testenv/dkimkeys"
)

// Unsubscribe read as a hostile sender would: a newsletter must not be
// able to aim the user's one-click POST or unsubscribe mail at anyone.

func TestOneClickGoesOnlyToPublicAddressesOnPort443(t *testing.T) {
	for _, tc := range []struct {
		addr string
		ok   bool
	}{
		{"93.184.215.14:443", true}, {"[2606:4700::1111]:443", true},
		{"93.184.215.14:8443", false}, {"127.0.0.1:443", false}, {"10.1.2.3:443", false},
		{"172.16.0.1:443", false}, {"192.168.1.1:443", false}, {"169.254.169.254:443", false},
		{"100.64.0.1:443", false}, {"0.0.0.0:443", false}, {"[::1]:443", false},
		{"[fd00::1]:443", false}, {"[fe80::1]:443", false}, {"[::ffff:127.0.0.1]:443", false},
		{"[64:ff9b::a00:1]:443", false}, {"224.0.0.1:443", false}, {"198.18.0.1:443", false},
	} {
		if got := publicHTTPS(netip.MustParseAddrPort(tc.addr)); got != tc.ok {
			t.Errorf("publicHTTPS(%s) = %v, want %v", tc.addr, got, tc.ok)
		}
	}

	// The production client against a real listener on this machine: the
	// address actually connected is checked, whatever the URL's name says.
	hits := 0
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits++ }))
	defer srv.Close()
	c := New()
	c.httpRoots = srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	for _, target := range []string{srv.URL + "/u", "https://localhost/u", "https://127.0.0.1/u"} {
		u, _ := parseListUnsubscribe("<" + target + ">")
		_, err := c.oneClick(context.Background(), u)
		if err == nil || !(strings.Contains(err.Error(), "not a public internet address") || strings.Contains(err.Error(), "only port 443")) {
			t.Errorf("%s: err = %v, want a refusal", target, err)
		}
	}
	if hits != 0 {
		t.Fatalf("%d requests reached the user's own machine", hits)
	}
}

func TestOneClickFollowsNoRedirect(t *testing.T) {
	var paths []string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	c := New()
	c.httpRoots = srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	c.oneClickAllow = func(ap netip.AddrPort) bool { return ap.String() == srv.Listener.Addr().String() }
	u, _ := parseListUnsubscribe("<" + srv.URL + "/unsub>")
	result, err := c.oneClick(context.Background(), u)
	if err == nil || result != "HTTP 307 (redirect not followed)" {
		t.Fatalf("result %q, err %v", result, err)
	}
	if strings.Join(paths, ",") != "/unsub" {
		t.Fatalf("requests: %q", paths)
	}
}

// TestOneClickRefusesDuplicatedHeaders: DKIM covers the bottom-most
// List-Unsubscribe; a header prepended in transit must not become the
// POST's target while the signature still verifies.
func TestOneClickRefusesDuplicatedHeaders(t *testing.T) {
	acme := dkimkeys.New(t, "acme.example")
	for _, tc := range []struct{ name, extra string }{
		{"List-Unsubscribe", "List-Unsubscribe: <EVIL>\r\n"},
		{"List-Unsubscribe-Post", "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"},
		{"From", "From: news@acme.example\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t)
			ep := newUnsubEndpoint(t)
			signed := acme.Sign(t, newsletter("news-dup@acme.example", "<"+ep.srv.URL+"/unsub>, <mailto:unsub@acme.example>", true),
				"From", "List-Unsubscribe", "List-Unsubscribe-Post")
			deliver(t, srv, alice.Name, strings.ReplaceAll(tc.extra, "EVIL", ep.srv.URL+"/evil")+signed)
			c := New()
			c.httpRoots = ep.pool()
			c.lookupTXT = dkimkeys.Lookup(acme)
			c.oneClickAllow = ep.allow
			r := run(t, c, account(srv, alice, false), alice.Password)
			r.online(t)
			result, err := c.Unsubscribe(context.Background(), "news@acme.example")
			if n := len(ep.requests()); n != 0 {
				t.Fatalf("%d one-click POSTs for a mail with two %s headers: %+v", n, tc.name, ep.requests())
			}
			// The prepended List-Unsubscribe hides the signed one's mailto:
			// then nothing at all is done, and the user is told why.
			if refused := err != nil && strings.Contains(err.Error(), "not one"); !refused && !strings.HasPrefix(result, "mail <") {
				t.Fatalf("result %q, err %v; want the mailto: fallback or a refusal naming the duplicate", result, err)
			}
		})
	}
}

// TestMailtoUnsubscribeStaysInsideTheSendersDomain: the unsubscribe mail
// goes out from the user's address, so it may only go to the sender's own
// organisation, and carries no letter of the sender's choosing.
func TestMailtoUnsubscribeStaysInsideTheSendersDomain(t *testing.T) {
	srv := startServer(t)
	deliver(t, srv, alice.Name, newsletter("news-far@acme.example", "<mailto:ceo@victim.example?subject=I%20resign>", false))
	r := run(t, New(), account(srv, alice, false), alice.Password)
	r.online(t)
	if _, err := r.c.Unsubscribe(context.Background(), "news@acme.example"); !errors.Is(err, ErrForeignMailto) || !strings.Contains(err.Error(), "ceo@victim.example") {
		t.Fatalf("err = %v, want ErrForeignMailto naming the address", err)
	}
	if n := len(srv.Submissions()); n != 0 {
		t.Fatalf("%d mails sent", n)
	}
	for _, tc := range []struct {
		sender, to string
		ok         bool
	}{
		{"news@acme.example", "unsub@acme.example", true},
		{"news@mail.acme.example", "unsub@lists.acme.example", true},
		{"news@acme.co.uk", "unsub@other.co.uk", false},
		{"news@acme.example", "unsub@acme.example.evil.example", false},
	} {
		_, u := parseListUnsubscribe("<mailto:" + tc.to + "?subject=" + strings.Repeat("x", 500) + "&body=" + strings.Repeat("y", 5000) + ">")
		_, subject, body, err := unsubscribeMail(tc.sender, u)
		if (err == nil) != tc.ok {
			t.Errorf("%s → %s: err %v, want ok=%v", tc.sender, tc.to, err, tc.ok)
		}
		if err == nil && (len(subject) > maxUnsubSubject || len(body) > maxUnsubBody) {
			t.Errorf("subject %d bytes, body %d bytes: not capped", len(subject), len(body))
		}
	}
}

// TestReusedMessageIDIsAnotherMessage: anyone can copy a trusted mail's
// Message-ID. The copy gets its own remote ID, and the trusted mail's
// attachments and original are still its own — also for a connector that
// did not see either arrive (found by searching the server).
func TestReusedMessageIDIsAnotherMessage(t *testing.T) {
	srv := startServer(t)
	r := run(t, New(), account(srv, alice, false), alice.Password)
	r.online(t)
	deliver(t, srv, alice.Name, mailWithFiles("invoice-7@bank.example", []byte("the real invoice")))
	trusted := r.message(t, "the trusted mail", func(m connectors.MessageReceived) bool { return m.Message.Sender == "bob@localhost" })
	forged := strings.Replace(mailWithFiles("invoice-7@bank.example", []byte("pay to evil")), "From: Bob <bob@localhost>", "From: Mallory <mallory@evil.example>", 1)
	deliver(t, srv, alice.Name, strings.Replace(forged, "Subject: figures", "Subject: figures, corrected", 1))
	copyMsg := r.message(t, "the copy", func(m connectors.MessageReceived) bool { return m.Message.Sender == "mallory@evil.example" })
	if copyMsg.Message.RemoteID == trusted.Message.RemoteID {
		t.Fatalf("both mails have remote ID %q: the copy would merge into the trusted one", trusted.Message.RemoteID)
	}
	check := func(c *Connector) {
		t.Helper()
		files, err := fetchAll(t, c, trusted.Message.RemoteID)
		if err != nil || len(files) != 2 || string(files[1].data) != "the real invoice" {
			t.Fatalf("the trusted mail's files: %v, %+v", err, files)
		}
	}
	check(r.c)
	r.stop(t)
	fresh := New()
	again := run(t, fresh, account(srv, alice, false, "sync_depth", "0"), alice.Password)
	again.online(t)
	check(fresh)
}

// TestMailClaimingToBeFromTheUserIsInboundOutsideSent: anyone can write
// the user's address into From; only the Sent folder holds the user's own
// mail. The claim is shown as an inbound mail, dated by the server.
func TestMailClaimingToBeFromTheUserIsInboundOutsideSent(t *testing.T) {
	self := selfSet{"alice@localhost": true}
	pm := &parsedMail{RemoteID: "forged-1@shop.example#000000000000", From: mailAddr{Addr: "alice@localhost"},
		To: []mailAddr{{Addr: "promo@shop.example"}}, Date: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	got := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	m := toMessage(pm, self, false, got)
	if m.Direction != connectors.Inbound || m.Sender != "alice@localhost" || m.Conversation.ID != "promo@shop.example" {
		t.Fatalf("INBOX mail from the user's address: %+v; want inbound", m)
	}
	if !m.Received.Equal(got) || !m.Time.Equal(pm.Date) {
		t.Fatalf("received %v time %v: want the INTERNALDATE as receive time, the Date for display", m.Received, m.Time)
	}
	if sent := toMessage(pm, self, true, got); sent.Direction != connectors.Outbound {
		t.Fatalf("the same mail in Sent: %+v; want outbound", sent)
	}
}
