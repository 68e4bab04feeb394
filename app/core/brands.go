package core

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"switchboard/app/policy"
	"switchboard/connectors"
	"switchboard/storage"
)

// brandPolicy joins app/policy's pure rules to the archive: contact
// evidence, consent state and the ledger.
type brandPolicy struct {
	c    *Core
	list *policy.List
	orgs brandOrgs // organisations of addresses the user marked as brands
}

// newBrandPolicy loads the bundled brand list and the user's own
// (PROFILE/brands.txt, created with a commented template if absent). Bad
// lines of the user's list are logged with their line numbers and skipped.
func newBrandPolicy(ctx context.Context, c *Core) (*brandPolicy, error) {
	bundled, err := policy.Bundled()
	if err != nil {
		return nil, err
	}
	userPath := filepath.Join(c.opt.ProfileDir, policy.UserListFile)
	f, err := os.Open(userPath)
	if errors.Is(err, os.ErrNotExist) {
		if werr := os.WriteFile(userPath, []byte(policy.UserListTemplate), 0o600); werr != nil {
			c.log.Warn("could not write the user brand list template", "err", werr)
		}
		return &brandPolicy{c: c, list: bundled}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open your brand list %s: %w", userPath, err)
	}
	defer f.Close()
	user, perr := policy.Parse(f, userPath)
	if perr != nil {
		c.log.Warn("your brand list has bad lines; they are ignored", "err", perr)
	}
	return &brandPolicy{c: c, list: policy.Merge(user, bundled)}, nil
}

func toPolicyKind(k storage.ContactKind) policy.Kind {
	switch k {
	case storage.ContactPerson:
		return policy.KindPerson
	case storage.ContactBrand, storage.ContactBot:
		return policy.KindBrand
	}
	return ""
}

func toConnKind(k storage.ContactKind) connectors.ContactKind {
	switch k {
	case storage.ContactPerson:
		return connectors.KindPerson
	case storage.ContactBrand:
		return connectors.KindBrand
	case storage.ContactBot:
		return connectors.KindBot
	}
	return connectors.KindUnknown
}

func fromConnKind(k connectors.ContactKind) storage.ContactKind {
	switch k {
	case connectors.KindPerson:
		return storage.ContactPerson
	case connectors.KindBrand:
		return storage.ContactBrand
	case connectors.KindBot:
		return storage.ContactBot
	}
	return storage.ContactUnknown
}

// classify decides who handle is, reading the stored contact.
func (p *brandPolicy) classify(ctx context.Context, account, network, handle string, headers map[string]string) (policy.Classification, storage.Contact, error) {
	ct, err := p.c.store.Contact(ctx, account, handle)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return policy.Classification{}, ct, fmt.Errorf("look up contact: %w", err)
	}
	org, err := p.orgs.lookup(ctx, p.c.store, account, handle)
	if err != nil {
		return policy.Classification{}, ct, fmt.Errorf("look up contact: %w", err)
	}
	cls := policy.Classify(policy.ClassifyInput{
		Network: network, Handle: handle,
		NetworkKind: toConnKind(ct.Kind), NetworkEvidence: ct.Evidence,
		Headers: headers, List: p.list, User: toPolicyKind(ct.UserKind),
		BrandOrg: org,
	})
	return cls, ct, nil
}

func (p *brandPolicy) consent(ctx context.Context, account, handle string) (policy.Consent, error) {
	sc, err := p.c.store.Consent(ctx, account, handle)
	if errors.Is(err, storage.ErrNotFound) {
		return policy.Consent{State: policy.StateNone}, nil
	}
	if err != nil {
		return policy.Consent{}, fmt.Errorf("read consent: %w", err)
	}
	return fromStoredConsent(sc), nil
}

func fromStoredConsent(sc storage.Consent) policy.Consent {
	pc := policy.Consent{State: policy.State(sc.State), Until: sc.Until, LastUserMsg: sc.LastUserMsg}
	if pc.State == "" {
		pc.State = policy.StateNone
	}
	for _, s := range sc.Scopes {
		pc.Scopes = append(pc.Scopes, policy.Scope(s))
	}
	return pc
}

func toStoredConsent(account, handle string, pc policy.Consent, now time.Time) storage.Consent {
	sc := storage.Consent{Account: account, Handle: handle, State: string(pc.State), Until: pc.Until, LastUserMsg: pc.LastUserMsg, Updated: now}
	for _, s := range pc.Scopes {
		sc.Scopes = append(sc.Scopes, string(s))
	}
	return sc
}

