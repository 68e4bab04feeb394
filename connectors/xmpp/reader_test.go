package xmpp

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

const header = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='localhost' version='1.0' xml:lang='en'>`

func readAll(t *testing.T, stream string, limit int) ([]*Element, error) {
	t.Helper()
	r := NewReader(strings.NewReader(stream), limit)
	if _, err := r.StreamStart(); err != nil {
		return nil, err
	}
	var out []*Element
	for {
		el, err := r.Next()
		if err != nil {
			return out, err
		}
		out = append(out, el)
	}
}

func TestStanzaReaderReadsATranscript(t *testing.T) {
	stream := header + `<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism></mechanisms></stream:features>
  <message from='bob@localhost/x' to='alice@localhost' type='chat' id='m1'><body>a &lt;b&gt; &amp; ü</body><stanza-id xmlns='urn:xmpp:sid:0' by='alice@localhost' id='A1'/><unknown xmlns='urn:x'><y/></unknown></message>
  <r xmlns='urn:xmpp:sm:3'/></stream:stream>`
	els, err := readAll(t, stream, 0)
	if !errors.Is(err, io.EOF) {
		t.Fatalf("end of stream: %v", err)
	}
	if len(els) != 3 {
		t.Fatalf("%d elements", len(els))
	}
	if !els[0].Is(nsStream, "features") || els[0].Child(nsSASL, "mechanisms").ChildText(nsSASL, "mechanism") != "SCRAM-SHA-1" {
		t.Errorf("features: %s", els[0])
	}
	m := els[1]
	if !m.Is(nsClient, "message") || m.ChildText(nsClient, "body") != "a <b> & ü" || stanzaID(m, "alice@localhost") != "A1" {
		t.Errorf("message: %s", m)
	}
	if !els[2].Is(nsSM, "r") {
		t.Errorf("sm request: %s", els[2])
	}
}

func TestStanzaReaderRefusesHostileXML(t *testing.T) {
	cases := map[string]struct {
		stream string
		want   error
	}{
		"doctype":           {`<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol "lol">]>` + header, ErrRestrictedXML},
		"doctype in stream": {header + `<!DOCTYPE x [<!ENTITY a "b">]><message/>`, ErrRestrictedXML},
		"comment":           {header + `<!-- hi --><message/>`, ErrRestrictedXML},
		"pi in stream":      {header + `<?evil x?><message/>`, ErrRestrictedXML},
		"oversized":         {header + `<message><body>` + strings.Repeat("A", 5000) + `</body></message>`, ErrStanzaTooLarge},
		"oversized attr":    {header + `<message id='` + strings.Repeat("A", 5000) + `'/>`, ErrStanzaTooLarge},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := readAll(t, tc.stream, 4096)
			if !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestStanzaReaderReportsMalformedXMLClearly(t *testing.T) {
	for name, stream := range map[string]string{
		"unknown entity": header + `<message><body>&lolz;</body></message>`,
		"mismatched":     header + `<message><body></message>`,
		"bad char":       header + "<message><body>\x01</body></message>",
		"truncated":      header + `<message><bo`,
		"not xml":        "HTTP/1.1 400 Bad Request\r\n\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := readAll(t, stream, 0)
			if err == nil || errors.Is(err, io.EOF) && name != "truncated" {
				t.Fatalf("got %v, want an error", err)
			}
			if !strings.HasPrefix(err.Error(), "xmpp: ") && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("error %q does not say where it comes from", err)
			}
		})
	}
}

func TestStanzaSizeLimitIsPerStanza(t *testing.T) {
	var b strings.Builder
	b.WriteString(header)
	for i := 0; i < 100; i++ {
		b.WriteString(`<message><body>` + strings.Repeat("x", 1000) + `</body></message>`)
	}
	b.WriteString(`</stream:stream>`)
	els, err := readAll(t, b.String(), 2048)
	if !errors.Is(err, io.EOF) || len(els) != 100 {
		t.Fatalf("got %d stanzas, %v; 100 small stanzas must pass a 2 KiB per-stanza limit", len(els), err)
	}
}

func TestElementMarshalRoundTrips(t *testing.T) {
	m := E(nsClient, "message", "to", "bob@localhost", "id", `a'b"c<d>&`).Add(
		E(nsClient, "body").SetText("line1\nline2 <&> \x01 ✓"),
		E(nsSID, "origin-id", "id", "x"))
	var buf bytes.Buffer
	buf.WriteString(header)
	buf.Write(m.Marshal())
	els, err := readAll(t, buf.String(), 0)
	if len(els) != 1 {
		t.Fatalf("%v", err)
	}
	got := els[0]
	if got.Get("id") != `a'b"c<d>&` || got.ChildText(nsClient, "body") != "line1\nline2 <&> \uFFFD ✓" || got.Child(nsSID, "origin-id").Get("id") != "x" {
		t.Errorf("round trip: %s", got)
	}
}

// FuzzStanzaReader feeds arbitrary bytes after a stream header: the reader
// must never panic, must respect its limit, and what it returns must
// serialise to XML it reads back the same.
func FuzzStanzaReader(f *testing.F) {
	for _, s := range []string{
		`<message to='a@b' type='chat'><body>hi</body></message>`,
		`<iq type='result' id='1'><query xmlns='jabber:iq:roster'><item jid='x@y' name='X'/></query></iq>`,
		`<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>`,
		`<!DOCTYPE a [<!ENTITY b 'c'>]><message/>`,
		`<message xmlns:p='urn:p' p:attr='v' xml:lang='de'><p:x/></message>`,
		`</stream:stream>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(io.MultiReader(strings.NewReader(header), bytes.NewReader(data)), 4096)
		if _, err := r.StreamStart(); err != nil {
			t.Fatalf("header: %v", err)
		}
		for i := 0; i < 100; i++ {
			el, err := r.Next()
			if err != nil {
				return
			}
			again := NewReader(strings.NewReader(header+string(el.Marshal())), 1<<20)
			if _, err := again.StreamStart(); err != nil {
				t.Fatal(err)
			}
			el2, err := again.Next()
			if err != nil {
				t.Fatalf("re-reading %q: %v", el.Marshal(), err)
			}
			if !bytes.Equal(el.Marshal(), el2.Marshal()) {
				t.Fatalf("round trip changed\n%s\n%s", el.Marshal(), el2.Marshal())
			}
		}
	})
}
