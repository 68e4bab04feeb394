package email

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"switchboard/connectors"
)

func TestRegisteredAsEmail(t *testing.T) {
	c, err := connectors.New("email")
	if err != nil {
		t.Fatal(err)
	}
	info := c.Info()
	keys := map[string]connectors.FieldKind{}
	for _, f := range info.Fields {
		keys[f.Key] = f.Kind
	}
	for k, kind := range map[string]connectors.FieldKind{"user": connectors.FieldText, "server": connectors.FieldHostPort,
		"smtp": connectors.FieldHostPort, "tls": connectors.FieldBool, "ca_file": connectors.FieldFile,
		"login": connectors.FieldText, "sync_depth": connectors.FieldText, "password": connectors.FieldSecret} {
		if got, ok := keys[k]; !ok || got != kind {
			t.Errorf("field %s: kind %v present %v", k, got, ok)
		}
	}
	if _, ok := c.(connectors.Unsubscriber); !ok {
		t.Error("not an Unsubscriber")
	}
	if _, ok := c.(Originaler); !ok {
		t.Error("not an Originaler")
	}
}

func TestInitialSyncIsBackfillNewestPageFirst(t *testing.T) {
	srv := startServer(t)
	for i := 1; i <= 5; i++ {
		deliver(t, srv, alice.Name, mailText("Bob <bob@localhost>", alice.Name, fmt.Sprint("mail ", i), fmt.Sprintf("m%d@localhost", i), fmt.Sprint("body ", i)))
	}
	c := New()
	c.fetchPage = 2
	r := run(t, c, account(srv, alice, true, "sync_depth", "4"), alice.Password)
	msgs := messages(r.online(t))
	var ids []string
	for _, m := range msgs {
		ids = append(ids, msgIDPart(m.Message.RemoteID))
		if !m.Backfill || m.Message.Direction != connectors.Inbound || m.Message.Conversation.ID != "bob@localhost" ||
			m.Message.Conversation.Kind != connectors.Direct || m.Message.Sender != "bob@localhost" || m.Message.SenderName != "Bob" {
			t.Errorf("unexpected message %+v", m)
		}
	}
	// depth 4 of 5; pages of 2, newest page first: (4,5) then (2,3).
	want := []string{"m4@localhost", "m5@localhost", "m2@localhost", "m3@localhost"}
	if strings.Join(ids, " ") != strings.Join(want, " ") {
		t.Fatalf("synced %v, want %v", ids, want)
	}
	if msgs[1].Message.Text != "Subject: mail 5\n\nbody 5" {
		t.Fatalf("text = %q", msgs[1].Message.Text)
	}
}

func TestNewMailArrivesThroughIdle(t *testing.T) {
	srv := startServer(t)
	r := run(t, New(), account(srv, alice, false), alice.Password)
	if got := messages(r.online(t)); len(got) != 0 {
		t.Fatalf("empty mailbox synced %d messages", len(got))
	}
	deliver(t, srv, alice.Name, mailText("bob@localhost", alice.Name, "ping", "idle-1@localhost", "are you there?"))
	m := r.message(t, "IDLE delivery", func(m connectors.MessageReceived) bool { return msgIDPart(m.Message.RemoteID) == "idle-1@localhost" })
	if m.Backfill || m.Message.Text != "Subject: ping\n\nare you there?" {
		t.Fatalf("got %+v", m)
	}
}

