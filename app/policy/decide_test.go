package policy

import (
	"strings"
	"testing"
	"time"
)

var (
	now        = time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	never      = time.Time{}
	hoursAgo   = func(h int) time.Time { return now.Add(-time.Duration(h) * time.Hour) }
	endOfMay31 = time.Date(2026, 5, 31, 23, 59, 59, 0, time.UTC)
	endOfYear  = time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC)
)

// TestBrandMessageFiling walks every consent state × who started × inside
// or outside the replies window × expired subscription × scopes.
func TestBrandMessageFiling(t *testing.T) {
	type tc struct {
		name    string
		kind    Kind
		consent Consent
		scope   Scope
		verdict Verdict
		reason  string
		expired bool
	}
	sub := func(until time.Time, last time.Time, scopes ...Scope) Consent {
		return Consent{State: StateSubscribed, Scopes: scopes, Until: until, LastUserMsg: last}
	}
	cases := []tc{
		// Persons and unknown contacts are never held, whatever the consent says.
		{"PersonIsDelivered", KindPerson, Consent{State: StateNone}, "", Deliver, "AcmeDeals is not a brand", false},
		{"UnknownContactIsDelivered", KindUnknown, Consent{}, "", Deliver, "AcmeDeals is not a brand", false},
		{"PersonMarkedBlockedBeforeIsStillDelivered", KindPerson, Consent{State: StateBlocked}, "", Deliver, "AcmeDeals is not a brand", false},

		{"StoredBotKindIsJudgedAsBrand", KindBot, Consent{}, "", HoldRequest,
			"AcmeDeals started a conversation; you have not subscribed", false},

		// none
		{"NoConsentBrandStartedIsHeld", KindBrand, Consent{State: StateNone}, "", HoldRequest,
			"AcmeDeals started a conversation; you have not subscribed", false},
		{"NoConsentAnswerInsideWindowIsDelivered", KindBrand, Consent{State: StateNone, LastUserMsg: hoursAgo(3)}, "", Deliver,
			"AcmeDeals answered within 24 hours of your last message", false},
		{"NoConsentAnswerOutsideWindowIsHeld", KindBrand, Consent{State: StateNone, LastUserMsg: hoursAgo(72)}, "", HoldRequest,
			"AcmeDeals answered 3 days after your last message; replies are allowed for 24 hours", false},
		{"UnsetStateCountsAsNone", KindBrand, Consent{}, "", HoldRequest,
			"AcmeDeals started a conversation; you have not subscribed", false},

		// replies
		{"RepliesBrandStartedIsHeld", KindBrand, Consent{State: StateReplies}, "", HoldRequest,
			"AcmeDeals started a conversation; you have not subscribed", false},
		{"RepliesAnswerInsideWindowIsDelivered", KindBrand, Consent{State: StateReplies, LastUserMsg: hoursAgo(23)}, "", Deliver,
			"AcmeDeals answered within 24 hours of your last message", false},
		{"RepliesAnswerExactlyAtWindowEndIsDelivered", KindBrand, Consent{State: StateReplies, LastUserMsg: hoursAgo(24)}, "", Deliver,
			"AcmeDeals answered within 24 hours of your last message", false},
		{"RepliesAnswerOutsideWindowIsHeld", KindBrand, Consent{State: StateReplies, LastUserMsg: hoursAgo(30)}, "", HoldRequest,
			"AcmeDeals answered 30 hours after your last message; replies are allowed for 24 hours", false},
		{"RepliesDoNotCoverScopedMarketingOutsideWindow", KindBrand, Consent{State: StateReplies, LastUserMsg: hoursAgo(200)}, ScopeOffers, HoldRequest,
			"AcmeDeals answered 8 days after your last message; replies are allowed for 24 hours", false},

		// subscribed
		{"SubscribedBrandMayStart", KindBrand, sub(never, never), "", Deliver, "You are subscribed to AcmeDeals", false},
		{"SubscribedAnswerInsideWindowIsDelivered", KindBrand, sub(never, hoursAgo(1)), "", Deliver, "You are subscribed to AcmeDeals", false},
		{"SubscribedAnswerOutsideWindowIsDelivered", KindBrand, sub(endOfYear, hoursAgo(100)), "", Deliver, "You are subscribed to AcmeDeals", false},
		{"SubscriptionWithoutScopesCoversEveryScope", KindBrand, sub(never, never), ScopeOffers, Deliver, "You are subscribed to AcmeDeals", false},
		{"SubscriptionCoversItsScope", KindBrand, sub(never, never, ScopeUpdates, ScopeOffers), ScopeOffers, Deliver, "You are subscribed to AcmeDeals", false},
		{"SubscriptionCoversUnknownScope", KindBrand, sub(never, never, ScopeService), "", Deliver, "You are subscribed to AcmeDeals", false},
		{"OfferOutsideSubscribedScopesIsHeld", KindBrand, sub(never, never, ScopeUpdates, ScopeService), ScopeOffers, HoldRequest,
			"AcmeDeals sent offers; your subscription covers updates and service", false},
		{"OfferOutsideScopesButInsideWindowIsDelivered", KindBrand, sub(never, hoursAgo(2), ScopeService), ScopeOffers, Deliver,
			"AcmeDeals answered within 24 hours of your last message", false},
		{"OfferOutsideScopesAndOutsideWindowIsHeld", KindBrand, sub(never, hoursAgo(50), ScopeUpdates), ScopeOffers, HoldRequest,
			"AcmeDeals sent offers; your subscription covers updates", false},
		{"ExpiredSubscriptionBrandStartedIsHeldAndExpires", KindBrand, sub(endOfMay31, never), "", HoldRequest,
			"Your subscription to AcmeDeals expired on 2026-05-31", true},
		{"ExpiredSubscriptionAnswerInsideWindowIsDeliveredAndExpires", KindBrand, sub(endOfMay31, hoursAgo(5)), "", Deliver,
			"AcmeDeals answered within 24 hours of your last message", true},
		{"ExpiredSubscriptionAnswerOutsideWindowIsHeldAndExpires", KindBrand, sub(endOfMay31, hoursAgo(48)), "", HoldRequest,
			"Your subscription to AcmeDeals expired on 2026-05-31", true},
		{"SubscriptionLastsUntilItsLastSecond", KindBrand, sub(now, never), "", Deliver, "You are subscribed to AcmeDeals", false},

		// blocked
		{"BlockedBrandStartedIsBlocked", KindBrand, Consent{State: StateBlocked}, "", HoldBlocked, "AcmeDeals is blocked", false},
		{"BlockedAnswerInsideWindowIsBlocked", KindBrand, Consent{State: StateBlocked, LastUserMsg: hoursAgo(1)}, "", HoldBlocked, "AcmeDeals is blocked", false},
		{"BlockedAnswerOutsideWindowIsBlocked", KindBrand, Consent{State: StateBlocked, LastUserMsg: hoursAgo(99)}, ScopeService, HoldBlocked, "AcmeDeals is blocked", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := Decide(DecideInput{Brand: "AcmeDeals", Kind: c.kind, Consent: c.consent, Scope: c.scope, MessageTime: now, Now: now})
			if d.Verdict != c.verdict || d.Reason != c.reason || d.Expired != c.expired {
				t.Errorf("Decide = {%v, %q, expired=%v}, want {%v, %q, expired=%v}",
					d.Verdict, d.Reason, d.Expired, c.verdict, c.reason, c.expired)
			}
		})
	}
}

