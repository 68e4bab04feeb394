package xmpp

import (
	"bytes"
	"encoding/xml"
	"strings"
)

// Namespaces used by the connector.
const (
	nsClient     = "jabber:client"
	nsStream     = "http://etherx.jabber.org/streams"
	nsStreamErr  = "urn:ietf:params:xml:ns:xmpp-streams"
	nsTLS        = "urn:ietf:params:xml:ns:xmpp-tls"
	nsSASL       = "urn:ietf:params:xml:ns:xmpp-sasl"
	nsBind       = "urn:ietf:params:xml:ns:xmpp-bind"
	nsSession    = "urn:ietf:params:xml:ns:xmpp-session"
	nsStanzas    = "urn:ietf:params:xml:ns:xmpp-stanzas"
	nsXML        = "http://www.w3.org/XML/1998/namespace"
	nsRoster     = "jabber:iq:roster"
	nsSM         = "urn:xmpp:sm:3"
	nsCarbons    = "urn:xmpp:carbons:2"
	nsForward    = "urn:xmpp:forward:0"
	nsMAM        = "urn:xmpp:mam:2"
	nsRSM        = "http://jabber.org/protocol/rsm"
	nsDataForm   = "jabber:x:data"
	nsSID        = "urn:xmpp:sid:0"
	nsDelay      = "urn:xmpp:delay"
	nsMUC        = "http://jabber.org/protocol/muc"
	nsMUCUser    = "http://jabber.org/protocol/muc#user"
	nsReceipts   = "urn:xmpp:receipts"
	nsMarkers    = "urn:xmpp:chat-markers:0"
	nsChatStates = "http://jabber.org/protocol/chatstates"
	nsBlocking   = "urn:xmpp:blocking"
	nsPing       = "urn:xmpp:ping"
	nsDiscoInfo  = "http://jabber.org/protocol/disco#info"
	nsHints      = "urn:xmpp:hints"
)

// Element is one XML element of a stanza: its resolved name, attributes
// (namespace declarations removed), children and the character data directly
// inside it. The stanza reader produces these; the writer serialises them.
type Element struct {
	Name     xml.Name
	Attr     []xml.Attr
	Children []*Element
	Text     string
}

// E builds an element; attrs are name/value pairs, pairs with an empty
// value are left out.
func E(space, local string, attrs ...string) *Element {
	e := &Element{Name: xml.Name{Space: space, Local: local}}
	for i := 0; i+1 < len(attrs); i += 2 {
		if attrs[i+1] != "" {
			e.Attr = append(e.Attr, xml.Attr{Name: xml.Name{Local: attrs[i]}, Value: attrs[i+1]})
		}
	}
	return e
}

// Add appends children (nil ones are skipped) and returns e.
func (e *Element) Add(children ...*Element) *Element {
	for _, c := range children {
		if c != nil {
			e.Children = append(e.Children, c)
		}
	}
	return e
}

// SetText sets the character data and returns e.
func (e *Element) SetText(s string) *Element {
	e.Text = s
	return e
}

// Is reports whether e has this namespace and local name.
func (e *Element) Is(space, local string) bool {
	return e != nil && e.Name.Space == space && e.Name.Local == local
}

// Get returns an attribute without namespace ("" when absent).
func (e *Element) Get(name string) string {
	if e == nil {
		return ""
	}
	for _, a := range e.Attr {
		if a.Name.Space == "" && a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// Child returns the first child with this name, or nil.
func (e *Element) Child(space, local string) *Element {
	if e == nil {
		return nil
	}
	for _, c := range e.Children {
		if c.Name.Space == space && c.Name.Local == local {
			return c
		}
	}
	return nil
}

// ChildText returns the text of the first such child ("" when absent).
func (e *Element) ChildText(space, local string) string {
	if c := e.Child(space, local); c != nil {
		return c.Text
	}
	return ""
}

// ChildrenNamed returns all children with this name.
func (e *Element) ChildrenNamed(space, local string) []*Element {
	var out []*Element
	if e == nil {
		return nil
	}
	for _, c := range e.Children {
		if c.Name.Space == space && c.Name.Local == local {
			out = append(out, c)
		}
	}
	return out
}

// ChildIn returns the first child in a namespace, whatever its name.
func (e *Element) ChildIn(space string) *Element {
	if e == nil {
		return nil
	}
	for _, c := range e.Children {
		if c.Name.Space == space {
			return c
		}
	}
	return nil
}

// Marshal serialises e as it is written inside a jabber:client stream:
// the stream's default namespace is not repeated.
func (e *Element) Marshal() []byte {
	var b bytes.Buffer
	e.write(&b, nsClient)
	return b.Bytes()
}

// String is the serialised element, for tests and debugging.
func (e *Element) String() string { return string(e.Marshal()) }

func (e *Element) write(b *bytes.Buffer, parentNS string) {
	b.WriteByte('<')
	b.WriteString(e.Name.Local)
	if e.Name.Space != parentNS {
		b.WriteString(" xmlns='")
		escapeAttr(b, e.Name.Space)
		b.WriteByte('\'')
	}
	prefixes := 0
	for _, a := range e.Attr {
		b.WriteByte(' ')
		switch a.Name.Space {
		case "":
		case nsXML, "xml":
			b.WriteString("xml:")
		default: // a namespaced attribute: declare a prefix for it
			p := "a" + string(rune('0'+prefixes%10))
			prefixes++
			b.WriteString("xmlns:" + p + "='")
			escapeAttr(b, a.Name.Space)
			b.WriteString("' " + p + ":")
		}
		b.WriteString(a.Name.Local)
		b.WriteString("='")
		escapeAttr(b, a.Value)
		b.WriteByte('\'')
	}
	if len(e.Children) == 0 && e.Text == "" {
		b.WriteString("/>")
		return
	}
	b.WriteByte('>')
	if e.Text != "" {
		escapeText(b, e.Text)
	}
	for _, c := range e.Children {
		c.write(b, e.Name.Space)
	}
	b.WriteString("</")
	b.WriteString(e.Name.Local)
	b.WriteByte('>')
}

// escapeText escapes character data, and drops characters XML 1.0 cannot
// carry (control characters), so a message never produces invalid XML.
func escapeText(b *bytes.Buffer, s string) {
	for _, r := range s {
		switch {
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '&':
			b.WriteString("&amp;")
		case r == '\r':
			b.WriteString("&#xD;")
		case !validXMLChar(r):
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(r)
		}
	}
}

func escapeAttr(b *bytes.Buffer, s string) {
	for _, r := range s {
		switch {
		case r == '\'':
			b.WriteString("&apos;")
		case r == '"':
			b.WriteString("&quot;")
		case r == '\n':
			b.WriteString("&#xA;")
		case r == '\t':
			b.WriteString("&#x9;")
		case r == '<', r == '>', r == '&', r == '\r':
			escapeText(b, string(r))
		case !validXMLChar(r):
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(r)
		}
	}
}

func validXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// attrEscape returns s escaped for a single-quoted attribute.
func attrEscape(s string) string {
	var b bytes.Buffer
	escapeAttr(&b, s)
	return b.String()
}

// trimmed returns s without surrounding white space.
func trimmed(s string) string { return strings.TrimSpace(s) }
