package irc

import (
	"reflect"
	"testing"
	"time"
)

// FuzzParseLine checks that no input crashes the parser and that whatever
// parses re-encodes to a line that parses to the same message. It also
// feeds every parsed line through a session, which must not panic either.
// Run: go test ./connectors/irc -run '^$' -fuzz FuzzParseLine -fuzztime 30s
func FuzzParseLine(f *testing.F) {
	for _, l := range transcript(f) {
		f.Add(l)
	}
	f.Add("@a=\\ :x CMD\r\n")
	f.Add(":n!u@h PRIVMSG me :\x01ACTION waves\x01")
	f.Add(":n!u@h PRIVMSG me :\x01VERSION\x01")
	f.Add(":srv 433 * me :Nickname is already in use")
	f.Add("AUTHENTICATE +")
	f.Fuzz(func(t *testing.T, line string) {
		m, err := ParseLine(line)
		if err != nil {
			return
		}
		enc, err := m.encode(false)
		if err != nil {
			t.Fatalf("parsed message does not encode: %v (%#v)", err, m)
		}
		m2, err := ParseLine(enc)
		if err != nil {
			t.Fatalf("re-encoded line does not parse: %v (%q)", err, enc)
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("round trip: %#v → %q → %#v", m, enc, m2)
		}
		s := newSession(sessionConfig{Account: "a", Nick: "me", Password: "pw"})
		s.start()
		_ = s.handle(m, time.Unix(0, 0))
		s.handle(Msg("001", "me", "hi"), time.Unix(1, 0))
		s.handle(Msg("376", "me", "end"), time.Unix(1, 0))
		_ = s.handle(m, time.Unix(2, 0))
	})
}
