package email

import (
	"regexp"
	"strings"
)

// foldReply returns the new text of a mail: quoted lines ("> …") and the
// attribution line that introduces them ("On … wrote:"), everything below a
// signature delimiter ("-- ") and everything below an Outlook-style
// "-----Original Message-----" header are folded away. When nothing would
// remain (a mail that only quotes), the whole text is kept.
func foldReply(text string) string {
	text = strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(text)
	lines := strings.Split(text, "\n")
	lines = cutAtSeparator(lines)
	kept := make([]string, 0, len(lines))
	for i := 0; i < len(lines); i++ {
		if isQuoted(lines[i]) {
			kept = dropAttribution(kept)
			for i+1 < len(lines) && isQuoted(lines[i+1]) {
				i++
			}
			continue
		}
		kept = append(kept, lines[i])
	}
	folded := tidyText(strings.Join(kept, "\n"))
	if folded == "" {
		return tidyText(text)
	}
	return folded
}

func isQuoted(line string) bool {
	return strings.HasPrefix(strings.TrimLeft(line, " \t"), ">")
}

var outlookHeader = regexp.MustCompile(`^\s*(-{2,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original)\s*-{2,}|_{20,})\s*$`)

// cutAtSeparator drops the signature and an Outlook-quoted original.
func cutAtSeparator(lines []string) []string {
	for i, l := range lines {
		if i == 0 {
			continue // a mail that starts with the delimiter has no new text to keep apart
		}
		if l == "-- " || l == "--" || outlookHeader.MatchString(l) {
			return lines[:i]
		}
	}
	return lines
}

var attribution = regexp.MustCompile(`(?i)(wrote|schrieb|a écrit|escribió|scrisse|schreef|написал[а]?)\s*:\s*$`)

// dropAttribution removes a trailing "On <date>, <who> wrote:" line (which
// clients sometimes wrap onto two lines) and blank lines before a quote.
func dropAttribution(kept []string) []string {
	end := len(kept)
	for end > 0 && strings.TrimSpace(kept[end-1]) == "" {
		end--
	}
	if end == 0 || !attribution.MatchString(kept[end-1]) {
		return kept
	}
	end--
	if end > 0 && strings.HasPrefix(strings.TrimSpace(kept[end-1]), "On ") && !strings.HasSuffix(strings.TrimSpace(kept[end-1]), ".") &&
		!strings.HasPrefix(strings.TrimSpace(kept[end]), "On ") {
		end-- // the attribution was wrapped: "On Mon, 1 Jan 2024 at 10:00, Bob <\nbob@x> wrote:"
	}
	return kept[:end]
}

// unflow joins the soft line breaks of format=flowed text (RFC 3676): a
// line ending in a space continues on the next line of the same quote
// depth. With delsp=yes that trailing space is removed.
func unflow(text string, delsp bool) string {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	var b strings.Builder
	b.Grow(len(text))
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		depth := quoteDepth(line)
		body := line[depth:]
		if strings.HasPrefix(body, " ") { // space-stuffing
			body = body[1:]
		}
		for body != "-- " && strings.HasSuffix(body, " ") && i+1 < len(lines) && quoteDepth(lines[i+1]) == depth {
			if delsp {
				body = body[:len(body)-1]
			}
			i++
			next := lines[i][depth:]
			if strings.HasPrefix(next, " ") {
				next = next[1:]
			}
			body += next
		}
		b.WriteString(strings.Repeat(">", depth))
		if depth > 0 && body != "" {
			b.WriteString(" ")
		}
		b.WriteString(body)
		if i+1 < len(lines) {
			b.WriteString("\n")
		}
	}
	return b.String()
}

func quoteDepth(line string) int {
	n := 0
	for n < len(line) && line[n] == '>' {
		n++
	}
	return n
}
