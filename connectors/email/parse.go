package email

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
)

// mailAddr is one address of a header, Addr lowercased.
type mailAddr struct {
	Name string
	Addr string
}

// parsedMail is everything the connector takes from one raw mail. It is
// produced without I/O beyond the reader and never fails: what cannot be
// read is described in Problem, and the original stays on the server.
type parsedMail struct {
	RemoteID   string // scopedID of the Message-ID, else "hash:" of the key headers
	MessageID  string // "" when the mail has none (or an unusable one)
	InReplyTo  []string
	References []string
	From       mailAddr
	To, Cc     []mailAddr
	Subject    string
	Date       time.Time // zero when missing or unreadable
	Evidence   map[string]string
	Body       bodyText
	Problem    string
}

// evidenceHeaders are copied into Message.Headers for the brand policy.
var evidenceHeaders = []string{"List-Unsubscribe", "List-Unsubscribe-Post", "List-Id", "Precedence", "Auto-Submitted"}

const maxHeaderValue = 2000

// prefixCapture keeps the first bytes read, to identify a mail whose header
// cannot be parsed.
type prefixCapture struct {
	r   io.Reader
	buf bytes.Buffer
}

func (p *prefixCapture) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if room := 64<<10 - p.buf.Len(); room > 0 && n > 0 {
		p.buf.Write(b[:min(n, room)])
	}
	return n, err
}

// parseMail reads one raw RFC 5322 mail from r to its end.
func parseMail(r io.Reader) *parsedMail {
	pc := &prefixCapture{r: r}
	defer drain(r)
	e, err := message.Read(pc)
	if e == nil {
		sum := sha256.Sum256(pc.buf.Bytes())
		return &parsedMail{
			RemoteID: "hash:" + hex.EncodeToString(sum[:16]),
			Problem:  "unreadable header: " + errText(err),
			Body:     bodyText{New: "[this mail could not be read; the original is kept on the server]"},
		}
	}
	pm := parseHeader(mail.Header{Header: e.Header})
	if err != nil { // unknown charset or transfer encoding of a single-part body
		pm.Problem = err.Error()
	}
	pm.Body = readBody(e)
	if pm.Body.Problem != "" {
		pm.Problem = strings.TrimPrefix(pm.Problem+"; "+pm.Body.Problem, "; ")
	}
	return pm
}

func errText(err error) string {
	if err == nil {
		return "unknown error"
	}
	return err.Error()
}

func parseHeader(h mail.Header) *parsedMail {
	pm := &parsedMail{Evidence: map[string]string{}}
	pm.MessageID = cleanMsgID(h.Get("Message-Id"))
	if id, err := h.MessageID(); err == nil && validMsgID(id) {
		pm.MessageID = id
	}
	pm.InReplyTo = msgIDList(h, "In-Reply-To")
	pm.References = msgIDList(h, "References")
	if from := addressList(h, "From"); len(from) > 0 {
		pm.From = from[0]
	} else if sender := addressList(h, "Sender"); len(sender) > 0 {
		pm.From = sender[0]
	}
	pm.To = addressList(h, "To")
	pm.Cc = addressList(h, "Cc")
	if subj, err := h.Subject(); err == nil {
		pm.Subject = subj
	} else {
		pm.Subject = h.Get("Subject")
	}
	pm.Subject = oneLine(pm.Subject)
	if d, err := h.Date(); err == nil {
		pm.Date = d
	}
	for _, k := range evidenceHeaders {
		if v := oneLine(h.Get(k)); v != "" {
			if len(v) > maxHeaderValue {
				v = v[:maxHeaderValue]
			}
			pm.Evidence[k] = strings.ToValidUTF8(v, "")
		}
	}
	pm.RemoteID = headerHash(h)
	if pm.MessageID != "" {
		pm.RemoteID = scopedID(pm.MessageID, h)
	}
	return pm
}

// scopedID is a mail's remote ID: its Message-ID with a digest of the
// From, Date and Subject headers. Anyone can reuse a Message-ID; scoped,
// a second mail that does (another sender, or other headers) is another
// message, never merged into the first or fetched in its place (its
// attachments, its original). The digest is over the raw header values,
// so a header-only fetch yields the same ID as the whole mail. Archives
// from before keep plain Message-IDs; legacyID tells them apart.
func scopedID(msgID string, h mail.Header) string {
	s := sha256.New()
	for _, k := range []string{"From", "Date", "Subject"} {
		io.WriteString(s, k+":"+h.Get(k)+"\n")
	}
	return msgID + "#" + hex.EncodeToString(s.Sum(nil)[:6])
}

// messageIDOf is the Message-ID a remote ID names ("" for a hash: ID);
// legacy is true for an unscoped ID of an archive from before scopedID.
func messageIDOf(remoteID string) (msgID string, legacy bool) {
	if strings.HasPrefix(remoteID, "hash:") {
		return "", false
	}
	if i := strings.LastIndexByte(remoteID, '#'); i > 0 && len(remoteID)-i == 13 {
		return remoteID[:i], false
	}
	return remoteID, true
}

// idFields are the header fields a remote ID is computed from.
var idFields = []string{"Message-ID", "From", "To", "Cc", "Date", "Subject"}

// headerHash identifies a mail without a Message-ID by the headers every
// copy of it shares (not Received, which each hop adds).
func headerHash(h mail.Header) string {
	s := sha256.New()
	for _, k := range []string{"From", "To", "Cc", "Date", "Subject"} {
		io.WriteString(s, k+":"+h.Get(k)+"\n")
	}
	return "hash:" + hex.EncodeToString(s.Sum(nil)[:16])
}

func validMsgID(id string) bool {
	if id == "" || len(id) > 250 {
		return false
	}
	for _, r := range id {
		if r <= ' ' || r == 0x7f || r == '<' || r == '>' {
			return false
		}
	}
	return true
}

// cleanMsgID takes a Message-ID go-message refuses (non-standard but
// usable, like "<abc>") at face value when it is safe as an ID.
func cleanMsgID(v string) string {
	v = strings.TrimSpace(v)
	v = strings.TrimSuffix(strings.TrimPrefix(v, "<"), ">")
	if validMsgID(v) {
		return v
	}
	return ""
}

var looseMsgID = regexp.MustCompile(`<([^<>\s]{1,250})>`)

func msgIDList(h mail.Header, key string) []string {
	ids, err := h.MsgIDList(key)
	if err == nil {
		var out []string
		for _, id := range ids {
			if validMsgID(id) {
				out = append(out, id)
			}
		}
		return out
	}
	var out []string
	for _, m := range looseMsgID.FindAllStringSubmatch(h.Get(key), 100) {
		out = append(out, m[1])
	}
	return out
}

var looseAddr = regexp.MustCompile(`[^\s<>",;:()\[\]]+@[^\s<>",;:()\[\]]+`)

// addressList parses an address header; a malformed one still yields the
// addresses it visibly contains.
func addressList(h mail.Header, key string) []mailAddr {
	var out []mailAddr
	if list, err := h.AddressList(key); err == nil {
		for _, a := range list {
			if a.Address != "" {
				out = append(out, mailAddr{Name: oneLine(a.Name), Addr: strings.ToLower(a.Address)})
			}
		}
		return out
	}
	for _, m := range looseAddr.FindAllString(h.Get(key), 100) {
		out = append(out, mailAddr{Addr: strings.ToLower(m)})
	}
	return out
}

// oneLine folds whitespace (including CR/LF from encoded words) to single
// spaces, so no decoded header value can carry a line break onward.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\r' || r == '\n' || r == '\v' || r == '\f'
	}), " ")
}
