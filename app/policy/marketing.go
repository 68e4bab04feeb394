package policy

import (
	"net/url"
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Marketing is Looks' verdict on a message's text: whether it reads like
// marketing, and the signs found, in plain words.
type Marketing struct {
	Likely bool
	Signs  []string // e.g. "it asks you to reply STOP", "it offers a discount"
}

// Reason is the plain-words sentence shown in Requests for a held message.
func (m Marketing) Reason() string {
	if !m.Likely {
		return ""
	}
	return "This looks like marketing from someone you have not written to: " + joinSigns(m.Signs)
}

func joinSigns(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// The signs Looks weighs. An opt-out instruction is the strongest: people
// do not tell each other how to stop their messages. One sign alone is not
// enough ("please unsubscribe me from your list" is a customer, not a
// brand): it takes two different signs.
var (
	optOutRe = regexp.MustCompile(`\b(reply|text|send|txt) +"?(stop|unsubscribe|end|quit|cancel)"?\b|` +
		`\bto (unsubscribe|opt[ -]?out|stop receiving)\b|\bunsubscribe (here|now|at|link|below)\b|` +
		`\bopt[ -]?out\b|\bstop to (end|cancel|opt)\b`)
	discountRe = regexp.MustCompile(`\b\d{1,2} ?% ?off\b|\bsave \d{1,2} ?%|\b(special|exclusive|limited[- ]time) (offer|deal|discount|sale)\b|` +
		`\bpromo(tion(al)?)? code\b|\bcoupon\b|\bdiscount code\b|\bfree (gift|shipping|trial)\b|\bbuy one,? get one\b`)
	urgencyRe = regexp.MustCompile(`\b(act now|order now|shop now|buy now|click here|limited time|today only|` +
		`while stocks? last|last chance|don'?t miss out|ends (tonight|today|soon))\b`)
	linkRe = regexp.MustCompile(`https?://[^\s<>"]+`)
)

// Link shorteners and tracking parameters: a person's link rarely carries them.
var shorteners = map[string]bool{
	"bit.ly": true, "tinyurl.com": true, "t.co": true, "ow.ly": true, "goo.gl": true, "is.gd": true,
	"buff.ly": true, "rebrand.ly": true, "cutt.ly": true, "shorturl.at": true, "t.ly": true, "lnkd.in": true,
}

var trackingParams = []string{"utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term",
	"mc_eid", "mc_cid", "fbclid", "gclid", "_hsenc", "_hsmi", "mkt_tok", "trk"}

// Looks reads a message's text for the marks of marketing. It is pure and
// cheap; the caller decides whom it applies to (unknown senders in direct
// conversations — never a person the user knows, never a group).
func Looks(text string) Marketing {
	t := normalise(text)
	var m Marketing
	if optOutRe.MatchString(t) {
		m.Signs = append(m.Signs, `it tells you how to opt out ("reply STOP", "unsubscribe")`)
	}
	if discountRe.MatchString(t) {
		m.Signs = append(m.Signs, "it offers a discount or a deal")
	}
	if urgencyRe.MatchString(t) {
		m.Signs = append(m.Signs, `it urges you to buy ("act now", "today only")`)
	}
	if trackedLink(text) {
		m.Signs = append(m.Signs, "it has a tracking or shortened link")
	}
	m.Likely = len(m.Signs) >= 2
	return m
}

// normalise folds the text so look-alike tricks do not hide the words:
// compatibility forms (full-width letters, ligatures) to plain ones,
// lower case, and runs of spaces and invisible characters to one space.
func normalise(s string) string {
	s = norm.NFKC.String(s)
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(s) {
		switch {
		case unicode.Is(unicode.Cf, r): // zero-width and other format characters
			continue
		case unicode.IsSpace(r):
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

func trackedLink(text string) bool {
	for _, raw := range linkRe.FindAllString(text, 8) {
		u, err := url.Parse(strings.TrimRight(raw, ".,;:!?)"))
		if err != nil {
			continue
		}
		host := strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
		if shorteners[host] {
			return true
		}
		q := u.Query()
		for _, p := range trackingParams {
			if q.Has(p) {
				return true
			}
		}
	}
	return false
}
