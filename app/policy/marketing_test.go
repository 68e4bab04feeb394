package policy

import (
	"strings"
	"testing"
)

func TestMarketingTextIsRecognised(t *testing.T) {
	for _, text := range []string{
		"Special offer, 50% off, reply STOP to unsubscribe",
		"SAVE 20% on everything this weekend! Shop now: https://shop.example/sale?utm_source=irc",
		"Exclusive deal for you — use promo code WINTER. Text STOP to opt out",
		"Ｓｐｅｃｉａｌ ｏｆｆｅｒ: 30% off. Reply ＳＴＯＰ to end", // full-width look-alikes
		"Limited time! 40 % off at https://bit.ly/x1 — today only",
		"Free shipping on all orders. To unsubscribe visit https://acme.example/u",
		"special\u200b offer 10% off, reply stop",
	} {
		m := Looks(text)
		if !m.Likely {
			t.Errorf("%q not recognised as marketing (signs %v)", text, m.Signs)
		}
		if !strings.Contains(m.Reason(), "looks like marketing") {
			t.Errorf("%q: reason %q", text, m.Reason())
		}
	}
}

// What a person writes stays a person's message, even with one marketing word in it.
func TestOrdinaryMessagesAreNotMarketing(t *testing.T) {
	for _, text := range []string{
		"is the invoice ready?",
		"Please unsubscribe me from your newsletter, I keep getting it",
		"can you send me the quote with the 10% off we agreed?",
		"Stop by the office at 3, we need to talk about the offer",
		"here is the agenda https://example.org/agenda",
		"the deal is off, sorry",
		"",
	} {
		if m := Looks(text); m.Likely {
			t.Errorf("%q held as marketing (signs %v)", text, m.Signs)
		}
	}
}

func FuzzLooks(f *testing.F) {
	f.Add("Special offer, 50% off, reply STOP to unsubscribe")
	f.Add("https://bit.ly/%zz?utm_source=")
	f.Fuzz(func(t *testing.T, s string) {
		m := Looks(s)
		if m.Likely != (len(m.Signs) >= 2) {
			t.Fatalf("Likely %v with signs %v", m.Likely, m.Signs)
		}
	})
}
