package email

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"

	"switchboard/connectors"
)

// outMail is a mail we send. build refuses any header value with a line
// break or control character (header injection).
type outMail struct {
	from       string
	to         []string
	subject    string
	text       string
	messageID  string // without <>
	inReplyTo  string
	references []string
	date       time.Time
	files      []connectors.OutFile
	// automatic marks a mail the user did not write themselves (an RFC
	// 2369 unsubscribe request): RFC 3834 Auto-Submitted: auto-generated,
	// so the list's robots do not answer it, and our sync keeps it out of
	// the chat (see deliver).
	automatic bool
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) })
}

// build renders the mail as RFC 5322 + MIME: UTF-8 text/plain,
// quoted-printable, RFC 2047 encoded subject.
func (m outMail) build() ([]byte, error) {
	if err := checkAddress(m.from); err != nil {
		return nil, fmt.Errorf("email: sender: %w", err)
	}
	if len(m.to) == 0 {
		return nil, fmt.Errorf("email: no recipient")
	}
	for _, a := range m.to {
		if err := checkAddress(a); err != nil {
			return nil, fmt.Errorf("email: recipient: %w", err)
		}
	}
	if hasControl(m.subject) {
		return nil, fmt.Errorf("email: subject: %w", ErrHeaderInjection)
	}
	if !utf8.ValidString(m.subject) || !utf8.ValidString(m.text) {
		return nil, fmt.Errorf("email: subject or text is not valid UTF-8")
	}
	for _, id := range append([]string{m.messageID, m.inReplyTo}, m.references...) {
		if id != "" && !validMsgID(id) {
			return nil, fmt.Errorf("email: message ID %q: %w", id, ErrHeaderInjection)
		}
	}
	var h mail.Header
	h.SetDate(m.date)
	h.SetAddressList("From", []*mail.Address{{Address: m.from}})
	to := make([]*mail.Address, len(m.to))
	for i, a := range m.to {
		to[i] = &mail.Address{Address: a}
	}
	h.SetAddressList("To", to)
	h.SetSubject(m.subject)
	h.SetMessageID(m.messageID)
	if m.inReplyTo != "" {
		h.SetMsgIDList("In-Reply-To", []string{m.inReplyTo})
	}
	if len(m.references) > 0 {
		h.SetMsgIDList("References", m.references)
	}
	h.Set("MIME-Version", "1.0")
	h.Set("User-Agent", "Switchboard")
	if m.automatic {
		h.Set("Auto-Submitted", "auto-generated")
	}
	if len(m.files) > 0 {
		return m.buildWithFiles(h)
	}
	h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	h.Set("Content-Transfer-Encoding", "quoted-printable")
	var buf bytes.Buffer
	w, err := message.CreateWriter(&buf, h.Header)
	if err != nil {
		return nil, fmt.Errorf("email: write header: %w", err)
	}
	if _, err := w.Write([]byte(crlfText(m.text))); err != nil {
		return nil, fmt.Errorf("email: write body: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("email: write body: %w", err)
	}
	return buf.Bytes(), nil
}

func crlfText(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}

// buildWithFiles renders a multipart/mixed mail: the text, then each file
// base64-encoded with its name (RFC 2231 when not ASCII). A name or type
// with a line break is refused as header injection.
func (m outMail) buildWithFiles(h mail.Header) ([]byte, error) {
	for _, f := range m.files {
		if hasControl(f.Name) || hasControl(f.Type) {
			return nil, fmt.Errorf("email: file name or type of %q: %w", f.Name, ErrHeaderInjection)
		}
	}
	var buf bytes.Buffer
	mw, err := mail.CreateWriter(&buf, h)
	if err != nil {
		return nil, fmt.Errorf("email: write header: %w", err)
	}
	var th mail.InlineHeader
	th.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	th.Set("Content-Transfer-Encoding", "quoted-printable")
	tw, err := mw.CreateSingleInline(th)
	if err != nil {
		return nil, fmt.Errorf("email: write text part: %w", err)
	}
	if _, err := tw.Write([]byte(crlfText(m.text))); err != nil {
		return nil, fmt.Errorf("email: write text part: %w", err)
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("email: write text part: %w", err)
	}
	for _, f := range m.files {
		if err := writeFilePart(mw, f); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("email: finish the mail: %w", err)
	}
	return buf.Bytes(), nil
}

func writeFilePart(mw *mail.Writer, f connectors.OutFile) error {
	kind := "application/octet-stream"
	if t, params, err := mime.ParseMediaType(f.Type); err == nil && strings.Contains(t, "/") {
		kind = mime.FormatMediaType(t, params)
	}
	var ah mail.AttachmentHeader
	ah.Set("Content-Type", kind)
	ah.SetFilename(cmp.Or(f.Name, "file"))
	ah.Set("Content-Transfer-Encoding", "base64")
	aw, err := mw.CreateAttachment(ah)
	if err != nil {
		return fmt.Errorf("email: file %s: %w", f.Name, err)
	}
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("email: file %s: %w", f.Name, err)
	}
	_, err = io.Copy(aw, rc)
	rc.Close()
	if err != nil {
		return fmt.Errorf("email: file %s: %w", f.Name, err)
	}
	if err := aw.Close(); err != nil {
		return fmt.Errorf("email: file %s: %w", f.Name, err)
	}
	return nil
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return "localhost"
}

// newMessageID derives the Message-ID from the outbox ID, so a retry of
// the same outbox entry carries the same ID; the hash over account and
// content keeps different profiles' equal outbox IDs apart. Without an
// outbox ID the ID is random.
func newMessageID(localID, from, conv, text string) string {
	var tail string
	if localID == "" {
		var b [12]byte
		_, _ = rand.Read(b[:])
		tail = hex.EncodeToString(b[:])
	} else {
		sum := sha256.Sum256([]byte(localID + "\x00" + from + "\x00" + conv + "\x00" + text))
		tail = safeIDPart(localID) + "." + hex.EncodeToString(sum[:8])
	}
	return "sb." + tail + "@" + domainOf(from)
}

func safeIDPart(s string) string {
	ok := len(s) <= 40
	for _, r := range s {
		if !(r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_')) {
			ok = false
		}
	}
	if ok && s != "" {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}

// subjectFor derives a subject: "Re: <thread subject>" for a reply, else
// the first line of the text, shortened.
func subjectFor(threadSubject, text string, reply bool) string {
	if reply {
		subj := cleanSubject(threadSubject)
		if subj == "" {
			return "Re: (no subject)"
		}
		if l := strings.ToLower(subj); strings.HasPrefix(l, "re:") || strings.HasPrefix(l, "aw:") || strings.HasPrefix(l, "sv:") {
			return subj
		}
		return "Re: " + subj
	}
	first := strings.TrimSpace(strings.SplitN(strings.ReplaceAll(text, "\r", "\n"), "\n", 2)[0])
	first = cleanSubject(first)
	if first == "" {
		return "(no subject)"
	}
	if utf8.RuneCountInString(first) > 60 {
		r := []rune(first)
		first = strings.TrimSpace(string(r[:60])) + "…"
	}
	return first
}

// cleanSubject drops control characters from text that did not come from
// the user (a received subject), so replying never fails on it.
func cleanSubject(s string) string {
	return oneLine(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s))
}