func scopeStrings(sc []policy.Scope) []string {
	var out []string
	for _, s := range sc {
		out = append(out, string(s))
	}
	return out
}

// filing is what the brand policy reads of a message beyond its stored
// form: only what the sender cannot forge decides.
type filing struct {
	headers map[string]string
	// joined: the conversation is a group the user entered by choice (an
	// IRC channel, a joined XMPP room), the one place the rule steps aside.
	joined bool
	// received is when the user's own server took the message in; zero
	// means now (inbound) or the message's own time (the user's messages).
	received time.Time
}

// file decides where an archived message goes. Every inbound message is
// judged by its sender, except in groups the user joined; a group the
// sender made up (an e-mail Cc list) is judged like a direct message.
// Consent windows are judged on the receive time, never the sender's
// clock. Anything that goes wrong holds the message: a held message is
// never lost, a delivered one cannot be taken back.
func (p *brandPolicy) file(ctx context.Context, in storage.MessageIn, f filing) (storage.Hold, string, error) {
	if in.Direction == storage.Out {
		at := f.received
		if at.IsZero() {
			at = in.Time
		}
		return storage.Delivered, "", p.userSent(ctx, in.Account, in.Network, in.ConvID, at, "")
	}
	if in.ConvGroup && f.joined {
		return storage.Delivered, "", nil
	}
	const failed = "Switchboard could not check this sender against your brand settings"
	cls, ct, err := p.classify(ctx, in.Account, in.Network, in.Sender, f.headers)
	if err != nil {
		return storage.HeldRequest, failed, err
	}
	if cls.Kind != policy.KindBrand {
		if held, reason, err := p.heldAsMarketing(ctx, in, cls); held {
			return storage.HeldRequest, reason, err
		}
		return storage.Delivered, "", nil
	}
	// Keep what made it a brand, so `brand list` and the Brands view show it.
	if ct.Kind != storage.ContactBrand && ct.Kind != storage.ContactBot {
		err := p.c.store.PutContact(ctx, storage.Contact{Account: in.Account, Handle: in.Sender, Name: firstNonEmpty(in.SenderName, ct.Name),
			Kind: storage.ContactBrand, UserKind: ct.UserKind, Evidence: cls.Evidence, Updated: p.c.now()})
		if err != nil {
			return storage.HeldRequest, failed, fmt.Errorf("record brand evidence: %w", err)
		}
	}
	cons, err := p.consent(ctx, in.Account, in.Sender)
	if err != nil {
		return storage.HeldRequest, "Switchboard could not read this brand's consent", err
	}
	received := f.received
	if received.IsZero() {
		received = p.c.now()
	}
	d := policy.Decide(policy.DecideInput{
		Brand: firstNonEmpty(in.SenderName, ct.Name, in.Sender), Kind: cls.Kind, Consent: cons,
		MessageTime: received, Now: p.c.now(), Window: p.c.repliesWindow(ctx),
	})
	if d.Expired {
		next := policy.Expire(cons)
		if err := p.change(ctx, in.Account, in.Network, in.Sender, cons, next, policy.HowExpiry, in.RemoteID, ""); err != nil {
			return storage.HeldRequest, d.Reason, err
		}
	}
	switch d.Verdict {
	case policy.HoldBlocked:
		return storage.HeldBlocked, d.Reason, nil
	case policy.HoldRequest:
		return storage.HeldRequest, d.Reason, nil
	}
	return storage.Delivered, "", nil
}

// userSent opens the replies window of a brand the user writes to.
func (p *brandPolicy) userSent(ctx context.Context, account, network, handle string, at time.Time, msgID string) error {
	cls, _, err := p.classify(ctx, account, network, handle, nil)
	if err != nil {
		return err
	}
	cur, err := p.consent(ctx, account, handle)
	if err != nil {
		return err
	}
	if at.Before(cur.LastUserMsg) {
		return nil // an older echo or backfill
	}
	next, changed := policy.OnUserSent(cur, at)
	// The time of the user's last message is kept for every contact, so a
	// contact recognised as a brand only later can still answer the user.
	// Only a brand's consent changes, and only that goes to the ledger.
	if cls.Kind != policy.KindBrand {
		next = cur
		next.LastUserMsg = at
		changed = false
	}
	if !changed {
		return p.c.store.PutConsent(ctx, toStoredConsent(account, handle, next, p.c.now()))
	}
	return p.change(ctx, account, network, handle, cur, next, policy.HowUserSent, msgID, "")
}

