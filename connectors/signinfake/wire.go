// Package signinfake is a scripted network for testing interactive
// sign-in end to end: a tiny line protocol on loopback (Server, run by the
// test) and its connector (Conn). Signing in asks for a code the server
// "sent" and then a two-factor password, or shows a QR code that the
// server refreshes until the test scans it; the session the server grants
// is kept in the account's sealed State, and a session the server revokes
// puts the account in needs-sign-in. Messages the server pushes may carry
// an origin network, as a bridge would.
//
// It is compiled into the switchboard binary only with the build tag
// "signinfake" (for the CLI's end-to-end tests); a normal build never
// registers it.
package signinfake

import (
	"bufio"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// A line is a verb and URL-escaped fields separated by spaces.
func writeLine(w io.Writer, verb string, fields ...string) error {
	var b strings.Builder
	b.WriteString(verb)
	for _, f := range fields {
		b.WriteByte(' ')
		b.WriteString(url.QueryEscape(f))
	}
	b.WriteByte('\n')
	_, err := io.WriteString(w, b.String())
	return err
}

func readLine(r *bufio.Reader) (verb string, fields []string, err error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", nil, err
	}
	parts := strings.Split(strings.TrimRight(line, "\r\n"), " ") // an empty field stays a field
	if parts[0] == "" {
		return "", nil, fmt.Errorf("signinfake: empty line")
	}
	for _, p := range parts[1:] {
		f, err := url.QueryUnescape(p)
		if err != nil {
			return "", nil, fmt.Errorf("signinfake: bad field %q: %w", p, err)
		}
		fields = append(fields, f)
	}
	return parts[0], fields, nil
}

// field returns fields[i] or "".
func field(fields []string, i int) string {
	if i < len(fields) {
		return fields[i]
	}
	return ""
}
