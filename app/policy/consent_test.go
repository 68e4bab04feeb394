package policy

import (
	"strings"
	"testing"
	"time"
)

func TestUserSendingFirstOpensReplies(t *testing.T) {
	next, ledger := OnUserSent(Consent{State: StateNone}, now)
	if next.State != StateReplies || !next.LastUserMsg.Equal(now) || !ledger {
		t.Fatalf("none → %+v ledger=%v, want replies from now with a ledger entry", next, ledger)
	}
	next, ledger = OnUserSent(Consent{}, now)
	if next.State != StateReplies || !ledger {
		t.Fatalf("unset → %+v ledger=%v, want replies with a ledger entry", next, ledger)
	}
}

func TestUserSendingAgainMovesTheWindowWithoutLedgerEntry(t *testing.T) {
	next, ledger := OnUserSent(Consent{State: StateReplies, LastUserMsg: hoursAgo(50)}, now)
	if next.State != StateReplies || !next.LastUserMsg.Equal(now) || ledger {
		t.Fatalf("got %+v ledger=%v", next, ledger)
	}
}

func TestUserSendingKeepsSubscription(t *testing.T) {
	cur := Consent{State: StateSubscribed, Scopes: []Scope{ScopeUpdates}, Until: endOfYear}
	next, ledger := OnUserSent(cur, now)
	if ledger || next.State != StateSubscribed || !next.Until.Equal(endOfYear) || len(next.Scopes) != 1 || !next.LastUserMsg.Equal(now) {
		t.Fatalf("got %+v ledger=%v", next, ledger)
	}
	next.Scopes[0] = ScopeOffers
	if cur.Scopes[0] != ScopeUpdates {
		t.Fatal("OnUserSent shares the scopes slice with its input")
	}
}

func TestUserSendingDoesNotUnblock(t *testing.T) {
	next, ledger := OnUserSent(Consent{State: StateBlocked}, now)
	if next.State != StateBlocked || ledger || !next.LastUserMsg.Equal(now) {
		t.Fatalf("got %+v ledger=%v, want still blocked, no ledger entry", next, ledger)
	}
	d := Decide(DecideInput{Brand: "AcmeDeals", Kind: KindBrand, Consent: next, Now: now.Add(time.Minute)})
	if d.Verdict != HoldBlocked {
		t.Fatalf("answer of a blocked brand the user wrote to: %v, want blocked", d.Verdict)
	}
}

func TestUserSendingThenBrandAnswerIsDelivered(t *testing.T) {
	c, _ := OnUserSent(Consent{State: StateNone}, now)
	d := Decide(DecideInput{Brand: "AcmeDeals", Kind: KindBrand, Consent: c, Now: now.Add(10 * time.Minute)})
	if d.Verdict != Deliver {
		t.Fatalf("answer 10 minutes later: %v %q", d.Verdict, d.Reason)
	}
	d = Decide(DecideInput{Brand: "AcmeDeals", Kind: KindBrand, Consent: c, Now: now.Add(25 * time.Hour)})
	if d.Verdict != HoldRequest {
		t.Fatalf("answer 25 hours later: %v %q", d.Verdict, d.Reason)
	}
}

func TestExpiryDropsToNoneAndKeepsTheWindow(t *testing.T) {
	c := Consent{State: StateSubscribed, Scopes: []Scope{ScopeOffers}, Until: endOfMay31, LastUserMsg: hoursAgo(2)}
	if !c.Expired(now) || c.Expired(endOfMay31) {
		t.Fatal("Expired: want true after Until and false at Until")
	}
	if (Consent{State: StateSubscribed}).Expired(now) || (Consent{State: StateReplies, Until: endOfMay31}).Expired(now) {
		t.Fatal("Expired: only a subscription with an end date expires")
	}
	e := Expire(c)
	if e.State != StateNone || e.Scopes != nil || !e.Until.IsZero() || !e.LastUserMsg.Equal(c.LastUserMsg) {
		t.Fatalf("Expire = %+v", e)
	}
}

func TestConsentValidationSpeaksPlainly(t *testing.T) {
	ok := []Consent{
		{State: StateNone},
		{State: StateReplies},
		{State: StateBlocked},
		{State: StateSubscribed},
		{State: StateSubscribed, Scopes: AllScopes(), Until: endOfYear},
	}
	for _, c := range ok {
		if err := c.Validate(now); err != nil {
			t.Errorf("%+v: unexpected error %v", c, err)
		}
	}
	bad := []struct {
		c    Consent
		want string
	}{
		{Consent{State: "subscribe"}, `unknown consent state "subscribe"`},
		{Consent{State: StateSubscribed, Scopes: []Scope{"promo"}}, `unknown scope "promo"`},
		{Consent{State: StateReplies, Scopes: []Scope{ScopeOffers}}, "apply only to subscribed"},
		{Consent{State: StateBlocked, Until: endOfYear}, "apply only to subscribed"},
		{Consent{State: StateSubscribed, Until: endOfMay31}, "the end date 2026-05-31 is already past"},
	}
	for _, b := range bad {
		err := b.c.Validate(now)
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%+v: error %v, want it to say %q", b.c, err, b.want)
		}
	}
}
