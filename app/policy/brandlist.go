package policy

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// EntryKind says what a brand list entry matches.
type EntryKind string

const (
	// EntryDomain matches a domain, its subdomains, and every address
	// (e-mail, XMPP JID, Matrix ID) at them: "domain:acme.example".
	EntryDomain EntryKind = "domain"
	// EntryLocal matches the local part of an address at any domain,
	// case-insensitively: "local:noreply" matches noreply@anything.
	EntryLocal EntryKind = "local"
	// EntryHandle matches one handle exactly (case-insensitively) on one
	// network, or on any network with "*": "handle:irc:AcmeDeals".
	EntryHandle EntryKind = "handle"
)

// maxListSize caps what Parse reads: a brand list is a few kilobytes.
const maxListSize = 4 << 20

// Entry is one line of a brand list.
type Entry struct {
	Kind    EntryKind
	Network string // EntryHandle only: registry name ("irc") or "*"
	Value   string // normalised: domain and local part lower case; handle as written
	Origin  string // the list's name given to Parse ("bundled", "brands.txt")
	Line    int    // 1-based line number in that list
}

// String renders the entry in list syntax: "domain:acme.example".
func (e Entry) String() string {
	if e.Kind == EntryHandle {
		return "handle:" + e.Network + ":" + e.Value
	}
	return string(e.Kind) + ":" + e.Value
}

// LineError is one bad line of a brand list.
type LineError struct {
	Origin string
	Line   int
	Reason string
}

func (e *LineError) Error() string {
	return fmt.Sprintf("%s line %d: %s", e.Origin, e.Line, e.Reason)
}

type handleKey struct{ network, handle string }

// List is a parsed brand list. The zero value and nil are empty lists.
// A List is immutable once built and safe for concurrent use.
type List struct {
	entries []Entry
	domains map[string]Entry
	locals  map[string]Entry
	handles map[handleKey]Entry
}

// Parse reads a brand list. The format, one entry per line:
//
//	# a comment; blank lines are ignored
//	domain:acme.example      # acme.example, *.acme.example, anyone@acme.example
//	local:noreply            # noreply@ at any domain
//	handle:irc:AcmeDeals     # this handle on IRC (case-insensitive)
//	handle:*:newsletter-bot  # this handle on any network
//
// A '#' starts a comment at the start of a line or after white space.
// Entry kinds and network names are case-insensitive.
//
// Bad lines do not spoil good ones: Parse returns every valid entry AND an
// error joining one *LineError per bad line (use errors.As / the joined
// error's Unwrap() []error to list them). origin names the list in errors
// and in classification evidence.
func Parse(r io.Reader, origin string) (*List, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxListSize+1))
	if err != nil {
		return &List{}, fmt.Errorf("brand list %s: read: %w", origin, err)
	}
	if len(data) > maxListSize {
		return &List{}, fmt.Errorf("brand list %s: larger than %d MiB; nothing was read", origin, maxListSize>>20)
	}
	var entries []Entry
	var errs []error
	for i, line := range strings.Split(string(data), "\n") {
		e, ok, reason := parseLine(line)
		if reason != "" {
			errs = append(errs, &LineError{Origin: origin, Line: i + 1, Reason: reason})
			continue
		}
		if ok {
			e.Origin, e.Line = origin, i+1
			entries = append(entries, e)
		}
	}
	return build(entries), errors.Join(errs...)
}

// parseLine parses one line. ok is false for blank and comment lines;
// reason is non-empty for a bad line.
func parseLine(line string) (e Entry, ok bool, reason string) {
	if !utf8.ValidString(line) {
		return Entry{}, false, "not valid UTF-8 text"
	}
	line = stripComment(line)
	if line == "" {
		return Entry{}, false, ""
	}
	if strings.ContainsFunc(line, unicode.IsSpace) {
		return Entry{}, false, fmt.Sprintf("%s: an entry is one word with no spaces (put comments after '#')", quote(line))
	}
	kind, rest, found := strings.Cut(line, ":")
	if !found {
		return Entry{}, false, fmt.Sprintf("%s: missing kind; write domain:NAME, local:NAME or handle:NETWORK:NAME", quote(line))
	}
	switch EntryKind(strings.ToLower(kind)) {
	case EntryDomain:
		d, why := normDomain(rest)
		if why != "" {
			return Entry{}, false, fmt.Sprintf("%s: %s", quote(line), why)
		}
		return Entry{Kind: EntryDomain, Value: d}, true, ""
	case EntryLocal:
		if rest == "" || strings.ContainsAny(rest, "@:/") {
			return Entry{}, false, fmt.Sprintf("%s: a local part is the text before '@', e.g. local:noreply", quote(line))
		}
		return Entry{Kind: EntryLocal, Value: strings.ToLower(rest)}, true, ""
	case EntryHandle:
		network, handle, _ := strings.Cut(rest, ":")
		if network == "" || handle == "" || !validNetwork(network) {
			return Entry{}, false, fmt.Sprintf("%s: write handle:NETWORK:HANDLE, with NETWORK a network name like irc or * for any", quote(line))
		}
		return Entry{Kind: EntryHandle, Network: strings.ToLower(network), Value: handle}, true, ""
	}
	return Entry{}, false, fmt.Sprintf("%s: unknown kind %s (want domain, local or handle)", quote(line), quote(kind))
}

