package irc

import (
	"context"
	"strings"
	"testing"
	"time"

	"switchboard/connectors"
	"switchboard/connectors/conformance"
	"switchboard/internal/testenv/ircd"
)

// names asks the server who is in channel.
func names(t *testing.T, c *ircd.Client, channel string) []string {
	t.Helper()
	must(t, c.Send("NAMES "+channel))
	var out []string
	_, err := c.WaitFor(wait, func(l ircd.Line) bool {
		if l.Command == "353" {
			for _, n := range strings.Fields(l.Param(len(l.Params) - 1)) {
				out = append(out, strings.TrimLeft(n, "@+%~&"))
			}
		}
		return l.Command == "366"
	})
	must(t, err)
	return out
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// One connector value across a server restart (the core's lifetime):
// channels joined at the user's request are joined again, channels left
// are not (even a configured one), and blocks are applied again.
func TestRestartRejoinsJoinedChannelsNotLeftOnesAndReappliesBlocks(t *testing.T) {
	t.Parallel()
	s := ircd.StartInspircd(t, ircd.Options{})
	c := New().(*Connector)
	cl := conformance.Start(t, c, connectors.Account{ID: "acct-keeper", Network: "irc", Settings: plain(s.Addr, "keeper", "#team")}, secrets{})
	next := cl.WaitOnline(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	must(t, c.Join(ctx, "#extra"))
	must(t, c.Leave(ctx, "#team"))
	must(t, c.Block(ctx, "pest", true))

	must(t, s.Restart())
	next = cl.WaitOnline(t, next)
	watcher := ircd.Connect(t, s.Addr, "watcher", ircd.ClientOptions{})
	deadline := time.Now().Add(wait)
	for !has(names(t, watcher, "#extra"), "keeper") {
		if time.Now().After(deadline) {
			t.Fatal("#extra, joined at the user's request, was not joined again after the restart")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if has(names(t, watcher, "#team"), "keeper") {
		t.Error("#team, left at the user's request, was joined again after the restart")
	}
	pest := ircd.Connect(t, s.Addr, "pest", ircd.ClientOptions{})
	must(t, pest.Privmsg("keeper", "unwanted after the restart"))
	must(t, pest.Send("PING :sync"))
	_, err := pest.WaitFor(wait, func(l ircd.Line) bool { return l.Command == "PONG" })
	must(t, err)
	must(t, watcher.Privmsg("keeper", "hello after the restart"))
	cl.Events.WaitFor(t, next, "the watcher's message", func(ev connectors.Event) bool {
		m, ok := ev.(connectors.MessageReceived)
		return ok && m.Message.Text == "hello after the restart"
	})
	for _, m := range cl.Events.Messages(nil) {
		if m.Message.Text == "unwanted after the restart" {
			t.Fatalf("SILENCE was not re-applied after the restart: %+v", m.Message)
		}
	}
}