func TestReplyThreadsIntoSameConversation(t *testing.T) {
	srv := startServer(t)
	deliver(t, srv, alice.Name, mailText("Bob <bob@localhost>", alice.Name, "Quarterly numbers", "q1@localhost", "Can you send the numbers?"))
	ra := run(t, New(), account(srv, alice, false), alice.Password)
	ra.online(t)
	rb := run(t, New(), account(srv, bob, true), bob.Password)
	rb.online(t)

	id, err := ra.c.Send(context.Background(), connectors.Outgoing{LocalID: "out-1", Conversation: connectors.ConversationRef{ID: "bob@localhost"}, Text: "Here they are.\nAlice"})
	if err != nil {
		t.Fatal(err)
	}
	got := rb.message(t, "alice's reply at bob", func(m connectors.MessageReceived) bool { return m.Message.RemoteID == id })
	if got.Message.Conversation.ID != alice.Name || got.Message.ReplyTo != "q1@localhost" || got.Message.Headers["Subject"] != "Re: Quarterly numbers" {
		t.Fatalf("bob got %+v", got.Message)
	}
	if got.Message.Text != "Here they are.\nAlice" {
		t.Fatalf("text %q", got.Message.Text)
	}
	// Alice's own copy shows up from Sent as an outbound message.
	echo := ra.message(t, "sent copy", func(m connectors.MessageReceived) bool { return m.Message.RemoteID == id })
	if echo.Message.Direction != connectors.Outbound || echo.Message.Conversation.ID != "bob@localhost" {
		t.Fatalf("echo %+v", echo.Message)
	}

	// Bob answers; it lands in alice's conversation with bob, threaded.
	id2, err := rb.c.Send(context.Background(), connectors.Outgoing{LocalID: "b-1", Conversation: connectors.ConversationRef{ID: alice.Name}, Text: "Thanks!"})
	if err != nil {
		t.Fatal(err)
	}
	back := ra.message(t, "bob's answer", func(m connectors.MessageReceived) bool { return m.Message.RemoteID == id2 })
	if back.Message.Conversation.ID != "bob@localhost" || back.Message.ReplyTo != msgIDPart(id) || back.Backfill {
		t.Fatalf("answer %+v", back)
	}
}

func TestSendRetryWithSameOutboxIDIsNotSentTwice(t *testing.T) {
	srv := startServer(t)
	r := run(t, New(), account(srv, alice, false), alice.Password)
	r.online(t)
	out := connectors.Outgoing{LocalID: "42", Conversation: connectors.ConversationRef{ID: "bob@localhost"}, Text: "only once"}
	id1, err := r.c.Send(context.Background(), out)
	if err != nil {
		t.Fatal(err)
	}
	id2, err := r.c.Send(context.Background(), out)
	if err != nil {
		t.Fatal(err)
	}
	if id1 != id2 || !strings.HasSuffix(msgIDPart(id1), "@localhost") {
		t.Fatalf("ids %q %q", id1, id2)
	}
	if n := len(srv.Submissions()); n != 1 {
		t.Fatalf("%d submissions, want 1", n)
	}
	sub := string(srv.Submissions()[0].Data)
	for _, want := range []string{"message-id: <" + msgIDPart(id1) + ">", "content-type: text/plain; charset=utf-8", "subject: only once", "mime-version: 1.0"} {
		if !strings.Contains(strings.ToLower(sub), want) {
			t.Errorf("sent mail lacks %q:\n%s", want, sub)
		}
	}
}

// TestTheUsersSubjectIsUsed: a subject the user gives heads a new mail and
// a reply alike (UTF-8, encoded); without one a reply keeps "Re: …".
func TestTheUsersSubjectIsUsed(t *testing.T) {
	srv := startServer(t)
	deliver(t, srv, alice.Name, mailText("Bob <bob@localhost>", alice.Name, "Invoice 2291", "inv-1@localhost", "Could you correct it?"))
	r := run(t, New(), account(srv, alice, false), alice.Password)
	r.online(t)
	bobConv := connectors.ConversationRef{ID: "bob@localhost"}
	sends := []connectors.Outgoing{
		{LocalID: "1", Conversation: bobConv, Text: "Here it is.", Subject: "  Invoice 2291, corrected – für Sie  "},
		{LocalID: "2", Conversation: bobConv, Text: "And the receipt."},
		{LocalID: "3", Conversation: connectors.ConversationRef{ID: "unsub@localhost"}, Text: "Lunch at noon?\nOr later.", Subject: "Lunch"},
	}
	for _, o := range sends {
		if _, err := r.c.Send(context.Background(), o); err != nil {
			t.Fatal(err)
		}
	}
	subs := srv.Submissions()
	if len(subs) != 3 {
		t.Fatalf("%d submissions", len(subs))
	}
	var got []string
	for _, sub := range subs {
		got = append(got, parseMail(bytes.NewReader(sub.Data)).Subject)
	}
	want := []string{"Invoice 2291, corrected – für Sie", "Re: Invoice 2291, corrected – für Sie", "Lunch"}
	if !slices.Equal(got, want) {
		t.Fatalf("subjects %q, want %q", got, want)
	}
	if !strings.Contains(string(subs[1].Data), "In-Reply-To:") {
		t.Fatalf("the second mail is no reply:\n%s", subs[1].Data)
	}
}

