package core

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"switchboard/connectors"
	"switchboard/storage"
)

// Send writes the message to the outbox (and a pending row in the
// conversation) and wakes the account's sender. It returns once the
// message is safely stored, not when it has left.
func (c *Core) Send(ctx context.Context, req SendRequest) (storage.OutboxItem, error) {
	if strings.TrimSpace(req.Text) == "" && len(req.Files) == 0 {
		return storage.OutboxItem{}, errors.New("send: the message is empty")
	}
	if req.ConvRow != 0 {
		conv, err := c.store.Conversation(ctx, req.ConvRow)
		if err != nil {
			return storage.OutboxItem{}, fmt.Errorf("send: conversation %d: %w", req.ConvRow, err)
		}
		req.Account, req.Target = conv.Account, conv.RemoteID
	}
	acct, err := c.store.Account(ctx, req.Account)
	if err != nil {
		return storage.OutboxItem{}, fmt.Errorf("send: account %q: %w", req.Account, err)
	}
	if req.Target == "" {
		return storage.OutboxItem{}, errors.New("send: no recipient given")
	}
	files, err := checkFiles(acct.Network, req.Files)
	if err != nil {
		return storage.OutboxItem{}, err
	}
	var listing []storage.AttachmentIn
	for _, f := range files {
		listing = append(listing, f.in)
	}
	group := false
	if req.ConvRow == 0 {
		// A handle the user typed: the network checks and normalises it.
		ref, err := c.target(acct.Network, req.Target)
		if err != nil {
			return storage.OutboxItem{}, fmt.Errorf("send: %w", err)
		}
		req.Target, group = ref.ID, ref.Kind == connectors.Group
	}
	if conv, err := c.store.FindConversation(ctx, acct.Name, req.Target); err == nil {
		group = conv.Group
	}
	it, err := c.store.Enqueue(ctx, storage.OutboxItem{
		Account: acct.Name, Network: acct.Network, ConvID: req.Target, ConvGroup: group,
		Text: req.Text, Subject: req.Subject, Action: req.Action, Created: c.now(), Files: listing,
	})
	if err != nil {
		return it, fmt.Errorf("send: write to outbox: %w", err)
	}
	if err := c.saveFiles(ctx, it.MsgRow, files); err != nil {
		// Nothing half-sent: the item fails, with the reason, before it goes.
		for _, a := range mustAttachments(ctx, c.store, it.MsgRow) {
			if a.State == storage.AttachPending {
				_ = c.store.FailAttachment(context.WithoutCancel(ctx), a.ID, err.Error())
			}
		}
		c.publishMessage(ctx, it)
		return it, fmt.Errorf("send: %w", err)
	}
	if !group {
		// The user writing first is what allows a brand to answer.
		if err := c.pol.userSent(ctx, acct.Name, acct.Network, req.Target, c.now(), ""); err != nil {
			c.log.Error("record consent for sent message", "err", err)
		}
	}
	if m, err := c.store.Message(ctx, it.MsgRow); err == nil {
		c.bus.publish([]Update{{Kind: UpdMessage, Account: acct.Name, ConvRow: m.ConvRow, Message: &m}})
	}
	if ar := c.running(acct.Name); ar != nil {
		ar.poke()
	}
	return it, nil
}

// target asks the network what a typed handle names (NetworkInfo.Target);
// a network that does not say takes any handle as a direct conversation.
func (c *Core) target(network, ref string) (connectors.ConversationRef, error) {
	d, err := c.nets.get(network)
	if err != nil {
		return connectors.ConversationRef{}, err
	}
	if d.info.Target == nil {
		return connectors.ConversationRef{ID: strings.TrimSpace(ref), Kind: connectors.Direct}, nil
	}
	return d.info.Target(ref)
}

// Retry puts a failed message back in the queue.
func (c *Core) Retry(ctx context.Context, id int64) error {
	items, err := c.store.Outbox(ctx, "", storage.SendFailed)
	if err != nil {
		return fmt.Errorf("retry: read outbox: %w", err)
	}
	for _, it := range items {
		if it.ID != id {
			continue
		}
		if err := c.store.Retry(ctx, id); err != nil {
			return fmt.Errorf("retry: %w", err)
		}
		if m, err := c.store.Message(ctx, it.MsgRow); err == nil {
			c.bus.publish([]Update{{Kind: UpdMessage, Account: it.Account, ConvRow: m.ConvRow, Message: &m}})
		}
		if ar := c.running(it.Account); ar != nil {
			ar.poke()
		}
		return nil
	}
	return fmt.Errorf("retry: no failed message with ID %d", id)
}

