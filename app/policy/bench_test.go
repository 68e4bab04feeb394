package policy

import (
	"strings"
	"testing"

	"switchboard/connectors"
)

// BenchmarkClassifyWithBundledList is the per-message classification cost
// on the hot event path.
func BenchmarkClassifyWithBundledList(b *testing.B) {
	l, err := Bundled()
	if err != nil {
		b.Fatal(err)
	}
	in := ClassifyInput{Network: "email", Handle: "deals@news.shop.example.org", List: l,
		NetworkKind: connectors.KindUnknown, Headers: map[string]string{"From": "x", "Subject": "y", "List-Id": "<z>"}}
	b.ReportAllocs()
	for b.Loop() {
		Classify(in)
	}
}

func BenchmarkDecide(b *testing.B) {
	in := DecideInput{Brand: "AcmeDeals", Kind: KindBrand, Now: now,
		Consent: Consent{State: StateReplies, LastUserMsg: hoursAgo(30)}}
	b.ReportAllocs()
	for b.Loop() {
		Decide(in)
	}
}

func BenchmarkParseTenThousandEntryList(b *testing.B) {
	var sb strings.Builder
	for i := range 10000 {
		sb.WriteString("domain:shop")
		sb.WriteString(strings.Repeat("x", i%7))
		sb.WriteString(".example\n")
	}
	text := sb.String()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(strings.NewReader(text), "big"); err != nil {
			b.Fatal(err)
		}
	}
}
