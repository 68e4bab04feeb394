package policy

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Verdict is where an inbound message goes. The order matches storage.Hold.
type Verdict int

const (
	Deliver     Verdict = iota // into the inbox, notified
	HoldRequest                // held in Requests: stored, never notified
	HoldBlocked                // from a blocked brand: kept in Blocked
)

func (v Verdict) String() string {
	switch v {
	case HoldRequest:
		return "held as request"
	case HoldBlocked:
		return "held as blocked"
	}
	return "delivered"
}

// DecideInput is what Decide needs about one inbound message.
type DecideInput struct {
	Brand   string // name shown in the reason: display name, else handle
	Kind    Kind   // from Classify
	Consent Consent
	// MessageTime is when the message was sent. Zero, or later than Now,
	// counts as Now, so a future-dated message cannot stretch a window.
	MessageTime time.Time
	Now         time.Time
	Window      time.Duration // the replies window; 0 or less: DefaultWindow
	Scope       Scope         // the message's scope when the network says; "" unknown
}

// Decision is Decide's answer.
type Decision struct {
	Verdict Verdict
	Reason  string // plain words for Requests, Blocked and "why is this here"
	// Expired: the subscription's Until has passed at Now. The core should
	// store Expire(consent) and append a ledger entry with How = HowExpiry.
	// It is reported whatever the verdict (an older message can still fall
	// inside the subscription).
	Expired bool
}

// Decide files one inbound message from a contact.
//
//   - Persons and unknown contacts are delivered; brands and bots are judged.
//   - A blocked brand's messages are held as blocked.
//   - A subscribed brand's messages are delivered while the subscription
//     lasts (MessageTime not after Until) and when the message's scope, if
//     known, is one the subscription covers (no scopes listed: all).
//   - Otherwise a brand's message is delivered only as an answer in the
//     replies window: not later than Window after the user's last message
//     (Consent.LastUserMsg). This holds for states none and replies alike,
//     so an answer the user asked for is never held because a state change
//     was missed; earlier messages of a conversation the user has since
//     written in also count as inside. Everything else is held as a request.
func Decide(in DecideInput) Decision {
	now := in.Now
	at := in.MessageTime
	if at.IsZero() || at.After(now) {
		at = now
	}
	window := in.Window
	if window <= 0 {
		window = DefaultWindow
	}
	c := in.Consent
	name := label(in.Brand)
	d := Decision{Expired: c.Expired(now)}

	if in.Kind != KindBrand && in.Kind != KindBot {
		return d.with(Deliver, name+" is not a brand")
	}
	if c.State == StateBlocked {
		return d.with(HoldBlocked, name+" is blocked")
	}
	why := ""
	if c.State == StateSubscribed {
		why = subscriptionHold(c, at, in.Scope, name, now.Location())
		if why == "" {
			return d.with(Deliver, "You are subscribed to "+name)
		}
	}
	if !c.LastUserMsg.IsZero() && !at.After(c.LastUserMsg.Add(window)) {
		return d.with(Deliver, fmt.Sprintf("%s answered within %s of your last message", name, span(window)))
	}
	switch {
	case why != "":
	case c.LastUserMsg.IsZero():
		why = name + " started a conversation; you have not subscribed"
	default:
		why = fmt.Sprintf("%s answered %s after your last message; replies are allowed for %s",
			name, span(at.Sub(c.LastUserMsg)), span(window))
	}
	return d.with(HoldRequest, why)
}

func (d Decision) with(v Verdict, reason string) Decision {
	d.Verdict, d.Reason = v, reason
	return d
}

// subscriptionHold says why a subscription does not cover a message sent
// at at with scope s; "" when it does.
func subscriptionHold(c Consent, at time.Time, s Scope, name string, loc *time.Location) string {
	if !c.Until.IsZero() && at.After(c.Until) {
		return fmt.Sprintf("Your subscription to %s expired on %s", name, c.Until.In(loc).Format(time.DateOnly))
	}
	if s != "" && len(c.Scopes) > 0 && !slices.Contains(c.Scopes, s) {
		return fmt.Sprintf("%s sent %s; your subscription covers %s", name, s, listScopes(c.Scopes))
	}
	return ""
}

// listScopes renders "updates", "updates and offers", "updates, offers and service".
func listScopes(scopes []Scope) string {
	words := make([]string, len(scopes))
	for i, s := range scopes {
		words[i] = string(s)
	}
	if len(words) == 1 {
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// span renders a duration the way a person says it: "24 hours", "3 days",
// "40 minutes". Whole days from two days up, whole hours from two hours up.
func span(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return plural(int(d/(24*time.Hour)), "day")
	case d >= 2*time.Hour:
		return plural(int(d/time.Hour), "hour")
	case d >= 2*time.Minute:
		return plural(int(d/time.Minute), "minute")
	case d >= time.Minute:
		return "1 minute"
	}
	return "moments"
}

func plural(n int, unit string) string {
	return fmt.Sprintf("%d %ss", n, unit)
}

// label makes a network-supplied name safe for a one-line reason: no
// control or formatting characters, white space collapsed, at most 64
// characters.
func label(s string) string {
	const max = 64
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.In(r, unicode.Cf) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "…"
	}
	if s == "" {
		return "This sender"
	}
	return s
}
