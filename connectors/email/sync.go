package email

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"switchboard/connectors"
)

// sentNames are tried, in order, when no mailbox carries the \Sent
// special-use attribute.
var sentNames = []string{"Sent", "Sent Items", "Sent Messages", "INBOX.Sent", "INBOX/Sent"}

// findSent returns the Sent folder: the \Sent special-use mailbox, else a
// conventionally named one, else a newly created "Sent".
func findSent(c *imapclient.Client) (string, error) {
	opts := &imap.ListOptions{}
	if c.Caps().Has(imap.CapSpecialUse) {
		opts.ReturnSpecialUse = true
	}
	list, err := c.List("", "*", opts).Collect()
	if err != nil {
		return "", fmt.Errorf("email: LIST: %w", err)
	}
	names := map[string]bool{}
	for _, mb := range list {
		if slices.Contains(mb.Attrs, imap.MailboxAttrSent) {
			return mb.Mailbox, nil
		}
		names[strings.ToLower(mb.Mailbox)] = true
	}
	for _, n := range sentNames {
		for _, mb := range list {
			if strings.EqualFold(mb.Mailbox, n) {
				return mb.Mailbox, nil
			}
		}
	}
	if err := c.Create("Sent", nil).Wait(); err != nil && !names["sent"] {
		return "", fmt.Errorf("email: create Sent folder: %w", err)
	}
	return "Sent", nil
}

// ensureSelected opens folder read-only (EXAMINE: syncing never changes
// flags) unless it is already open. A changed UIDVALIDITY drops what was
// known of the folder.
func (s *session) ensureSelected(ctx context.Context, c *imapclient.Client, folder string) error {
	if s.selected == folder {
		return nil
	}
	sel, err := s.examine(c, folder)
	if err != nil {
		return err
	}
	if st, ok := s.conn.folderState(s.cfg, folder); ok && st.uidValidity != sel.UIDValidity {
		return s.syncWindow(ctx, c, folder, sel, st.newest)
	}
	return nil
}

// examine opens a folder read-only and remembers it as selected (the
// client's own Mailbox() is updated only after Wait returns).
func (s *session) examine(c *imapclient.Client, folder string) (*imap.SelectData, error) {
	s.selected = ""
	sel, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return nil, fmt.Errorf("email: select %s: %w", folder, err)
	}
	s.selected, s.selValidity = folder, sel.UIDValidity
	return sel, nil
}

// syncFolder brings a folder up to date at the start of a Run: only new
// UIDs when the folder is known with the same UIDVALIDITY (from an earlier
// Run, or from the stored sync position of an earlier process), else the
// newest sync_depth mails.
func (s *session) syncFolder(ctx context.Context, c *imapclient.Client, folder string) error {
	sel, err := s.examine(c, folder)
	if err != nil {
		return err
	}
	st, ok := s.conn.folderState(s.cfg, folder)
	if ok && st.uidValidity == sel.UIDValidity {
		return s.fetchNew(ctx, c, folder)
	}
	return s.syncWindow(ctx, c, folder, sel, st.newest)
}

// catchUpMargin is how far before the newest known mail a resync after a
// UIDVALIDITY change looks (SENTSINCE has day granularity, and clocks and
// Date headers drift).
const catchUpMargin = 48 * time.Hour

// syncWindow fetches the newest sync_depth mails of the selected folder,
// newest page first, as backfill. After a UIDVALIDITY change (since is the
// newest mail time known under the old one) it also fetches every mail
// dated since then, so mail that arrived meanwhile is not lost beyond the
// window; storage drops what it already has.
func (s *session) syncWindow(ctx context.Context, c *imapclient.Client, folder string, sel *imap.SelectData, since time.Time) error {
	st := folderState{uidValidity: sel.UIDValidity, newest: since}
	if sel.UIDNext > 0 {
		st.lastUID = sel.UIDNext - 1
	}
	uids, err := s.windowUIDs(c, folder, sel)
	if err != nil {
		return err
	}
	if !since.IsZero() && sel.NumMessages > 0 {
		data, err := c.UIDSearch(&imap.SearchCriteria{SentSince: since.Add(-catchUpMargin)}, nil).Wait()
		if err != nil {
			return fmt.Errorf("email: search %s since the last known mail: %w", folder, err)
		}
		uids = append(uids, data.AllUIDs()...)
	}
	slices.SortFunc(uids, func(a, b imap.UID) int { return cmp.Compare(b, a) }) // newest first
	uids = slices.Compact(uids)
	for start := 0; start < len(uids); start += s.pageSize() {
		page := uids[start:min(start+s.pageSize(), len(uids))]
		top, newest, err := s.fetchUIDs(ctx, c, folder, sel.UIDValidity, page, true)
		if err != nil {
			return err
		}
		st.lastUID = max(st.lastUID, top)
		st.newest = later(st.newest, newest)
	}
	s.conn.setFolderState(s.cfg, folder, st)
	if !s.emitPosition(ctx) {
		return ctx.Err()
	}
	return nil
}

