package email

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"
	"unicode"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // every charset go-message knows, for bodies and headers

	"switchboard/internal/attach"
)

// Limits that keep hostile mail from costing unbounded memory. Attachment
// bytes are streamed and only counted; text is kept up to these sizes.
const (
	maxTextPart  = 1 << 20 // bytes kept from one text part
	maxTextTotal = 2 << 20 // bytes of text kept from one mail
	maxDepth     = 30      // nested multiparts
	maxParts     = 1000    // parts looked at in one mail
)

// attachment is a non-text part of a mail, as listed with it; Size is the
// decoded size. Its bytes are streamed to the core on request
// (FetchAttachments), never held here.
type attachment struct {
	Name string
	Type string
	Size int64
}

// bodyText is what the MIME walk extracts from a mail body.
type bodyText struct {
	Full        string // readable text of the chosen part(s), nothing folded
	New         string // Full with quotes and signature folded away
	Attachments []attachment
	Problem     string // non-fatal: what could not be read
}

// textPiece is the readable text of one leaf or subtree.
type textPiece struct {
	text string
	html bool // converted from HTML
}

type walker struct {
	parts     int
	textBytes int
	atts      []attachment
	problems  []string
	// save, when set, is given each attachment's decoded bytes as the
	// walk reaches it (FetchAttachments); saveErr is its first error,
	// after which the rest is only counted.
	save    func(index int, a attachment, r io.Reader) error
	saveErr error
}

// readBody walks a parsed message entity, streaming every part: text parts
// (text/plain preferred over text/html inside multipart/alternative) become
// readable text, everything else is listed as an attachment with its size.
func readBody(e *message.Entity) bodyText {
	var w walker
	piece := w.entity(e, 0, false)
	full := piece.text
	var out bodyText
	out.Full = tidyText(full)
	out.New = foldReply(full)
	out.Attachments = w.atts
	if len(w.problems) > 0 {
		out.Problem = strings.Join(w.problems, "; ")
	}
	return out
}

func (w *walker) problem(format string, args ...any) {
	if len(w.problems) < 5 {
		w.problems = append(w.problems, fmt.Sprintf(format, args...))
	}
}

func (w *walker) entity(e *message.Entity, depth int, inRelated bool) textPiece {
	w.parts++
	mediaType, params, err := e.Header.ContentType()
	if err != nil {
		// A Content-Type we cannot parse is read as text, as RFC 2045 says.
		mediaType, params = "text/plain", nil
	}
	mediaType = strings.ToLower(mediaType)
	if strings.HasPrefix(mediaType, "multipart/") && params["boundary"] == "" {
		w.problem("multipart without boundary read as text")
		mediaType = "text/plain"
	}
	if mr := e.MultipartReader(); mr != nil && err == nil && params["boundary"] != "" {
		if depth >= maxDepth || w.parts > maxParts {
			w.problem("too deeply nested")
			drain(e.Body)
			return textPiece{}
		}
		return w.multipart(mr, mediaType, depth)
	}
	disp, dparams, _ := e.Header.ContentDisposition()
	disp = strings.ToLower(disp)
	isText := mediaType == "text/plain" || mediaType == "text/html"
	if isText && disp != "attachment" {
		return w.textLeaf(e, mediaType == "text/html", params)
	}
	if inRelated && disp != "attachment" {
		drain(e.Body)
		return textPiece{} // inline image of an HTML body
	}
	a := attachment{Name: partName(dparams, params, mediaType), Type: mediaType}
	var size int64
	if w.save != nil && w.saveErr == nil {
		cr := &countingReader{r: e.Body}
		w.saveErr = w.save(len(w.atts), a, cr)
		size = cr.n
	}
	a.Size = size + drain(e.Body)
	w.atts = append(w.atts, a)
	return textPiece{}
}

// countingReader counts what was read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (w *walker) multipart(mr message.MultipartReader, mediaType string, depth int) textPiece {
	var pieces []textPiece
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
			w.problem("malformed multipart: %v", err)
			break
		}
		if err != nil {
			w.problem("%v", err)
		}
		if w.parts > maxParts {
			w.problem("too many parts")
			drain(p.Body)
			continue
		}
		pieces = append(pieces, w.entity(p, depth+1, mediaType == "multipart/related"))
	}
	if mediaType == "multipart/alternative" {
		return pickAlternative(pieces)
	}
	var b strings.Builder
	for _, pc := range pieces {
		if strings.TrimSpace(pc.text) == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(pc.text)
	}
	return textPiece{text: b.String()}
}

// pickAlternative prefers text/plain, then HTML, then anything non-empty.
func pickAlternative(pieces []textPiece) textPiece {
	for _, wantHTML := range []bool{false, true} {
		for _, pc := range pieces {
			if pc.html == wantHTML && strings.TrimSpace(pc.text) != "" {
				return pc
			}
		}
	}
	return textPiece{}
}

func (w *walker) textLeaf(e *message.Entity, isHTML bool, params map[string]string) textPiece {
	budget := maxTextPart
	if left := maxTextTotal - w.textBytes; left < budget {
		budget = left
	}
	if budget < 0 {
		budget = 0
	}
	data, err := io.ReadAll(io.LimitReader(e.Body, int64(budget)))
	if err != nil {
		w.problem("part cut short: %v", err)
	}
	if rest := drain(e.Body); rest > 0 {
		w.problem("text longer than %d bytes was cut", budget)
	}
	w.textBytes += len(data)
	text := strings.ToValidUTF8(string(data), "\uFFFD")
	if isHTML {
		return textPiece{text: htmlToText(text), html: true}
	}
	if strings.EqualFold(params["format"], "flowed") {
		text = unflow(text, strings.EqualFold(params["delsp"], "yes"))
	}
	return textPiece{text: text}
}

// drain reads r to its end and returns how many bytes it had. Read errors
// (broken base64, a connection that dropped) end the count.
func drain(r io.Reader) int64 {
	n, _ := io.Copy(io.Discard, r)
	return n
}

var wordDecoder = mime.WordDecoder{CharsetReader: func(charset string, input io.Reader) (io.Reader, error) {
	if message.CharsetReader == nil {
		return nil, fmt.Errorf("unknown charset %q", charset)
	}
	return message.CharsetReader(charset, input)
}}

// partName is the attachment's file name (RFC 2231 and RFC 2047 decoded),
// cleaned of control characters and paths, or a description of its type.
func partName(dparams, params map[string]string, mediaType string) string {
	name := dparams["filename"]
	if name == "" {
		name = params["name"]
	}
	if dec, err := wordDecoder.DecodeHeader(name); err == nil {
		name = dec
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, name)
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.TrimSpace(name)
	if len(name) > 200 {
		name = name[:200]
	}
	if name == "" {
		return "unnamed " + mediaType
	}
	return strings.ToValidUTF8(name, "\uFFFD")
}

// attachmentLines lists attachments the way the chat text shows them.
func attachmentLines(atts []attachment) string {
	var b strings.Builder
	for i, a := range atts {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "[attachment: %s (%s)]", a.Name, attach.Size(a.Size))
	}
	return b.String()
}
