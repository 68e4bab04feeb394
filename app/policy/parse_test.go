package policy

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseStateAcceptsTheFourStates(t *testing.T) {
	for in, want := range map[string]State{"none": StateNone, " Replies ": StateReplies, "SUBSCRIBED": StateSubscribed, "blocked": StateBlocked} {
		if got, err := ParseState(in); err != nil || got != want {
			t.Errorf("ParseState(%q) = %q, %v", in, got, err)
		}
	}
	_, err := ParseState("subscribe")
	if err == nil || err.Error() != `unknown consent state "subscribe" (want none, replies, subscribed or blocked)` {
		t.Errorf("ParseState(subscribe): %v", err)
	}
}

func TestParseKindAcceptsPersonOrBrand(t *testing.T) {
	for in, want := range map[string]Kind{"person": KindPerson, "Brand": KindBrand} {
		if got, err := ParseKind(in); err != nil || got != want {
			t.Errorf("ParseKind(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"bot", "unknown", ""} {
		if _, err := ParseKind(in); err == nil || !strings.Contains(err.Error(), "want person or brand") {
			t.Errorf("ParseKind(%q): %v", in, err)
		}
	}
}

func TestParseScopesGivesCanonicalOrder(t *testing.T) {
	cases := map[string][]Scope{
		"":                         nil,
		"offers":                   {ScopeOffers},
		"service, Updates":         {ScopeUpdates, ScopeService},
		"offers,updates,offers,":   {ScopeUpdates, ScopeOffers},
		"service,offers,updates":   AllScopes(),
		" , updates , , service  ": {ScopeUpdates, ScopeService},
	}
	for in, want := range cases {
		got, err := ParseScopes(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("ParseScopes(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	_, err := ParseScopes("updates,promo")
	if err == nil || !strings.Contains(err.Error(), `unknown scope "promo" (want updates, offers or service`) {
		t.Errorf("ParseScopes(updates,promo): %v", err)
	}
}

func TestParseUntilReadsADayAsItsEnd(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatalf("load time zone (package tzdata): %v", err)
	}
	got, err := ParseUntil("2026-12-31", berlin)
	if want := time.Date(2026, 12, 31, 23, 59, 59, 0, berlin); err != nil || !got.Equal(want) {
		t.Fatalf("got %v, %v; want %v", got, err, want)
	}
	got, err = ParseUntil(" 2026-12-31T18:00:00+01:00 ", nil)
	if want := time.Date(2026, 12, 31, 17, 0, 0, 0, time.UTC); err != nil || !got.Equal(want) {
		t.Fatalf("RFC 3339: got %v, %v", got, err)
	}
	if got, err := ParseUntil("", nil); err != nil || !got.IsZero() {
		t.Fatalf("empty: got %v, %v", got, err)
	}
	if got, err := ParseUntil("2026-01-01", nil); err != nil || got.Location() != time.Local {
		t.Fatalf("nil location: got %v, %v; want local time", got, err)
	}
	for _, bad := range []string{"31/12/2026", "2026-13-01", "tomorrow", "2026-12-31 18:00"} {
		_, err := ParseUntil(bad, nil)
		if err == nil || !strings.Contains(err.Error(), "is not a date: write YYYY-MM-DD (2026-12-31) or an RFC 3339 time") {
			t.Errorf("ParseUntil(%q): %v", bad, err)
		}
	}
}

func TestCLIInputBuildsAValidSubscription(t *testing.T) {
	st, _ := ParseState("subscribed")
	sc, _ := ParseScopes("updates,service")
	until, _ := ParseUntil("2026-12-31", time.UTC)
	c := Consent{State: st, Scopes: sc, Until: until}
	if err := c.Validate(now); err != nil {
		t.Fatal(err)
	}
	d := Decide(DecideInput{Brand: "AcmeDeals", Kind: KindBrand, Consent: c, Scope: ScopeService, Now: time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC)})
	if d.Verdict != Deliver {
		t.Fatalf("on the last day: %v %q", d.Verdict, d.Reason)
	}
	d = Decide(DecideInput{Brand: "AcmeDeals", Kind: KindBrand, Consent: c, Now: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)})
	if d.Verdict != HoldRequest || !d.Expired || d.Reason != "Your subscription to AcmeDeals expired on 2026-12-31" {
		t.Fatalf("the day after: %v expired=%v %q", d.Verdict, d.Expired, d.Reason)
	}
}
