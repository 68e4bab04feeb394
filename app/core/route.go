package core

import (
	"context"
	"errors"
	"fmt"
	"time"

	"switchboard/connectors"
	"switchboard/storage"
)

const maxBatch = 512

// route is the one goroutine that applies connector events: policy,
// storage, then one batch of updates to subscribers. After ctx ends it
// keeps draining until every account goroutine has stopped, so a message
// that reached the channel is always stored.
func (c *Core) route(ctx context.Context) {
	drained := make(chan struct{})
	stopping := ctx.Done()
	for {
		select {
		case ev := <-c.events:
			batch := []connectors.Event{ev}
		fill:
			for len(batch) < maxBatch {
				select {
				case ev := <-c.events:
					batch = append(batch, ev)
				default:
					break fill
				}
			}
			c.apply(context.WithoutCancel(ctx), batch, ctx.Done())
		case <-stopping:
			stopping = nil
			go func() {
				c.accWG.Wait()
				close(drained)
			}()
		case <-drained:
			// Everything sent before the accounts stopped is in the channel.
			for {
				select {
				case ev := <-c.events:
					c.apply(context.WithoutCancel(ctx), []connectors.Event{ev}, ctx.Done())
				default:
					return
				}
			}
		}
	}
}

// apply handles one batch of events in order. Contact and consent changes
// are written at once (later messages of the batch are classified with
// them); messages are written together in one storage batch, held until
// the archive takes them (see holdMessages); stopping is closed when the
// core is closing.
func (c *Core) apply(ctx context.Context, batch []connectors.Event, stopping <-chan struct{}) {
	var (
		ins     []storage.MessageIn
		live    []bool
		updates []Update
		syncs   []connectors.SyncState
		reads   []connectors.ReadElsewhere
	)
	for _, ev := range batch {
		switch e := ev.(type) {
		case connectors.MessageReceived:
			in, err := c.toStored(ctx, e)
			if err != nil {
				c.log.Error("classify message", "account", e.Account, "err", err)
			}
			ins = append(ins, in)
			live = append(live, !e.Backfill && !e.Message.Seen) // read elsewhere: no notification
		case connectors.ContactUpdated:
			if err := c.pol.contactUpdated(ctx, e); err != nil {
				c.log.Error("store contact", "account", e.Account, "err", err)
			}
		case connectors.ConnectionState:
			if u, ok := c.applyState(e); ok {
				updates = append(updates, u)
			}
		case connectors.Typing:
			conv, err := c.store.FindConversation(ctx, e.Account, e.Conversation)
			if err == nil {
				t := e
				updates = append(updates, Update{Kind: UpdTyping, Account: e.Account, ConvRow: conv.Row, Typing: &t})
			}
		case connectors.ConversationUpdated:
			if o := originName(e.Conversation.Origin); o != "" {
				// A bridge made itself known (its state event): the stored
				// conversation takes the origin at once.
				if err := c.store.SetConversationOrigin(ctx, e.Account, e.Conversation.ID, o); err != nil && !errors.Is(err, storage.ErrNotFound) {
					c.log.Warn("store conversation origin", "account", e.Account, "err", err)
				}
			}
			if conv, err := c.store.FindConversation(ctx, e.Account, e.Conversation.ID); err == nil {
				updates = append(updates, Update{Kind: UpdConversation, Account: e.Account, ConvRow: conv.Row})
			}
		case connectors.SyncState:
			syncs = append(syncs, e)
		case connectors.ReadElsewhere:
			reads = append(reads, e)
		case connectors.Receipt, connectors.Presence:
			// Not shown yet; nothing to store.
		default:
			c.log.Error("unknown connector event type", "type", typeName(ev))
		}
	}
	stored := true
	if len(ins) > 0 {
		var ups []Update
		ups, stored = c.holdMessages(ctx, ins, live, stopping)
		updates = append(updates, ups...)
	}
	// Read elsewhere: after the batch's messages, which it may name.
	for _, e := range reads {
		if !stored {
			break
		}
		conv, err := c.store.MarkReadThrough(ctx, e.Account, e.RemoteID)
		if err != nil {
			if !errors.Is(err, storage.ErrNotFound) {
				c.log.Error("mark read elsewhere", "account", e.Account, "err", err)
			}
			continue
		}
		updates = append(updates, Update{Kind: UpdConversation, Account: e.Account, ConvRow: conv})
	}
	// A sync position is kept only once the messages before it are stored.
	for _, st := range syncs {
		if !stored {
			break
		}
		if err := c.store.PutBlob(ctx, st.Account, syncBlob, []byte(st.State)); err != nil {
			c.log.Error("store sync position", "account", st.Account, "err", err)
		}
	}
	c.bus.publish(updates)
}