// windowUIDs are the UIDs of the newest sync_depth mails of the folder.
func (s *session) windowUIDs(c *imapclient.Client, folder string, sel *imap.SelectData) ([]imap.UID, error) {
	if sel.NumMessages > 0 && s.cfg.depth > 0 {
		first := uint32(1)
		if sel.NumMessages > uint32(s.cfg.depth) {
			first = sel.NumMessages - uint32(s.cfg.depth) + 1
		}
		var seq imap.SeqSet
		seq.AddRange(first, sel.NumMessages)
		data, err := c.UIDSearch(&imap.SearchCriteria{SeqNum: []imap.SeqSet{seq}}, nil).Wait()
		if err != nil {
			return nil, fmt.Errorf("email: search %s: %w", folder, err)
		}
		return data.AllUIDs(), nil
	}
	return nil, nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// fetchNew fetches all mails of the selected folder above the last UID
// known, oldest first, a page at a time, and reports the new position
// after each page. They are new (live) messages, except while catching up
// with a position restored from an earlier process: what arrived while
// the app was closed is backfill, like the window of a first sync.
func (s *session) fetchNew(ctx context.Context, c *imapclient.Client, folder string) error {
	st, ok := s.conn.folderState(s.cfg, folder)
	if !ok || s.selected != folder {
		return fmt.Errorf("email: internal: %s is not selected or not synced", folder)
	}
	set := imap.UIDSet{imap.UIDRange{Start: st.lastUID + 1, Stop: 0}}
	data, err := c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{set}}, nil).Wait()
	if err != nil {
		return fmt.Errorf("email: search new mail in %s: %w", folder, err)
	}
	var uids []imap.UID
	for _, u := range data.AllUIDs() {
		if u > st.lastUID { // "n:*" always matches the highest UID, even below n
			uids = append(uids, u)
		}
	}
	slices.Sort(uids)
	for start := 0; start < len(uids); start += s.pageSize() {
		page := uids[start:min(start+s.pageSize(), len(uids))]
		top, newest, err := s.fetchUIDs(ctx, c, folder, st.uidValidity, page, st.restored)
		if err != nil {
			return err // the page is fetched again next time; storage dedups
		}
		st.lastUID = max(st.lastUID, top)
		st.newest = later(st.newest, newest)
		s.conn.setFolderState(s.cfg, folder, st)
		if !s.emitPosition(ctx) {
			return ctx.Err()
		}
	}
	if st.restored { // caught up: from now on new mail is live
		st.restored = false
		s.conn.setFolderState(s.cfg, folder, st)
	}
	return nil
}

var fetchFull = &imap.FetchOptions{
	UID:          true,
	InternalDate: true,
	BodySection:  []*imap.FetchItemBodySection{{Peek: true}},
}

// fetchSync is fetchFull plus the flags: a mail already \Seen is
// archived as read.
var fetchSync = &imap.FetchOptions{
	UID:          true,
	Flags:        true,
	InternalDate: true,
	BodySection:  []*imap.FetchItemBodySection{{Peek: true}},
}

// fetchUIDs streams the given mails: each body is parsed as it arrives
// (attachments are counted, never held) and emitted at once. It returns
// the highest UID handled and the newest mail time emitted.
func (s *session) fetchUIDs(ctx context.Context, c *imapclient.Client, folder string, validity uint32, uids []imap.UID, backfill bool) (top imap.UID, newest time.Time, err error) {
	err = fetchEach(c, folder, uids, func(f fetchedMail) bool {
		top = max(top, f.uid)
		when, ok := s.deliver(ctx, location{folder: folder, uidValidity: validity, uid: f.uid}, f.date, f.pm, backfill, f.seen)
		newest = later(newest, when)
		return ok
	})
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	return top, newest, err
}

