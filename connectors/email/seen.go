package email

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"switchboard/connectors"
)

// Read state is shared with the server, so every client agrees: a mail
// already \Seen when it is synced is archived as read (Message.Seen, set
// in deliver); one read in another client later is reported as
// ReadElsewhere (reportReadElsewhere); and when the user reads a
// conversation in Switchboard its unread INBOX mail is flagged \Seen on
// the server (MarkRead).

var _ connectors.Marker = (*Connector)(nil)

// markScan bounds how many of the newest unread INBOX mails one MarkRead
// examines (an inbox nobody reads may hold tens of thousands).
const markScan = 500

var participantFields = &imap.FetchOptions{
	UID: true,
	BodySection: []*imap.FetchItemBodySection{{
		Specifier: imap.PartSpecifierHeader, Peek: true,
		HeaderFields: []string{"From", "To", "Cc"},
	}},
}

// MarkRead flags \Seen the unread INBOX mail of conv — up to remoteID's
// mail when this Run knows where that is — so other clients show it read.
func (c *Connector) MarkRead(ctx context.Context, conv connectors.ConversationRef, remoteID string) error {
	s := c.session()
	if s == nil {
		return connectors.ErrNotConnected
	}
	s.mu.Lock()
	upto, known := s.where[remoteID]
	s.mu.Unlock()
	return c.call(ctx, func(ctx context.Context, ic *imapclient.Client) error {
		if err := s.ensureSelected(ctx, ic, "INBOX"); err != nil {
			return err
		}
		// Flags can only change in a mailbox opened for writing; every
		// fetch peeks, so reading stays side-effect free.
		sel, err := ic.Select("INBOX", nil).Wait()
		if err != nil {
			s.selected = ""
			return fmt.Errorf("email: open INBOX to mark mail read: %w", err)
		}
		data, err := ic.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
		if err != nil {
			return fmt.Errorf("email: search unread mail: %w", err)
		}
		uids := data.AllUIDs()
		slices.Sort(uids)
		if known && upto.folder == "INBOX" && upto.uidValidity == sel.UIDValidity {
			// Nothing that arrived after what the user was shown.
			uids = slices.DeleteFunc(uids, func(u imap.UID) bool { return u > upto.uid })
		}
		if len(uids) > markScan {
			uids = uids[len(uids)-markScan:]
		}
		if len(uids) == 0 {
			return nil
		}
		msgs, err := ic.Fetch(imap.UIDSetNum(uids...), participantFields).Collect()
		if err != nil {
			return fmt.Errorf("email: read who unread mail is from: %w", err)
		}
		var mine []imap.UID
		for _, m := range msgs {
			for _, sec := range m.BodySection {
				pm := parseMail(bytes.NewReader(sec.Bytes))
				outbound := pm.From.Addr != "" && s.self.has(pm.From.Addr)
				if ref, _ := conversationFor(pm, s.self, outbound); ref.ID == conv.ID {
					mine = append(mine, m.UID)
				}
			}
		}
		if len(mine) == 0 {
			return nil
		}
		store := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}
		if err := ic.Store(imap.UIDSetNum(mine...), store, nil).Close(); err != nil {
			return fmt.Errorf("email: mark %d mail(s) read: %w", len(mine), err)
		}
		s.mu.Lock()
		if s.unreadValidity == sel.UIDValidity {
			for _, u := range mine {
				delete(s.unread, u) // read here, not elsewhere
				s.seenHere[u] = true
			}
		}
		s.mu.Unlock()
		return nil
	})
}

// noteUnread remembers an inbound INBOX mail delivered unread.
func (s *session) noteUnread(loc location, remoteID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.unreadValidity != loc.uidValidity {
		s.unread, s.unreadValidity = map[imap.UID]string{}, loc.uidValidity
	}
	s.unread[loc.uid] = remoteID
}

