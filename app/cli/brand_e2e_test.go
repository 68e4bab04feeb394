package cli_test

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/internal/testenv/ircd"
)

// TestBrandOptInEndToEndOverIRC walks the opt-in rule against a real IRC
// server: AcmeDeals is on the user's brand list.
func TestBrandOptInEndToEndOverIRC(t *testing.T) {
	srv := ircd.StartNgircd(t, ircd.Options{})
	p := newProfile(t)
	p.sb("", "account", "add", "irc", "work", "--server", srv.Addr, "--nick", "sbuser", "--tls=false")
	// The user's own brand list (the bundled one is merged with it), and a
	// short replies window so the test can outlast it.
	if err := os.WriteFile(filepath.Join(p.dir, "brands.txt"), []byte("handle:irc:AcmeDeals\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p.sb("", "pref", "set", "replies_window", "4s")
	p.start()
	acme := ircd.Connect(t, srv.Addr, "AcmeDeals", ircd.ClientOptions{})
	waitOnline(t, p)

	// 1. Unsolicited: held, not in the inbox, not unread.
	acme.Privmsg("sbuser", "Black Friday: 70% off everything!")
	var req []inboxJSON
	eventually(t, "the request", func() bool { req = p.inbox("--filter", "requests"); return len(req) == 1 })
	if !strings.Contains(req[0].Reason, "you have not subscribed") || req[0].Title != "AcmeDeals" {
		t.Fatalf("request = %+v", req[0])
	}
	if all := p.inbox(); len(all) != 0 {
		t.Fatalf("held message in the inbox: %+v", all)
	}

	// 2. The user writes first: the answer inside the window is delivered.
	p.sb("", "send", "work", "AcmeDeals", "Is my order 1234 shipped?")
	if _, err := acme.WaitFor(20*time.Second, func(l ircd.Line) bool { return l.Command == "PRIVMSG" && strings.Contains(l.Param(1), "1234") }); err != nil {
		t.Fatal(err)
	}
	acme.Privmsg("sbuser", "Yes, it ships today.")
	eventually(t, "the answer in the inbox", func() bool {
		for _, r := range p.inbox() {
			if r.LastText == "Yes, it ships today." {
				return true
			}
		}
		return false
	})

	// 3. After the window: held again.
	time.Sleep(5 * time.Second)
	acme.Privmsg("sbuser", "New deals just for you")
	eventually(t, "the late message held", func() bool {
		for _, r := range p.inbox("--filter", "requests") {
			if r.LastText == "New deals just for you" {
				return true
			}
		}
		return false
	})

	// 4. Subscribed: delivered.
	if _, errOut, code := p.try("", "brand", "consent", "work", "AcmeDeals", "subscribed", "--scope", "offers"); code == 0 || !strings.Contains(errOut, "cannot be limited") {
		t.Fatalf("--scope: exit %d, %q; want a plain refusal", code, errOut)
	}
	p.sb("", "brand", "consent", "work", "AcmeDeals", "subscribed")
	acme.Privmsg("sbuser", "Your weekly offers")
	eventually(t, "the subscribed message delivered", func() bool {
		for _, r := range p.inbox() {
			if r.LastText == "Your weekly offers" {
				return true
			}
		}
		return false
	})

	// 5. Blocked: to Blocked.
	p.sb("", "brand", "consent", "work", "AcmeDeals", "blocked")
	acme.Privmsg("sbuser", "Wait, come back!")
	eventually(t, "the blocked message", func() bool {
		b := p.inbox("--filter", "blocked")
		return len(b) == 1 && b[0].LastText == "Wait, come back!"
	})

	list := p.sb("", "brand", "list", "--json")
	if !strings.Contains(list, `"consent": "blocked"`) || !strings.Contains(list, "AcmeDeals") {
		t.Fatalf("brand list = %s", list)
	}
	// The ledger lists every step.
	rows, err := csv.NewReader(strings.NewReader(p.sb("", "consent", "export", "--format", "csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, r := range rows[1:] {
		steps = append(steps, r[5]+"→"+r[6]+" ("+r[9]+")")
	}
	want := []string{"none→replies (user sent first)", "replies→subscribed (cli)", "subscribed→blocked (cli)"}
	if strings.Join(steps, "; ") != strings.Join(want, "; ") {
		t.Fatalf("ledger steps = %q\nwant %q", steps, want)
	}
	if js := p.sb("", "consent", "export", "--format", "json"); !strings.Contains(js, `"new_state": "blocked"`) {
		t.Fatalf("JSON ledger = %s", js)
	}
}

// waitOnline waits until every account of the running profile is online.
func waitOnline(t *testing.T, p *profile) {
	t.Helper()
	eventually(t, "the account online", func() bool {
		return strings.Contains(p.sb("", "account", "list", "--json"), `"state": "online"`)
	})
}