func TestHeaderInjectionIsRefused(t *testing.T) {
	srv := startServer(t)
	r := run(t, New(), account(srv, alice, false), alice.Password)
	r.online(t)
	for _, conv := range []string{"bob@localhost\r\nBcc: victim@localhost", "bob@localhost\nSubject: x", "evil\r@localhost"} {
		_, err := r.c.Send(context.Background(), connectors.Outgoing{LocalID: "x", Conversation: connectors.ConversationRef{ID: conv}, Text: "hi"})
		if !errors.Is(err, ErrHeaderInjection) {
			t.Errorf("conversation %q: err = %v, want ErrHeaderInjection", conv, err)
		}
	}
	_, err := r.c.Send(context.Background(), connectors.Outgoing{LocalID: "s", Conversation: connectors.ConversationRef{ID: "bob@localhost"},
		Text: "hi", Subject: "hi\r\nBcc: victim@localhost"})
	if !errors.Is(err, ErrHeaderInjection) {
		t.Errorf("a subject with CRLF given to Send: err = %v", err)
	}
	m := outMail{from: alice.Name, to: []string{"bob@localhost"}, subject: "hi\r\nBcc: victim@localhost", text: "x", messageID: "a@b", date: time.Now()}
	if _, err := m.build(); !errors.Is(err, ErrHeaderInjection) {
		t.Errorf("subject with CRLF: err = %v", err)
	}
	if n := len(srv.Submissions()); n != 0 {
		t.Fatalf("%d mails were submitted", n)
	}
}

func TestWrongPasswordIsAuthError(t *testing.T) {
	srv := startServer(t)
	r := run(t, New(), account(srv, alice, true), "not-the-password")
	err := r.runErr(t)
	if !isAuthError(err) {
		t.Fatalf("err = %v, want *connectors.AuthError", err)
	}
	r.next(t, "auth failed state", func(ev connectors.Event) bool {
		cs, ok := ev.(connectors.ConnectionState)
		return ok && cs.State == connectors.StateAuthFailed && cs.Reason != ""
	}, nil)
}

func TestUnknownCertificateIsRejected(t *testing.T) {
	srv := startServer(t)
	for _, implicit := range []bool{true, false} {
		acct := account(srv, alice, implicit)
		delete(acct.Settings, "ca_file")
		r := run(t, New(), acct, alice.Password)
		err := r.runErr(t)
		if err == nil || isAuthError(err) || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("implicit=%v: err = %v, want a certificate error", implicit, err)
		}
	}
}

func TestPlaintextOnlyForLoopback(t *testing.T) {
	acct := connectors.Account{ID: "x", Settings: map[string]string{"user": "a@example.org", "server": "imap.example.org:143", "smtp": "smtp.example.org:587", "tls": "false"}}
	if _, err := parseConfig(acct); err == nil || !strings.Contains(err.Error(), "only allowed for a server on this computer") {
		t.Fatalf("err = %v", err)
	}
	srv := startServer(t)
	plain := account(srv, alice, false, "tls", "false", "smtp", srv.PlainSMTP)
	r := run(t, New(), plain, alice.Password)
	r.online(t)
	if _, err := r.c.Send(context.Background(), connectors.Outgoing{LocalID: "p", Conversation: connectors.ConversationRef{ID: bob.Name}, Text: "plain"}); err != nil {
		t.Fatal(err)
	}
}

func TestSendWhileOfflineIsErrNotConnected(t *testing.T) {
	_, err := New().Send(context.Background(), connectors.Outgoing{Conversation: connectors.ConversationRef{ID: "bob@localhost"}, Text: "x"})
	if !errors.Is(err, connectors.ErrNotConnected) {
		t.Fatalf("err = %v", err)
	}
}

