package core

import (
	"strings"
	"testing"
	"time"

	_ "switchboard/connectors/email"
	_ "switchboard/connectors/irc"
)

// The core asks the network to check an account's settings before it is
// added, changed or tested, and returns the network's own words.
func TestAccountSettingsAreCheckedByTheirNetworkOnce(t *testing.T) {
	e := newEnv(t)
	mail := func(kv ...string) AccountSpec {
		s := AccountSpec{Name: "mail", Network: "email", Settings: map[string]string{
			"user": "ada@example.org", "server": "imap.example.org:993", "smtp": "smtp.example.org:587"}}
		for i := 0; i+1 < len(kv); i += 2 {
			s.Settings[kv[i]] = kv[i+1]
		}
		return s
	}
	// The form the server field's help recommends is accepted.
	if err := e.core.AddAccount(bg, mail("server", "imaps://imap.example.org:1993")); err != nil {
		t.Fatalf("imaps://HOST:PORT refused: %v", err)
	}
	bad := mail("tls", "false")
	bad.Name = "plain"
	err := e.core.AddAccount(bg, bad)
	if err == nil || !strings.Contains(err.Error(), "email: tls=false is only allowed for a server on this computer (127.0.0.1/localhost), not imap.example.org") {
		t.Fatalf("add with tls=false to a remote server: %v", err)
	}
	if _, err := e.core.store.Account(bg, "plain"); err == nil {
		t.Fatal("the refused account was stored")
	}
	if err := e.core.UpdateAccount(bg, mail("server", "imap.example.org")); err == nil || !strings.Contains(err.Error(), `email: setting server: "imap.example.org" is not HOST:PORT`) {
		t.Fatalf("update with a bad server: %v", err)
	}
	if a, _ := e.core.store.Account(bg, "mail"); a.Settings["server"] != "imaps://imap.example.org:1993" {
		t.Fatalf("a refused update changed the account: %v", a.Settings)
	}
	start := time.Now()
	err = e.core.TestAccount(bg, AccountSpec{Name: "irc", Network: "irc", Settings: map[string]string{"server": "irc.example.org:6667", "nick": "ada", "tls": "false"}}, 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), "irc: tls=false is only allowed for a server on this computer") {
		t.Fatalf("test with tls=false to a remote server: %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("the check took %s: it connected instead of refusing at once", time.Since(start))
	}
}

// Whether a new target is a group, and whether it is well-formed, is the
// network's answer, not a guess from its first character.
func TestSendAsksTheNetworkWhatATargetIs(t *testing.T) {
	e := newEnv(t)
	if err := e.core.AddAccount(bg, AccountSpec{Name: "irc", Network: "irc", Settings: map[string]string{"server": "127.0.0.1:1", "nick": "ada", "tls": "false"}}); err != nil {
		t.Fatal(err)
	}
	if err := e.core.AddAccount(bg, AccountSpec{Name: "mail", Network: "email", Settings: map[string]string{
		"user": "ada@example.org", "server": "imap.example.org:993", "smtp": "smtp.example.org:587"}}); err != nil {
		t.Fatal(err)
	}
	_, err := e.core.Send(bg, SendRequest{Account: "irc", Target: "two words", Text: "hi"})
	if err == nil || !strings.Contains(err.Error(), "send: irc: \"two words\" is neither a nick nor a channel") {
		t.Fatalf("send to a malformed IRC target: %v", err)
	}
	// A Matrix-style room ID is no e-mail address, and no group by accident.
	_, err = e.core.Send(bg, SendRequest{Account: "mail", Target: "!room:matrix.org", Text: "hi"})
	if err == nil || !strings.Contains(err.Error(), "send: email: ") {
		t.Fatalf("send to a non-address over e-mail: %v", err)
	}
	if items, _ := e.core.store.Outbox(bg, ""); len(items) != 0 {
		t.Fatalf("refused sends were queued: %+v", items)
	}
	for _, c := range []struct {
		account, target, id string
		group               bool
	}{
		{"irc", "#team", "#team", true},
		{"irc", "bob", "bob", false},
		{"mail", " Bob@Example.org ", "Bob@Example.org", false},
		{"mail", "bob@example.org,kim@example.org", "bob@example.org,kim@example.org", true},
	} {
		it, err := e.core.Send(bg, SendRequest{Account: c.account, Target: c.target, Text: "hello"})
		if err != nil {
			t.Fatalf("send to %q: %v", c.target, err)
		}
		conv, err := e.core.store.FindConversation(bg, c.account, c.id)
		if err != nil || it.ConvID != c.id || conv.Group != c.group {
			t.Errorf("send to %q: queued for %q, conversation %+v (%v); want %q, group %v", c.target, it.ConvID, conv, err, c.id, c.group)
		}
	}
}
