package core

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"switchboard/connectors"
	"switchboard/storage"
)

// Attachments: a message lists its files when it is stored; each
// account's file loop then fetches their bytes from the network
// (connectors.AttachmentFetcher) and saves them sealed, oldest first, one
// message at a time, whenever the account is online. A network that
// cannot give the bytes (the message was deleted) marks them failed with
// the reason; a dropped link leaves them pending for the next connection.

// fileRetry is how long the loop waits after a fetch error before trying
// again without being woken.
const fileRetry = 2 * time.Minute

// filesPerRound bounds the pending attachments read per round.
const filesPerRound = 50

// fileLoop is the account's attachment fetcher.
func (c *Core) fileLoop(ctx context.Context, ar *accountRun) {
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ar.files:
		case <-retry.C:
		}
		for ctx.Err() == nil {
			more, err := c.fetchRound(ctx, ar)
			if err != nil {
				if ctx.Err() == nil {
					c.log.Warn("attachments", "account", ar.name, "err", err)
					retry.Reset(fileRetry)
				}
				break
			}
			if !more {
				break
			}
		}
	}
}

// fetchRound fetches the pending attachments of up to filesPerRound rows;
// more reports whether a full round was read.
func (c *Core) fetchRound(ctx context.Context, ar *accountRun) (more bool, err error) {
	if _, st := ar.snapshot(); st.State != connectors.StateOnline {
		return false, nil
	}
	pend, err := c.store.PendingAttachments(ctx, ar.name, filesPerRound)
	if err != nil || len(pend) == 0 {
		return false, err
	}
	done := map[int64]bool{}
	var firstErr error
	for _, p := range pend {
		if done[p.MsgRow] {
			continue
		}
		done[p.MsgRow] = true
		err := c.fetchFiles(ctx, ar, p.MsgRow, p.RemoteID)
		if err == nil {
			continue
		}
		if errors.Is(err, connectors.ErrNotConnected) || ctx.Err() != nil {
			return false, err
		}
		// One message the server will not give must not hold up the rest.
		firstErr = cmp.Or(firstErr, err)
	}
	if firstErr != nil {
		return false, firstErr
	}
	return len(pend) == filesPerRound, nil
}

// errNoFetch: the account's network cannot fetch attachment bytes.
var errNoFetch = errors.New("this network does not offer attachment downloads")

// fetchFiles fetches and saves every not-yet-saved attachment of one
// message. Attachments the network no longer has are marked failed; other
// errors leave them pending and are returned.
func (c *Core) fetchFiles(ctx context.Context, ar *accountRun, msgRow int64, remoteID string) error {
	// The file loop and a user's "save" may ask for the same message:
	// the second finds the files saved by the first.
	ar.fetchMu.Lock()
	defer ar.fetchMu.Unlock()
	atts, err := c.store.Attachments(ctx, msgRow)
	if err != nil {
		return err
	}
	want := map[int]storage.Attachment{}
	for _, a := range atts {
		if a.State != storage.AttachSaved {
			want[a.Index] = a
		}
	}
	if len(want) == 0 {
		return nil
	}
	conn, st := ar.snapshot()
	if conn == nil || st.State != connectors.StateOnline {
		return connectors.ErrNotConnected
	}
	wctx := context.WithoutCancel(ctx)
	f, ok := conn.(connectors.AttachmentFetcher)
	if !ok {
		return c.failFiles(wctx, msgRow, want, errNoFetch.Error())
	}
	err = f.FetchAttachments(ctx, remoteID, func(i int, _ connectors.Attachment, r io.Reader) error {
		a, ok := want[i]
		if !ok {
			return nil
		}
		if _, err := c.store.SaveAttachment(ctx, a.ID, r); err != nil {
			return err
		}
		delete(want, i)
		return nil
	})
	switch {
	case errors.Is(err, connectors.ErrGone):
		err = c.failFiles(wctx, msgRow, want, "the message is no longer on the server, so this file could not be downloaded")
	case err != nil:
		c.publishMessageRow(wctx, msgRow)
		return fmt.Errorf("fetch attachments of message %d: %w", msgRow, err)
	default:
		err = c.failFiles(wctx, msgRow, want, "the server's copy of the message does not have this file")
	}
	return err
}

