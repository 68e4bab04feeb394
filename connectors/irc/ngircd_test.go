package irc

import (
	"context"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"switchboard/connectors"
	"switchboard/internal/testenv/ircd"
)

// ngIRCd speaks plain RFC 2812 (no server-time, no echo-message): these
// tests cover the baseline every IRC server offers.

func TestChannelAndPrivateMessagesBothWays(t *testing.T) {
	t.Parallel()
	s := ircd.StartNgircd(t, ircd.Options{})
	bob := ircd.Connect(t, s.Addr, "bob", ircd.ClientOptions{})
	must(t, bob.Join("#room", wait))

	h := newHarness(t, plain(s.Addr, "alice", "#room"), nil)
	h.start()
	h.next("connecting state", func(ev connectors.Event) bool {
		st, ok := ev.(connectors.ConnectionState)
		return ok && st.State == connectors.StateConnecting
	})
	if self := h.online(); self != "alice" {
		t.Fatalf("online as %q, want alice", self)
	}
	upd := h.next("members of #room", func(ev connectors.Event) bool {
		u, ok := ev.(connectors.ConversationUpdated)
		return ok && u.Conversation.ID == "#room" && len(u.Members) == 2
	})
	if u := upd.(connectors.ConversationUpdated); u.Conversation.Kind != connectors.Group || strings.Join(u.Members, ",") != "alice,bob" {
		t.Fatalf("conversation update %+v", u)
	}

	must(t, bob.Privmsg("#room", "hello channel"))
	m := h.message("hello channel")
	if m.Conversation != (connectors.ConversationRef{ID: "#room", Kind: connectors.Group, Joined: true}) || m.Sender != "bob" || m.Direction != connectors.Inbound || m.RemoteID == "" {
		t.Fatalf("channel message %+v", m)
	}
	if m.Time.IsZero() || m.Time.Nanosecond() != 0 {
		t.Fatalf("without server-time the time is the receive time truncated to the second, got %v", m.Time)
	}
	must(t, bob.Privmsg("alice", "hello alice, privately"))
	m = h.message("hello alice, privately")
	if m.Conversation != (connectors.ConversationRef{ID: "bob", Kind: connectors.Direct}) || m.Direction != connectors.Inbound {
		t.Fatalf("private message %+v", m)
	}
	must(t, bob.Privmsg("alice", "\x01ACTION waves\x01"))
	if m = h.message("waves"); !m.Action {
		t.Fatalf("CTCP ACTION not marked as action: %+v", m)
	}

	id1 := h.send(channelRef("#room"), "hi everyone")
	privmsgTo(t, bob, "hi everyone")
	id2 := h.send(queryRef("bob"), "hi bob")
	if l := privmsgTo(t, bob, "hi bob"); l.Param(0) != "bob" || l.Nick() != "alice" {
		t.Fatalf("bob got %q", l.Raw)
	}
	if id1 == id2 || !strings.HasPrefix(id1, "irc-") {
		t.Fatalf("remote IDs without echo-message should be distinct hashes: %q %q", id1, id2)
	}
	for _, m := range h.messages() {
		if m.Direction == connectors.Outbound {
			t.Fatalf("a message sent through Send was reported back: %+v", m)
		}
	}
}

func TestCTCPVersionIsAnsweredOnce(t *testing.T) {
	t.Parallel()
	s := ircd.StartNgircd(t, ircd.Options{})
	h := newHarness(t, plain(s.Addr, "vera"), nil)
	h.start()
	h.online()
	bob := ircd.Connect(t, s.Addr, "bob", ircd.ClientOptions{})
	must(t, bob.Privmsg("vera", "\x01VERSION\x01"))
	must(t, bob.Privmsg("vera", "\x01VERSION\x01")) // inside the rate limit: not answered
	must(t, bob.Privmsg("vera", "after the queries"))
	l, err := bob.WaitFor(wait, func(l ircd.Line) bool { return l.Command == "NOTICE" && l.Nick() == "vera" })
	must(t, err)
	if l.Param(1) != "\x01VERSION Switchboard\x01" {
		t.Fatalf("VERSION reply %q", l.Raw)
	}
	h.message("after the queries")
	for _, m := range h.messages() {
		if strings.Contains(m.Text, "VERSION") {
			t.Fatalf("a CTCP query was reported as a message: %+v", m)
		}
	}
}