// Holding a batch the archive refuses: the router retries it, waiting
// holdRetryMin doubling to holdRetryMax between tries, and reads no other
// event meanwhile, so the connectors block on the full event channel
// (backpressure) instead of anything being dropped: IRC keeps no history
// to fetch a dropped message again.
const (
	holdRetryMin = 200 * time.Millisecond
	holdRetryMax = 10 * time.Second
	// closeTries bounds the tries once the core is closing: a process
	// that must exit cannot wait for a disk that never recovers.
	closeTries = 3
)

// holdMessages writes a batch of received messages, retrying until the
// archive takes it. While it fails the archive's error is published
// (UpdArchive) for the window to show, and cleared when a write succeeds.
func (c *Core) holdMessages(ctx context.Context, ins []storage.MessageIn, live []bool, stopping <-chan struct{}) ([]Update, bool) {
	wait, closingTries := holdRetryMin, 0
	for try := 1; ; try++ {
		res, err := c.putMessages(ctx, ins)
		if err == nil {
			c.setArchiveError("")
			return c.storedUpdates(ctx, ins, live, res), true
		}
		c.log.Error("store messages; holding the batch", "count", len(ins), "try", try, "err", err)
		c.setArchiveError(fmt.Sprintf("The archive cannot store new messages (%v). %d received messages are held in memory and new ones wait on the network until it can; nothing is dropped.", err, len(ins)))
		select {
		case <-stopping:
			if closingTries++; closingTries >= closeTries {
				c.log.Error("closing with messages the archive refused", "count", len(ins), "err", err)
				return nil, false
			}
		default:
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-stopping:
			t.Stop()
		}
		wait = min(2*wait, holdRetryMax)
	}
}

// setArchiveError publishes the archive's write error ("" = writing again)
// when it changes.
func (c *Core) setArchiveError(msg string) {
	c.mu.Lock()
	changed := c.archiveErr != msg
	c.archiveErr = msg
	c.mu.Unlock()
	if changed {
		c.bus.publish([]Update{{Kind: UpdArchive, ArchiveError: msg}})
	}
}

// ArchiveError is the archive's current write error, "" when it writes.
func (c *Core) ArchiveError() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.archiveErr
}

// storeMessages writes a batch fetched on request (older history),
// retrying a failing database a few times; the caller reports a failure.
func (c *Core) storeMessages(ctx context.Context, ins []storage.MessageIn, live []bool) ([]Update, bool) {
	var (
		res []storage.PutResult
		err error
	)
	for try := 0; try < 5; try++ {
		res, err = c.putMessages(ctx, ins)
		if err == nil {
			break
		}
		c.log.Error("store messages", "count", len(ins), "try", try+1, "err", err)
		time.Sleep(time.Duration(try+1) * 200 * time.Millisecond)
	}
	if err != nil {
		return nil, false
	}
	return c.storedUpdates(ctx, ins, live, res), true
}

// storedUpdates makes the updates for a stored batch: the new messages,
// notifying where a person would want to know.
func (c *Core) storedUpdates(ctx context.Context, ins []storage.MessageIn, live []bool, res []storage.PutResult) []Update {
	quiet := c.inQuietHours(ctx)
	convs := map[int64]*storage.Conversation{} // looked up once per batch
	var ups []Update
	for i, r := range res {
		if !r.Inserted {
			continue
		}
		if live[i] && ins[i].Direction == storage.In && ins[i].Hold == storage.Delivered {
			c.acknowledge(ctx, ins[i].Account, ins[i].RemoteID)
		}
		m := storedMessage(ins[i], r)
		if len(ins[i].Attachments) > 0 {
			if full, err := c.store.Message(ctx, r.MsgRow); err == nil {
				m = full // with the attachments' rows
			}
			if ar := c.running(m.Account); ar != nil {
				ar.pokeFiles()
			}
		}
		u := Update{Kind: UpdMessage, Account: m.Account, ConvRow: r.ConvRow, Message: &m}
		if live[i] && !quiet && m.Direction == storage.In && m.Hold == storage.Delivered {
			conv, seen := convs[r.ConvRow]
			if !seen {
				if cv, err := c.store.Conversation(ctx, r.ConvRow); err == nil {
					conv = &cv
				}
				convs[r.ConvRow] = conv
			}
			if conv != nil && !conv.Muted {
				u.Notify = true
				u.Title = conv.Title
			}
		}
		ups = append(ups, u)
	}
	return ups
}

