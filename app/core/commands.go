package core

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"switchboard/connectors"
	"switchboard/storage"
)

// Conversations lists the unified conversation list.
func (c *Core) Conversations(ctx context.Context, q storage.ConvQuery) ([]storage.Conversation, error) {
	if q.Filter == "" {
		q.Filter = storage.FilterAll
	}
	switch q.Filter {
	case storage.FilterAll, storage.FilterUnread, storage.FilterAwaiting, storage.FilterRequests, storage.FilterBlocked:
	default:
		return nil, fmt.Errorf("unknown filter %q (all, unread, awaiting, requests, blocked)", q.Filter)
	}
	out, err := c.store.ListConversations(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list conversations: %w", err)
	}
	return out, nil
}

// Conversation returns one conversation.
func (c *Core) Conversation(ctx context.Context, row int64) (storage.Conversation, error) {
	cv, err := c.store.Conversation(ctx, row)
	if err != nil {
		return cv, fmt.Errorf("conversation %d: %w", row, err)
	}
	return cv, nil
}

// Messages pages a conversation, held messages included (a Requests view
// shows them; the inbox never lists a conversation by them).
func (c *Core) Messages(ctx context.Context, convRow, beforeRow int64, limit int) ([]storage.Message, error) {
	if limit <= 0 {
		limit = 50
	}
	out, err := c.store.Messages(ctx, convRow, beforeRow, limit, true)
	if err != nil {
		return nil, fmt.Errorf("read conversation %d: %w", convRow, err)
	}
	return out, nil
}

// Original asks the message's network for the whole original; the
// account must be connected and its network able to (e-mail).
func (c *Core) Original(ctx context.Context, msgRow int64) (string, error) {
	m, err := c.store.Message(ctx, msgRow)
	if err != nil {
		return "", fmt.Errorf("original of message %d: %w", msgRow, err)
	}
	ar := c.running(m.Account)
	if ar == nil {
		return "", fmt.Errorf("original of message %d: account %q is not connected (start `switchboard run` or the app)", msgRow, m.Account)
	}
	conn, _ := ar.snapshot()
	o, ok := conn.(connectors.Originaler)
	if !ok {
		return "", fmt.Errorf("original of message %d: %s keeps no original beyond what is shown", msgRow, m.Network)
	}
	text, err := o.Original(ctx, m.RemoteID)
	if err != nil {
		return "", fmt.Errorf("original of message %d: %w", msgRow, err)
	}
	return text, nil
}

// MarkRead clears a conversation's unread count.
func (c *Core) MarkRead(ctx context.Context, convRow int64) error {
	if err := c.store.MarkRead(ctx, convRow); err != nil {
		return fmt.Errorf("mark conversation %d read: %w", convRow, err)
	}
	c.bus.publish([]Update{{Kind: UpdConversation, ConvRow: convRow}})
	c.markOnNetwork(ctx, convRow)
	return nil
}

// markOnNetwork tells the network the conversation was read, where the
// connector can (read markers). A failure only costs the other side a
// "read" tick, so it is logged, not returned. A conversation with held or
// blocked messages gets no marker: it would tell a sender the user has not
// accepted that the address is live and read.
func (c *Core) markOnNetwork(ctx context.Context, convRow int64) {
	conv, err := c.store.Conversation(ctx, convRow)
	if err != nil || conv.Held > 0 || conv.Blocked > 0 {
		return
	}
	ar := c.running(conv.Account)
	if ar == nil {
		return
	}
	conn, st := ar.snapshot()
	m, ok := conn.(connectors.Marker)
	if !ok || st.State != connectors.StateOnline {
		return
	}
	last := ""
	if ms, err := c.store.Messages(ctx, convRow, 0, 1, false); err == nil && len(ms) == 1 {
		last = ms[0].RemoteID
	}
	kind := connectors.Direct
	if conv.Group {
		kind = connectors.Group
	}
	mctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := m.MarkRead(mctx, connectors.ConversationRef{ID: conv.RemoteID, Kind: kind}, last); err != nil {
		c.log.Info("read marker not sent", "account", conv.Account, "err", err)
	}
}