func TestReconnectAfterDovecotRestartLosesNothing(t *testing.T) {
	srv := startServer(t)
	for i := 1; i <= 2; i++ {
		deliver(t, srv, alice.Name, mailText("bob@localhost", alice.Name, "s", fmt.Sprintf("r%d@localhost", i), "x"))
	}
	c := New()
	seen := map[string]int{}
	count := func(evs []connectors.Event) {
		for _, m := range messages(evs) {
			seen[msgIDPart(m.Message.RemoteID)]++
		}
	}
	r1 := run(t, c, account(srv, alice, false), alice.Password)
	count(r1.online(t))
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := r1.runErr(t); err == nil {
		t.Fatal("Run returned nil after the server went away")
	}
	for i := 3; i <= 4; i++ { // arrive while the connector is away
		deliver(t, srv, alice.Name, mailText("bob@localhost", alice.Name, "s", fmt.Sprintf("r%d@localhost", i), "x"))
	}
	r2 := run(t, c, account(srv, alice, false), alice.Password)
	count(r2.online(t))
	deliver(t, srv, alice.Name, mailText("bob@localhost", alice.Name, "s", "r5@localhost", "x"))
	r2.message(t, "r5", func(m connectors.MessageReceived) bool {
		seen[msgIDPart(m.Message.RemoteID)]++
		return msgIDPart(m.Message.RemoteID) == "r5@localhost"
	})
	for i := 1; i <= 5; i++ {
		if n := seen[fmt.Sprintf("r%d@localhost", i)]; n != 1 {
			t.Errorf("r%d seen %d times: %v", i, n, seen)
		}
	}
}

func TestOriginalKeepsQuotesAndSignature(t *testing.T) {
	srv := startServer(t)
	deliver(t, srv, alice.Name, mailText("bob@localhost", alice.Name, "Re: lunch", "orig-1@localhost",
		"Yes!\r\n\r\nOn Mon, Alice wrote:\r\n> lunch?\r\n\r\n-- \r\nBob", "In-Reply-To: <lunch@localhost>"))
	r := run(t, New(), account(srv, alice, false), alice.Password)
	msgs := messages(r.online(t))
	if len(msgs) != 1 || msgs[0].Message.Text != "Yes!" {
		t.Fatalf("chat text: %+v", msgs)
	}
	full, err := r.c.Original(context.Background(), "orig-1@localhost")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Yes!", "> lunch?", "--\nBob"} {
		if !strings.Contains(full, want) {
			t.Errorf("original lacks %q: %q", want, full)
		}
	}
	if _, err := r.c.Original(context.Background(), "nope@localhost"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing mail: err = %v", err)
	}
}