// change stores a consent and appends the ledger entry for it, in one
// archive transaction.
func (p *brandPolicy) change(ctx context.Context, account, network, handle string, old, next policy.Consent, how, msgID, result string) error {
	if _, err := p.c.store.ApplyConsent(ctx, p.consentChange(account, network, handle, old, next, how, msgID, result)); err != nil {
		return fmt.Errorf("save consent: %w", err)
	}
	p.c.bus.publish([]Update{{Kind: UpdBrands, Account: account}})
	return nil
}

// consentChange is the archive's part of a consent change: the new state
// and its ledger entry.
func (p *brandPolicy) consentChange(account, network, handle string, old, next policy.Consent, how, msgID, result string) storage.ConsentChange {
	now := p.c.now()
	return storage.ConsentChange{
		Consent: toStoredConsent(account, handle, next, now),
		Ledger: &storage.LedgerEntry{
			Time: now, Network: network, OldState: string(old.State), NewState: string(next.State),
			Scopes: scopeStrings(next.Scopes), Until: next.Until, How: how, MessageID: msgID, Result: result,
		},
	}
}

func (p *brandPolicy) contactUpdated(ctx context.Context, e connectors.ContactUpdated) error {
	if e.Contact.Was != "" && e.Contact.Was != e.Contact.Handle {
		if err := p.renamed(ctx, e.Account, e.Contact.Was, e.Contact.Handle); err != nil {
			return err
		}
	}
	old, err := p.c.store.Contact(ctx, e.Account, e.Contact.Handle)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	kind := fromConnKind(e.Contact.Kind)
	ev := e.Contact.Evidence
	if kind == storage.ContactUnknown && old.Kind != "" {
		kind, ev = old.Kind, old.Evidence // a name change keeps earlier evidence
	}
	return p.c.store.PutContact(ctx, storage.Contact{
		Account: e.Account, Handle: e.Contact.Handle, Name: firstNonEmpty(e.Contact.Name, old.Name),
		Kind: kind, UserKind: old.UserKind, Evidence: ev, Updated: p.c.now(),
	})
}

// renamed carries a brand's standing from its old handle to its new one
// (an IRC nick change): its kind, the user's word and its consent, so a
// brand cannot shed a block or a missing subscription by renaming. A
// person's rename carries nothing: the new name is judged as it is.
func (p *brandPolicy) renamed(ctx context.Context, account, was, now string) error {
	old, err := p.c.store.Contact(ctx, account, was)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("look up %s: %w", was, err)
	}
	brand := old.UserKind == storage.ContactBrand || (old.UserKind == "" && (old.Kind == storage.ContactBrand || old.Kind == storage.ContactBot))
	if !brand {
		return nil
	}
	cur, err := p.c.store.Contact(ctx, account, now)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("look up %s: %w", now, err)
	}
	if cur.UserKind == storage.ContactPerson {
		return nil // the user's word on the new name wins
	}
	ev := append(slices.Clone(old.Evidence), "renamed from "+was)
	if err := p.c.store.PutContact(ctx, storage.Contact{Account: account, Handle: now, Name: firstNonEmpty(cur.Name, now),
		Kind: old.Kind, UserKind: old.UserKind, Evidence: ev, Updated: p.c.now()}); err != nil {
		return fmt.Errorf("carry %s over to %s: %w", was, now, err)
	}
	carried, err := p.consent(ctx, account, was)
	if err != nil {
		return err
	}
	cur2, err := p.consent(ctx, account, now)
	if err != nil {
		return err
	}
	if carried.State == cur2.State && carried.Until.Equal(cur2.Until) && carried.LastUserMsg.Equal(cur2.LastUserMsg) {
		return nil
	}
	// A change of the new handle's consent, so it goes to the ledger too.
	return p.change(ctx, account, p.c.networkOf(account), now, cur2, carried, "renamed from "+was, "", "")
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func (c *Core) repliesWindow(ctx context.Context) time.Duration {
	v, _ := c.Pref(ctx, PrefRepliesWindow)
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return d
	}
	return policy.DefaultWindow
}

