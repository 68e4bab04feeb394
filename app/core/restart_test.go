package core

import (
	"context"
	"strings"
	"testing"
	"time"

	_ "switchboard/connectors/irc"
	_ "switchboard/connectors/xmpp"
	"switchboard/internal/testenv/ircd"
	"switchboard/internal/testenv/prosody"
	"switchboard/storage"
	"switchboard/storage/storagetest"
)

// These tests kill and restart a real server under a running core and
// check that nothing is lost, doubled or forgotten: blocks, joined rooms,
// messages sent while the link was down or in flight.

const restartWait = 60 * time.Second

func restartCore(t *testing.T, backoffMin time.Duration) *Core {
	t.Helper()
	return openCoreIn(t, t.TempDir(), &storagetest.MemKeyring{}, backoffMin)
}

func openCoreIn(t *testing.T, dir string, kr *storagetest.MemKeyring, backoffMin time.Duration) *Core {
	t.Helper()
	c, err := Open(context.Background(), Options{ProfileDir: dir, Keyring: kr,
		NoControlSocket: true, BackoffMin: backoffMin, BackoffMax: 2 * backoffMin})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// poll waits until cond holds, failing the test after restartWait.
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(restartWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", restartWait, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func accountState(c *Core, name string) string {
	as, err := c.Accounts(context.Background())
	if err != nil {
		return ""
	}
	for _, a := range as {
		if a.Name == name {
			return a.State.String()
		}
	}
	return ""
}

// storedTexts counts every archived message of an account by text,
// delivered or held.
func storedTexts(t *testing.T, c *Core, account string) map[string][]storage.Message {
	t.Helper()
	out := map[string][]storage.Message{}
	seen := map[int64]bool{}
	for _, f := range []storage.Filter{storage.FilterAll, storage.FilterRequests, storage.FilterBlocked} {
		convs, err := c.Conversations(context.Background(), storage.ConvQuery{Filter: f, Account: account})
		if err != nil {
			t.Fatal(err)
		}
		for _, cv := range convs {
			if seen[cv.Row] {
				continue
			}
			seen[cv.Row] = true
			ms, err := c.Messages(context.Background(), cv.Row, 0, 500)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms {
				out[m.Text] = append(out[m.Text], m)
			}
		}
	}
	return out
}

func TestIRCServerRestartUnderTheCoreLosesDoublesAndForgetsNothing(t *testing.T) {
	t.Run("ngircd", func(t *testing.T) {
		t.Parallel()
		ircRestart(t, ircd.StartNgircd(t, ircd.Options{}), false)
	})
	t.Run("inspircd", func(t *testing.T) {
		t.Parallel()
		ircRestart(t, ircd.StartInspircd(t, ircd.Options{}), true)
	})
}

func ircRestart(t *testing.T, srv *ircd.Server, silence bool) {
	ctx := context.Background()
	c := restartCore(t, 3*time.Second)
	if err := c.AddAccount(ctx, AccountSpec{Name: "irc", Network: "irc", Settings: map[string]string{
		"server": srv.Addr, "nick": "sbme", "tls": "false", "join": "#team"}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	poll(t, "the account online", func() bool { return accountState(c, "irc") == "online" })
	// The user blocks a nick while connected.
	if err := c.SetConsent(ctx, ConsentRequest{Account: "irc", Handle: "pest", State: "blocked", How: "cli"}); err != nil {
		t.Fatal(err)
	}

	// The server dies; while it is down the user writes to the channel.
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	poll(t, "the account offline", func() bool { return accountState(c, "irc") != "online" })
	it, err := c.Send(ctx, SendRequest{Account: "irc", Target: "#team", Text: "written while the server was down"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	friend := ircd.Connect(t, srv.Addr, "friend", ircd.ClientOptions{})
	if err := friend.Join("#team", restartWait); err != nil {
		t.Fatal(err)
	}
	pest := ircd.Connect(t, srv.Addr, "pest", ircd.ClientOptions{})

	// The channel is joined again and the queued message goes out once.
	got, err := friend.WaitFor(restartWait, func(l ircd.Line) bool { return l.Command == "PRIVMSG" && l.Param(0) == "#team" })
	if err != nil {
		t.Fatalf("the message written while the server was down never reached #team: %v", err)
	}
	if got.Nick() != "sbme" || got.Param(1) != "written while the server was down" {
		t.Fatalf("#team got %q", got.Raw)
	}
	poll(t, "the outbox item sent", func() bool {
		ms := storedTexts(t, c, "irc")["written while the server was down"]
		return len(ms) == 1 && ms[0].SendState == storage.SendSent
	})
	_ = it

	// The block holds after the reconnect: with SILENCE the server drops
	// the nick's messages; without it they are held as blocked, never delivered.
	if err := pest.Privmsg("sbme", "unwanted after the restart"); err != nil {
		t.Fatal(err)
	}
	if err := pest.Send("PING :sync"); err != nil {
		t.Fatal(err)
	}
	if _, err := pest.WaitFor(restartWait, func(l ircd.Line) bool { return l.Command == "PONG" }); err != nil {
		t.Fatal(err)
	}
	if err := friend.Privmsg("#team", "in the channel after the restart"); err != nil {
		t.Fatal(err)
	}
	poll(t, "the channel message archived", func() bool {
		return len(storedTexts(t, c, "irc")["in the channel after the restart"]) == 1
	})
	texts := storedTexts(t, c, "irc")
	unwanted := texts["unwanted after the restart"]
	if silence && len(unwanted) != 0 {
		t.Errorf("the blocked nick reached the account after the restart (SILENCE not re-applied): %+v", unwanted)
	}
	for _, m := range unwanted {
		if m.Hold != storage.HeldBlocked {
			t.Errorf("the blocked nick's message was filed %v, want held as blocked", m.Hold)
		}
	}
	for text, ms := range texts {
		if len(ms) != 1 {
			t.Errorf("%q archived %d times", text, len(ms))
		}
	}
}

func TestXMPPServerRestartUnderTheCoreLosesDoublesAndForgetsNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := prosody.Start(t, prosody.Config{})
	for _, u := range []string{"alice", "bob", "pest"} {
		srv.AddUser(t, u, u+"pass")
	}
	room := "team@" + prosody.MUC
	c := restartCore(t, time.Second)
	for _, u := range []string{"alice", "bob"} {
		if err := c.AddAccount(ctx, AccountSpec{Name: u, Network: "xmpp", Settings: map[string]string{
			"user": prosody.JID(u), "server": srv.Addr(), "ca_file": srv.CAFile, "join": room, "nick": u},
			Secrets: map[string]string{"password": u + "pass"}}); err != nil {
			t.Fatal(err)
		}
	}
	pestCore := restartCore(t, time.Second)
	if err := pestCore.AddAccount(ctx, AccountSpec{Name: "pest", Network: "xmpp", Settings: map[string]string{
		"user": prosody.JID("pest"), "server": srv.Addr(), "ca_file": srv.CAFile},
		Secrets: map[string]string{"password": "pestpass"}}); err != nil {
		t.Fatal(err)
	}
	for _, cc := range []*Core{c, pestCore} {
		if err := cc.Start(ctx); err != nil {
			t.Fatal(err)
		}
	}
	poll(t, "alice, bob and pest online", func() bool {
		return accountState(c, "alice") == "online" && accountState(c, "bob") == "online" && accountState(pestCore, "pest") == "online"
	})
	if err := c.SetConsent(ctx, ConsentRequest{Account: "alice", Handle: prosody.JID("pest"), State: "blocked", How: "cli"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(ctx, SendRequest{Account: "bob", Target: room, Text: "in the room before"}); err != nil {
		t.Fatal(err)
	}
	poll(t, "alice has the room message", func() bool { return len(storedTexts(t, c, "alice")["in the room before"]) == 1 })

	// The server hangs with alice's message on the wire, then dies.
	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(ctx, SendRequest{Account: "alice", Target: prosody.JID("bob"), Text: "in flight when the server died"}); err != nil {
		t.Fatal(err)
	}
	poll(t, "alice's message handed to the connector", func() bool {
		its, err := c.store.Outbox(ctx, "alice", storage.SendPending, storage.SendSent)
		return err == nil && len(its) == 1 && (its[0].Sending || its[0].State == storage.SendSent)
	})
	// A hung server has not got it: it must not show as sent. (The check
	// can only pass wrongly, never fail wrongly: the server is stopped.)
	time.Sleep(time.Second)
	if ms := storedTexts(t, c, "alice")["in flight when the server died"]; ms[0].SendState == storage.SendSent {
		t.Error("the message shows as sent while the server never read it")
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}

	// After the restart: the in-flight message arrives once, the room is
	// joined again, the block holds.
	poll(t, "bob has the in-flight message", func() bool {
		return len(storedTexts(t, c, "bob")["in flight when the server died"]) >= 1
	})
	poll(t, "alice's message shows sent", func() bool {
		ms := storedTexts(t, c, "alice")["in flight when the server died"]
		return len(ms) == 1 && ms[0].SendState == storage.SendSent
	})
	poll(t, "everyone online again", func() bool {
		return accountState(c, "alice") == "online" && accountState(c, "bob") == "online" && accountState(pestCore, "pest") == "online"
	})
	if _, err := pestCore.Send(ctx, SendRequest{Account: "pest", Target: prosody.JID("alice"), Text: "unwanted after the restart"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(ctx, SendRequest{Account: "bob", Target: room, Text: "in the room after"}); err != nil {
		t.Fatal(err)
	}
	poll(t, "alice has the room message after the restart", func() bool {
		return len(storedTexts(t, c, "alice")["in the room after"]) == 1
	})
	poll(t, "pest's message left its outbox", func() bool {
		ms := storedTexts(t, pestCore, "pest")["unwanted after the restart"]
		return len(ms) == 1 && ms[0].SendState != storage.SendPending
	})
	if _, err := c.Send(ctx, SendRequest{Account: "bob", Target: prosody.JID("alice"), Text: "last word"}); err != nil {
		t.Fatal(err)
	}
	poll(t, "alice has bob's last word", func() bool { return len(storedTexts(t, c, "alice")["last word"]) == 1 })
	for _, acct := range []string{"alice", "bob"} {
		for text, ms := range storedTexts(t, c, acct) {
			if len(ms) != 1 {
				t.Errorf("%s: %q archived %d times", acct, text, len(ms))
			}
			if strings.Contains(text, "unwanted") {
				for _, m := range ms {
					if m.Hold == storage.Delivered {
						t.Errorf("%s: the blocked contact's message was delivered: %+v", acct, m)
					}
				}
			}
		}
	}
}

// A nick blocked on IRC stays blocked after the app restarts: the new
// connector value is handed the archive's blocks before it connects, and
// re-applies SILENCE.
func TestIRCBlockSurvivesAnAppRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := ircd.StartInspircd(t, ircd.Options{})
	dir, kr := t.TempDir(), &storagetest.MemKeyring{}
	c := openCoreIn(t, dir, kr, time.Second)
	if err := c.AddAccount(ctx, AccountSpec{Name: "irc", Network: "irc", Settings: map[string]string{
		"server": srv.Addr, "nick": "sbkeep", "tls": "false"}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	poll(t, "the account online", func() bool { return accountState(c, "irc") == "online" })
	if err := c.SetConsent(ctx, ConsentRequest{Account: "irc", Handle: "pest", State: "blocked", How: "cli"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c = openCoreIn(t, dir, kr, time.Second)
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	poll(t, "the account online after the app restart", func() bool { return accountState(c, "irc") == "online" })
	pest := ircd.Connect(t, srv.Addr, "pest", ircd.ClientOptions{})
	friend := ircd.Connect(t, srv.Addr, "friend", ircd.ClientOptions{})
	if err := pest.Privmsg("sbkeep", "unwanted after the app restart"); err != nil {
		t.Fatal(err)
	}
	if err := pest.Send("PING :sync"); err != nil {
		t.Fatal(err)
	}
	if _, err := pest.WaitFor(restartWait, func(l ircd.Line) bool { return l.Command == "PONG" }); err != nil {
		t.Fatal(err)
	}
	if err := friend.Privmsg("sbkeep", "hello after the app restart"); err != nil {
		t.Fatal(err)
	}
	poll(t, "the friend's message archived", func() bool {
		return len(storedTexts(t, c, "irc")["hello after the app restart"]) == 1
	})
	if got := storedTexts(t, c, "irc")["unwanted after the app restart"]; len(got) != 0 {
		t.Errorf("the nick blocked before the app restart reached the account (SILENCE not re-applied): %+v", got)
	}
}
