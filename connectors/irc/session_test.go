package irc

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"switchboard/connectors"
)

// These tests drive the pure session with recorded server lines.

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 600_000_000, time.UTC)

func feed(t *testing.T, s *session, lines ...string) error {
	t.Helper()
	for _, l := range lines {
		m, err := ParseLine(l)
		if err != nil {
			t.Fatalf("transcript line does not parse: %q: %v", l, err)
		}
		if err := s.handle(m, t0); err != nil {
			return err
		}
	}
	return nil
}

func out(t *testing.T, s *session) []string {
	t.Helper()
	var lines []string
	for _, m := range s.out {
		l, err := m.Encode()
		if err != nil {
			t.Fatalf("session queued an unencodable line: %v", err)
		}
		lines = append(lines, l)
	}
	s.out = nil
	return lines
}

func expectOut(t *testing.T, s *session, want ...string) {
	t.Helper()
	if got := out(t, s); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("sent\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func registeredSession(t *testing.T, caps ...string) *session {
	s := newSession(sessionConfig{Account: "a", Nick: "me"})
	s.start()
	must(t, feed(t, s, ":srv CAP * LS :"+strings.Join(caps, " ")))
	if len(caps) > 0 {
		must(t, feed(t, s, ":srv CAP me ACK :"+strings.Join(caps, " ")))
	}
	must(t, feed(t, s, ":srv 001 me :Welcome to the network me!u@host.example",
		":srv 005 me CHANTYPES=# PREFIX=(ov)@+ CASEMAPPING=rfc1459 :are supported",
		":srv 376 me :End of MOTD"))
	s.out, s.events = nil, nil
	return s
}

func TestSASLPlainCarriesThePasswordAndEndsCapability(t *testing.T) {
	s := newSession(sessionConfig{Account: "a", Nick: "alice", Password: "pw", SASLUser: "acct"})
	s.start()
	expectOut(t, s, "CAP LS 302")
	must(t, feed(t, s, ":srv CAP * LS * :sasl=PLAIN,EXTERNAL server-time"))
	expectOut(t, s) // continuation: nothing yet
	must(t, feed(t, s, ":srv CAP * LS :echo-message"))
	expectOut(t, s, "NICK alice", "USER alice 0 * alice", "CAP REQ :server-time echo-message sasl")
	must(t, feed(t, s, ":srv CAP alice ACK :server-time echo-message sasl"))
	expectOut(t, s, "AUTHENTICATE PLAIN")
	must(t, feed(t, s, "AUTHENTICATE +"))
	expectOut(t, s, "AUTHENTICATE "+base64.StdEncoding.EncodeToString([]byte("\x00acct\x00pw")))
	must(t, feed(t, s, ":srv 900 alice alice!a@h acct :You are now logged in", ":srv 903 alice :SASL authentication successful"))
	expectOut(t, s, "CAP END")
	must(t, feed(t, s, ":srv 001 alice :Welcome"))
	if len(s.events) != 0 {
		t.Fatalf("online before the server sent ISUPPORT and the MOTD: %+v", s.events)
	}
	must(t, feed(t, s, ":srv 422 alice :MOTD File is missing"))
	if st, ok := s.events[0].(connectors.ConnectionState); !ok || st.State != connectors.StateOnline || st.Self != "alice" {
		t.Fatalf("events %+v", s.events)
	}
}

func TestSASLFailureIsAnAuthError(t *testing.T) {
	s := newSession(sessionConfig{Account: "a", Nick: "alice", Password: "bad"})
	s.start()
	must(t, feed(t, s, ":srv CAP * LS :sasl", ":srv CAP alice ACK :sasl", "AUTHENTICATE +"))
	err := feed(t, s, ":srv 904 alice :SASL authentication failed")
	var auth *connectors.AuthError
	if !errors.As(err, &auth) || auth.Reason != "SASL authentication failed" {
		t.Fatalf("err = %v", err)
	}
}

func TestRefusedConnectionBeforeWelcomeIsAnAuthError(t *testing.T) {
	for _, reason := range []string{
		"Closing link: (alice@127.0.0.1) [Access denied by configuration]", // InspIRCd, wrong or missing PASS
		"Access denied: Bad password?",                                     // ngIRCd
		"You are not authorised to use this server",
	} {
		s := newSession(sessionConfig{Account: "a", Nick: "alice", Password: "bad"})
		s.start()
		must(t, feed(t, s, ":srv CAP * LS :multi-prefix"))
		err := feed(t, s, "ERROR :"+reason)
		var auth *connectors.AuthError
		if !errors.As(err, &auth) || auth.Reason != reason {
			t.Errorf("ERROR %q: err = %v, want an AuthError with the server's words", reason, err)
		}
	}
	s := registeredSession(t)
	err := feed(t, s, "ERROR :Closing link: (me@host) [Ping timeout: 120 seconds]")
	var auth *connectors.AuthError
	if err == nil || errors.As(err, &auth) {
		t.Fatalf("a ping timeout after registration: err = %v, want a plain error (the core retries)", err)
	}
	s = newSession(sessionConfig{Account: "a", Nick: "alice"})
	s.start()
	if err := feed(t, s, "ERROR :Closing link: (alice@127.0.0.1) [Registration timeout]"); err == nil || errors.As(err, &auth) {
		t.Fatalf("a registration timeout: err = %v, want a plain error", err)
	}
}

func TestPasswordGoesToPASSWhenSASLIsNotOffered(t *testing.T) {
	s := newSession(sessionConfig{Account: "a", Nick: "alice", Password: "pw"})
	s.start()
	out(t, s)
	must(t, feed(t, s, ":srv CAP * LS :multi-prefix sasl=EXTERNAL"))
	expectOut(t, s, "PASS pw", "NICK alice", "USER alice 0 * alice", "CAP REQ multi-prefix")
}

func TestServerWithoutCAPRegistersPlainly(t *testing.T) {
	s := newSession(sessionConfig{Account: "a", Nick: "alice", User: "al", RealName: "Alice A"})
	s.start()
	out(t, s)
	must(t, feed(t, s, ":old.server 421 * CAP :Unknown command"))
	expectOut(t, s, "NICK alice", "USER al 0 * :Alice A")
	must(t, feed(t, s, ":old.server 433 * alice :Nickname is already in use"))
	expectOut(t, s, "NICK alice_")
	must(t, feed(t, s, ":old.server 001 alice_ :Welcome"))
	if s.nick != "alice_" || !s.registered() {
		t.Fatalf("nick %q registered %v", s.nick, s.registered())
	}
}

func TestLabelledEchoResolvesSendAndIsNotReported(t *testing.T) {
	s := registeredSession(t, "echo-message", "labeled-response", "batch", "server-time")
	_, err := s.prepareSend(connectors.Outgoing{Conversation: queryRef("bob"), Text: "hi"}, 7, t0)
	must(t, err)
	expectOut(t, s, "@label=sb1 PRIVMSG bob hi")
	must(t, feed(t, s,
		"@label=sb1 :srv BATCH +x labeled-response",
		"@batch=x :srv 301 me bob :away",
		"@batch=x;msgid=abc;time=2026-01-02T03:04:05.123Z :me!u@host.example PRIVMSG bob :hi",
		":srv BATCH -x"))
	if len(s.sends) != 1 || s.sends[0] != (sendDone{token: 7, remoteID: "abc"}) {
		t.Fatalf("sends %+v", s.sends)
	}
	for _, ev := range s.events {
		if _, ok := ev.(connectors.MessageReceived); ok {
			t.Fatalf("echo reported as a message: %+v", ev)
		}
	}
	// An unlabelled own message is another client's: reported as outbound.
	must(t, feed(t, s, "@msgid=def :me!u@host.example PRIVMSG #c :from my phone"))
	m := s.events[len(s.events)-1].(connectors.MessageReceived).Message
	if m.Direction != connectors.Outbound || m.RemoteID != "def" || m.Conversation.ID != "#c" {
		t.Fatalf("%+v", m)
	}
}

func TestLabelledRefusalFailsTheSend(t *testing.T) {
	s := registeredSession(t, "echo-message", "labeled-response")
	_, err := s.prepareSend(connectors.Outgoing{Conversation: queryRef("ghost"), Text: "hi"}, 1, t0)
	must(t, err)
	must(t, feed(t, s, "@label=sb1 :srv 401 me ghost :No such nick"))
	if len(s.sends) != 1 || s.sends[0].err == nil || !strings.Contains(s.sends[0].err.Error(), "No such nick") {
		t.Fatalf("sends %+v", s.sends)
	}
}

func TestUnlabelledEchoIsMatchedInOrder(t *testing.T) {
	s := registeredSession(t, "echo-message")
	for i, txt := range []string{"one", "two"} {
		_, err := s.prepareSend(connectors.Outgoing{Conversation: channelRef("#c"), Text: txt}, i+1, t0)
		must(t, err)
	}
	must(t, feed(t, s, ":me!u@h PRIVMSG #c :one", ":me!u@h PRIVMSG #c :two", ":me!u@h PRIVMSG #c :three"))
	if len(s.sends) != 2 || s.sends[0].token != 1 || s.sends[1].token != 2 {
		t.Fatalf("sends %+v", s.sends)
	}
	var reported []string
	for _, ev := range s.events {
		if m, ok := ev.(connectors.MessageReceived); ok {
			reported = append(reported, m.Message.Text)
		}
	}
	if strings.Join(reported, ",") != "three" {
		t.Fatalf("reported %v, want only the message sent elsewhere", reported)
	}
}

func TestHashIDsAreStableAndRepeatsAreKept(t *testing.T) {
	line := ":bob!b@h PRIVMSG me :same words"
	s := registeredSession(t)
	must(t, feed(t, s, line, line))
	s2 := registeredSession(t)
	must(t, feed(t, s2, line))
	id := func(s *session, i int) string {
		var ms []string
		for _, ev := range s.events {
			if m, ok := ev.(connectors.MessageReceived); ok {
				ms = append(ms, m.Message.RemoteID)
			}
		}
		return ms[i]
	}
	if id(s, 0) == id(s, 1) || id(s, 0) != id(s2, 0) || !strings.HasPrefix(id(s, 0), "irc-") {
		t.Fatalf("ids %s %s / %s", id(s, 0), id(s, 1), id(s2, 0))
	}
	m := s.events[0].(connectors.MessageReceived).Message
	if !m.Time.Equal(t0.Truncate(time.Second)) || m.Conversation != queryRef("bob") {
		t.Fatalf("%+v", m)
	}
}

func TestNonUTF8TextIsReadAsLatin1(t *testing.T) {
	s := registeredSession(t)
	must(t, feed(t, s, ":bob!b@h PRIVMSG me :caf\xe9"))
	if m := s.events[0].(connectors.MessageReceived).Message; m.Text != "café" {
		t.Fatalf("text %q", m.Text)
	}
}

func TestNamesTopicAndPartUpdateTheConversation(t *testing.T) {
	s := registeredSession(t, "multi-prefix")
	must(t, feed(t, s, ":me!u@h JOIN #Go", ":srv 332 me #go :Go talk", ":srv 353 me = #go :@+me +bob carol", ":srv 366 me #go :End",
		":dave!d@h JOIN #go", ":bob!b@h PART #go", ":carol!c@h QUIT :bye"))
	last := func() connectors.ConversationUpdated {
		for i := len(s.events) - 1; i >= 0; i-- {
			if u, ok := s.events[i].(connectors.ConversationUpdated); ok {
				return u
			}
		}
		t.Fatal("no ConversationUpdated")
		return connectors.ConversationUpdated{}
	}
	u := last()
	if u.Conversation.ID != "#Go" || u.Topic != "Go talk" || strings.Join(u.Members, ",") != "dave,me" {
		t.Fatalf("%+v", u)
	}
	must(t, feed(t, s, ":me!u@h PART #GO"))
	if u := last(); !u.Left || u.Conversation.ID != "#Go" {
		t.Fatalf("%+v", u)
	}
}

func TestCTCPFloodGetsOneAnswer(t *testing.T) {
	s := registeredSession(t)
	must(t, feed(t, s, ":x!x@h PRIVMSG me :\x01PING 123\x01", ":x!x@h PRIVMSG me :\x01VERSION\x01", ":x!x@h PRIVMSG me :\x01DCC SEND a\x01"))
	expectOut(t, s, "NOTICE x :\x01PING 123\x01")
	if len(s.events) != 0 {
		t.Fatalf("CTCP queries reported: %+v", s.events)
	}
}

func TestSplitTextKeepsRunesAndPrefersSpaces(t *testing.T) {
	cases := []struct {
		text   string
		budget int
		want   []string
	}{
		{"short", 40, []string{"short"}},
		{"one\r\ntwo\n\nthree", 40, []string{"one", "two", "three"}},
		{strings.Repeat("é", 40), 33, []string{strings.Repeat("é", 16), strings.Repeat("é", 16), strings.Repeat("é", 8)}},
		{"aaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", 32, []string{"aaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"[:32], "bbbbbbb"}},
		{"\n \n", 40, nil},
	}
	for _, c := range cases {
		got := splitText(c.text, c.budget)
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("splitText(%q, %d) = %q, want %q", c.text, c.budget, got, c.want)
		}
	}
}

