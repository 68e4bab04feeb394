package irc

import (
	"context"
	"strings"
	"testing"
	"time"

	"switchboard/connectors"
	"switchboard/internal/testenv/ircd"
)

// InspIRCd offers the IRCv3 capabilities: server-time, message-tags,
// msgid, echo-message, labeled-response, away-notify, SILENCE, bot mode,
// and channel history replay (+H).

func TestEchoMessageFromAnotherClientIsOutbound(t *testing.T) {
	t.Parallel()
	s := ircd.StartInspircd(t, ircd.Options{})
	bob := ircd.Connect(t, s.Addr, "bob", ircd.ClientOptions{})
	must(t, bob.Join("#echo", wait))
	h := newHarness(t, plain(s.Addr, "ed", "#echo"), nil)
	h.start()
	h.online()
	h.joined("#echo")

	id := h.send(queryRef("bob"), "sent here")
	privmsgTo(t, bob, "sent here")
	chID := h.send(channelRef("#echo"), "sent here to the channel")
	privmsgTo(t, bob, "sent here to the channel")
	if strings.HasPrefix(id, "irc-") || strings.HasPrefix(chID, "irc-") || id == chID {
		t.Fatalf("Send should return the echo's msgid, got %q and %q", id, chID)
	}

	// The same user's other client (a bouncer relays it the same way): an
	// unlabelled PRIVMSG whose echo this connection did not ask for.
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	for _, m := range []Message{Msg("PRIVMSG", "bob", "typed on my phone"), Msg("PRIVMSG", "#echo", "phone to channel")} {
		if _, err := h.c.current().do(ctx, request{kind: reqRaw, raw: m}); err != nil {
			t.Fatal(err)
		}
	}
	m := h.message("typed on my phone")
	if m.Direction != connectors.Outbound || m.Conversation != queryRef("bob") || m.Sender != "ed" || strings.HasPrefix(m.RemoteID, "irc-") {
		t.Fatalf("own message from another client: %+v", m)
	}
	m = h.message("phone to channel")
	if m.Direction != connectors.Outbound || m.Conversation.ID != "#echo" || m.Conversation.Kind != connectors.Group {
		t.Fatalf("own channel message from another client: %+v", m)
	}
	must(t, bob.Privmsg("ed", "marker"))
	h.message("marker")
	for _, m := range h.messages() {
		if strings.HasPrefix(m.Text, "sent here") {
			t.Fatalf("the echo of a message sent by Send was reported as a new message: %+v", m)
		}
	}
}

func TestServerTimeAndHistoryReplayKeepRemoteIDs(t *testing.T) {
	t.Parallel()
	s := ircd.StartInspircd(t, ircd.Options{})
	peer := ircd.Connect(t, s.Addr, "historian", ircd.ClientOptions{})
	must(t, peer.Join("#hist", wait))
	must(t, peer.Send("MODE #hist +H 50:1h"))
	_, err := peer.WaitFor(wait, func(l ircd.Line) bool { return l.Command == "MODE" })
	must(t, err)
	texts := []string{"h1", "h2", "h3", "h4", "h5"}
	for _, txt := range texts {
		must(t, peer.Privmsg("#hist", txt))
		time.Sleep(3 * time.Millisecond) // distinct server-time milliseconds
	}
	must(t, peer.Send("PING :sync")) // the server has handled the messages once it answers
	_, err = peer.WaitFor(wait, func(l ircd.Line) bool { return l.Command == "PONG" })
	must(t, err)

	connectedAt := time.Now()
	h := newHarness(t, plain(s.Addr, "reader", "#hist"), nil)
	h.start()
	h.online()
	first := map[string]connectors.Message{}
	var last time.Time
	for _, txt := range texts {
		m := h.message(txt) // in order: each wait consumes events up to this one
		if m.Time.After(connectedAt) || m.Time.Before(last) {
			t.Fatalf("%s: server time %v, want before %v and after %v", txt, m.Time, connectedAt, last)
		}
		last = m.Time
		first[txt] = m
	}
	mine := h.send(channelRef("#hist"), "mine")
	must(t, peer.Privmsg("#hist", "live"))
	if m := h.message("live"); m.Time.Before(connectedAt.Add(-time.Second)) {
		t.Fatalf("live message server time %v is before the connection", m.Time)
	}

	h.stop() // reconnect: the server replays the channel history on join
	h.start()
	h.online()
	for _, txt := range texts {
		m := h.message(txt)
		if m.RemoteID != first[txt].RemoteID || !m.Time.Equal(first[txt].Time) {
			t.Fatalf("replayed %s has ID %s at %v, first seen as %s at %v", txt, m.RemoteID, m.Time, first[txt].RemoteID, first[txt].Time)
		}
	}
	if m := h.message("mine"); m.RemoteID != mine || m.Direction != connectors.Outbound {
		t.Fatalf("replayed own message %+v, Send returned %s", m, mine)
	}
}