// acknowledge lets the connector confirm receipt of a delivered message
// (never of a held one: that would tell the sender the address is live).
func (c *Core) acknowledge(ctx context.Context, account, remoteID string) {
	ar := c.running(account)
	if ar == nil {
		return
	}
	conn, _ := ar.snapshot()
	a, ok := conn.(connectors.Acknowledger)
	if !ok {
		return
	}
	actx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := a.Acknowledge(actx, remoteID); err != nil {
		c.log.Info("delivery receipt not sent", "account", account, "err", err)
	}
}

func storedMessage(in storage.MessageIn, r storage.PutResult) storage.Message {
	return storage.Message{
		Row: r.MsgRow, ConvRow: r.ConvRow, Account: in.Account, Network: in.Network,
		RemoteID: in.RemoteID, Sender: in.Sender, SenderName: in.SenderName, Time: in.Time,
		Direction: in.Direction, Text: in.Text, Action: in.Action, Notice: in.Notice,
		Mention: in.Mention, Hold: in.Hold, HoldReason: in.HoldReason, SendState: in.SendState,
	}
}

// toStored converts a connector message and files it through the brand policy.
func (c *Core) toStored(ctx context.Context, e connectors.MessageReceived) (storage.MessageIn, error) {
	m := e.Message
	dir := storage.In
	if m.Direction == connectors.Outbound {
		dir = storage.Out
	}
	t := m.Time
	if t.IsZero() {
		t = c.now()
	}
	in := storage.MessageIn{
		Account: e.Account, Network: c.networkOf(e.Account),
		ConvID: m.Conversation.ID, ConvGroup: m.Conversation.Kind == connectors.Group, ConvTitle: m.Conversation.Title,
		ConvOrigin: originName(m.Conversation.Origin), RemoteID: m.RemoteID, Sender: m.Sender, SenderName: m.SenderName, Time: t.UTC(),
		Direction: dir, Text: m.Text, Action: m.Action, Notice: m.Notice, Seen: m.Seen,
	}
	if in.ConvGroup && dir == storage.In {
		in.Mention = mentions(m.Text, c.selfHandle(e.Account))
	}
	for _, a := range m.Attachments {
		in.Attachments = append(in.Attachments, storage.AttachmentIn{Name: a.Name, Type: a.Type, Size: a.Size})
	}
	if in.RemoteID == "" {
		in.Hold, in.HoldReason = storage.HeldRequest, "the network gave this message no ID"
		return in, errors.New("connector sent a message without a remote ID")
	}
	hold, reason, err := c.pol.file(ctx, in, filing{headers: m.Headers, joined: m.Conversation.Joined, received: m.Received})
	in.Hold, in.HoldReason = hold, reason
	return in, err
}

func (c *Core) networkOf(account string) string {
	if ar := c.running(account); ar != nil {
		return ar.network
	}
	if a, err := c.store.Account(context.Background(), account); err == nil {
		return a.Network
	}
	return ""
}

// applyState records a connection state change and wakes the outbox when online.
func (c *Core) applyState(e connectors.ConnectionState) (Update, bool) {
	ar := c.running(e.Account)
	if ar == nil {
		return Update{}, false
	}
	ar.mu.Lock()
	ar.status.State = e.State
	ar.status.Reason = e.Reason
	ar.status.RetryAt = e.RetryAt
	if e.Self != "" {
		ar.status.Self = e.Self
	}
	ar.status.Since = c.now()
	st := ar.status
	ar.mu.Unlock()
	if e.State == connectors.StateOnline {
		ar.poke()
		ar.pokeFiles()
	}
	return Update{Kind: UpdAccount, Account: e.Account, State: &st}, true
}

func typeName(v any) string {
	if v == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%T", v)
}

// syncBlob is the blob key of a connector's SyncState.
const syncBlob = "sync-state"