func TestConfiguredWindowIsUsedAndNamed(t *testing.T) {
	c := Consent{State: StateReplies, LastUserMsg: hoursAgo(3)}
	d := Decide(DecideInput{Brand: "AcmeDeals", Kind: KindBrand, Consent: c, Now: now, Window: 2 * time.Hour})
	want := "AcmeDeals answered 3 hours after your last message; replies are allowed for 2 hours"
	if d.Verdict != HoldRequest || d.Reason != want {
		t.Fatalf("got %v %q, want held %q", d.Verdict, d.Reason, want)
	}
	d = Decide(DecideInput{Brand: "AcmeDeals", Kind: KindBrand, Consent: c, Now: now, Window: 72 * time.Hour})
	if d.Verdict != Deliver || d.Reason != "AcmeDeals answered within 3 days of your last message" {
		t.Fatalf("3-day window: got %v %q", d.Verdict, d.Reason)
	}
}

func TestFutureDatedMessageCannotStretchTheWindow(t *testing.T) {
	c := Consent{State: StateReplies, LastUserMsg: hoursAgo(30)}
	// The brand claims to have written just after the user (inside the window)
	// but the message arrives now: a claimed time later than now counts as now.
	d := Decide(DecideInput{Brand: "AcmeDeals", Kind: KindBrand, Consent: c, MessageTime: now.Add(time.Hour), Now: now})
	if d.Verdict != HoldRequest {
		t.Fatalf("future-dated message: got %v, want held", d.Verdict)
	}
	// No message time at all counts as now too.
	d = Decide(DecideInput{Brand: "AcmeDeals", Kind: KindBrand, Consent: c, Now: now})
	if d.Verdict != HoldRequest {
		t.Fatalf("undated message: got %v, want held", d.Verdict)
	}
}