func TestNickInUseFallsBackToUnderscores(t *testing.T) {
	t.Parallel()
	s := ircd.StartNgircd(t, ircd.Options{})
	ircd.Connect(t, s.Addr, "dup", ircd.ClientOptions{})
	ircd.Connect(t, s.Addr, "dup_", ircd.ClientOptions{})
	h := newHarness(t, plain(s.Addr, "dup"), nil)
	h.start()
	if self := h.online(); self != "dup__" {
		t.Fatalf("online as %q, want dup__", self)
	}
}

func TestWrongPasswordIsAnAuthErrorWithTheServersWords(t *testing.T) {
	t.Parallel()
	s := ircd.StartNgircd(t, ircd.Options{Password: "letmein"})
	h := newHarness(t, plain(s.Addr, "pat"), secrets{KeyPassword: "wrong"})
	h.start()
	st := h.next("auth failed state", func(ev connectors.Event) bool {
		st, ok := ev.(connectors.ConnectionState)
		return ok && st.State == connectors.StateAuthFailed
	}).(connectors.ConnectionState)
	err := h.runErr()
	var auth *connectors.AuthError
	if !errors.As(err, &auth) || !strings.Contains(auth.Reason, "Bad password") || st.Reason != auth.Reason {
		t.Fatalf("Run = %v (state reason %q), want an AuthError with ngIRCd's words", err, st.Reason)
	}

	ok := newHarness(t, plain(s.Addr, "pat"), secrets{KeyPassword: "letmein"})
	ok.start()
	ok.online()
}

func TestTLSSelfSignedRejectedByDefaultAcceptedWithCAFile(t *testing.T) {
	t.Parallel()
	s := ircd.StartNgircd(t, ircd.Options{})
	settings := map[string]string{KeyServer: s.TLSAddr, KeyNick: "tess"} // tls defaults to true
	h := newHarness(t, settings, nil)
	h.start()
	err := h.runErr()
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Fatalf("Run = %v, want an unknown-authority certificate error", err)
	}

	withCA := map[string]string{KeyServer: s.TLSAddr, KeyNick: "tess", KeyCAFile: s.CAFile, KeyJoin: "#secure"}
	h = newHarness(t, withCA, nil)
	h.start()
	h.online()
	h.joined("#secure")
	bob := ircd.Connect(t, s.TLSAddr, "bob", ircd.ClientOptions{TLS: true, CertPEM: s.CertPEM})
	must(t, bob.Join("#secure", wait))
	must(t, bob.Privmsg("#secure", "over TLS"))
	h.message("over TLS")
}

func TestLongMessageIsSplitWithoutBreakingUTF8(t *testing.T) {
	t.Parallel()
	s := ircd.StartNgircd(t, ircd.Options{})
	h := newHarness(t, plain(s.Addr, "longwriter"), nil)
	h.start()
	h.online()
	bob := ircd.Connect(t, s.Addr, "bob", ircd.ClientOptions{})
	text := strings.Repeat("ä€😀x", 150) // 1500 bytes, no spaces, multi-byte runes everywhere
	h.send(queryRef("bob"), text)
	var got strings.Builder
	for got.Len() < len(text) {
		l, err := bob.WaitFor(wait, func(l ircd.Line) bool { return l.Command == "PRIVMSG" })
		must(t, err)
		if n := len(l.Raw) + 2; n > 512 {
			t.Fatalf("relayed line is %d bytes, over the 512-byte limit", n)
		}
		if !utf8.ValidString(l.Param(1)) {
			t.Fatalf("chunk is not valid UTF-8: %q", l.Param(1))
		}
		got.WriteString(l.Param(1))
	}
	if got.String() != text {
		t.Fatalf("chunks do not add up to the message:\n got %q\nwant %q", got.String(), text)
	}
}

