package policy

import (
	"slices"
	"strings"
	"testing"

	"switchboard/connectors"
)

func testList(t *testing.T) *List {
	t.Helper()
	l, err := Parse(strings.NewReader("domain:acme.example\nlocal:noreply\nhandle:irc:AcmeDeals\nhandle:*:newsletter-bot\n"), "test")
	if err != nil {
		t.Fatalf("parse test list: %v", err)
	}
	return l
}

func TestUserMarkAsPersonWinsOverAllEvidence(t *testing.T) {
	c := Classify(ClassifyInput{
		Network: "email", Handle: "noreply@acme.example", List: testList(t),
		NetworkKind: connectors.KindBot, Headers: map[string]string{"List-Unsubscribe": "<https://acme.example/u>"},
		User: KindPerson,
	})
	if c.Kind != KindPerson || c.Source != SourceUser || c.Evidence[0] != "user marked as person" {
		t.Fatalf("got %+v", c)
	}
	if len(c.Evidence) < 4 {
		t.Fatalf("the other evidence should be kept for the Brands view: %q", c.Evidence)
	}
}

func TestUserMarkAsBrandWinsOverNetworkPerson(t *testing.T) {
	c := Classify(ClassifyInput{Network: "irc", Handle: "bob", NetworkKind: connectors.KindPerson, User: KindBrand})
	if c.Kind != KindBrand || c.Source != SourceUser || !slices.Equal(c.Evidence, []string{"user marked as brand"}) {
		t.Fatalf("got %+v", c)
	}
}

func TestUnknownUserWordIsIgnored(t *testing.T) {
	c := Classify(ClassifyInput{Network: "irc", Handle: "AcmeDeals", List: testList(t), User: KindUnknown})
	if c.Kind != KindBrand || c.Source != SourceList {
		t.Fatalf("got %+v", c)
	}
}

func TestBrandListMatchesDomainSubdomainAndAddress(t *testing.T) {
	l := testList(t)
	for _, h := range []string{
		"acme.example", "mail.acme.example", "news@acme.example", "News@Mail.ACME.example",
		"ACME Deals <deals@acme.example>", "bot@acme.example/resource", "@news:acme.example",
	} {
		c := Classify(ClassifyInput{Network: "email", Handle: h, List: l})
		want := []string{"listed in brand list (test, line 1): domain:acme.example"}
		if c.Kind != KindBrand || c.Source != SourceList || !slices.Equal(c.Evidence, want) {
			t.Errorf("%q: got %+v", h, c)
		}
	}
	for _, h := range []string{"acme.example.org", "notacme.example", "acme@example.org", "acme", "ann@example.org"} {
		if c := Classify(ClassifyInput{Network: "email", Handle: h, List: l}); c.Kind != KindUnknown {
			t.Errorf("%q: got %+v, want unknown", h, c)
		}
	}
}

func TestBrandListMatchesLocalPartAtAnyDomain(t *testing.T) {
	c := Classify(ClassifyInput{Network: "email", Handle: "NoReply@shop.example.org", List: testList(t)})
	if c.Kind != KindBrand || c.Evidence[0] != "listed in brand list (test, line 2): local:noreply" {
		t.Fatalf("got %+v", c)
	}
}

func TestBrandListHandlesArePerNetworkOrAny(t *testing.T) {
	l := testList(t)
	if c := Classify(ClassifyInput{Network: "IRC", Handle: "acmedeals", List: l}); c.Kind != KindBrand {
		t.Errorf("irc AcmeDeals in other case: %+v", c)
	}
	if c := Classify(ClassifyInput{Network: "xmpp", Handle: "AcmeDeals", List: l}); c.Kind != KindUnknown {
		t.Errorf("AcmeDeals listed for irc only matched on xmpp: %+v", c)
	}
	for _, n := range []string{"irc", "slack", "telegram"} {
		if c := Classify(ClassifyInput{Network: n, Handle: "Newsletter-Bot", List: l}); c.Kind != KindBrand {
			t.Errorf("%s newsletter-bot: %+v", n, c)
		}
	}
}