func TestTextBudgetAccountsForTheRelayPrefix(t *testing.T) {
	s := registeredSession(t)
	got := s.textBudget("#c", false)
	want := 510 - len(":me!u@host.example ") - len("PRIVMSG #c :")
	if got != want {
		t.Fatalf("budget %d, want %d", got, want)
	}
	if a := s.textBudget("#c", true); a != want-len("\x01ACTION \x01") {
		t.Fatalf("action budget %d", a)
	}
}

func TestTooLongFallbackNickIsShortened(t *testing.T) {
	s := newSession(sessionConfig{Account: "a", Nick: "ninechars"})
	s.start()
	must(t, feed(t, s, ":srv CAP * LS :"))
	out(t, s)
	must(t, feed(t, s, ":srv 433 * ninechars :in use"))
	expectOut(t, s, "NICK ninechars_")
	must(t, feed(t, s, ":srv 432 * ninechars_ :Erroneous nickname"))
	expectOut(t, s, "NICK ninechar_")
	fresh := newSession(sessionConfig{Account: "a", Nick: "bad*nick"})
	fresh.start()
	if err := feed(t, fresh, ":srv 432 * bad*nick :Erroneous nickname"); err == nil || !strings.Contains(err.Error(), "Erroneous") {
		t.Fatalf("err = %v", err)
	}
}