// recoverOutbox runs at start: a message that was handed to the network
// when the previous process died may or may not have left. Sending it
// again could deliver it twice, so it is marked failed with an
// explanation and the user decides (Retry). Never-attempted messages stay
// queued and go out when their account connects.
func (c *Core) recoverOutbox(ctx context.Context) error {
	items, err := c.store.Outbox(ctx, "", storage.SendPending)
	if err != nil {
		return fmt.Errorf("read outbox: %w", err)
	}
	for _, it := range items {
		if !it.Sending {
			continue
		}
		msg := "Switchboard stopped while this message was being sent; it may not have arrived. Retry to send it again."
		if err := c.store.MarkFailed(ctx, it.ID, msg); err != nil {
			return fmt.Errorf("mark interrupted message %d: %w", it.ID, err)
		}
	}
	return nil
}

// sendLoop is the account's outbox sender: it drains queued messages, one
// at a time in order, whenever the account is online.
func (c *Core) sendLoop(ctx context.Context, ar *accountRun) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-ar.kick:
		}
		for ctx.Err() == nil {
			sent, err := c.sendNext(ctx, ar)
			if err != nil {
				c.log.Warn("outbox", "account", ar.name, "err", err)
			}
			if !sent {
				break
			}
		}
	}
}

// sendNext sends the oldest queued message of the account; sent reports
// whether there was one that could be attempted.
func (c *Core) sendNext(ctx context.Context, ar *accountRun) (bool, error) {
	conn, st := ar.snapshot()
	if conn == nil || st.State != connectors.StateOnline {
		return false, nil
	}
	items, err := c.store.Outbox(ctx, ar.name, storage.SendPending)
	if err != nil || len(items) == 0 {
		return false, err
	}
	it := items[0]
	files, ready, ferr := c.outFiles(ctx, it.MsgRow)
	if !ready && ferr == nil {
		return false, nil // its files are still being stored; Send pokes again
	}
	if err := c.store.MarkSending(ctx, it.ID); err != nil {
		return false, fmt.Errorf("mark sending: %w", err)
	}
	if ferr != nil {
		err := c.store.MarkFailed(context.WithoutCancel(ctx), it.ID, ferr.Error())
		c.publishMessage(context.WithoutCancel(ctx), it)
		return true, err
	}
	kind := connectors.Direct
	if it.ConvGroup {
		kind = connectors.Group
	}
	remoteID, sendErr := conn.Send(ctx, connectors.Outgoing{
		LocalID:      strconv.FormatInt(it.ID, 10),
		Conversation: connectors.ConversationRef{ID: it.ConvID, Kind: kind},
		Text:         it.Text,
		Action:       it.Action,
		Subject:      it.Subject,
		Files:        files,
	})
	wctx := context.WithoutCancel(ctx)
	switch {
	case sendErr == nil:
		if remoteID == "" {
			remoteID = "local:" + strconv.FormatInt(it.ID, 10)
		}
		err = c.store.MarkSent(wctx, it.ID, remoteID)
	case errors.Is(sendErr, connectors.ErrNotConnected):
		// Nothing left: put it back and wait for the next "online".
		if err = c.store.MarkFailed(wctx, it.ID, sendErr.Error()); err == nil {
			err = c.store.Retry(wctx, it.ID)
		}
		c.publishMessage(wctx, it)
		return false, err
	default:
		err = c.store.MarkFailed(wctx, it.ID, sendErr.Error())
	}
	c.publishMessage(wctx, it)
	return true, err
}

func (c *Core) publishMessage(ctx context.Context, it storage.OutboxItem) {
	m, err := c.store.Message(ctx, it.MsgRow)
	if errors.Is(err, storage.ErrNotFound) {
		// The network's echo was stored first and the pending row merged into it.
		m = storage.Message{Row: it.MsgRow, Account: it.Account, SendState: storage.SendSent, Direction: storage.Out}
	} else if err != nil {
		return
	}
	c.bus.publish([]Update{{Kind: UpdMessage, Account: it.Account, ConvRow: m.ConvRow, Message: &m}})
}

// mustAttachments lists a message's files, none when that fails.
func mustAttachments(ctx context.Context, st *storage.Store, msgRow int64) []storage.Attachment {
	atts, _ := st.Attachments(ctx, msgRow)
	return atts
}
