package storage

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Tokenising for the blind index. Text is NFKC-normalised and case-folded;
// words are runs of letters, digits and combining marks. A word is indexed
// under itself and its prefixes of 3, 4 and 6 runes only (prefixLens), so
// the index says little about a word's length (1–3, 4, 5–6 or 7 and more
// runes) and links only words that share their first 3, 4 or 6 runes. A
// query word is looked up by its longest indexed prefix (itself at 3 or 4
// runes, its first 4 at 5, its first 6 beyond); the decrypted text of
// every candidate is then checked. (Prefixes of 3 and 4 alone made a
// longer word's look-up scan every word sharing its first 4 runes: word
// search p50 30 times slower in the storage benchmark.)
// Query words of 1–2 runes narrow a search of longer words (checked on the
// text); alone they find that exact word. Runs of CJK characters (no spaces
// between words) are indexed as single characters and adjacent pairs; a
// CJK query matches as a substring.
var prefixLens = [...]int{3, 4, 6}

// queryPrefix is the rune length a query word of n runes is looked up by.
func queryPrefix(n int) int {
	best := 0
	for _, p := range prefixLens {
		if p <= n {
			best = p
		}
	}
	return best
}

// normalize returns NFKC(casefold(NFKC(s))), with an ASCII fast path.
func normalize(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	return norm.NFKC.String(cases.Fold().String(norm.NFKC.String(s)))
}

func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// term is one unit of normalised text: a word or a run of CJK characters.
type term struct {
	s   string
	cjk bool
}

// terms splits already-normalised text into words and CJK runs.
func terms(s string, emit func(term)) {
	start, cjk := -1, false
	flush := func(end int) {
		if start >= 0 {
			emit(term{s: s[start:end], cjk: cjk})
			start = -1
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf { // ASCII fast path
			if ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') || ('A' <= c && c <= 'Z') {
				if start >= 0 && cjk {
					flush(i)
				}
				if start < 0 {
					start, cjk = i, false
				}
			} else {
				flush(i)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case isCJK(r):
			if start >= 0 && !cjk {
				flush(i)
			}
			if start < 0 {
				start, cjk = i, true
			}
		case isWordRune(r):
			if start >= 0 && cjk {
				flush(i)
			}
			if start < 0 {
				start, cjk = i, false
			}
		default:
			flush(i)
		}
		i += n
	}
	flush(len(s))
}

// indexTokens emits every token a normalised text is indexed under
// (duplicates possible; callers dedupe).
func indexTokens(s string, emit func(string)) {
	terms(s, func(t term) { termTokens(t, emit) })
}

// termTokens emits the index tokens of one term.
func termTokens(t term, emit func(string)) {
	if t.cjk {
		prev := -1
		for i, r := range t.s {
			n := utf8.RuneLen(r)
			emit(t.s[i : i+n])
			if prev >= 0 {
				emit(t.s[prev : i+n])
			}
			prev = i
		}
		return
	}
	wordTokens(t.s, emit)
}

func wordTokens(w string, emit func(string)) {
	n := 0
	for i := range w {
		if slices.Contains(prefixLens[:], n) {
			emit(w[:i]) // the prefix of n runes
		}
		n++
	}
	emit(w)
}

// queryTerm is one term of a search query with the index tokens that
// must all be present for a message to be a candidate.
type queryTerm struct {
	term
	tokens []string
	exact  bool // a short word looked up alone: matches that word only
}

// parseQuery normalises a query into terms.
func parseQuery(q string) []queryTerm {
	var out []queryTerm
	seen := map[string]bool{}
	terms(normalize(q), func(t term) {
		if seen[t.s] {
			return
		}
		seen[t.s] = true
		qt := queryTerm{term: t}
		if t.cjk {
			runes := []rune(t.s)
			if len(runes) == 1 {
				qt.tokens = []string{t.s}
			}
			for i := 1; i < len(runes); i++ {
				qt.tokens = append(qt.tokens, string(runes[i-1:i+1]))
			}
		} else if p := queryPrefix(utf8.RuneCountInString(t.s)); p > 0 {
			qt.tokens = []string{truncRunes(t.s, p)}
		}
		out = append(out, qt)
	})
	// Short words are not indexed as prefixes: they narrow a search
	// through the text check, and alone they are looked up as words.
	for _, q := range out {
		if len(q.tokens) > 0 {
			return out
		}
	}
	for i := range out {
		out[i].tokens = []string{out[i].s}
		out[i].exact = true
	}
	return out
}

func truncRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// matches verifies a decrypted text against the query terms (the blind
// index only yields candidates: truncated tags can collide and long words
// are indexed by a prefix).
func matches(norm string, qs []queryTerm) bool {
	for _, q := range qs {
		if q.cjk {
			if !strings.Contains(norm, q.s) {
				return false
			}
			continue
		}
		found := false
		terms(norm, func(t term) {
			if !found && !t.cjk && strings.HasPrefix(t.s, q.s) && (!q.exact || t.s == q.s) {
				found = true
			}
		})
		if !found {
			return false
		}
	}
	return true
}
