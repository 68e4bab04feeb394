package core

import (
	"strings"
	"testing"

	"switchboard/storage"
)

// TestNewAddressAtAMarkedBrandsOrganisationIsABrand: a brand the user
// marked cannot get round it by writing from a fresh address at its own
// domain; an address at a public mail provider says nothing about the
// provider's other users; unmarking the brand lets its neighbours through.
func TestNewAddressAtAMarkedBrandsOrganisationIsABrand(t *testing.T) {
	e, n := onlineEnv(t)
	n.deliver(t, msg("work", "offers@mail.acme.example", "offers@mail.acme.example", "hello from offers", "o1", e.clk.Now()))
	e.waitText(storage.FilterAll, "hello from offers")
	if err := e.core.MarkContact(bg, "work", "offers@mail.acme.example", storage.ContactBrand, "gui"); err != nil {
		t.Fatal(err)
	}

	n.deliver(t, msg("work", "deals@acme.example", "deals@acme.example", "hello from a new address", "o2", e.clk.Now()))
	e.waitText(storage.FilterRequests, "hello from a new address")
	brands, err := e.core.Brands(bg)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, b := range brands {
		if b.Handle == "deals@acme.example" {
			found = strings.Contains(strings.Join(b.Evidence, "; "), "another address at acme.example was marked as a brand by you")
		}
	}
	if !found {
		t.Fatalf("deals@acme.example is not a brand with the organisation's evidence: %+v", brands)
	}

	// A brand at a public mail provider makes no one else there a brand.
	n.deliver(t, msg("work", "promo@gmail.com", "promo@gmail.com", "hi from promo", "o3", e.clk.Now()))
	e.waitText(storage.FilterAll, "hi from promo")
	if err := e.core.MarkContact(bg, "work", "promo@gmail.com", storage.ContactBrand, "gui"); err != nil {
		t.Fatal(err)
	}
	n.deliver(t, msg("work", "friend@gmail.com", "friend@gmail.com", "hi from a friend", "o4", e.clk.Now()))
	e.waitText(storage.FilterAll, "hi from a friend")

	// The user takes the brand back: its organisation's new addresses are
	// no longer brands by association.
	if err := e.core.MarkContact(bg, "work", "offers@mail.acme.example", storage.ContactPerson, "gui"); err != nil {
		t.Fatal(err)
	}
	n.deliver(t, msg("work", "support@acme.example", "support@acme.example", "hello from support", "o5", e.clk.Now()))
	e.waitText(storage.FilterAll, "hello from support")
}