// Brands lists every contact classified as a brand (the user's word wins).
func (c *Core) Brands(ctx context.Context) ([]BrandStatus, error) {
	cts, err := c.store.Contacts(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("list contacts: %w", err)
	}
	held := map[[2]string]int{}
	for _, f := range []storage.Filter{storage.FilterRequests, storage.FilterBlocked} {
		convs, err := c.store.ListConversations(ctx, storage.ConvQuery{Filter: f})
		if err != nil {
			return nil, fmt.Errorf("list held conversations: %w", err)
		}
		for _, cv := range convs {
			held[[2]string{cv.Account, cv.RemoteID}] += cv.Held + cv.Blocked
		}
	}
	var out []BrandStatus
	for _, ct := range cts {
		a, err := c.store.Account(ctx, ct.Account)
		network := a.Network
		if err != nil {
			network = ""
		}
		cls, _, err := c.pol.classify(ctx, ct.Account, network, ct.Handle, nil)
		if err != nil {
			return nil, err
		}
		if cls.Kind != policy.KindBrand {
			continue
		}
		cons, err := c.pol.consent(ctx, ct.Account, ct.Handle)
		if err != nil {
			return nil, err
		}
		out = append(out, BrandStatus{
			Account: ct.Account, Network: network, Handle: ct.Handle, Name: ct.Name, Kind: string(cls.Kind),
			Evidence: cls.Evidence, Consent: string(cons.State), Scopes: scopeStrings(cons.Scopes), Until: cons.Until,
			Held: held[[2]string{ct.Account, ct.Handle}],
		})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Account != out[j].Account {
			return out[i].Account < out[j].Account
		}
		return out[i].Handle < out[j].Handle
	})
	return out, nil
}

// MarkContact records the user's word on who a contact is. Marking a
// person releases what was held from them; marking a brand holds what
// comes next (what is already in the inbox stays).
func (c *Core) MarkContact(ctx context.Context, account, handle string, kind storage.ContactKind, how string) error {
	if kind != storage.ContactPerson && kind != storage.ContactBrand {
		return fmt.Errorf("mark %s: say person or brand", handle)
	}
	if _, err := c.store.Account(ctx, account); err != nil {
		return fmt.Errorf("mark %s: account %q: %w", handle, account, err)
	}
	if _, err := c.store.Contact(ctx, account, handle); errors.Is(err, storage.ErrNotFound) {
		if err := c.store.PutContact(ctx, storage.Contact{Account: account, Handle: handle, Kind: storage.ContactUnknown, Updated: c.now()}); err != nil {
			return fmt.Errorf("mark %s: %w", handle, err)
		}
	}
	if err := c.store.SetUserKind(ctx, account, handle, kind); err != nil {
		return fmt.Errorf("mark %s: %w", handle, err)
	}
	if err := c.pol.orgs.mark(ctx, c.store, account, handle, kind == storage.ContactBrand); err != nil {
		return fmt.Errorf("mark %s: %w", handle, err)
	}
	if kind == storage.ContactPerson {
		if _, err := c.store.SetHold(ctx, account, handle, storage.HeldRequest, storage.Delivered); err != nil {
			return fmt.Errorf("release messages of %s: %w", handle, err)
		}
		if ar := c.running(account); ar != nil {
			ar.pokeFiles()
		}
	}
	c.bus.publish([]Update{{Kind: UpdBrands, Account: account}, {Kind: UpdConversation, Account: account}})
	return nil
}