// failFiles marks the given attachments failed and shows the change.
func (c *Core) failFiles(ctx context.Context, msgRow int64, atts map[int]storage.Attachment, reason string) error {
	for _, a := range atts {
		if err := c.store.FailAttachment(ctx, a.ID, reason); err != nil {
			return err
		}
	}
	c.publishMessageRow(ctx, msgRow)
	return nil
}

func (c *Core) publishMessageRow(ctx context.Context, row int64) {
	if m, err := c.store.Message(ctx, row); err == nil {
		c.bus.publish([]Update{{Kind: UpdMessage, Account: m.Account, ConvRow: m.ConvRow, Message: &m}})
	}
}

// Attachments lists a message's files.
func (c *Core) Attachments(ctx context.Context, msgRow int64) ([]storage.Attachment, error) {
	atts, err := c.store.Attachments(ctx, msgRow)
	if err != nil {
		return nil, fmt.Errorf("attachments of message %d: %w", msgRow, err)
	}
	return atts, nil
}

// SaveAttachment writes an attachment's bytes to w, downloading them
// first when they are not in the archive yet (which needs its account
// online).
func (c *Core) SaveAttachment(ctx context.Context, id int64, w io.Writer) (storage.Attachment, error) {
	a, err := c.ensureSaved(ctx, id)
	if err != nil {
		return a, err
	}
	return a, c.copyAttachment(ctx, id, w)
}

// ensureSaved returns the attachment once its bytes are in the archive.
func (c *Core) ensureSaved(ctx context.Context, id int64) (storage.Attachment, error) {
	a, err := c.store.Attachment(ctx, id)
	if err != nil {
		return a, fmt.Errorf("attachment %d: %w", id, err)
	}
	if a.State == storage.AttachSaved {
		return a, nil
	}
	m, err := c.store.Message(ctx, a.MsgRow)
	if err != nil {
		return a, fmt.Errorf("attachment %d: %w", id, err)
	}
	ar := c.running(m.Account)
	if ar == nil {
		return a, fmt.Errorf("%s is not downloaded yet and account %q is not connected", describe(a), m.Account)
	}
	if err := c.fetchFiles(ctx, ar, a.MsgRow, m.RemoteID); err != nil {
		if errors.Is(err, connectors.ErrNotConnected) {
			return a, fmt.Errorf("%s is not downloaded yet and account %q is offline", describe(a), m.Account)
		}
		return a, fmt.Errorf("download %s: %w", describe(a), err)
	}
	if a, err = c.store.Attachment(ctx, id); err != nil {
		return a, fmt.Errorf("attachment %d: %w", id, err)
	}
	if a.State != storage.AttachSaved {
		return a, fmt.Errorf("%s could not be downloaded: %s", describe(a), a.Error)
	}
	return a, nil
}

func (c *Core) copyAttachment(ctx context.Context, id int64, w io.Writer) error {
	a, rc, err := c.store.OpenAttachment(ctx, id)
	if err != nil {
		return fmt.Errorf("attachment %d: %w", id, err)
	}
	defer rc.Close()
	if _, err := io.Copy(w, rc); err != nil {
		return fmt.Errorf("write %s: %w", describe(a), err)
	}
	return nil
}

func describe(a storage.Attachment) string {
	if a.Name != "" {
		return fmt.Sprintf("attachment %q", a.Name)
	}
	return fmt.Sprintf("attachment %d", a.ID)
}

// Message returns one archived message by row (for the CLI's one-shot paths).
func (c *Core) Message(ctx context.Context, row int64) (storage.Message, error) {
	m, err := c.store.Message(ctx, row)
	if err != nil {
		return m, fmt.Errorf("message %d: %w", row, err)
	}
	return m, nil
}
