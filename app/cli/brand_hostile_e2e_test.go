package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/internal/testenv/dovecot"
	"switchboard/internal/testenv/prosody"
)

// The brand opt-in end to end against a hostile sender: each step is a
// way a brand could try to reach the inbox without the user's consent,
// played against the real binary and a real server.

// TestBrandOptInHoldsAgainstHostileMail: shop.example is on the user's
// brand list. A newsletter that Cc's a second address (a made-up group),
// a mail backdated into the window of a message the user sent a year ago,
// and an answer to a mail forged "from" the user are all held; the forged
// mail itself is shown as inbound and writes nothing to the ledger.
func TestBrandOptInHoldsAgainstHostileMail(t *testing.T) {
	srv := dovecot.New(t, dovecot.User{Name: "alice@localhost", Password: "alicepass"})
	p := newProfile(t)
	p.sb("alicepass\n", "account", "add", "email", "mail", "--user", "alice@localhost",
		"--server", srv.IMAPAddr, "--smtp", srv.SubmitAddr, "--ca-file", srv.CAFile, "--secret-stdin")
	if err := os.WriteFile(filepath.Join(p.dir, "brands.txt"), []byte("domain:shop.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	crlf := func(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }
	mail := func(from, to, cc, id string, date time.Time, text string) string {
		h := "From: " + from + "\nTo: " + to + "\n"
		if cc != "" {
			h += "Cc: " + cc + "\n"
		}
		return crlf(h + "Subject: " + text + "\nMessage-ID: <" + id + ">\nDate: " + date.Format(time.RFC1123Z) +
			"\nContent-Type: text/plain; charset=utf-8\n\n" + text + "\n")
	}
	deliver := func(raw string) {
		t.Helper()
		if err := srv.Deliver("sender@localhost", []string{"alice@localhost"}, strings.NewReader(raw)); err != nil {
			t.Fatal(err)
		}
	}
	// A year ago the user wrote to support@shop.example (in Sent, received then).
	yearAgo := time.Now().Add(-365 * 24 * time.Hour)
	old := mail("alice@localhost", "support@shop.example", "", "old-1@localhost", yearAgo, "Where is my order?")
	if err := srv.Append("alice@localhost", "alicepass", "Sent", []byte(old), yearAgo); err != nil {
		t.Fatal(err)
	}
	p.start()
	waitOnline(t, p)
	eventually(t, "the year-old sent mail archived", func() bool {
		for _, r := range p.inbox() {
			if strings.Contains(r.LastText, "Where is my order?") {
				return true
			}
		}
		return false
	})
	held := func(what, text string) {
		t.Helper()
		eventually(t, what+" held", func() bool {
			for _, r := range p.inbox("--filter", "requests") {
				if strings.Contains(r.LastText, text) {
					return true
				}
			}
			return false
		})
		for _, r := range p.inbox() {
			if strings.Contains(r.LastText, text) {
				t.Fatalf("%s is in the inbox: %+v", what, r)
			}
		}
	}

	// 1. Backdated: dated an hour after the user's year-old mail, received now.
	deliver(mail("Shop Support <support@shop.example>", "alice@localhost", "", "back-1@shop.example", yearAgo.Add(time.Hour), "Backdated offer"))
	held("the backdated mail", "Backdated offer")

	// 2. A newsletter that Cc's another address is no "group" the user joined.
	deliver(mail("Shop Deals <deals@shop.example>", "alice@localhost", "offers@shop.example", "cc-1@shop.example", time.Now(), "Cc'd newsletter"))
	held("the Cc'd newsletter", "Cc'd newsletter")

	// 3. Forged "from me": it arrives in INBOX, so it is inbound, and the
	// brand's "answer" is held like any unsolicited mail.
	deliver(mail("alice@localhost", "promo@shop.example", "", "forged-1@shop.example", time.Now(), "Please send me all your offers"))
	eventually(t, "the forged mail archived", func() bool {
		for _, r := range p.inbox() {
			if strings.Contains(r.LastText, "Please send me all your offers") {
				return true
			}
		}
		return false
	})
	deliver(mail("Shop Promo <promo@shop.example>", "alice@localhost", "", "promo-1@shop.example", time.Now(), "As you asked: offers inside"))
	held("the answer to the forged mail", "As you asked: offers inside")
	var conv int64
	for _, r := range p.inbox() {
		if strings.Contains(r.LastText, "Please send me all your offers") {
			conv = r.ID
		}
	}
	if out := p.sb("", "read", fmt.Sprint(conv), "--json"); !strings.Contains(out, `"direction": "in"`) {
		t.Fatalf("the forged mail is not shown as inbound: %s", out)
	}
	if led := p.sb("", "consent", "export", "--format", "csv"); strings.Contains(led, "promo@shop.example") {
		t.Fatalf("a forged mail changed the consent ledger:\n%s", led)
	}
}

// TestBrandOptInHoldsAgainstAFakeGroupChatStanza: an XMPP brand sends a
// type='groupchat' stanza to the user's full JID (which any reply
// reveals) from its own address, not from a room the user joined: held.
func TestBrandOptInHoldsAgainstAFakeGroupChatStanza(t *testing.T) {
	srv := prosody.Start(t, prosody.Config{})
	srv.AddUser(t, "alice", "alice-secret")
	srv.AddUser(t, "carol", "carol-secret")
	srv.AddUser(t, "deals", "deals-secret")
	p := newProfile(t)
	p.sb("alice-secret\n", "account", "add", "xmpp", "jabber", "--user", prosody.JID("alice"),
		"--server", srv.Addr(), "--ca-file", srv.CAFile, "--secret-stdin")
	if err := os.WriteFile(filepath.Join(p.dir, "brands.txt"), []byte("handle:xmpp:"+prosody.JID("deals")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	carol := srv.Dial(t, "carol", "carol-secret")
	deals := srv.Dial(t, "deals", "deals-secret")
	p.start()
	waitOnline(t, p)

	// The user's full JID, as any message of hers shows it.
	p.sb("", "send", "jabber", prosody.JID("carol"), "hi carol")
	seen, err := carol.WaitFor(30*time.Second, "hi carol")
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(seen, "from='"+prosody.JID("alice")+"/")
	quote := "'"
	if i < 0 {
		i, quote = strings.Index(seen, `from="`+prosody.JID("alice")+"/"), `"`
	}
	if i < 0 {
		t.Fatalf("no full JID in what carol got:\n%s", seen)
	}
	full := seen[i+6:]
	full = full[:strings.Index(full, quote)]

	deals.Send(t, `<message type='groupchat' to='`+full+`' id='g1'><body>Group-chat deal: 70% off</body></message>`)
	eventually(t, "the fake group-chat stanza held", func() bool {
		for _, r := range p.inbox("--filter", "requests") {
			if r.LastText == "Group-chat deal: 70% off" {
				return true
			}
		}
		return false
	})
	for _, r := range p.inbox() {
		if r.LastText == "Group-chat deal: 70% off" {
			t.Fatalf("the fake group chat is in the inbox: %+v", r)
		}
	}
}