func TestHostileMailIsDeliveredNotFatal(t *testing.T) {
	srv := startServer(t)
	var big bytes.Buffer
	big.WriteString("From: bob@localhost\r\nTo: alice@localhost\r\nSubject: big\r\nMessage-ID: <big@localhost>\r\n" +
		"Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n" +
		"--B\r\nContent-Type: application/octet-stream; name=big.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	writeBase64Lines(&big, 25<<20)
	big.WriteString("\r\n--B--\r\n")
	deliver(t, srv, alice.Name, big.String())
	for _, name := range []string{"garbage.eml", "broken_charset.eml", "broken_multipart.eml", "no_message_id.eml"} {
		raw, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		deliver(t, srv, alice.Name, string(raw))
	}
	r := run(t, New(), account(srv, alice, false), alice.Password)
	msgs := messages(r.online(t))
	if len(msgs) != 5 {
		t.Fatalf("synced %d of 5 mails", len(msgs))
	}
	byID := map[string]string{}
	for _, m := range msgs {
		byID[msgIDPart(m.Message.RemoteID)] = m.Message.Text
		if !utf8.ValidString(m.Message.Text) || m.Message.Text == "" {
			t.Errorf("bad text %q", m.Message.Text)
		}
	}
	if got := byID["big@localhost"]; got != "Subject: big\n\nsee attached\n\n[attachment: big.bin (26.2 MB)]" {
		t.Fatalf("big mail text %q", got)
	}
	// The 25 MB attachment streams out whole, decoded, without being held.
	var n int64
	bad := false
	err := r.c.FetchAttachments(context.Background(), "big@localhost", func(i int, a connectors.Attachment, rd io.Reader) error {
		buf := make([]byte, 64<<10)
		for {
			k, err := rd.Read(buf)
			for _, b := range buf[:k] {
				bad = bad || b != 0xA5
			}
			n += int64(k)
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
		}
	})
	if err != nil || bad || n < 25<<20 || n > 25<<20+57 {
		t.Fatalf("fetched %d bytes (bad content %v): %v", n, bad, err)
	}
}

func TestNoopPollingFindsNewMailAndOtherClientsSentMail(t *testing.T) {
	srv := startServer(t)
	c := New()
	c.noIdle = true
	c.pollInterval = 200 * time.Millisecond
	r := run(t, c, account(srv, alice, true), alice.Password)
	r.online(t)
	deliver(t, srv, alice.Name, mailText("bob@localhost", alice.Name, "poll", "poll-1@localhost", "found by NOOP"))
	m := r.message(t, "polled mail", func(m connectors.MessageReceived) bool { return msgIDPart(m.Message.RemoteID) == "poll-1@localhost" })
	if m.Backfill || m.Message.Direction != connectors.Inbound {
		t.Fatalf("got %+v", m)
	}
	// Another client files a sent mail; it is echoed as outbound.
	raw := mailText(alice.Name, "carol@example.org", "from my phone", "phone-1@localhost", "sent elsewhere")
	if err := srv.WriteMaildir(alice.Name, "Sent", [][]byte{[]byte(raw)}); err != nil {
		t.Fatal(err)
	}
	e := r.message(t, "echo from Sent", func(m connectors.MessageReceived) bool { return msgIDPart(m.Message.RemoteID) == "phone-1@localhost" })
	if e.Message.Direction != connectors.Outbound || e.Message.Conversation.ID != "carol@example.org" || e.Backfill {
		t.Fatalf("echo %+v", e)
	}
}

func TestGroupMailIsOneConversationPerParticipantSet(t *testing.T) {
	self := selfSet{"alice@localhost": true}
	in := &parsedMail{From: mailAddr{Addr: "bob@x.org"}, To: []mailAddr{{Addr: "alice@localhost"}, {Addr: "carol@y.org"}}}
	out := &parsedMail{From: mailAddr{Addr: "alice@localhost"}, To: []mailAddr{{Addr: "carol@y.org"}}, Cc: []mailAddr{{Addr: "bob@x.org"}}}
	a, _ := conversationFor(in, self, false)
	b, _ := conversationFor(out, self, true)
	if a.ID != "bob@x.org,carol@y.org" || a.Kind != connectors.Group || a != b {
		t.Fatalf("conversations %+v / %+v", a, b)
	}
	direct, _ := conversationFor(&parsedMail{From: mailAddr{Addr: "alice@localhost"}, To: []mailAddr{{Addr: "dave@z.org", Name: "Dave"}}}, self, false)
	if direct.ID != "dave@z.org" || direct.Kind != connectors.Direct || direct.Title != "Dave" {
		t.Fatalf("direct %+v", direct)
	}
	to, err := recipients(a.ID)
	if err != nil || len(to) != 2 {
		t.Fatalf("recipients %v %v", to, err)
	}
}

func TestTLSNeverDowngradesToPlaintext(t *testing.T) {
	srv := startServer(t)
	// SMTP: the plaintext listener offers no STARTTLS; tls=true must not send.
	r := run(t, New(), account(srv, alice, false, "smtp", srv.PlainSMTP), alice.Password)
	r.online(t)
	_, err := r.c.Send(context.Background(), connectors.Outgoing{LocalID: "d", Conversation: connectors.ConversationRef{ID: bob.Name}, Text: "secret"})
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("err = %v, want a STARTTLS failure", err)
	}
	if n := len(srv.Submissions()); n != 0 {
		t.Fatalf("%d mails went out in plaintext", n)
	}
	// IMAP: implicit TLS against the plaintext port fails instead of falling back.
	r2 := run(t, New(), account(srv, alice, false, "server", "imaps://"+srv.IMAPAddr), alice.Password)
	if err := r2.runErr(t); err == nil || isAuthError(err) {
		t.Fatalf("err = %v, want a TLS failure", err)
	}
}
