package email

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"switchboard/connectors"
)

var _ connectors.Historian = (*Connector)(nil)

// History pages back through a conversation's mail in INBOX and Sent,
// newest first: before == "" starts at the newest; the cursor returned is
// "" when there is nothing older. A first sync fetches only the newest
// sync_depth mails per folder; this reaches the rest, one conversation at
// a time.
//
// The cursor is "v1:<INBOX UIDVALIDITY>:<UID>:<Sent UIDVALIDITY>:<UID>",
// each UID the lowest one already fetched from that folder (0: from the
// newest, 1: nothing older there).
// A cursor from before a UIDVALIDITY change starts over at the newest
// (storage skips what it already has).
func (c *Connector) History(ctx context.Context, conv connectors.ConversationRef, before connectors.Cursor, limit int) ([]connectors.Message, connectors.Cursor, error) {
	s := c.session()
	if s == nil {
		return nil, "", connectors.ErrNotConnected
	}
	if limit <= 0 || limit > pageSize {
		limit = pageSize
	}
	addr, _, _ := strings.Cut(conv.ID, ",")
	if checkAddress(addr) != nil {
		return nil, "", fmt.Errorf("email: history of %q: not a conversation with an address", conv.ID)
	}
	var (
		out  []connectors.Message
		next connectors.Cursor
	)
	err := c.call(ctx, func(ctx context.Context, ic *imapclient.Client) error {
		var err error
		out, next, err = s.history(ctx, ic, conv.ID, addr, string(before), limit)
		return err
	})
	return out, next, err
}

// histFolder is one folder's side of a history page.
type histFolder struct {
	name     string
	validity uint32
	bound    imap.UID // fetch below this UID; 0 = from the newest
}

// history fetches, per folder, the newest limit mails below the folder's
// bound that mention addr, keeps those of the conversation, and moves
// each bound below what it fetched. A page may so hold up to twice limit
// mails; trimming it would skip mail whose Date disagrees with its UID.
func (s *session) history(ctx context.Context, ic *imapclient.Client, convID, addr, before string, limit int) ([]connectors.Message, connectors.Cursor, error) {
	folders := []*histFolder{{name: "INBOX"}, {name: s.sentFolder}}
	bounds := parseHistCursor(before)
	var out []connectors.Message
	more := false
	for i, f := range folders {
		if err := s.ensureSelected(ctx, ic, f.name); err != nil {
			return nil, "", err
		}
		f.validity = s.selValidity
		if b, ok := bounds[i]; ok && b.validity == f.validity {
			f.bound = b.uid
		}
		if f.bound == 1 {
			continue // nothing below the first UID
		}
		crit := &imap.SearchCriteria{Or: [][2]imap.SearchCriteria{{
			{Header: []imap.SearchCriteriaHeaderField{{Key: "From", Value: addr}}},
			{Or: [][2]imap.SearchCriteria{{
				{Header: []imap.SearchCriteriaHeaderField{{Key: "To", Value: addr}}},
				{Header: []imap.SearchCriteriaHeaderField{{Key: "Cc", Value: addr}}},
			}}},
		}}}
		if f.bound > 1 {
			crit.UID = []imap.UIDSet{{imap.UIDRange{Start: 1, Stop: f.bound - 1}}}
		}
		data, err := ic.UIDSearch(crit, nil).Wait()
		if err != nil {
			return nil, "", fmt.Errorf("email: search %s for older mail: %w", f.name, err)
		}
		found := data.AllUIDs()
		slices.Sort(found)
		page := found[max(len(found)-limit, 0):]
		if len(page) == 0 {
			f.bound = 1 // this folder has nothing older
			continue
		}
		bodies, err := s.historyCandidates(ic, f.name, page, convID)
		if err != nil {
			return nil, "", err
		}
		err = fetchEach(ic, f.name, bodies, func(m fetchedMail) bool {
			msg := toMessage(m.pm, s.self, f.name == s.sentFolder, m.date)
			if msg.Conversation.ID != convID { // SEARCH matches substrings, and other threads
				return true
			}
			if msg.Direction == connectors.Outbound && isAutomated(m.pm) {
				return true // as in deliver: automatic mail is no conversation
			}
			msg.Seen = m.seen && msg.Direction == connectors.Inbound
			s.mu.Lock()
			s.where[msg.RemoteID] = location{folder: f.name, uidValidity: f.validity, uid: m.uid}
			s.mu.Unlock()
			out = append(out, msg)
			return true
		})
		if err != nil {
			return nil, "", err
		}
		f.bound = page[0]
		if len(found) > len(page) {
			more = true
		}
	}
	slices.SortFunc(out, func(a, b connectors.Message) int { return a.Time.Compare(b.Time) })
	if !more {
		return out, "", nil
	}
	return out, connectors.Cursor(formatHistCursor(folders)), nil
}

var historyFields = &imap.FetchOptions{
	UID: true,
	BodySection: []*imap.FetchItemBodySection{{
		Specifier: imap.PartSpecifierHeader, Peek: true,
		HeaderFields: idFields,
	}},
}

// historyCandidates narrows a page to the mails whose whole body is worth
// fetching: of the conversation (by their headers), and not delivered in
// this Run already (so in the archive) — a page back from the newest
// mostly repeats what the sync brought, and mail can be large.
func (s *session) historyCandidates(ic *imapclient.Client, folder string, page []imap.UID, convID string) ([]imap.UID, error) {
	msgs, err := ic.Fetch(imap.UIDSetNum(page...), historyFields).Collect()
	if err != nil {
		return nil, fmt.Errorf("email: read headers of older mail in %s: %w", folder, err)
	}
	var out []imap.UID
	for _, m := range msgs {
		for _, sec := range m.BodySection {
			pm := parseMail(bytes.NewReader(sec.Bytes))
			if ref, _ := conversationFor(pm, s.self, folder == s.sentFolder); ref.ID != convID {
				continue
			}
			s.mu.Lock()
			_, delivered := s.where[pm.RemoteID]
			s.mu.Unlock()
			if delivered {
				continue
			}
			out = append(out, m.UID)
		}
	}
	slices.Sort(out)
	return out, nil
}

type histBound struct {
	validity uint32
	uid      imap.UID
}

// parseHistCursor reads a cursor; nil (start at the newest) when it is
// empty or not ours.
func parseHistCursor(c string) map[int]histBound {
	parts := strings.Split(c, ":")
	if len(parts) != 5 || parts[0] != "v1" {
		return nil
	}
	out := map[int]histBound{}
	for i := range 2 {
		v, err1 := strconv.ParseUint(parts[1+2*i], 10, 32)
		u, err2 := strconv.ParseUint(parts[2+2*i], 10, 32)
		if err1 != nil || err2 != nil {
			return nil
		}
		out[i] = histBound{uint32(v), imap.UID(u)}
	}
	return out
}

func formatHistCursor(fs []*histFolder) string {
	return fmt.Sprintf("v1:%d:%d:%d:%d", fs[0].validity, fs[0].bound, fs[1].validity, fs[1].bound)
}