// reportReadElsewhere asks which of the mails delivered unread are \Seen
// now and reports each as ReadElsewhere. It runs on the loop goroutine.
func (s *session) reportReadElsewhere(ctx context.Context, c *imapclient.Client) error {
	s.mu.Lock()
	uids := make([]imap.UID, 0, len(s.unread))
	for u := range s.unread {
		uids = append(uids, u)
	}
	validity := s.unreadValidity
	s.mu.Unlock()
	if len(uids) == 0 {
		return nil
	}
	if err := s.ensureSelected(ctx, c, "INBOX"); err != nil {
		return err
	}
	if s.selValidity != validity {
		return nil // the UIDs are of another INBOX; a resync sets them anew
	}
	data, err := c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{imap.UIDSetNum(uids...)}, Flag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
	if err != nil {
		return fmt.Errorf("email: search mail read elsewhere: %w", err)
	}
	read := data.AllUIDs()
	slices.Sort(read)
	for _, u := range read {
		s.mu.Lock()
		remoteID, ok := s.unread[u]
		delete(s.unread, u)
		s.seenHere[u] = true
		s.mu.Unlock()
		if ok && !emit(ctx, s.sink, connectors.ReadElsewhere{Account: s.cfg.account, RemoteID: remoteID}) {
			return ctx.Err()
		}
	}
	return nil
}

var messageIDField = &imap.FetchOptions{
	UID: true,
	BodySection: []*imap.FetchItemBodySection{{
		Specifier: imap.PartSpecifierHeader, Peek: true, HeaderFields: idFields,
	}},
}

// reportSeenSince uses CONDSTORE (RFC 7162) to find INBOX mail flagged
// \Seen since the last look — by another client, also while Switchboard
// was closed — and reports it as ReadElsewhere; the HIGHESTMODSEQ it
// looked at goes into the sync position. Mail above the synced UIDs is
// left to the sync (it comes with its flags). A server where this does not
// work is left alone for the Run: it is an improvement, never a failure.
func (s *session) reportSeenSince(ctx context.Context, c *imapclient.Client) error {
	if s.noModSeq || !c.Caps().Has(imap.CapCondStore) {
		return nil
	}
	st, ok := s.conn.folderState(s.cfg, "INBOX")
	if !ok {
		return nil
	}
	status, err := c.Status("INBOX", &imap.StatusOptions{UIDValidity: true, HighestModSeq: true}).Wait()
	if err != nil || status.HighestModSeq == 0 {
		s.noModSeq = true
		s.conn.log.Info("email: no CONDSTORE flag changes from this server", "account", s.cfg.account, "err", err)
		return nil
	}
	if status.UIDValidity != st.uidValidity || status.HighestModSeq == st.modSeq {
		return nil // a changed INBOX is resynced with its flags; or nothing changed
	}
	if st.modSeq != 0 && st.lastUID > 0 {
		if err := s.ensureSelected(ctx, c, "INBOX"); err != nil {
			return err
		}
		crit := &imap.SearchCriteria{
			UID:    []imap.UIDSet{{imap.UIDRange{Start: 1, Stop: st.lastUID}}},
			Flag:   []imap.Flag{imap.FlagSeen},
			ModSeq: &imap.SearchCriteriaModSeq{ModSeq: st.modSeq + 1},
		}
		data, err := c.UIDSearch(crit, nil).Wait()
		if err != nil {
			s.noModSeq = true
			s.conn.log.Info("email: no CONDSTORE flag changes from this server", "account", s.cfg.account, "err", err)
			return nil
		}
		var uids []imap.UID
		s.mu.Lock()
		for _, u := range data.AllUIDs() {
			if !s.seenHere[u] {
				uids = append(uids, u)
			}
		}
		s.mu.Unlock()
		slices.Sort(uids)
		uids = uids[max(len(uids)-markScan, 0):]
		if err := s.reportByMessageID(ctx, c, uids); err != nil {
			return err
		}
	}
	st, _ = s.conn.folderState(s.cfg, "INBOX")
	st.modSeq = status.HighestModSeq
	s.conn.setFolderState(s.cfg, "INBOX", st)
	if !s.emitPosition(ctx) {
		return ctx.Err()
	}
	return nil
}

// reportByMessageID reports INBOX mails read elsewhere, named by the
// remote ID their headers give.
func (s *session) reportByMessageID(ctx context.Context, c *imapclient.Client, uids []imap.UID) error {
	if len(uids) == 0 {
		return nil
	}
	msgs, err := c.Fetch(imap.UIDSetNum(uids...), messageIDField).Collect()
	if err != nil {
		return fmt.Errorf("email: read which mail was read elsewhere: %w", err)
	}
	for _, m := range msgs {
		for _, sec := range m.BodySection {
			pm := parseMail(bytes.NewReader(sec.Bytes))
			s.mu.Lock()
			delete(s.unread, m.UID)
			s.seenHere[m.UID] = true
			s.mu.Unlock()
			if !emit(ctx, s.sink, connectors.ReadElsewhere{Account: s.cfg.account, RemoteID: pm.RemoteID}) {
				return ctx.Err()
			}
		}
	}
	return nil
}
