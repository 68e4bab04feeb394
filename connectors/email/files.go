package email

import (
	"context"
	"fmt"
	"io"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message"

	"switchboard/connectors"
)

var _ connectors.AttachmentFetcher = (*Connector)(nil)

// FetchAttachments streams the attachments of the mail with this remote
// ID: the mail is fetched from the server again and walked exactly as when
// it was listed, so indexes match Message.Attachments; each attachment's
// decoded bytes go to save as they arrive from the connection, never held
// whole. A mail no longer on the server is an error wrapping
// connectors.ErrGone.
func (c *Connector) FetchAttachments(ctx context.Context, remoteID string, save func(int, connectors.Attachment, io.Reader) error) error {
	s := c.session()
	if s == nil {
		return connectors.ErrNotConnected
	}
	s.mu.Lock()
	loc, known := s.where[remoteID]
	s.mu.Unlock()
	var saveErr error
	var found bool
	err := c.call(ctx, func(ctx context.Context, ic *imapclient.Client) error {
		var err error
		found, err = s.onMail(ctx, ic, remoteID, loc, known, func(uid imap.UID) (bool, error) {
			ok, serr, err := fetchAttachments(ic, uid, save)
			saveErr = serr
			return ok, err
		})
		return err
	})
	switch {
	case err != nil:
		return fmt.Errorf("email: attachments of %s: %w", remoteID, err)
	case saveErr != nil:
		return saveErr
	case !found:
		return fmt.Errorf("email: attachments of %s: the mail is %w", remoteID, connectors.ErrGone)
	}
	return nil
}

// fetchAttachments fetches one mail and hands its attachments to save.
// ok reports that the mail was there; saveErr is save's first error.
func fetchAttachments(ic *imapclient.Client, uid imap.UID, save func(int, connectors.Attachment, io.Reader) error) (ok bool, saveErr, err error) {
	cmd := ic.Fetch(imap.UIDSetNum(uid), fetchFull)
	defer cmd.Close()
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		for item := msg.Next(); item != nil; item = msg.Next() {
			body, isBody := item.(imapclient.FetchItemDataBodySection)
			if !isBody || body.Literal == nil {
				continue
			}
			ok = true
			saveErr = walkAttachments(body.Literal, func(i int, a attachment, r io.Reader) error {
				return save(i, connectors.Attachment{Name: a.Name, Type: a.Type, Size: -1}, r)
			})
		}
	}
	if err := cmd.Close(); err != nil {
		return ok, saveErr, fmt.Errorf("email: fetch attachments: %w", err)
	}
	return ok, saveErr, nil
}

// walkAttachments walks a raw mail the way parseMail does and gives each
// attachment's bytes to save; it returns save's first error.
func walkAttachments(r io.Reader, save func(int, attachment, io.Reader) error) error {
	defer drain(r)
	e, _ := message.Read(r)
	if e == nil {
		return nil // an unreadable header lists no attachments either
	}
	w := walker{save: save}
	w.entity(e, 0, false)
	return w.saveErr
}
