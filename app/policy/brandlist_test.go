package policy

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

func TestBrandListParserKeepsGoodLinesAndNamesBadOnes(t *testing.T) {
	f, err := os.Open("testdata/brands-with-mistakes.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l, err := Parse(f, "brands.txt")
	var got []string
	for _, e := range l.Entries() {
		got = append(got, e.String())
	}
	want := []string{"domain:acme.example", "handle:irc:AcmeDeals", "domain:shop.example", "handle:*:@news:matrix.example", "local:offers#not-a-comment"}
	if !slices.Equal(got, want) {
		t.Errorf("entries %q, want %q", got, want)
	}
	if err == nil {
		t.Fatal("no error for a list with bad lines")
	}
	wantErrs := map[int]string{
		3:  `"domian:typo.example": unknown kind "domian" (want domain, local or handle)`,
		4:  `"domain:localhost": a domain needs at least one dot`,
		5:  `"handle:irc": write handle:NETWORK:HANDLE`,
		7:  `"local:": a local part is the text before '@'`,
		8:  `"local:news@acme.example": a local part`,
		9:  `"domain:-bad-.example": each part between dots`,
		10: `"domain:sp ace.example": an entry is one word with no spaces`,
		11: `"handle:i r c:bot": an entry is one word`,
		13: `"no-colon-here": missing kind`,
		15: `"domain:under_score.example": "_" is not allowed in a domain`,
		16: `"handle:irc!:bot": write handle:NETWORK:HANDLE`,
		18: `"domain:.": the domain is empty`,
	}
	lineErrs := err.(interface{ Unwrap() []error }).Unwrap()
	if len(lineErrs) != len(wantErrs) {
		t.Errorf("%d errors, want %d:\n%v", len(lineErrs), len(wantErrs), err)
	}
	for _, e := range lineErrs {
		var le *LineError
		if !errors.As(e, &le) {
			t.Fatalf("error %v is not a *LineError", e)
		}
		want, ok := wantErrs[le.Line]
		if !ok || le.Origin != "brands.txt" || !strings.Contains(le.Error(), want) {
			t.Errorf("line %d: %q, want it to contain %q", le.Line, le.Error(), want)
		}
		if !strings.HasPrefix(le.Error(), "brands.txt line ") {
			t.Errorf("error does not start with the file and line: %q", le.Error())
		}
	}
}

func TestBrandListEntryRemembersWhereItCameFrom(t *testing.T) {
	l, err := Parse(strings.NewReader("\n# c\n\thandle:Slack:U123ABC\r\n"), "mine")
	if err != nil {
		t.Fatal(err)
	}
	e, ok := l.Match("slack", "u123abc")
	if !ok || e.Origin != "mine" || e.Line != 3 || e.Network != "slack" || e.Value != "U123ABC" {
		t.Fatalf("got %+v %v", e, ok)
	}
}

func TestBrandListMostSpecificDomainWins(t *testing.T) {
	l, _ := Parse(strings.NewReader("domain:acme.example\ndomain:mail.acme.example\n"), "t")
	if e, _ := l.Match("email", "x@eu.mail.acme.example"); e.Value != "mail.acme.example" {
		t.Fatalf("matched %v", e)
	}
}

func TestBrandListRejectsBinaryAndHugeInput(t *testing.T) {
	if _, err := Parse(strings.NewReader("domain:ok.example\n\xff\xfe\n"), "t"); err == nil || !strings.Contains(err.Error(), "t line 2: not valid UTF-8") {
		t.Errorf("binary line: %v", err)
	}
	long := "domain:" + strings.Repeat("a", 300) + ".example"
	if _, err := Parse(strings.NewReader(long), "t"); err == nil || !strings.Contains(err.Error(), "longer than 253") || !strings.Contains(err.Error(), "…") {
		t.Errorf("long domain: %v", err)
	}
	if _, err := Parse(strings.NewReader("domain:"+strings.Repeat("a", 64)+".example"), "t"); err == nil {
		t.Error("64-character label accepted")
	}
	l, err := Parse(bytes.NewReader(bytes.Repeat([]byte("#"), maxListSize+1)), "big")
	if err == nil || l.Len() != 0 || !strings.Contains(err.Error(), "larger than 4 MiB") {
		t.Errorf("huge list: len %d, %v", l.Len(), err)
	}
	if _, err := Parse(iotest.ErrReader(errors.New("disk on fire")), "t"); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("read error: %v", err)
	}
}

