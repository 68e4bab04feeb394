package policy

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// State is a brand's consent state. The values match storage.Consent.State.
type State string

const (
	StateNone       State = "none"       // default: the brand may only answer inside the replies window
	StateReplies    State = "replies"    // the user started a conversation: the brand may answer inside the window
	StateSubscribed State = "subscribed" // the brand may start conversations (within Scopes, until Until)
	StateBlocked    State = "blocked"    // everything from the brand goes to Blocked
)

// Scope is a kind of message a subscription allows.
type Scope string

const (
	ScopeUpdates Scope = "updates"
	ScopeOffers  Scope = "offers"
	ScopeService Scope = "service"
)

// AllScopes returns every scope in canonical order.
func AllScopes() []Scope { return []Scope{ScopeUpdates, ScopeOffers, ScopeService} }

// DefaultWindow is how long after the user's last message a brand may answer.
const DefaultWindow = 24 * time.Hour

// How values for ledger entries (storage.LedgerEntry.How).
const (
	HowGUI      = "gui"
	HowCLI      = "cli"
	HowExpiry   = "automatic expiry"
	HowUserSent = "user sent first"
	HowImport   = "import"
)

// Consent is one brand's consent on one account (mirrors storage.Consent).
type Consent struct {
	State  State
	Scopes []Scope   // subscribed only; empty means every scope
	Until  time.Time // subscribed only; zero means no expiry; the last instant allowed
	// LastUserMsg is when the user last wrote to the brand; it opens the
	// replies window. Zero: the user never wrote.
	LastUserMsg time.Time
}

// Expired reports whether a subscription's Until has passed at now.
func (c Consent) Expired(now time.Time) bool {
	return c.State == StateSubscribed && !c.Until.IsZero() && now.After(c.Until)
}

// Validate checks a consent the user is about to set (CLI/GUI) and says
// in plain words what is wrong.
func (c Consent) Validate(now time.Time) error {
	switch c.State {
	case StateNone, StateReplies, StateSubscribed, StateBlocked:
	default:
		return fmt.Errorf("unknown consent state %q (want none, replies, subscribed or blocked)", c.State)
	}
	for _, s := range c.Scopes {
		if !slices.Contains(AllScopes(), s) {
			return fmt.Errorf("unknown scope %q (want updates, offers or service)", s)
		}
	}
	if c.State != StateSubscribed && (len(c.Scopes) > 0 || !c.Until.IsZero()) {
		return errors.New("scopes and an end date apply only to subscribed")
	}
	if !c.Until.IsZero() && !c.Until.After(now) {
		return fmt.Errorf("the end date %s is already past", c.Until.In(now.Location()).Format(time.DateOnly))
	}
	return nil
}

// Expire is the consent after a subscription's automatic expiry: none,
// with no scopes or end date. The replies window (LastUserMsg) is kept.
// The core writes a ledger entry subscribed → none with How = HowExpiry.
func Expire(c Consent) Consent {
	return Consent{State: StateNone, LastUserMsg: c.LastUserMsg}
}

// OnUserSent is the consent after the user sends a message to a brand at
// now. LastUserMsg always moves to now, opening the replies window. The
// state changes only from none (or an unset/unknown state) to replies, and
// then ledgerChange is true: the core appends a ledger entry with How =
// HowUserSent. A subscription is kept as it is. A blocked brand stays
// blocked: writing to it does not silently unblock it, so its answers keep
// going to Blocked until the user changes the consent (the UI should say so).
func OnUserSent(current Consent, now time.Time) (next Consent, ledgerChange bool) {
	next = current
	next.Scopes = slices.Clone(current.Scopes)
	next.LastUserMsg = now
	switch current.State {
	case StateReplies, StateSubscribed, StateBlocked:
		return next, false
	}
	next.State, next.Scopes, next.Until = StateReplies, nil, time.Time{}
	return next, true
}