// SetConsent changes a brand's consent, moves its held messages to match,
// acts on the network where the connector can (block), and appends the
// ledger.
func (c *Core) SetConsent(ctx context.Context, req ConsentRequest) error {
	a, err := c.store.Account(ctx, req.Account)
	if err != nil {
		return fmt.Errorf("consent: account %q: %w", req.Account, err)
	}
	if req.Handle == "" {
		return errors.New("consent: no contact given")
	}
	if len(req.Scopes) > 0 && req.How != policy.HowImport {
		return fmt.Errorf("consent for %s: %w", req.Handle, ErrScopesNotOffered)
	}
	next := policy.Consent{State: policy.State(req.State), Until: req.Until}
	for _, s := range req.Scopes {
		next.Scopes = append(next.Scopes, policy.Scope(s))
	}
	if err := next.Validate(c.now()); err != nil {
		return fmt.Errorf("consent for %s: %w", req.Handle, err)
	}
	cur, err := c.pol.consent(ctx, req.Account, req.Handle)
	if err != nil {
		return err
	}
	next.LastUserMsg = cur.LastUserMsg
	// Setting consent is the user saying "this is a brand".
	ct, err := c.store.Contact(ctx, req.Account, req.Handle)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("consent for %s: %w", req.Handle, err)
	}
	markBrand := err != nil || (ct.UserKind == "" && ct.Kind != storage.ContactBrand && ct.Kind != storage.ContactBot)
	// The network acts first; its outcome is recorded in the ledger entry.
	// Then the archive's part — the mark, the consent, the ledger entry and
	// the held messages refiled — is written in one transaction.
	result := c.networkBlock(ctx, req.Account, req.Handle, cur.State, next.State)
	ch := c.pol.consentChange(req.Account, a.Network, req.Handle, cur, next, req.How, req.MessageID, result)
	ch.MarkBrand, ch.Moves = markBrand, holdMoves(next.State)
	if _, err := c.store.ApplyConsent(ctx, ch); err != nil {
		return fmt.Errorf("consent for %s: %w", req.Handle, err)
	}
	if err := c.syncPeerBlocked(ctx, req.Account, req.Handle, next.State); err != nil {
		return err
	}
	if ar := c.running(req.Account); ar != nil && len(ch.Moves) > 0 {
		ar.pokeFiles() // accepted: now their attachments are fetched
	}
	c.bus.publish([]Update{{Kind: UpdBrands, Account: req.Account}, {Kind: UpdConversation, Account: req.Account}})
	return nil
}

// ErrScopesNotOffered: a subscription cannot be limited to updates, offers
// or service. No network labels a message with its kind, so Switchboard
// could not keep such a limit, and it offers none rather than pretend.
// Scopes of earlier grants stay in the ledger as they were recorded.
var ErrScopesNotOffered = errors.New("subscriptions cannot be limited to updates, offers or service: no network says which kind a message is, so Switchboard could not keep the limit; subscribe without scopes")

// holdMoves says how a brand's held messages are refiled by its new consent.
func holdMoves(st policy.State) []storage.HoldMove {
	switch st {
	case policy.StateBlocked:
		return []storage.HoldMove{{From: storage.HeldRequest, To: storage.HeldBlocked}}
	case policy.StateSubscribed, policy.StateReplies:
		return []storage.HoldMove{{From: storage.HeldRequest, To: storage.Delivered}, {From: storage.HeldBlocked, To: storage.Delivered}}
	case policy.StateNone:
		return []storage.HoldMove{{From: storage.HeldBlocked, To: storage.HeldRequest}}
	}
	return nil
}

// networkBlock blocks or unblocks on the network when the consent enters
// or leaves "blocked" and the connector can; the outcome goes to the ledger.
func (c *Core) networkBlock(ctx context.Context, account, handle string, from, to policy.State) string {
	if (from == policy.StateBlocked) == (to == policy.StateBlocked) {
		return ""
	}
	ar := c.running(account)
	if ar == nil {
		return "not connected: blocked in Switchboard only"
	}
	conn, st := ar.snapshot()
	b, ok := conn.(connectors.Blocker)
	if !ok {
		return "this network cannot block: blocked in Switchboard only"
	}
	block := to == policy.StateBlocked
	err := b.Block(ctx, handle, block)
	switch {
	case errors.Is(err, connectors.ErrNotConnected):
		return "not connected: blocked in Switchboard only"
	case err != nil:
		return "network refused: " + err.Error()
	case st.State != connectors.StateOnline:
		// The connector keeps it and applies it when it connects (IRC).
		if block {
			return "to be blocked on the network when connected"
		}
		return "to be unblocked on the network when connected"
	case block:
		return "blocked on the network"
	}
	return "unblocked on the network"
}

// Ledger returns consent ledger entries, oldest first.
func (c *Core) Ledger(ctx context.Context, account, brand string) ([]storage.LedgerEntry, error) {
	out, err := c.store.Ledger(ctx, account, brand)
	if err != nil {
		return nil, fmt.Errorf("read consent ledger: %w", err)
	}
	return out, nil
}

