package irc

import (
	"bufio"
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestParseLineSplitsTagsPrefixCommandParams(t *testing.T) {
	cases := []struct {
		line string
		want Message
	}{
		{"PING :irc.test.local", Message{Command: "PING", Params: []string{"irc.test.local"}}},
		{":a!b@c privmsg #ch :hello world\r\n", Message{Prefix: "a!b@c", Command: "PRIVMSG", Params: []string{"#ch", "hello world"}}},
		{"@time=2024-01-02T03:04:05.678Z;msgid=x;flag :s 001 me :Welcome",
			Message{Tags: map[string]string{"time": "2024-01-02T03:04:05.678Z", "msgid": "x", "flag": ""}, Prefix: "s", Command: "001", Params: []string{"me", "Welcome"}}},
		{`@+k=a\:b\sc\\d\r\n\x\ :s TAGMSG #c`, Message{Tags: map[string]string{"+k": "a;b c\\d\r\nx"}, Prefix: "s", Command: "TAGMSG", Params: []string{"#c"}}},
		{":s  CMD   a  b   :", Message{Prefix: "s", Command: "CMD", Params: []string{"a", "b", ""}}},
		{"CMD a ::colon", Message{Command: "CMD", Params: []string{"a", ":colon"}}},
	}
	for _, c := range cases {
		got, err := ParseLine(c.line)
		if err != nil {
			t.Fatalf("ParseLine(%q): %v", c.line, err)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseLine(%q)\n got %#v\nwant %#v", c.line, got, c.want)
		}
	}
}

func TestParseLineRejectsMalformedLinesWithoutEchoingThem(t *testing.T) {
	bad := map[string]error{
		"":                     ErrEmptyLine,
		"   ":                  ErrNoCommand,
		"@a=b":                 ErrNoCommand,
		":prefixonly":          ErrNoCommand,
		": CMD":                ErrBadPrefix,
		"PRIV$MSG #a :secret":  ErrBadCommand,
		"1234 x":               ErrBadCommand,
		"12 x":                 ErrBadCommand,
		"PRIVMSG #a :se\x00cr": ErrControlChar,
		"PRIVMSG #a :se\rcret": ErrControlChar,
	}
	for line, want := range bad {
		_, err := ParseLine(line)
		if err != want {
			t.Errorf("ParseLine(%q) err = %v, want %v", line, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("error leaks the line's text: %v", err)
		}
	}
}

func TestSourceSplitsNickUserHost(t *testing.T) {
	cases := map[string]Source{
		"nick!user@host":  {"nick", "user", "host"},
		"irc.example.org": {Name: "irc.example.org"},
		"nick@host":       {Name: "nick", Host: "host"},
		"a!b!c@d@e":       {"a", "b!c", "d@e"},
	}
	for in, want := range cases {
		if got := ParseSource(in); got != want {
			t.Errorf("ParseSource(%q) = %+v, want %+v", in, got, want)
		}
	}
}

func TestEncodeEscapesTagsAndMarksTrailing(t *testing.T) {
	m := Message{Tags: map[string]string{"label": "a b;c", "+typing": "active"}, Command: "PRIVMSG", Params: []string{"#c", "hi there"}}
	got, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	want := `@+typing=active;label=a\sb\:c PRIVMSG #c :hi there`
	if got != want {
		t.Fatalf("got %q want %q", got, want)
	}
	for _, bad := range []Message{
		Msg("PRIVMSG", "#c", "two\nlines"),
		Msg("PRIVMSG", "has space", "x"),
		Msg("PRIVMSG", "", "x"),
		Msg("BAD CMD"),
		Msg("PRIVMSG", "#c", strings.Repeat("x", 600)),
	} {
		if _, err := bad.Encode(); err == nil {
			t.Errorf("Encode(%#v) accepted", bad)
		}
	}
}

func TestTranscriptLinesRoundTrip(t *testing.T) {
	for _, line := range transcript(t) {
		m, err := ParseLine(line)
		if err != nil {
			t.Fatalf("transcript line does not parse: %v", err)
		}
		enc, err := m.encode(false)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		m2, err := ParseLine(enc)
		if err != nil || !reflect.DeepEqual(m, m2) {
			t.Fatalf("round trip changed the message: %#v → %q → %#v (%v)", m, enc, m2, err)
		}
	}
}

func transcript(t testing.TB) []string {
	f, err := os.Open("testdata/inspircd-transcript.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}