func TestBackfilledMessageIsJudgedAtItsOwnTime(t *testing.T) {
	// An old message sent while the subscription lasted is delivered even
	// though the subscription has expired since; the expiry is still reported.
	c := Consent{State: StateSubscribed, Until: endOfMay31}
	d := Decide(DecideInput{Brand: "AcmeDeals", Kind: KindBrand, Consent: c, MessageTime: endOfMay31.Add(-time.Hour), Now: now})
	if d.Verdict != Deliver || !d.Expired {
		t.Fatalf("got %v expired=%v, want delivered and expired", d.Verdict, d.Expired)
	}
	// A message older than the user's last one belongs to a conversation the
	// user has since written in (and absorbs clock skew between servers).
	r := Consent{State: StateReplies, LastUserMsg: hoursAgo(1)}
	d = Decide(DecideInput{Brand: "AcmeDeals", Kind: KindBrand, Consent: r, MessageTime: hoursAgo(2), Now: now})
	if d.Verdict != Deliver {
		t.Fatalf("message before the user's last: got %v, want delivered", d.Verdict)
	}
}

func TestExpiryDateIsShownInTheUsersTimeZone(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatalf("load time zone (package tzdata): %v", err)
	}
	until := time.Date(2026, 5, 31, 23, 59, 59, 0, ny) // 2026-06-01 in UTC
	d := Decide(DecideInput{Brand: "AcmeDeals", Kind: KindBrand,
		Consent: Consent{State: StateSubscribed, Until: until.UTC()}, Now: now.In(ny)})
	if want := "Your subscription to AcmeDeals expired on 2026-05-31"; d.Reason != want {
		t.Fatalf("reason %q, want %q", d.Reason, want)
	}
}

func TestReasonNamesAreSafeOneLiners(t *testing.T) {
	cases := map[string]string{
		"":                                 "This sender started a conversation; you have not subscribed",
		"Acme\nDeals\x1b[31m":              "Acme Deals [31m started a conversation; you have not subscribed",
		"Acme\u202eslaeD":                  "Acme slaeD started a conversation; you have not subscribed",
		strings.Repeat("A", 100):           strings.Repeat("A", 64) + "… started a conversation; you have not subscribed",
		"  Acme   Deals  ":                 "Acme Deals started a conversation; you have not subscribed",
		"Ünïcødé Brand":                    "Ünïcødé Brand started a conversation; you have not subscribed",
		"Acme\tDeals\r\nSecond line\x00!!": "Acme Deals Second line !! started a conversation; you have not subscribed",
	}
	for in, want := range cases {
		d := Decide(DecideInput{Brand: in, Kind: KindBrand, Now: now})
		if d.Reason != want {
			t.Errorf("Brand %q: reason %q, want %q", in, d.Reason, want)
		}
	}
}

func TestSpanReadsLikeAPerson(t *testing.T) {
	cases := map[time.Duration]string{
		30 * time.Second:      "moments",
		90 * time.Second:      "1 minute",
		40 * time.Minute:      "40 minutes",
		119 * time.Minute:     "119 minutes",
		2 * time.Hour:         "2 hours",
		47 * time.Hour:        "47 hours",
		48 * time.Hour:        "2 days",
		10*24*time.Hour + 300: "10 days",
	}
	for d, want := range cases {
		if got := span(d); got != want {
			t.Errorf("span(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestVerdictNames(t *testing.T) {
	for v, want := range map[Verdict]string{Deliver: "delivered", HoldRequest: "held as request", HoldBlocked: "held as blocked"} {
		if v.String() != want {
			t.Errorf("%d.String() = %q, want %q", v, v.String(), want)
		}
	}
}

func TestListScopesReadsLikeASentence(t *testing.T) {
	if got := listScopes(AllScopes()); got != "updates, offers and service" {
		t.Fatalf("got %q", got)
	}
}