func TestBulkMailHeadersAreBrandEvidence(t *testing.T) {
	c := Classify(ClassifyInput{Network: "email", Handle: "ann@example.org", Headers: map[string]string{
		"list-unsubscribe":      "<mailto:u@example.org>",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		"LIST-ID":               "<news.example.org>",
		"Precedence":            " Bulk ",
		"Auto-Submitted":        "auto-generated; owner-email=x@example.org",
		"Subject":               "hello",
	}})
	want := []string{
		"e-mail header List-Unsubscribe", "e-mail header List-Unsubscribe-Post", "e-mail header List-Id",
		"e-mail header Precedence: bulk", "e-mail header Auto-Submitted: auto-generated",
	}
	if c.Kind != KindBrand || c.Source != SourceHeaders || !slices.Equal(c.Evidence, want) {
		t.Fatalf("got %+v\nwant evidence %q", c, want)
	}
}

func TestPersonalMailHeadersAreNotBrandEvidence(t *testing.T) {
	for _, h := range []map[string]string{
		{"Auto-Submitted": "auto-replied"}, // a person's vacation responder (RFC 3834)
		{"Auto-Submitted": "no"},
		{"Precedence": "urgent"},
		{"List-Unsubscribe": "  "},
		{"X-Mailer": "Thunderbird"},
	} {
		if c := Classify(ClassifyInput{Network: "email", Handle: "ann@example.org", Headers: h}); c.Kind != KindUnknown {
			t.Errorf("%v: got %+v, want unknown", h, c)
		}
	}
}

func TestBotFlagCountsAsBrand(t *testing.T) {
	c := Classify(ClassifyInput{Network: "irc", Handle: "DealBot", NetworkKind: connectors.KindBot,
		NetworkEvidence: []string{"irc: user mode +B (bot)"}})
	want := []string{"irc: user mode +B (bot)", "network marks as bot (bots count as brands for opt-in)"}
	if c.Kind != KindBrand || c.Source != SourceNetwork || !slices.Equal(c.Evidence, want) {
		t.Fatalf("got %+v", c)
	}
}

func TestNetworkBrandFlagIsBrand(t *testing.T) {
	c := Classify(ClassifyInput{Network: "telegram", Handle: "acmeshop", NetworkKind: connectors.KindBrand})
	if c.Kind != KindBrand || c.Source != SourceNetwork || c.Evidence[0] != "network marks as brand" {
		t.Fatalf("got %+v", c)
	}
}

func TestBrandEvidenceBeatsNetworkPerson(t *testing.T) {
	c := Classify(ClassifyInput{Network: "email", Handle: "deals@acme.example", NetworkKind: connectors.KindPerson, List: testList(t)})
	if c.Kind != KindBrand || c.Source != SourceList {
		t.Fatalf("got %+v", c)
	}
}

func TestNetworkPersonWithoutBrandEvidenceIsPerson(t *testing.T) {
	c := Classify(ClassifyInput{Network: "xmpp", Handle: "ann@example.org", NetworkKind: connectors.KindPerson})
	if c.Kind != KindPerson || c.Source != SourceNetwork || !slices.Equal(c.Evidence, []string{"network marks as person"}) {
		t.Fatalf("got %+v", c)
	}
	c = Classify(ClassifyInput{Network: "xmpp", Handle: "ann@example.org", NetworkKind: connectors.KindPerson, NetworkEvidence: []string{"xmpp: in roster"}})
	if c.Kind != KindPerson || !slices.Equal(c.Evidence, []string{"xmpp: in roster"}) {
		t.Fatalf("got %+v", c)
	}
}

func TestNoEvidenceIsUnknown(t *testing.T) {
	c := Classify(ClassifyInput{Network: "irc", Handle: "ann"})
	if c.Kind != KindUnknown || c.Source != SourceNone || len(c.Evidence) != 0 {
		t.Fatalf("got %+v", c)
	}
}

func TestFirstBrandEvidenceDecidesTheSource(t *testing.T) {
	c := Classify(ClassifyInput{Network: "email", Handle: "noreply@acme.example", List: testList(t),
		Headers: map[string]string{"List-Id": "<x>"}})
	if c.Source != SourceHeaders || len(c.Evidence) != 2 {
		t.Fatalf("got %+v", c)
	}
}