// SetMuted mutes or unmutes a conversation.
func (c *Core) SetMuted(ctx context.Context, convRow int64, muted bool) error {
	if err := c.store.SetMuted(ctx, convRow, muted); err != nil {
		return fmt.Errorf("mute conversation %d: %w", convRow, err)
	}
	c.bus.publish([]Update{{Kind: UpdConversation, ConvRow: convRow}})
	return nil
}

// Search finds messages across all accounts, newest first.
func (c *Core) Search(ctx context.Context, query string, limit, offset int) ([]storage.SearchHit, error) {
	if strings.TrimSpace(query) == "" {
		return nil, fmt.Errorf("search: the query is empty")
	}
	if limit <= 0 {
		limit = 50
	}
	out, err := c.store.Search(ctx, query, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	return out, nil
}

// UnreadTotal is the number for the tray badge.
func (c *Core) UnreadTotal(ctx context.Context) (int, error) { return c.store.UnreadTotal(ctx) }

// Counts is how many conversations each filter holds.
func (c *Core) Counts(ctx context.Context) (storage.ConvCounts, error) {
	n, err := c.store.ConversationCounts(ctx)
	if err != nil {
		return n, fmt.Errorf("count conversations: %w", err)
	}
	return n, nil
}

// Export writes the archive as JSONL (a process that opened the archive
// itself, with its key), and logs it in the audit log.
func (c *Core) Export(ctx context.Context, w io.Writer) (int, error) {
	if err := c.store.AddAudit(ctx, c.now(), "export", "plaintext export by the process that opened the archive"); err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	n, err := c.store.Export(ctx, w)
	if err != nil {
		return n, fmt.Errorf("export: %w", err)
	}
	return n, nil
}

// Import reads a JSONL archive into this profile.
func (c *Core) Import(ctx context.Context, r io.Reader) (storage.ImportStats, error) {
	st, err := c.store.Import(ctx, r, nil)
	if err != nil {
		return st, fmt.Errorf("import: %w", err)
	}
	c.bus.publish([]Update{{Kind: UpdConversation}})
	return st, nil
}

// Preference keys with validated values.
const (
	PrefQuietHours    = "quiet_hours"    // "22:00-07:00" or ""
	PrefRepliesWindow = "replies_window" // a Go duration, e.g. "24h"
)

func validatePref(key, value string) error {
	switch key {
	case PrefQuietHours:
		if value == "" {
			return nil
		}
		if _, _, err := parseQuietHours(value); err != nil {
			return err
		}
	case PrefRepliesWindow:
		if value == "" {
			return nil
		}
		d, err := time.ParseDuration(value)
		if err != nil || d <= 0 {
			return fmt.Errorf("replies window %q: give a positive duration such as 24h", value)
		}
	}
	return nil
}

// parseQuietHours reads "HH:MM-HH:MM" as minutes since midnight.
func parseQuietHours(v string) (from, to int, err error) {
	a, b, ok := strings.Cut(v, "-")
	if !ok {
		return 0, 0, fmt.Errorf("quiet hours %q: write them as 22:00-07:00", v)
	}
	if from, err = parseClock(a); err == nil {
		to, err = parseClock(b)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("quiet hours %q: %w", v, err)
	}
	return from, to, nil
}

func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, fmt.Errorf("%q is not a time of day (HH:MM)", s)
	}
	return hh*60 + mm, nil
}

// inQuietHours says whether notifications are silenced now.
func (c *Core) inQuietHours(ctx context.Context) bool {
	v, err := c.Pref(ctx, PrefQuietHours)
	if err != nil || v == "" {
		return false
	}
	from, to, err := parseQuietHours(v)
	if err != nil {
		return false
	}
	now := c.now()
	m := now.Hour()*60 + now.Minute()
	if from <= to {
		return m >= from && m < to
	}
	return m >= from || m < to // spans midnight
}
