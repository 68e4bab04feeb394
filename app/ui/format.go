package ui

import (
	"fmt"
	"hash/fnv"
	"image/color"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2/widget"

	"switchboard/connectors"
	"switchboard/storage"
)

// dayLabel names the day of t relative to now: "Today", "Yesterday", a
// weekday within the week, else a date.
func dayLabel(t, now time.Time) string {
	t, now = t.Local(), now.Local()
	y1, m1, d1 := t.Date()
	y2, m2, d2 := now.Date()
	day := time.Date(y1, m1, d1, 0, 0, 0, 0, time.Local)
	today := time.Date(y2, m2, d2, 0, 0, 0, 0, time.Local)
	switch days := int(today.Sub(day).Hours()/24 + 0.5); {
	case days == 0:
		return "Today"
	case days == 1:
		return "Yesterday"
	case days > 1 && days < 7:
		return t.Format("Monday")
	case y1 == y2:
		return t.Format("Monday, 2 January")
	}
	return t.Format("2 January 2006")
}

func sameDay(a, b time.Time) bool {
	a, b = a.Local(), b.Local()
	y1, m1, d1 := a.Date()
	y2, m2, d2 := b.Date()
	return y1 == y2 && m1 == m2 && d1 == d2
}

// listTime is the compact time of a conversation row: a clock time today,
// a weekday this week, else a short date.
func listTime(t, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	switch l := dayLabel(t, now); l {
	case "Today":
		return t.Local().Format("15:04")
	case "Yesterday":
		return l
	}
	if now.Sub(t) < 7*24*time.Hour {
		return t.Local().Format("Mon")
	}
	if t.Year() == now.Year() {
		return t.Local().Format("2 Jan")
	}
	return t.Local().Format("2 Jan 2006")
}

// waited says how long a message has waited for a reply: "5 min", "3 h", "2 d".
func waited(since, now time.Time) string {
	d := now.Sub(since)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d.Hours()))
	}
	return fmt.Sprintf("%d d", int(d.Hours()/24))
}

// snippet is the one-line preview of a conversation's last message.
func snippet(c storage.Conversation) string {
	text := oneLine(c.LastText)
	switch {
	case c.LastAction:
		return "* " + firstNonEmpty(c.LastSender, "someone") + " " + text
	case c.LastDirection == storage.Out:
		return "You: " + text
	case c.Group && c.LastSender != "":
		return c.LastSender + ": " + text
	}
	return text
}

// oneLine folds whitespace runs (line breaks included) into single spaces
// and cuts very long text, for previews.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > 140 {
		r := []rune(s)
		s = string(r[:140]) + "…"
	}
	return s
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// convTitle is the title shown for a conversation.
func convTitle(c storage.Conversation) string {
	return firstNonEmpty(c.Title, c.RemoteID, "(untitled)")
}

// senderName is how a message's author is shown.
func senderName(m storage.Message) string {
	if m.Direction == storage.Out {
		return "You"
	}
	return firstNonEmpty(m.SenderName, m.Sender, "unknown")
}

// initials returns one or two letters for an avatar.
func initials(name string) string {
	name = strings.TrimLeft(name, "#&!+@~ ")
	var out []rune
	for _, w := range strings.FieldsFunc(name, func(r rune) bool { return r == ' ' || r == '_' || r == '-' || r == '.' }) {
		r, _ := utf8.DecodeRuneInString(w)
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			out = append(out, unicode.ToUpper(r))
		}
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 {
		return "?"
	}
	return string(out)
}

// nameColor picks a stable, readable colour for a name.
func nameColor(name string) color.NRGBA {
	palette := []color.NRGBA{
		{0xE1, 0x1D, 0x48, 0xff}, {0xDB, 0x27, 0x77, 0xff}, {0x93, 0x33, 0xEA, 0xff},
		{0x4F, 0x46, 0xE5, 0xff}, {0x25, 0x63, 0xEB, 0xff}, {0x08, 0x91, 0xB2, 0xff},
		{0x05, 0x96, 0x69, 0xff}, {0x65, 0xA3, 0x0D, 0xff}, {0xD9, 0x77, 0x06, 0xff},
		{0xEA, 0x58, 0x0C, 0xff},
	}
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(name)))
	return palette[h.Sum32()%uint32(len(palette))]
}

// linkify splits text into rich-text segments, turning http and https
// URLs into hyperlinks. Other schemes stay plain text.
func linkify(text string, style widget.RichTextStyle) []widget.RichTextSegment {
	var segs []widget.RichTextSegment
	plain := func(s string) {
		if s == "" {
			return
		}
		if n := len(segs); n > 0 {
			if t, ok := segs[n-1].(*widget.TextSegment); ok {
				t.Text += s
				return
			}
		}
		segs = append(segs, &widget.TextSegment{Text: s, Style: style})
	}
	rest := text
	for rest != "" {
		i := indexURL(rest)
		if i < 0 {
			plain(rest)
			break
		}
		plain(rest[:i])
		end := i
		for end < len(rest) && !isURLEnd(rest[end]) {
			end++
		}
		raw := strings.TrimRight(rest[i:end], ".,;:!?)]}'\"")
		end = i + len(raw)
		if u, err := url.Parse(raw); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			segs = append(segs, &widget.HyperlinkSegment{Text: raw, URL: u})
		} else {
			plain(raw)
		}
		rest = rest[end:]
	}
	if len(segs) == 0 {
		segs = append(segs, &widget.TextSegment{Text: "", Style: style})
	}
	return segs
}

func indexURL(s string) int {
	best := -1
	for _, p := range []string{"https://", "http://"} {
		for off := 0; off < len(s); {
			j := strings.Index(strings.ToLower(s[off:]), p)
			if j < 0 {
				break
			}
			j += off
			if j == 0 || !isWordByte(s[j-1]) {
				if best < 0 || j < best {
					best = j
				}
				break
			}
			off = j + len(p)
		}
	}
	return best
}

func isWordByte(b byte) bool {
	return b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

func isURLEnd(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '<' || b == '>' || b == '"'
}

// originName is the display name of a network conversations may be
// bridged from, when this build has no connector of that name.
func originName(n string) (string, bool) {
	switch n {
	case "whatsapp":
		return "WhatsApp", true
	case "messenger":
		return "Messenger", true
	case "instagram":
		return "Instagram", true
	case "sms":
		return "SMS", true
	case "linkedin":
		return "LinkedIn", true
	case "signal":
		return "Signal", true
	case "telegram":
		return "Telegram", true
	case "discord":
		return "Discord", true
	case "slack":
		return "Slack", true
	case "matrix":
		return "Matrix", true
	}
	return "", false
}

// networkLabel names a network: its connector's display name, else a
// known origin's name, else the name itself.
func networkLabel(v *view, n string) string {
	if _, ok := v.networks[n]; ok {
		return v.networkName(n)
	}
	if l, ok := originName(n); ok {
		return l
	}
	return n
}

// stateLabel is a connection state in the user's words.
func stateLabel(state connectors.ConnState) string {
	switch state {
	case connectors.StateOnline:
		return "Online"
	case connectors.StateConnecting:
		return "Connecting…"
	case connectors.StateAuthFailed:
		return "Sign-in refused"
	case connectors.StateNeedsSignIn:
		return "Needs sign-in"
	}
	return "Offline"
}

// errorf prefixes err with what the user was doing, once.
func errorf(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

// firstTime is the first of ts that is set.
func firstTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}