func TestSilentServerFailsRunAfterPingTimeout(t *testing.T) {
	t.Parallel()
	s := ircd.StartNgircd(t, ircd.Options{})
	h := newHarness(t, plain(s.Addr, "pinger"), nil)
	h.c.pingInterval, h.c.pingTimeout = 300*time.Millisecond, 700*time.Millisecond
	h.start()
	h.online()
	must(t, s.Pause())
	defer s.Resume()
	err := h.runErr()
	if err == nil || !strings.Contains(err.Error(), "did not answer PING") {
		t.Fatalf("Run = %v, want a keep-alive timeout", err)
	}
	if _, err := h.c.Send(context.Background(), connectors.Outgoing{Conversation: queryRef("x"), Text: "y"}); !errors.Is(err, connectors.ErrNotConnected) {
		t.Fatalf("Send after the link died = %v, want ErrNotConnected", err)
	}
}

func TestReconnectAfterServerRestartLosesAndDoublesNothing(t *testing.T) {
	t.Parallel()
	s := ircd.StartNgircd(t, ircd.Options{})
	h := newHarness(t, plain(s.Addr, "stayer", "#keep"), nil)
	h.start()
	h.online()
	h.joined("#keep")
	peer := ircd.Connect(t, s.Addr, "peer", ircd.ClientOptions{})
	must(t, peer.Join("#keep", wait))
	for _, txt := range []string{"before 1", "before 2"} {
		must(t, peer.Privmsg("#keep", txt))
		h.message(txt)
	}

	must(t, s.Stop())
	if err := h.runErr(); err == nil {
		t.Fatal("Run returned nil when the server died")
	}
	if _, err := h.c.Send(context.Background(), connectors.Outgoing{Conversation: channelRef("#keep"), Text: "while down"}); !errors.Is(err, connectors.ErrNotConnected) {
		t.Fatalf("Send while the server is down = %v, want ErrNotConnected (the outbox retries)", err)
	}
	must(t, s.Restart())

	h.start() // what the core's supervisor does
	h.online()
	h.joined("#keep")
	peer = ircd.Connect(t, s.Addr, "peer2", ircd.ClientOptions{})
	must(t, peer.Join("#keep", wait))
	h.sendWhenOnline(channelRef("#keep"), "while down") // the outbox's retry
	privmsgTo(t, peer, "while down")
	for _, txt := range []string{"after 1", "after 2"} {
		must(t, peer.Privmsg("#keep", txt))
		h.message(txt)
	}
	count := map[string]int{}
	ids := map[string]bool{}
	for _, m := range h.messages() {
		count[m.Text]++
		if ids[m.RemoteID] {
			t.Fatalf("remote ID %s reported twice", m.RemoteID)
		}
		ids[m.RemoteID] = true
	}
	for _, txt := range []string{"before 1", "before 2", "after 1", "after 2"} {
		if count[txt] != 1 {
			t.Fatalf("%q reported %d times, want once (all: %v)", txt, count[txt], count)
		}
	}
}

func TestJoinAndLeaveAtTheUsersRequest(t *testing.T) {
	t.Parallel()
	s := ircd.StartNgircd(t, ircd.Options{})
	h := newHarness(t, plain(s.Addr, "joiner"), nil)
	h.start()
	h.online()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	must(t, h.c.Join(ctx, "#new"))
	h.joined("#new")
	must(t, h.c.Leave(ctx, "#new"))
	h.next("left #new", func(ev connectors.Event) bool {
		u, ok := ev.(connectors.ConversationUpdated)
		return ok && u.Conversation.ID == "#new" && u.Left
	})
	if err := h.c.Join(ctx, "bad channel"); !errors.Is(err, ErrBadTarget) {
		t.Fatalf("Join with a space = %v", err)
	}
}

func TestClientSideIgnoreStillDeliversMarkedMessages(t *testing.T) {
	t.Parallel()
	s := ircd.StartNgircd(t, ircd.Options{}) // ngIRCd has no SILENCE
	h := newHarness(t, plain(s.Addr, "ignorer"), nil)
	h.start()
	h.online()
	must(t, h.c.Block(context.Background(), "spammer", true))
	sp := ircd.Connect(t, s.Addr, "spammer", ircd.ClientOptions{})
	must(t, sp.Privmsg("ignorer", "buy now"))
	if m := h.message("buy now"); m.Headers["irc-ignored"] == "" {
		t.Fatalf("ignored nick's message not marked: %+v", m)
	}
}