// LedgerRecords converts ledger entries for policy's CSV/JSON writers.
func LedgerRecords(es []storage.LedgerEntry) []policy.LedgerRecord {
	out := make([]policy.LedgerRecord, 0, len(es))
	for _, e := range es {
		out = append(out, policy.LedgerRecord{
			Seq: e.Seq, Time: e.Time, Account: e.Account, Network: e.Network, Brand: e.Brand,
			OldState: e.OldState, NewState: e.NewState, Scopes: slices.Clone(e.Scopes), Until: e.Until,
			How: e.How, MessageID: e.MessageID, Result: e.Result,
		})
	}
	return out
}

// PurgeBlocked deletes messages held from blocked brands.
func (c *Core) PurgeBlocked(ctx context.Context, account string) (int, error) {
	n, err := c.store.PurgeBlocked(ctx, account)
	if err != nil {
		return n, fmt.Errorf("purge blocked: %w", err)
	}
	c.bus.publish([]Update{{Kind: UpdConversation, Account: account}})
	return n, nil
}

// UnsubscribePlan says where Unsubscribe would send the request, in the
// connector's words ("a mail from you to unsub@acme.example"), for the
// user to confirm; a network that cannot say gets a plain description.
func (c *Core) UnsubscribePlan(ctx context.Context, account, handle string) (string, error) {
	ar := c.running(account)
	if ar == nil {
		return "", fmt.Errorf("unsubscribe: account %q is not connected (start `switchboard run` or the app)", account)
	}
	conn, _ := ar.snapshot()
	if _, ok := conn.(connectors.Unsubscriber); !ok {
		return "", fmt.Errorf("unsubscribe: this network cannot unsubscribe; set consent to blocked instead")
	}
	p, ok := conn.(connectors.UnsubscribePlanner)
	if !ok {
		return "a request the way the sender offers it", nil
	}
	plan, err := p.UnsubscribePlan(ctx, handle)
	if err != nil {
		return "", fmt.Errorf("unsubscribe %s: %w", handle, err)
	}
	return plan, nil
}

// Unsubscribe asks the network to stop a sender (e-mail RFC 8058 one-click
// or RFC 2369 mailto) and records the revocation with its outcome: the
// brand's consent becomes none (a blocked brand stays blocked).
func (c *Core) Unsubscribe(ctx context.Context, account, handle, how string) (string, error) {
	a, err := c.store.Account(ctx, account)
	if err != nil {
		return "", fmt.Errorf("unsubscribe: account %q: %w", account, err)
	}
	ar := c.running(account)
	if ar == nil {
		return "", fmt.Errorf("unsubscribe: account %q is not connected (start `switchboard run` or the app)", account)
	}
	conn, _ := ar.snapshot()
	u, ok := conn.(connectors.Unsubscriber)
	if !ok {
		return "", fmt.Errorf("unsubscribe: %s accounts cannot unsubscribe on the network; set consent to blocked instead", a.Network)
	}
	result, err := u.Unsubscribe(ctx, handle)
	if err != nil {
		return "", fmt.Errorf("unsubscribe %s: %w", handle, err)
	}
	cur, err := c.pol.consent(ctx, account, handle)
	if err != nil {
		return result, err
	}
	next := policy.Consent{State: policy.StateNone, LastUserMsg: cur.LastUserMsg}
	if cur.State == policy.StateBlocked {
		next = cur // unsubscribing at the sender never lifts the user's block
	}
	if err := c.pol.change(ctx, account, a.Network, handle, cur, next, how, "", result); err != nil {
		return result, err
	}
	c.noteUnsubscribe(ctx, account, a.Network, handle, result)
	return result, nil
}

// noteUnsubscribe shows the request in the sender's conversation: what
// was sent on the user's behalf, and where, is never hidden from them.
func (c *Core) noteUnsubscribe(ctx context.Context, account, network, handle, result string) {
	now := c.now()
	in := storage.MessageIn{
		Account: account, Network: network, ConvID: handle,
		RemoteID: fmt.Sprintf("unsubscribe:%s:%d", handle, now.UnixNano()),
		Time:     now.UTC(), Direction: storage.Out, Notice: true, Seen: true,
		Text: "Unsubscribe request sent on your behalf: " + result,
	}
	res, err := c.store.PutMessages(ctx, []storage.MessageIn{in})
	if err != nil || len(res) != 1 {
		c.log.Error("show the unsubscribe request", "account", account, "err", err)
		return
	}
	m := storedMessage(in, res[0])
	c.bus.publish([]Update{{Kind: UpdMessage, Account: account, ConvRow: res[0].ConvRow, Message: &m}})
}
