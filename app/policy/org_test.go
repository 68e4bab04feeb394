package policy

import "testing"

func TestOrgDomainIsTheRegistrableDomainOfAnOrganisation(t *testing.T) {
	for handle, want := range map[string]string{
		"offers@mail.acme.example": "acme.example",
		"news@shop.example.co.uk":  "example.co.uk",
		"Deals@ACME.example.":      "acme.example",
		"someone@gmail.com":        "", // anyone can have an address there
		"someone@googlemail.com":   "",
		"AcmeDeals":                "", // an IRC nick has no domain
		"@":                        "",
		"x@co.uk":                  "", // a public suffix alone is no organisation
		"x@[127.0.0.1]":            "",
	} {
		if got := OrgDomain(handle); got != want {
			t.Errorf("OrgDomain(%q) = %q, want %q", handle, got, want)
		}
	}
}

func TestBrandOrgIsBrandEvidenceButTheUsersWordWins(t *testing.T) {
	c := Classify(ClassifyInput{Network: "email", Handle: "deals@acme.example", BrandOrg: "acme.example"})
	if c.Kind != KindBrand || c.Source != SourceOrg {
		t.Fatalf("classification = %+v", c)
	}
	c = Classify(ClassifyInput{Network: "email", Handle: "deals@acme.example", BrandOrg: "acme.example", User: KindPerson})
	if c.Kind != KindPerson {
		t.Fatalf("the user's word lost: %+v", c)
	}
}