// fetchedMail is one mail as fetchEach read it.
type fetchedMail struct {
	uid  imap.UID
	date time.Time // INTERNALDATE
	pm   *parsedMail
	seen bool
}

// fetchEach streams the given mails of the selected folder: each body is
// parsed as it arrives (attachments are counted, never held) and handed
// to fn; fn returning false stops.
func fetchEach(c *imapclient.Client, folder string, uids []imap.UID, fn func(fetchedMail) bool) error {
	if len(uids) == 0 {
		return nil
	}
	cmd := c.Fetch(imap.UIDSetNum(uids...), fetchSync)
	defer cmd.Close()
	for {
		msg := cmd.Next()
		if msg == nil {
			break
		}
		var f fetchedMail
		for item := msg.Next(); item != nil; item = msg.Next() {
			switch it := item.(type) {
			case imapclient.FetchItemDataUID:
				f.uid = it.UID
			case imapclient.FetchItemDataFlags:
				f.seen = slices.Contains(it.Flags, imap.FlagSeen)
			case imapclient.FetchItemDataInternalDate:
				f.date = it.Time
			case imapclient.FetchItemDataBodySection:
				if it.Literal != nil {
					f.pm = parseMail(it.Literal)
				}
			}
		}
		if f.pm == nil || f.uid == 0 {
			continue // a flags update, not one of ours
		}
		if !fn(f) {
			return nil
		}
	}
	if err := cmd.Close(); err != nil {
		return fmt.Errorf("email: fetch from %s: %w", folder, err)
	}
	return nil
}

// deliver records what a mail teaches (thread, location, unsubscribe
// data, brand evidence) and emits it; seen is its \Seen flag (read in
// another client). It returns the mail's time, and false when ctx ended
// first.
//
// Automatic mail the account sent (Auto-Submitted other than "no": our
// RFC 2369 unsubscribe requests, a server's vacation replies) is not
// emitted: nobody wrote it, so it is no conversation. It stays in the
// Sent folder, and the consent ledger keeps our request's Message-ID.
func (s *session) deliver(ctx context.Context, loc location, date time.Time, pm *parsedMail, backfill, seen bool) (time.Time, bool) {
	msg := toMessage(pm, s.self, loc.folder == s.sentFolder, date)
	msg.Seen = seen && msg.Direction == connectors.Inbound
	if msg.Direction == connectors.Inbound && !seen && loc.folder == "INBOX" {
		s.noteUnread(loc, msg.RemoteID)
	}
	if msg.Direction == connectors.Inbound && seen && loc.folder == "INBOX" {
		s.mu.Lock()
		s.seenHere[loc.uid] = true // archived as read already
		s.mu.Unlock()
	}
	if msg.Direction == connectors.Outbound && isAutomated(pm) {
		return msg.Time, true
	}
	evidence := brandEvidence(pm)
	var contact *connectors.ContactUpdated
	s.mu.Lock()
	s.where[msg.RemoteID] = loc
	if t, ok := s.threads[msg.Conversation.ID]; !ok || !msg.Time.Before(t.time) {
		s.threads[msg.Conversation.ID] = threadInfo{messageID: pm.MessageID, references: pm.References, subject: pm.Subject, time: msg.Time}
	}
	if msg.Direction == connectors.Inbound && pm.Evidence["List-Unsubscribe"] != "" {
		if u, ok := s.unsub[msg.Sender]; !ok || !msg.Time.Before(u.time) {
			s.unsub[msg.Sender] = unsubInfo{header: pm.Evidence["List-Unsubscribe"], post: pm.Evidence["List-Unsubscribe-Post"], time: msg.Time}
		}
	}
	if msg.Direction == connectors.Inbound && len(evidence) > 0 && msg.Sender != "" && !s.reported[msg.Sender] {
		s.reported[msg.Sender] = true
		contact = &connectors.ContactUpdated{Account: s.cfg.account, Contact: connectors.Contact{
			Handle: msg.Sender, Name: msg.SenderName, Kind: connectors.KindBrand, Evidence: evidence,
		}}
	}
	s.mu.Unlock()
	if contact != nil && !emit(ctx, s.sink, *contact) {
		return msg.Time, false
	}
	return msg.Time, emit(ctx, s.sink, connectors.MessageReceived{Account: s.cfg.account, Message: msg, Backfill: backfill})
}

func (s *session) pageSize() int {
	if s.conn.fetchPage > 0 {
		return s.conn.fetchPage
	}
	return pageSize
}
