package cli_test

import (
	"strings"
	"testing"

	"switchboard/internal/testenv/prosody"
)

// TestXMPPChatAndGroupChatEndToEnd: two people, each with their own
// Switchboard, talk through a real Prosody, 1:1 and in a group chat,
// using only the command line.
func TestXMPPChatAndGroupChatEndToEnd(t *testing.T) {
	srv := prosody.Start(t, prosody.Config{})
	srv.AddUser(t, "alice", "alice-secret")
	srv.AddUser(t, "bob", "bob-secret")
	room := "team@" + prosody.MUC

	alice, bob := newProfile(t), newProfile(t)
	alice.sb("alice-secret\n", "account", "add", "xmpp", "jabber", "--user", prosody.JID("alice"),
		"--server", srv.Addr(), "--ca-file", srv.CAFile, "--join", room, "--secret-stdin")
	bob.sb("bob-secret\n", "account", "add", "xmpp", "jabber", "--user", prosody.JID("bob"),
		"--server", srv.Addr(), "--ca-file", srv.CAFile, "--join", room, "--secret-stdin")
	alice.start()
	bob.start()
	waitOnline(t, alice)
	waitOnline(t, bob)

	bob.sb("", "send", "jabber", prosody.JID("alice"), "Hi Alice, is the contract signed?")
	eventually(t, "bob's message at alice", func() bool {
		rows := alice.inbox()
		return len(rows) == 1 && rows[0].LastText == "Hi Alice, is the contract signed?" && rows[0].Network == "xmpp"
	})
	alice.sb("", "send", "jabber", prosody.JID("bob"), "Signed this morning.")
	eventually(t, "alice's answer at bob", func() bool {
		for _, r := range bob.inbox() {
			if r.LastText == "Signed this morning." {
				return true
			}
		}
		return false
	})

	alice.sb("", "send", "jabber", room, "Standup in five minutes")
	eventually(t, "the group message at bob", func() bool {
		for _, r := range bob.inbox() {
			if strings.HasPrefix(r.Title, "team") && r.LastText == "Standup in five minutes" {
				return true
			}
		}
		return false
	})
	if hits := bob.sb("", "search", "contract", "--json"); !strings.Contains(hits, "is the contract signed?") {
		t.Fatalf("search at bob = %s", hits)
	}
}