func TestAwayNotifyReportsPresence(t *testing.T) {
	t.Parallel()
	s := ircd.StartInspircd(t, ircd.Options{})
	peer := ircd.Connect(t, s.Addr, "wanderer", ircd.ClientOptions{})
	must(t, peer.Join("#lobby", wait))
	h := newHarness(t, plain(s.Addr, "watcher", "#lobby"), nil)
	h.start()
	h.online()
	h.joined("#lobby")
	presence := func(away bool) connectors.Presence {
		return h.next("presence", func(ev connectors.Event) bool {
			p, ok := ev.(connectors.Presence)
			return ok && p.Handle == "wanderer" && p.Away == away
		}).(connectors.Presence)
	}
	must(t, peer.Send("AWAY :at lunch"))
	if p := presence(true); p.Status != "at lunch" || !p.Online {
		t.Fatalf("away presence %+v", p)
	}
	must(t, peer.Send("AWAY"))
	presence(false)
}

func TestBotIsReportedWithEvidence(t *testing.T) {
	t.Parallel()
	s := ircd.StartInspircd(t, ircd.Options{})
	h := newHarness(t, plain(s.Addr, "human"), nil)
	h.start()
	h.online()
	bot := ircd.Connect(t, s.Addr, "deals", ircd.ClientOptions{})
	must(t, bot.Send("MODE deals +B"))
	must(t, bot.Privmsg("human", "50% off today"))
	// The contact is reported before its message, so the policy knows.
	ev := h.next("bot contact", func(ev connectors.Event) bool {
		c, ok := ev.(connectors.ContactUpdated)
		return ok && c.Contact.Handle == "deals"
	}).(connectors.ContactUpdated)
	if ev.Contact.Kind != connectors.KindBot || len(ev.Contact.Evidence) == 0 {
		t.Fatalf("contact %+v", ev.Contact)
	}
	if m := h.message("50% off today"); m.Headers["irc-bot"] == "" {
		t.Fatalf("bot message without evidence header: %+v", m)
	}
}

func TestTypingNotificationsBothWays(t *testing.T) {
	t.Parallel()
	s := ircd.StartInspircd(t, ircd.Options{})
	h := newHarness(t, plain(s.Addr, "typist"), nil)
	h.start()
	h.online()
	peer := ircd.Connect(t, s.Addr, "reader", ircd.ClientOptions{Caps: []string{"message-tags"}})
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	must(t, h.c.SetTyping(ctx, queryRef("reader"), true))
	l, err := peer.WaitFor(wait, func(l ircd.Line) bool { return l.Command == "TAGMSG" })
	must(t, err)
	if l.Tags["+typing"] != "active" || l.Nick() != "typist" {
		t.Fatalf("peer got %q", l.Raw)
	}
	must(t, peer.Send("@+typing=active TAGMSG typist"))
	ev := h.next("typing", func(ev connectors.Event) bool { _, ok := ev.(connectors.Typing); return ok }).(connectors.Typing)
	if ev.Handle != "reader" || ev.Conversation != "reader" || !ev.Active {
		t.Fatalf("typing event %+v", ev)
	}
}

func TestBlockUsesServerSilenceWhenOffered(t *testing.T) {
	t.Parallel()
	s := ircd.StartInspircd(t, ircd.Options{})
	h := newHarness(t, plain(s.Addr, "quiet"), nil)
	h.start()
	h.online()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	must(t, h.c.Block(ctx, "pest", true))
	pest := ircd.Connect(t, s.Addr, "pest", ircd.ClientOptions{})
	friend := ircd.Connect(t, s.Addr, "friend", ircd.ClientOptions{})
	must(t, pest.Privmsg("quiet", "unwanted offer"))
	must(t, pest.Send("PING :sync"))
	_, err := pest.WaitFor(wait, func(l ircd.Line) bool { return l.Command == "PONG" })
	must(t, err)
	must(t, friend.Privmsg("quiet", "hello from a friend"))
	h.message("hello from a friend")
	for _, m := range h.messages() {
		if m.Text == "unwanted offer" {
			t.Fatalf("SILENCE did not stop the blocked nick: %+v", m)
		}
	}
}
