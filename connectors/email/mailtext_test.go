package email

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func parseFixture(t *testing.T, name string) *parsedMail {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return parseMail(f)
}

func TestMailToTextFixtures(t *testing.T) {
	cases := []struct {
		file     string
		want     string   // exact new text (with attachment lines)
		contains []string // or: substrings
		absent   []string
	}{
		{file: "plain.eml", want: "Hi Alice,\n\nare you free for lunch tomorrow? Café at noon.\n\nBob"},
		{file: "html_only.eml", contains: []string{"Agenda", "Hello Alice,\nhere is the agenda:", "- Intro\n- Numbers",
			"the slides <https://example.org/slides>", "[chart]"},
			absent: []string{"ignored title", "color: red", "alert", "hidden preheader", "<b>", "<p", "<li"}},
		{file: "alternative.eml", want: "The plain version wins."},
		{file: "quoted_reply.eml", want: "Noon works, see you there."},
		{file: "signature.eml", want: "The invoice is attached to the ticket."},
		{file: "broken_charset.eml", contains: []string{"aus", "Berlin"}},
		{file: "latin1.eml", want: "Grüße aus Köln"},
		{file: "attachment.eml", contains: []string{"Two photos from the trip.", "[attachment: beach.jpg (", "[attachment: résumé.pdf (15 B)]"}},
		{file: "newsletter.eml", want: "Shop now\n\nEverything is half price this week."},
		{file: "flowed.eml", want: "This is a long line that the sender's client wrapped with a soft break."},
		{file: "outlook_reply.eml", want: "Signed and returned."},
		{file: "no_message_id.eml", want: "no message id here"},
		{file: "broken_multipart.eml", contains: []string{"first part survives"}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			pm := parseFixture(t, c.file)
			got := chatText(pm, false)
			if c.want != "" && got != c.want {
				t.Fatalf("text = %q\nwant   %q", got, c.want)
			}
			for _, s := range c.contains {
				if !strings.Contains(got, s) {
					t.Errorf("text %q lacks %q", got, s)
				}
			}
			for _, s := range c.absent {
				if strings.Contains(got, s) {
					t.Errorf("text %q contains %q", got, s)
				}
			}
			if !utf8.ValidString(got) {
				t.Errorf("text is not valid UTF-8: %q", got)
			}
		})
	}
}

func TestQuotedReplyKeepsFullOriginal(t *testing.T) {
	pm := parseFixture(t, "quoted_reply.eml")
	if !strings.Contains(pm.Body.Full, "> are you free for lunch tomorrow?") {
		t.Fatalf("full text lost the quote: %q", pm.Body.Full)
	}
	if pm.MessageID != "reply-1@example.org" || len(pm.InReplyTo) != 1 || pm.InReplyTo[0] != "plain-1@example.org" {
		t.Fatalf("ids: %q %q", pm.MessageID, pm.InReplyTo)
	}
	if len(pm.References) != 2 {
		t.Fatalf("references: %q", pm.References)
	}
}

func TestHeadersParsed(t *testing.T) {
	pm := parseFixture(t, "plain.eml")
	if pm.From.Addr != "bob@example.org" || pm.From.Name != "Bob Example" {
		t.Fatalf("from = %+v", pm.From)
	}
	if pm.Subject != "Lunch tomorrow?" || pm.Date.IsZero() || msgIDPart(pm.RemoteID) != "plain-1@example.org" {
		t.Fatalf("parsed = %+v", pm)
	}
	html := parseFixture(t, "html_only.eml")
	if html.Subject != "Présentation" {
		t.Fatalf("encoded subject = %q", html.Subject)
	}
}

func TestNewsletterHeadersAreEvidence(t *testing.T) {
	pm := parseFixture(t, "newsletter.eml")
	for _, k := range []string{"List-Unsubscribe", "List-Unsubscribe-Post", "List-Id", "Precedence"} {
		if pm.Evidence[k] == "" {
			t.Errorf("evidence %s missing: %v", k, pm.Evidence)
		}
	}
	if pm.Evidence["List-Unsubscribe-Post"] != "List-Unsubscribe=One-Click" {
		t.Fatalf("post = %q", pm.Evidence["List-Unsubscribe-Post"])
	}
}

