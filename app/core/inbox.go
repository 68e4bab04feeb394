package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"switchboard/app/policy"
	"switchboard/storage"
)

// MarkDone takes a conversation out of Awaiting reply; it comes back when
// the other side writes again.
func (c *Core) MarkDone(ctx context.Context, convRow int64) error {
	if err := c.store.MarkDone(ctx, convRow); err != nil {
		return fmt.Errorf("mark conversation %d done: %w", convRow, err)
	}
	c.bus.publish([]Update{{Kind: UpdConversation, ConvRow: convRow}})
	return nil
}

// syncPeerBlocked takes the direct conversation with a contact out of the
// inbox when the contact is blocked, and puts it back when unblocked. A
// contact without a conversation yet has nothing to move.
func (c *Core) syncPeerBlocked(ctx context.Context, account, handle string, st policy.State) error {
	row, err := c.store.SetPeerBlocked(ctx, account, handle, st == policy.StateBlocked)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("move the conversation with %s: %w", handle, err)
	}
	c.bus.publish([]Update{{Kind: UpdConversation, Account: account, ConvRow: row}})
	return nil
}

// selfHandle is the user's handle on an account's network, once online.
func (c *Core) selfHandle(account string) string {
	ar := c.running(account)
	if ar == nil {
		return ""
	}
	_, st := ar.snapshot()
	return st.Self
}

// mentions says whether text names the user by handle as a word of its
// own ("ada:", "@ada", "thanks ada!"), ignoring case; "adam" is not "ada".
func mentions(text, self string) bool {
	self = strings.TrimPrefix(self, "@")
	if self == "" {
		return false
	}
	lt, ls := strings.ToLower(text), strings.ToLower(self)
	for i := 0; ; {
		j := strings.Index(lt[i:], ls)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(ls)
		before, _ := utf8.DecodeLastRuneInString(lt[:start])
		after, _ := utf8.DecodeRuneInString(lt[end:])
		if !handleRune(before) && !handleRune(after) {
			return true
		}
		i = start + 1
	}
}

// handleRune is a character that can continue a handle (so the match is
// part of a longer word). utf8.RuneError stands for the text's edges.
func handleRune(r rune) bool {
	if r == utf8.RuneError {
		return false
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("_-[]\\`^{}|", r)
}