func TestLabelledAckResolvesWithoutAnEcho(t *testing.T) {
	s := registeredSession(t, "echo-message", "labeled-response")
	_, err := s.prepareSend(connectors.Outgoing{Conversation: queryRef("bob"), Text: "hi"}, 3, t0)
	must(t, err)
	must(t, feed(t, s, "@label=sb1 :srv ACK"))
	if len(s.sends) != 1 || s.sends[0] != (sendDone{token: 3}) {
		t.Fatalf("sends %+v", s.sends)
	}
}

func TestRepliesCarryTheDraftReplyTag(t *testing.T) {
	s := registeredSession(t, "message-tags", "echo-message", "labeled-response")
	_, err := s.prepareSend(connectors.Outgoing{Conversation: channelRef("#c"), Text: "yes", ReplyTo: "abc"}, 1, t0)
	must(t, err)
	expectOut(t, s, "@+draft/reply=abc;label=sb1 PRIVMSG #c yes")
	must(t, feed(t, s, "@msgid=m2;+draft/reply=m1 :bob!b@h PRIVMSG #c :agreed"))
	if m := s.events[len(s.events)-1].(connectors.MessageReceived).Message; m.ReplyTo != "m1" {
		t.Fatalf("%+v", m)
	}
}

func TestSendWithoutEchoIsConfirmedByPongOrFailedByRefusal(t *testing.T) {
	s := registeredSession(t) // no echo-message: a plain RFC 2812 server
	_, err := s.prepareSend(connectors.Outgoing{Conversation: queryRef("bob"), Text: "hi"}, 1, t0)
	must(t, err)
	_, err = s.prepareSend(connectors.Outgoing{Conversation: queryRef("ghost"), Text: "anyone?"}, 2, t0)
	must(t, err)
	expectOut(t, s, "PRIVMSG bob hi", "PING sbsent1", "PRIVMSG ghost anyone?", "PING sbsent2")
	if len(s.sends) != 0 {
		t.Fatalf("sends resolved before the server answered: %+v", s.sends)
	}
	must(t, feed(t, s, ":srv PONG srv sbsent1", ":srv 401 me ghost :No such nick/channel", ":srv PONG srv sbsent2"))
	if len(s.sends) != 2 || s.sends[0] != (sendDone{token: 1}) || s.sends[1].token != 2 || s.sends[1].err == nil ||
		!strings.Contains(s.sends[1].err.Error(), "No such nick") {
		t.Fatalf("sends %+v; want 1 delivered, 2 refused with the server's words", s.sends)
	}
	if len(s.confirms) != 0 {
		t.Fatalf("confirmations left pending: %d", len(s.confirms))
	}
}

func TestNickChangeNamesTheOldNick(t *testing.T) {
	s := registeredSession(t)
	must(t, feed(t, s, ":AcmeDeals!a@h NICK Acme_Offers"))
	for _, ev := range s.events {
		if cu, ok := ev.(connectors.ContactUpdated); ok && cu.Contact.Handle == "Acme_Offers" && cu.Contact.Was == "AcmeDeals" {
			return
		}
	}
	t.Fatalf("events %+v: no rename of AcmeDeals to Acme_Offers", s.events)
}