// stripComment removes a comment ('#' at the start or after white space)
// and surrounding white space.
func stripComment(line string) string {
	for i, r := range line {
		if r != '#' {
			continue
		}
		if prev, _ := utf8.DecodeLastRuneInString(line[:i]); i == 0 || unicode.IsSpace(prev) {
			line = line[:i]
			break
		}
	}
	return strings.TrimSpace(line)
}

// normDomain validates and lower-cases a domain; why says what is wrong.
func normDomain(s string) (domain, why string) {
	d := strings.TrimSuffix(strings.ToLower(s), ".")
	if d == "" {
		return "", "the domain is empty"
	}
	if len(d) > 253 {
		return "", "the domain is longer than 253 characters"
	}
	if !strings.Contains(d, ".") {
		return "", "a domain needs at least one dot (acme.example), so one entry cannot match a whole top-level domain"
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", "each part between dots must be 1 to 63 characters and not start or end with '-'"
		}
		for _, r := range label {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				return "", fmt.Sprintf("%s is not allowed in a domain", quote(string(r)))
			}
		}
	}
	return d, ""
}

func validNetwork(s string) bool {
	if s == "*" {
		return true
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// quote shows user text in an error, shortened so a huge line stays readable.
func quote(s string) string {
	const max = 60
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	return fmt.Sprintf("%q", s)
}

// build indexes entries; the first entry for a key wins.
func build(entries []Entry) *List {
	l := &List{
		entries: entries,
		domains: map[string]Entry{},
		locals:  map[string]Entry{},
		handles: map[handleKey]Entry{},
	}
	for _, e := range entries {
		switch e.Kind {
		case EntryDomain:
			putFirst(l.domains, e.Value, e)
		case EntryLocal:
			putFirst(l.locals, e.Value, e)
		case EntryHandle:
			putFirst(l.handles, handleKey{e.Network, strings.ToLower(e.Value)}, e)
		}
	}
	return l
}

func putFirst[K comparable](m map[K]Entry, k K, e Entry) {
	if _, dup := m[k]; !dup {
		m[k] = e
	}
}

// Merge combines lists into a new one. When two lists hold the same entry,
// the earlier list's is kept (and shown as evidence), so pass the user's
// list before the bundled one: Merge(user, bundled). Nil lists are skipped.
func Merge(lists ...*List) *List {
	var all []Entry
	for _, l := range lists {
		if l != nil {
			all = append(all, l.entries...)
		}
	}
	return build(all)
}

// Entries returns a copy of the list's entries in file order.
func (l *List) Entries() []Entry {
	if l == nil {
		return nil
	}
	return append([]Entry(nil), l.entries...)
}

// Len is the number of entries.
func (l *List) Len() int {
	if l == nil {
		return 0
	}
	return len(l.entries)
}

// Match reports the entry that lists this handle on this network as a
// brand. Precedence: a handle on this network, a handle on any network,
// the address's local part, then its domain from the most specific
// (mail.acme.example) to the least (acme.example).
func (l *List) Match(network, handle string) (Entry, bool) {
	if l == nil || handle == "" {
		return Entry{}, false
	}
	h := strings.ToLower(strings.TrimSpace(handle))
	for _, k := range []handleKey{{strings.ToLower(network), h}, {"*", h}} {
		if e, ok := l.handles[k]; ok {
			return e, true
		}
	}
	local, domain := splitAddress(h)
	if local != "" {
		if e, ok := l.locals[local]; ok {
			return e, true
		}
	}
	for d := domain; strings.Contains(d, "."); {
		if e, ok := l.domains[d]; ok {
			return e, true
		}
		_, d, _ = strings.Cut(d, ".")
	}
	return Entry{}, false
}

// splitAddress finds the local part and domain in a lower-cased handle:
// "news@mail.acme.example", "ACME <news@acme.example>", "bot@acme.example/res"
// (XMPP), "@news:acme.example" (Matrix), or a bare "acme.example". A handle
// with neither '@' nor '.' (an IRC nick) has no domain.
func splitAddress(h string) (local, domain string) {
	if i := strings.LastIndexByte(h, '<'); i >= 0 {
		if j := strings.IndexByte(h[i:], '>'); j > 0 {
			h = h[i+1 : i+j]
		}
	}
	switch {
	case strings.HasPrefix(h, "@") && strings.Contains(h, ":"): // Matrix @local:server
		local, domain, _ = strings.Cut(h[1:], ":")
	case strings.Contains(h, "@"):
		i := strings.LastIndexByte(h, '@')
		local, domain = h[:i], h[i+1:]
	default:
		domain = h
	}
	if i := strings.IndexAny(domain, "/:"); i >= 0 { // XMPP resource, port
		domain = domain[:i]
	}
	return local, strings.TrimSuffix(domain, ".")
}
