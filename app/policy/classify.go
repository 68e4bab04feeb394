package policy

import (
	"fmt"
	"net/textproto"
	"strings"

	"switchboard/connectors"
)

// Kind is who a contact is for the opt-in rule. The values match
// storage.ContactKind's strings.
type Kind string

const (
	KindUnknown Kind = "unknown"
	KindPerson  Kind = "person"
	KindBrand   Kind = "brand"
	// KindBot is how storage records a network's bot flag. Classify never
	// returns it (a bot is classified as a brand), but Decide treats it as a
	// brand too, so passing a stored kind straight through cannot let a bot
	// past the opt-in rule.
	KindBot Kind = "bot"
)

// Source names what decided a Classification.
type Source string

const (
	SourceNone    Source = ""        // no evidence at all: Kind is unknown
	SourceUser    Source = "user"    // the user's word
	SourceNetwork Source = "network" // the connector's flag (bot, business account)
	SourceHeaders Source = "headers" // message headers (List-Unsubscribe…)
	SourceList    Source = "list"    // a brand list entry
	SourceOrg     Source = "org"     // an address of an organisation whose other address the user marked as a brand
)

// ClassifyInput is everything known about a contact.
type ClassifyInput struct {
	Network string // registry name: "irc", "email"
	Handle  string // network handle: "AcmeDeals", "news@acme.example"
	// NetworkKind and NetworkEvidence are the connector's word
	// (connectors.Contact.Kind / .Evidence). KindBot counts as a brand.
	NetworkKind     connectors.ContactKind
	NetworkEvidence []string
	// Headers of a message from the contact (connectors.Message.Headers);
	// header names are matched case-insensitively.
	Headers map[string]string
	List    *List // merged brand list; nil for none
	// User is the user's word: KindPerson, KindBrand, or "" (or
	// KindUnknown) when the user has not said.
	User Kind
	// BrandOrg is the organisation domain ("acme.example") when the user
	// marked another address there as a brand (see OrgDomain); "" if not.
	BrandOrg string
}

// Classification is the verdict with the evidence for it, in plain words.
type Classification struct {
	Kind     Kind
	Evidence []string // every piece of evidence found, the deciding one first
	Source   Source
}

// Classify decides whether a contact is a person, a brand or unknown.
//
// The user's word always wins. Otherwise any brand evidence (a brand or bot
// flag from the network, bulk-mail headers, a brand list entry) makes a
// brand, even when the network calls the account a person: businesses use
// ordinary accounts, and a held message is never lost. A network's
// "person" with no brand evidence makes a person; no evidence, unknown.
func Classify(in ClassifyInput) Classification {
	var c Classification
	c.Evidence = append(c.Evidence, in.NetworkEvidence...)
	brand := SourceNone
	note := func(src Source, ev string) {
		c.Evidence = append(c.Evidence, ev)
		if brand == SourceNone {
			brand = src
		}
	}
	switch in.NetworkKind {
	case connectors.KindBrand:
		note(SourceNetwork, "network marks as brand")
	case connectors.KindBot:
		note(SourceNetwork, "network marks as bot (bots count as brands for opt-in)")
	}
	for _, ev := range headerEvidence(in.Headers) {
		note(SourceHeaders, ev)
	}
	if e, ok := in.List.Match(in.Network, in.Handle); ok {
		note(SourceList, fmt.Sprintf("listed in brand list (%s, line %d): %s", e.Origin, e.Line, e))
	}
	if in.BrandOrg != "" {
		note(SourceOrg, fmt.Sprintf("another address at %s was marked as a brand by you", in.BrandOrg))
	}

	switch {
	case in.User == KindPerson || in.User == KindBrand:
		c.Kind, c.Source = in.User, SourceUser
		c.Evidence = append([]string{"user marked as " + string(in.User)}, c.Evidence...)
	case brand != SourceNone:
		c.Kind, c.Source = KindBrand, brand
	case in.NetworkKind == connectors.KindPerson:
		c.Kind, c.Source = KindPerson, SourceNetwork
		if len(in.NetworkEvidence) == 0 {
			c.Evidence = append(c.Evidence, "network marks as person")
		}
	default:
		c.Kind, c.Source = KindUnknown, SourceNone
	}
	return c
}

// headerEvidence lists the bulk/automated-mail headers present. Only fixed
// texts go into evidence, never a header's value, except for the known
// Precedence values.
func headerEvidence(h map[string]string) []string {
	var present [5]string // List-Unsubscribe, List-Unsubscribe-Post, List-Id, Precedence, Auto-Submitted
	names := [...]string{"List-Unsubscribe", "List-Unsubscribe-Post", "List-Id", "Precedence", "Auto-Submitted"}
	for k, v := range h {
		k = textproto.CanonicalMIMEHeaderKey(k)
		for i, n := range names {
			if k == n && present[i] == "" {
				present[i] = strings.ToLower(strings.TrimSpace(v))
			}
		}
	}
	var ev []string
	for i, n := range names[:3] {
		if present[i] != "" {
			ev = append(ev, "e-mail header "+n)
		}
	}
	if v := present[3]; v == "bulk" || v == "list" || v == "junk" {
		ev = append(ev, "e-mail header Precedence: "+v)
	}
	// RFC 3834: "auto-replied" is a person's vacation responder, not a brand.
	if strings.HasPrefix(present[4], "auto-generated") {
		ev = append(ev, "e-mail header Auto-Submitted: auto-generated")
	}
	return ev
}