func TestMergeKeepsTheUsersEntryFirst(t *testing.T) {
	user, _ := Parse(strings.NewReader("domain:acme.example\nlocal:offers\n"), "brands.txt")
	bundled, _ := Parse(strings.NewReader("local:noreply\ndomain:acme.example\n"), BundledOrigin)
	m := Merge(user, nil, bundled)
	if m.Len() != 4 {
		t.Fatalf("merged %d entries, want 4", m.Len())
	}
	if e, _ := m.Match("email", "a@acme.example"); e.Origin != "brands.txt" {
		t.Errorf("duplicate entry from %q, want the user's", e.Origin)
	}
	if _, ok := m.Match("email", "noreply@x.example"); !ok {
		t.Error("bundled entry lost in merge")
	}
}

func TestNilListMatchesNothing(t *testing.T) {
	var l *List
	if _, ok := l.Match("irc", "x"); ok || l.Len() != 0 || l.Entries() != nil {
		t.Fatal("nil list is not empty")
	}
	if _, ok := (&List{}).Match("irc", "AcmeDeals"); ok {
		t.Fatal("zero list matched")
	}
	if _, ok := testList(t).Match("irc", ""); ok {
		t.Fatal("empty handle matched")
	}
}

func TestBundledListParsesAndCoversNoReplySenders(t *testing.T) {
	l, err := Bundled()
	if err != nil {
		t.Fatalf("bundled list has bad lines: %v", err)
	}
	for _, h := range []string{"noreply@shop.example", "no-reply@accounts.example", "bounce@sendgrid.net", "x@em.mcsv.net", "notification@facebookmail.com"} {
		if e, ok := l.Match("email", h); !ok || e.Origin != BundledOrigin {
			t.Errorf("%s not matched by the bundled list", h)
		}
	}
	for _, h := range []string{"ann@example.org", "bob", "support@example.com"} {
		if e, ok := l.Match("email", h); ok {
			t.Errorf("%s matched %v", h, e)
		}
	}
	if _, err := Parse(strings.NewReader(UserListTemplate), UserListFile); err != nil {
		t.Errorf("user list template does not parse: %v", err)
	}
}

func TestBundledListIsTheCopyShippedInAssets(t *testing.T) {
	assets, err := os.ReadFile("../../assets/brands.txt")
	if err != nil {
		t.Fatalf("read assets/brands.txt: %v", err)
	}
	if string(assets) != bundledList {
		t.Fatal("app/policy/brands.txt differs from assets/brands.txt: run `go generate ./app/policy`")
	}
}

func FuzzParseBrandList(f *testing.F) {
	seed, _ := os.ReadFile("testdata/brands-with-mistakes.txt")
	f.Add(string(seed), "email", "noreply@acme.example")
	f.Add(bundledList, "irc", "AcmeDeals")
	f.Add("handle:*:@x:y\ndomain:a.b", "matrix", "@x:y")
	f.Fuzz(func(t *testing.T, list, network, handle string) {
		l, err := Parse(strings.NewReader(list), "fuzz")
		if l == nil {
			t.Fatal("Parse returned a nil list")
		}
		if err != nil && err.Error() == "" {
			t.Fatal("empty error text")
		}
		for _, e := range l.Entries() {
			// Every entry must round-trip through its own syntax.
			again, err := Parse(strings.NewReader(e.String()), "again")
			if err != nil || again.Len() != 1 || again.Entries()[0].String() != e.String() {
				t.Fatalf("entry %q does not round-trip: %v", e.String(), err)
			}
		}
		l.Match(network, handle)
	})
}
