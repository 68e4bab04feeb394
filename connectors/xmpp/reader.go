package xmpp

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"unicode"
)

// DefaultStanzaLimit is the largest stanza (in bytes on the wire) the
// reader accepts; a bigger one ends the stream with ErrStanzaTooLarge.
const DefaultStanzaLimit = 256 << 10

// Reader errors.
var (
	ErrStanzaTooLarge = errors.New("xmpp: stanza exceeds the size limit")
	ErrRestrictedXML  = errors.New("xmpp: restricted XML (DTD, entity declaration, comment or processing instruction) refused")
	ErrNotAStream     = errors.New("xmpp: peer did not open an XMPP stream")
)

// limitedByteReader counts the bytes the XML decoder consumes and fails once
// the current stanza's budget is spent. It is an io.ByteReader, so the
// decoder reads through it byte by byte and the count is exact.
type limitedByteReader struct {
	br    *bufio.Reader
	used  int
	limit int
}

func (l *limitedByteReader) ReadByte() (byte, error) {
	if l.used >= l.limit {
		return 0, ErrStanzaTooLarge
	}
	c, err := l.br.ReadByte()
	if err == nil {
		l.used++
	}
	return c, err
}

func (l *limitedByteReader) Read(p []byte) (int, error) {
	if l.used >= l.limit {
		return 0, ErrStanzaTooLarge
	}
	if len(p) > l.limit-l.used {
		p = p[:l.limit-l.used]
	}
	n, err := l.br.Read(p)
	l.used += n
	return n, err
}

// Reader turns an XMPP stream into top-level elements (stanzas and
// nonzas). It does no I/O of its own beyond reading r, so it is tested and
// fuzzed on bytes. It refuses DTDs, entity declarations, comments and
// processing instructions (RFC 6120 §11.1), unknown entities (strict
// mode) and any stanza over its byte limit.
type Reader struct {
	src      *limitedByteReader
	dec      *xml.Decoder
	inStream bool // the stream header was read
}

// NewReader reads a stream from r with a per-stanza byte limit (<= 0:
// DefaultStanzaLimit).
func NewReader(r io.Reader, limit int) *Reader {
	if limit <= 0 {
		limit = DefaultStanzaLimit
	}
	src := &limitedByteReader{br: bufio.NewReaderSize(r, 4096), limit: limit}
	rd := &Reader{src: src}
	rd.Restart()
	return rd
}

// Restart forgets the XML state and expects a new stream header on the same
// byte source (after SASL success, RFC 6120 §6.4.6).
func (r *Reader) Restart() {
	r.inStream = false
	r.dec = xml.NewDecoder(r.src)
	r.dec.Strict = true
	r.dec.CharsetReader = func(label string, _ io.Reader) (io.Reader, error) {
		return nil, fmt.Errorf("xmpp: stream encoding %q refused (UTF-8 only)", label)
	}
}

func (r *Reader) token() (xml.Token, error) {
	tok, err := r.dec.Token()
	if err != nil {
		if errors.Is(err, ErrStanzaTooLarge) {
			return nil, ErrStanzaTooLarge
		}
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		var se *xml.SyntaxError
		if errors.As(err, &se) && se.Msg == "unexpected EOF" {
			return nil, fmt.Errorf("xmpp: the connection closed mid-stream: %w", io.ErrUnexpectedEOF)
		}
		if errors.As(err, &se) {
			return nil, fmt.Errorf("xmpp: malformed XML from server: %w", err)
		}
		return nil, err
	}
	switch t := tok.(type) {
	case xml.StartElement:
		if !validName(t.Name.Local) {
			return nil, fmt.Errorf("xmpp: malformed XML from server: invalid element name %q", t.Name.Local)
		}
		for _, a := range t.Attr {
			if !validName(a.Name.Local) {
				return nil, fmt.Errorf("xmpp: malformed XML from server: invalid attribute name %q", a.Name.Local)
			}
		}
	case xml.Directive:
		return nil, ErrRestrictedXML
	case xml.Comment:
		return nil, ErrRestrictedXML
	case xml.ProcInst:
		if t.Target != "xml" || r.inStream {
			return nil, ErrRestrictedXML // only the XML declaration, before the header
		}
	}
	return tok, nil
}

// StreamStart reads up to and including the <stream:stream> header and
// returns it as an element without children.
func (r *Reader) StreamStart() (*Element, error) {
	r.src.used = 0
	for {
		tok, err := r.token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Space != nsStream || t.Name.Local != "stream" {
				return nil, fmt.Errorf("%w (got <%s>)", ErrNotAStream, t.Name.Local)
			}
			r.inStream = true
			return &Element{Name: t.Name, Attr: cleanAttrs(t.Attr)}, nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return nil, ErrNotAStream
			}
		case xml.EndElement:
			return nil, ErrNotAStream
		}
	}
}

// Next returns the next top-level element of the stream. It returns io.EOF
// when the peer closes the stream (</stream:stream>) or the connection ends.
func (r *Reader) Next() (*Element, error) {
	r.src.used = 0
	for {
		tok, err := r.token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return r.element(t)
		case xml.EndElement:
			return nil, io.EOF // </stream:stream>
		case xml.CharData:
			// White-space keep-alives between stanzas; text at the top
			// level is not XMPP but harmless, so it is ignored.
			r.src.used = 0
		}
	}
}

// element reads the rest of an element whose start tag was just read.
func (r *Reader) element(start xml.StartElement) (*Element, error) {
	root := &Element{Name: start.Name, Attr: cleanAttrs(start.Attr)}
	stack := []*Element{root}
	text := [][]byte{nil} // character data per open element
	for len(stack) > 0 {
		tok, err := r.token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("xmpp: stream ended inside <%s>: %w", root.Name.Local, io.ErrUnexpectedEOF)
			}
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			child := &Element{Name: t.Name, Attr: cleanAttrs(t.Attr)}
			top := stack[len(stack)-1]
			top.Children = append(top.Children, child)
			stack = append(stack, child)
			text = append(text, nil)
		case xml.EndElement:
			top := stack[len(stack)-1]
			top.Text = string(text[len(text)-1])
			stack = stack[:len(stack)-1]
			text = text[:len(text)-1]
		case xml.CharData:
			text[len(text)-1] = append(text[len(text)-1], t...)
		}
	}
	return root, nil
}

// cleanAttrs drops namespace declarations (the decoder already resolved
// names) and copies the slice (the decoder reuses its memory).
func cleanAttrs(in []xml.Attr) []xml.Attr {
	var out []xml.Attr
	for _, a := range in {
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
			continue
		}
		out = append(out, a)
	}
	return out
}

// validName checks an XML local name (NCName), which encoding/xml does
// not always enforce on attributes.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || unicode.IsLetter(r):
		case i > 0 && (r == '-' || r == '.' || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r)):
		default:
			return false
		}
	}
	return true
}
