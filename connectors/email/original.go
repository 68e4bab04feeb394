package email

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"switchboard/connectors"
)

// Originaler is the "full original is one click away" capability: the
// whole readable text of a mail (quotes, signature and all, HTML rendered
// as text, attachments listed), fetched from the IMAP server on demand
// because the chat text keeps only the new part.
//
// It is connectors.Originaler; the alias keeps this package's name for it.
type Originaler = connectors.Originaler

var _ connectors.Originaler = (*Connector)(nil)

// ErrNotFound is returned by Original when no mail has that remote ID.
var ErrNotFound = errors.New("mail not found on the server")

// Original returns the full text of the mail with this remote ID. Mails
// seen in this Run are found by folder and UID; others by a Message-ID
// search of INBOX and Sent.
func (c *Connector) Original(ctx context.Context, remoteID string) (string, error) {
	s := c.session()
	if s == nil {
		return "", connectors.ErrNotConnected
	}
	s.mu.Lock()
	loc, known := s.where[remoteID]
	s.mu.Unlock()
	var text string
	err := c.call(ctx, func(ctx context.Context, ic *imapclient.Client) error {
		var err error
		text, err = s.original(ctx, ic, remoteID, loc, known)
		return err
	})
	return text, err
}

func (s *session) original(ctx context.Context, ic *imapclient.Client, remoteID string, loc location, known bool) (string, error) {
	var text string
	found, err := s.onMail(ctx, ic, remoteID, loc, known, func(uid imap.UID) (bool, error) {
		var ok bool
		var err error
		text, ok, err = fetchOriginal(ic, uid)
		return ok, err
	})
	if err == nil && !found {
		err = fmt.Errorf("email: original of %s: %w", remoteID, ErrNotFound)
	}
	return text, err
}

// onMail finds the mail with this remote ID (by folder and UID when this
// Run saw it, else by a Message-ID search of INBOX and Sent, keeping only
// the mail whose headers give this very ID — another mail reusing the
// Message-ID is never taken for it) and calls fn with its UID in the
// selected folder until fn reports it handled it. An unscoped ID from an
// archive of before scopedID names the oldest mail with that Message-ID,
// the one such an archive kept.
func (s *session) onMail(ctx context.Context, ic *imapclient.Client, remoteID string, loc location, known bool, fn func(imap.UID) (bool, error)) (bool, error) {
	candidates := []string{"INBOX", s.sentFolder}
	if known {
		candidates = []string{loc.folder}
	}
	msgID, legacy := messageIDOf(remoteID)
	for _, folder := range candidates {
		if err := s.ensureSelected(ctx, ic, folder); err != nil {
			return false, err
		}
		var uid imap.UID
		if known {
			if st, ok := s.conn.folderState(s.cfg, folder); ok && st.uidValidity == loc.uidValidity {
				uid = loc.uid
			}
		}
		if uid == 0 && msgID != "" && validMsgID(msgID) {
			var err error
			if uid, err = findByID(ic, folder, remoteID, msgID, legacy); err != nil {
				return false, err
			}
		}
		if uid == 0 {
			continue
		}
		ok, err := fn(uid)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// findByID searches the selected folder for the mail with this remote ID;
// 0 when there is none.
func findByID(ic *imapclient.Client, folder, remoteID, msgID string, legacy bool) (imap.UID, error) {
	data, err := ic.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: "<" + msgID + ">"}}}, nil).Wait()
	if err != nil {
		return 0, fmt.Errorf("email: search %s: %w", folder, err)
	}
	uids := data.AllUIDs()
	if len(uids) == 0 {
		return 0, nil
	}
	slices.Sort(uids)
	if legacy {
		return uids[0], nil
	}
	msgs, err := ic.Fetch(imap.UIDSetNum(uids...), messageIDField).Collect()
	if err != nil {
		return 0, fmt.Errorf("email: read headers in %s: %w", folder, err)
	}
	for _, m := range msgs {
		for _, sec := range m.BodySection {
			if parseMail(bytes.NewReader(sec.Bytes)).RemoteID == remoteID {
				return m.UID, nil
			}
		}
	}
	return 0, nil
}

func fetchOriginal(ic *imapclient.Client, uid imap.UID) (string, bool, error) {
	cmd := ic.Fetch(imap.UIDSetNum(uid), fetchFull)
	defer cmd.Close()
	var pm *parsedMail
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		for item := msg.Next(); item != nil; item = msg.Next() {
			if body, ok := item.(imapclient.FetchItemDataBodySection); ok && body.Literal != nil {
				pm = parseMail(body.Literal)
			}
		}
	}
	if err := cmd.Close(); err != nil {
		return "", false, fmt.Errorf("email: fetch original: %w", err)
	}
	if pm == nil {
		return "", false, nil
	}
	parts := []string{}
	if pm.Subject != "" {
		parts = append(parts, "Subject: "+pm.Subject)
	}
	if pm.Body.Full != "" {
		parts = append(parts, pm.Body.Full)
	}
	if atts := attachmentLines(pm.Body.Attachments); atts != "" {
		parts = append(parts, atts)
	}
	return strings.Join(parts, "\n\n"), true, nil
}
