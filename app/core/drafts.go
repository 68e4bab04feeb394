package core

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"switchboard/storage"
)

// Drafts are what the user typed in a conversation's composer and has not
// sent. Each conversation keeps its own; they are sealed like every other
// preference (storage prefs), never written in the clear.

// draftKey is the sealed preference a conversation's draft is kept under.
func draftKey(convRow int64) string { return "draft:" + strconv.FormatInt(convRow, 10) }

// Draft returns the unsent text of a conversation ("" when none).
func (c *Core) Draft(ctx context.Context, convRow int64) (string, error) {
	v, err := c.store.Pref(ctx, draftKey(convRow))
	if errors.Is(err, storage.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the draft of conversation %d: %w", convRow, err)
	}
	return v, nil
}

// SetDraft keeps the unsent text of a conversation ("" removes it).
func (c *Core) SetDraft(ctx context.Context, convRow int64, text string) error {
	if convRow <= 0 {
		return errors.New("save draft: no conversation")
	}
	if err := c.store.SetPref(ctx, draftKey(convRow), text); err != nil {
		return fmt.Errorf("save the draft of conversation %d: %w", convRow, err)
	}
	return nil
}
