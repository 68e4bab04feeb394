package policy

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// ParseState reads a consent state as typed on the command line.
func ParseState(s string) (State, error) {
	st := State(strings.ToLower(strings.TrimSpace(s)))
	switch st {
	case StateNone, StateReplies, StateSubscribed, StateBlocked:
		return st, nil
	}
	return "", fmt.Errorf("unknown consent state %s (want none, replies, subscribed or blocked)", quote(s))
}

// ParseKind reads the user's classification: person or brand.
func ParseKind(s string) (Kind, error) {
	k := Kind(strings.ToLower(strings.TrimSpace(s)))
	if k == KindPerson || k == KindBrand {
		return k, nil
	}
	return "", fmt.Errorf("unknown contact kind %s (want person or brand)", quote(s))
}

// ParseScopes reads a comma-separated scope list ("updates,offers"). The
// result is in canonical order (updates, offers, service) without
// repeats; an empty string gives no scopes.
func ParseScopes(s string) ([]Scope, error) {
	var got []Scope
	for _, part := range strings.Split(s, ",") {
		w := Scope(strings.ToLower(strings.TrimSpace(part)))
		if w == "" {
			continue
		}
		if !slices.Contains(AllScopes(), w) {
			return nil, fmt.Errorf("unknown scope %s (want updates, offers or service, separated by commas)", quote(part))
		}
		got = append(got, w)
	}
	var out []Scope
	for _, sc := range AllScopes() {
		if slices.Contains(got, sc) {
			out = append(out, sc)
		}
	}
	return out, nil
}

// ParseUntil reads an end date: a day ("2026-12-31", meaning until the end
// of that day in loc; nil loc means the local time zone) or an RFC 3339
// instant ("2026-12-31T18:00:00+01:00"). An empty string means no end
// date (the zero time). Whether the date is past is checked by
// Consent.Validate.
func ParseUntil(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if loc == nil {
		loc = time.Local
	}
	if d, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		return time.Date(d.Year(), d.Month(), d.Day(), 23, 59, 59, 0, loc), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%s is not a date: write YYYY-MM-DD (2026-12-31) or an RFC 3339 time (2026-12-31T18:00:00+01:00)", quote(s))
}
