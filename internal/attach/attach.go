// Package attach is how Switchboard presents a message's files wherever
// they appear — the e-mail connector's "[attachment: NAME (SIZE)]" lines,
// the window and the CLI: one way to write a size, one way to make a
// sender's file name safe to create.
package attach

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Size formats a byte count the way a file manager does ("1.2 MB");
// "" when the size is unknown (negative).
func Size(n int64) string {
	switch {
	case n < 0:
		return ""
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.0f KB", float64(n)/1000)
	case n < 1000*1000*1000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.1f GB", float64(n)/1e9)
}

// MaxName bounds a file name SafeName returns, in bytes.
const MaxName = 200

// SafeName makes an attachment's name safe to create as a file or to
// suggest in a save dialog: no path separators, control or invisible formatting characters
// (a right-to-left override can disguise "exe.pdf"), no leading dots or
// spaces, at most MaxName bytes keeping the extension; "attachment"
// when nothing is left.
func SafeName(name string) string {
	name = strings.ToValidUTF8(name, "_")
	name = strings.Map(func(r rune) rune {
		switch {
		case r == '/' || r == '\\':
			return '_'
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			return -1
		}
		return r
	}, name)
	name = strings.TrimRightFunc(strings.TrimLeftFunc(name, func(r rune) bool {
		return r == '.' || unicode.IsSpace(r)
	}), unicode.IsSpace)
	if len(name) > MaxName {
		ext := ""
		if i := strings.LastIndexByte(name, '.'); i > 0 && len(name)-i <= 16 {
			ext = name[i:]
		}
		name = cutBytes(name[:len(name)-len(ext)], MaxName-len(ext)) + ext
	}
	if name == "" {
		return "attachment"
	}
	return name
}

// cutBytes shortens s to at most n bytes on a rune boundary.
func cutBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
