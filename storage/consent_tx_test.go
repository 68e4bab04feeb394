package storage

import (
	"context"
	"errors"
	"testing"
)

// TestConsentChangeIsOneTransaction fails the consent change between each
// pair of its steps and checks that nothing of it was written: the
// contact is not marked, the consent and ledger are unchanged and the
// held messages stay where they were. Then the same change succeeds.
func TestConsentChangeIsOneTransaction(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	var in []MessageIn
	for i, txt := range []string{"deal one", "deal two"} {
		m := msg("a", "acme", string(rune('1'+i)), "acme", txt, i)
		m.Hold, m.HoldReason = HeldRequest, "not subscribed"
		in = append(in, m)
	}
	put(t, s, in...)
	ch := ConsentChange{
		MarkBrand: true,
		Consent:   Consent{Account: "a", Handle: "acme", State: "subscribed", Scopes: []string{"offers"}},
		Ledger:    &LedgerEntry{Network: "irc", OldState: "none", NewState: "subscribed", Scopes: []string{"offers"}, How: "cli"},
		Moves:     []HoldMove{{HeldRequest, Delivered}, {HeldBlocked, Delivered}},
	}
	injected := errors.New("injected failure")
	for _, step := range []string{"marked", "consent", "ledger", "move 0", "move 1"} {
		s.failAt = func(at string) error {
			if at == step {
				return injected
			}
			return nil
		}
		if _, err := s.ApplyConsent(ctx, ch); !errors.Is(err, injected) {
			t.Fatalf("failure after %s: got %v", step, err)
		}
		if ct, err := s.Contact(ctx, "a", "acme"); !errors.Is(err, ErrNotFound) {
			t.Errorf("after a failure at %s the contact was marked: %+v %v", step, ct, err)
		}
		if c, err := s.Consent(ctx, "a", "acme"); !errors.Is(err, ErrNotFound) {
			t.Errorf("after a failure at %s the consent was stored: %+v %v", step, c, err)
		}
		if es, err := s.Ledger(ctx, "", ""); err != nil || len(es) != 0 {
			t.Errorf("after a failure at %s the ledger has %d entries (%v)", step, len(es), err)
		}
		if req := list(t, s, FilterRequests, ""); len(req) != 1 || req[0].Held != 2 || len(list(t, s, FilterAll, "")) != 0 {
			t.Errorf("after a failure at %s the held messages moved: %+v", step, req)
		}
	}
	s.failAt = nil
	e, err := s.ApplyConsent(ctx, ch)
	if err != nil || e.Seq == 0 || e.Brand != "acme" {
		t.Fatalf("apply: %+v %v", e, err)
	}
	ct, _ := s.Contact(ctx, "a", "acme")
	c, _ := s.Consent(ctx, "a", "acme")
	es, _ := s.Ledger(ctx, "a", "acme")
	all := list(t, s, FilterAll, "")
	if ct.UserKind != ContactBrand || c.State != "subscribed" || len(es) != 1 || len(all) != 1 || all[0].Unread != 2 ||
		len(list(t, s, FilterRequests, "")) != 0 {
		t.Fatalf("after apply: contact %+v consent %+v ledger %+v inbox %+v", ct, c, es, all)
	}
}
