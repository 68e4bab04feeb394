package core

import (
	"context"
	"errors"
	"fmt"

	"switchboard/connectors"
	"switchboard/storage"
)

// historyPage is how many messages one Historian call asks for, and
// historyPages how many pages one LoadOlder walks at most (a network pages
// back from its newest message, so the first pages are often ones the
// archive already holds).
const (
	historyPage  = 50
	historyPages = 20
)

// histState is where paging back a conversation on its network stands in
// this process.
type histState struct {
	cursor connectors.Cursor // "" = start at the network's newest
	done   bool              // the network has nothing older
}

// LoadOlder asks the conversation's network for messages older than the
// archive holds (connectors.Historian) and archives them as read, never
// notified, filed by the brand policy like any message. It pages back
// until it stored at least want new messages or the network has nothing
// older; more says whether another call may find more.
func (c *Core) LoadOlder(ctx context.Context, convRow int64, want int) (added int, more bool, err error) {
	if want <= 0 {
		want = historyPage
	}
	conv, err := c.store.Conversation(ctx, convRow)
	if err != nil {
		return 0, false, fmt.Errorf("older messages of conversation %d: %w", convRow, err)
	}
	ar := c.running(conv.Account)
	if ar == nil {
		return 0, false, fmt.Errorf("older messages: account %q is not connected", conv.Account)
	}
	conn, st := ar.snapshot()
	h, ok := conn.(connectors.Historian)
	if !ok {
		return 0, false, nil // the network keeps no history to ask
	}
	if st.State != connectors.StateOnline {
		return 0, true, fmt.Errorf("older messages: %s is not online", conv.Account)
	}
	c.mu.Lock()
	hs := c.hist[convRow]
	c.mu.Unlock()
	if hs.done {
		return 0, false, nil
	}
	kind := connectors.Direct
	if conv.Group {
		kind = connectors.Group
	}
	ref := connectors.ConversationRef{ID: conv.RemoteID, Kind: kind, Title: conv.Title}
	for page := 0; page < historyPages && added < want; page++ {
		msgs, next, err := h.History(ctx, ref, hs.cursor, historyPage)
		if err != nil {
			return added, true, fmt.Errorf("older messages of %s: %w", conv.Account, err)
		}
		n, err := c.archiveHistory(ctx, conv.Account, msgs)
		added += n
		if err != nil {
			return added, true, err
		}
		hs.cursor, hs.done = next, next == ""
		c.mu.Lock()
		c.hist[convRow] = hs
		c.mu.Unlock()
		if hs.done {
			break
		}
	}
	return added, !hs.done, nil
}

// archiveHistory stores messages fetched from the network's history: read
// (history is not news), never notified. It returns how many were new.
func (c *Core) archiveHistory(ctx context.Context, account string, msgs []connectors.Message) (int, error) {
	if len(msgs) == 0 {
		return 0, nil
	}
	ins := make([]storage.MessageIn, 0, len(msgs))
	live := make([]bool, 0, len(msgs))
	for _, m := range msgs {
		in, err := c.toStored(ctx, connectors.MessageReceived{Account: account, Message: m, Backfill: true})
		if err != nil {
			c.log.Error("classify older message", "account", account, "err", err)
			if in.RemoteID == "" {
				continue
			}
		}
		in.Seen = true
		ins = append(ins, in)
		live = append(live, false)
	}
	ups, stored := c.storeMessages(ctx, ins, live)
	if !stored {
		return 0, errors.New("older messages: the archive could not store them")
	}
	// Not published one by one: they are no news, and a window showing the
	// conversation pages them in itself; its row in the list may change.
	seen := map[int64]bool{}
	var convs []Update
	for _, u := range ups {
		if !seen[u.ConvRow] {
			seen[u.ConvRow] = true
			convs = append(convs, Update{Kind: UpdConversation, Account: account, ConvRow: u.ConvRow})
		}
	}
	c.bus.publish(convs)
	return len(ups), nil
}