func TestMailWithoutMessageIDGetsStableHash(t *testing.T) {
	a := parseFixture(t, "no_message_id.eml")
	b := parseFixture(t, "no_message_id.eml")
	if !strings.HasPrefix(a.RemoteID, "hash:") || a.RemoteID != b.RemoteID {
		t.Fatalf("ids %q %q", a.RemoteID, b.RemoteID)
	}
	// A different copy of the same mail (an extra Received line) keeps its ID.
	raw, _ := os.ReadFile(filepath.Join("testdata", "no_message_id.eml"))
	c := parseMail(bytes.NewReader(append([]byte("Received: from x by y; Tue, 02 Jan 2024 20:00:01 +0000\n"), raw...)))
	if c.RemoteID != a.RemoteID {
		t.Fatalf("copy got another ID: %q vs %q", c.RemoteID, a.RemoteID)
	}
}

func TestGarbageIsReportedNotLost(t *testing.T) {
	pm := parseFixture(t, "garbage.eml")
	if pm.Problem == "" || !strings.HasPrefix(pm.RemoteID, "hash:") || chatText(pm, false) == "" {
		t.Fatalf("garbage parsed as %+v", pm)
	}
}

func TestLargeAttachmentIsCountedNotHeld(t *testing.T) {
	const size = 25 << 20
	var b bytes.Buffer
	b.WriteString("From: a@example.org\r\nTo: alice@localhost\r\nSubject: big\r\nMessage-ID: <big@x>\r\n" +
		"Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n" +
		"--B\r\nContent-Type: application/octet-stream; name=big.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	writeBase64Lines(&b, size)
	b.WriteString("\r\n--B--\r\n")
	pm := parseMail(&b)
	got := chatText(pm, false)
	if got != "see attached\n\n[attachment: big.bin (26.2 MB)]" {
		t.Fatalf("text = %q", got)
	}
}

// writeBase64Lines appends size bytes of attachment data as base64 in
// 76-character lines.
func writeBase64Lines(b *bytes.Buffer, size int) {
	raw := bytes.Repeat([]byte{0xA5}, 57) // 57 bytes = one 76-character line
	line := base64.StdEncoding.EncodeToString(raw) + "\r\n"
	for n := 0; n < size; n += 57 {
		b.WriteString(line)
	}
}

func TestFoldReplyKeepsAllQuoteMailWhole(t *testing.T) {
	in := "> only a quote\n> nothing new"
	if got := foldReply(in); got != in {
		t.Fatalf("fold = %q", got)
	}
}

func TestHTMLQuoteIsFolded(t *testing.T) {
	in := `<div>Yes, agreed.</div><div class="gmail_quote"><div>On Mon, Bob wrote:</div><blockquote>Shall we?</blockquote></div>`
	if got := foldReply(htmlToText(in)); got != "Yes, agreed." {
		t.Fatalf("fold = %q", got)
	}
}

func FuzzMailToText(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.eml"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("Content-Type: multipart/alternative; boundary=x\n\n--x\nContent-Type: text/html\n\n<blockquote><blockquote>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pm := parseMail(bytes.NewReader(data))
		if pm == nil || pm.RemoteID == "" {
			t.Fatalf("no remote ID for %q", data)
		}
		text := chatText(pm, false)
		if !utf8.ValidString(text) {
			t.Fatalf("invalid UTF-8 text %q", text)
		}
		for _, v := range pm.Evidence {
			if strings.ContainsAny(v, "\r\n") {
				t.Fatalf("header value with line break %q", v)
			}
		}
		if strings.ContainsAny(pm.Subject, "\r\n") {
			t.Fatalf("subject with line break %q", pm.Subject)
		}
	})
}

func TestSubjectThatRepeatsTheFirstLineIsNotShownTwice(t *testing.T) {
	long := strings.Repeat("word ", 20) + "end"
	cases := []struct{ subject, body, want string }{
		{"see you at noon", "see you at noon", "see you at noon"}, // sent from a chat: subject = first line
		{subjectFor("", long+"\nsecond line", false), long + "\nsecond line", long + "\nsecond line"},
		{"Lunch", "see you at noon", "Subject: Lunch\n\nsee you at noon"},
		{"Re: see you", "see you", "Subject: Re: see you\n\nsee you"},
	}
	for _, c := range cases {
		raw := "From: bob@localhost\r\nTo: alice@localhost\r\nSubject: " + c.subject + "\r\nMessage-ID: <s@x>\r\n" +
			"Content-Type: text/plain; charset=utf-8\r\n\r\n" + strings.ReplaceAll(c.body, "\n", "\r\n") + "\r\n"
		if got := chatText(parseMail(strings.NewReader(raw)), true); got != c.want {
			t.Errorf("subject %q, body %q: text %q, want %q", c.subject, c.body, got, c.want)
		}
	}
}
