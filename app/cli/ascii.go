package cli

import (
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// utf8Locale reports whether the locale's character set is UTF-8 (the
// first of LC_ALL, LC_CTYPE, LANG that is set). Under C or POSIX, or
// with none set, the terminal is taken to be ASCII.
func utf8Locale(getenv func(string) string) bool {
	for _, k := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if v := getenv(k); v != "" {
			v = strings.ToLower(v)
			return strings.Contains(v, "utf-8") || strings.Contains(v, "utf8")
		}
	}
	return false
}

// asciiWriter writes text as ASCII for a terminal that has no other
// characters: typographic punctuation becomes its ASCII form, accented
// letters lose their accents, anything else becomes "?". Raw streams
// (export, an attachment on stdout) and JSON bypass it (see rawOut and
// writeJSON).
type asciiWriter struct {
	w       io.Writer
	pending []byte // an incomplete UTF-8 sequence from the last Write
}

var asciiFor = map[rune]string{
	'…': "...", '—': "-", '–': "-", '‐': "-", '−': "-", '‘': "'", '’': "'", '′': "'",
	'“': `"`, '”': `"`, '″': `"`, '«': `"`, '»': `"`, '→': "->", '←': "<-", '•': "*", '·': "*",
	'×': "x", '✓': "v", '\u00a0': " ", '\u202f': " ",
}

func (a *asciiWriter) Write(p []byte) (int, error) {
	buf := append(a.pending, p...)
	a.pending = nil
	var out strings.Builder
	for len(buf) > 0 {
		if buf[0] < utf8.RuneSelf {
			out.WriteByte(buf[0])
			buf = buf[1:]
			continue
		}
		if !utf8.FullRune(buf) {
			a.pending = append([]byte(nil), buf...)
			break
		}
		r, n := utf8.DecodeRune(buf)
		buf = buf[n:]
		out.WriteString(toASCII(r))
	}
	if _, err := io.WriteString(a.w, out.String()); err != nil {
		return 0, err
	}
	return len(p), nil
}

func toASCII(r rune) string {
	if s, ok := asciiFor[r]; ok {
		return s
	}
	var b strings.Builder
	for _, d := range norm.NFKD.String(string(r)) {
		if d < utf8.RuneSelf {
			b.WriteRune(d)
		} else if !unicode.Is(unicode.Mn, d) {
			return "?"
		}
	}
	if b.Len() == 0 {
		return "?"
	}
	return b.String()
}

// rawOut is stdout for bytes that must pass unchanged.
func (a *app) rawOut() io.Writer {
	if aw, ok := a.env.Stdout.(*asciiWriter); ok {
		return aw.w
	}
	return a.env.Stdout
}

// escapeJSON rewrites every non-ASCII rune of JSON text as \uXXXX (a
// surrogate pair above U+FFFF): the same JSON, in ASCII.
func escapeJSON(b []byte) []byte {
	var out []byte
	for len(b) > 0 {
		if b[0] < utf8.RuneSelf {
			out = append(out, b[0])
			b = b[1:]
			continue
		}
		r, n := utf8.DecodeRune(b)
		b = b[n:]
		if r > 0xffff {
			r -= 0x10000
			out = append(out, []byte(jsonU(0xd800+(r>>10))+jsonU(0xdc00+(r&0x3ff)))...)
			continue
		}
		out = append(out, []byte(jsonU(r))...)
	}
	return out
}

func jsonU(r rune) string {
	const hex = "0123456789abcdef"
	return `\u` + string([]byte{hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf]})
}
