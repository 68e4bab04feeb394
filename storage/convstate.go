package storage

import (
	"database/sql"
	"errors"
	"fmt"
)

// convState is a conversation row's denormalised state, kept up to date by
// the writer so the unified list never scans messages.
type convState struct {
	id, acct, tag                    int64
	group                            bool
	readMark, unread                 int64
	lastMsg, lastTime                int64
	lastIn                           bool
	held, heldMsg, heldTime          int64
	blocked, blockedMsg, blockedTime int64
	// awaitMsg/awaitTime: the oldest delivered message the user owes a
	// reply to (a direct one, or a group one naming the user) newer than
	// the user's last message (outTime) and than "done" (doneTime).
	awaitMsg, awaitTime, outTime, doneTime int64
	remoteID, title                        string
	origin                                 string // as last written here; "" = not known to this cache
	titleKnown, bodyDirty, dirty           bool
	body                                   []byte
}

type convKey struct{ acct, tag int64 }

const (
	sqlConvState = `SELECT id, account_id, remote_tag, is_group, read_mark, unread, last_msg, last_time, last_in, held, held_msg, held_time,
		blocked, blocked_msg, blocked_time, await_msg, await_time, out_time, done_time, body FROM conversations`
	sqlConvInsert = `INSERT INTO conversations(id, account_id, remote_tag, is_group, origin, body) VALUES (?, ?, ?, ?, ?, ?)`
	sqlConvOrigin = `UPDATE conversations SET origin = ? WHERE id = ? AND origin != ?`
	sqlConvSave   = `UPDATE conversations SET is_group = ?, read_mark = ?, unread = ?, last_msg = ?, last_time = ?,
		last_in = ?, held = ?, held_msg = ?, held_time = ?, blocked = ?, blocked_msg = ?, blocked_time = ?,
		await_msg = ?, await_time = ?, out_time = ?, body = ? WHERE id = ?`
)

// A conversation's account and remote tag are bound to its sealed value:
// a conversation moved to another account fails to open.
func convAD(id, acct, tag int64) []byte { return boundAD("conversations", id, acct, tag) }

func (s *Store) sealConv(id, acct, tag int64, remoteID, title string) []byte {
	return s.seal.seal((&fields{}).str(remoteID).str(title).b, convAD(id, acct, tag))
}

func (s *Store) openConv(id, acct, tag int64, body []byte) (remoteID, title string, err error) {
	plain, err := s.seal.openBound(body, convAD(id, acct, tag))
	if err != nil {
		return "", "", fmt.Errorf("storage: conversation %d: %w", id, err)
	}
	r := &fieldReader{b: plain}
	remoteID, title = r.str(), r.str()
	if r.err != nil {
		return "", "", fmt.Errorf("storage: conversation %d: %w", id, ErrTampered)
	}
	return remoteID, title, nil
}

func scanConvState(sc interface{ Scan(...any) error }, c *convState) error {
	return sc.Scan(&c.id, &c.acct, &c.tag, &c.group, &c.readMark, &c.unread, &c.lastMsg, &c.lastTime, &c.lastIn,
		&c.held, &c.heldMsg, &c.heldTime, &c.blocked, &c.blockedMsg, &c.blockedTime,
		&c.awaitMsg, &c.awaitTime, &c.outTime, &c.doneTime, &c.body)
}

// convFor loads or creates the conversation of a message within a write
// transaction; convs caches the transaction's conversations.
func (t *wtx) convFor(convs map[convKey]*convState, acct int64, convID string, group bool, title, origin string) (*convState, error) {
	s := t.w.s
	k := convKey{acct, s.tags.conv.tagID(acct, convID)}
	c := convs[k]
	if c == nil {
		c = &convState{}
		err := scanConvState(t.queryRow(sqlConvState+" WHERE account_id = ? AND remote_tag = ?", acct, k.tag), c)
		if errors.Is(err, sql.ErrNoRows) {
			if c, err = t.createConv(k, convID, group, title, origin); err != nil {
				return nil, err
			}
		} else if err != nil {
			return nil, fmt.Errorf("storage: load conversation: %w", err)
		}
		convs[k] = c
	}
	if group && !c.group {
		c.group, c.dirty = true, true
	}
	if origin != "" && origin != c.origin {
		if _, err := t.exec(sqlConvOrigin, origin, c.id, origin); err != nil {
			return nil, fmt.Errorf("storage: save conversation origin: %w", err)
		}
		c.origin = origin
	}
	if title != "" {
		if !c.titleKnown {
			rid, old, err := s.openConv(c.id, c.acct, c.tag, c.body)
			if err != nil {
				return nil, err
			}
			c.remoteID, c.title, c.titleKnown = rid, old, true
		}
		if title != c.title {
			c.title, c.bodyDirty, c.dirty = title, true, true
		}
	}
	return c, nil
}

func (t *wtx) createConv(k convKey, convID string, group bool, title, origin string) (*convState, error) {
	id, err := t.newID("conversations")
	if err != nil {
		return nil, err
	}
	if title == "" {
		title = convID
	}
	c := &convState{id: id, acct: k.acct, tag: k.tag, group: group, remoteID: convID, title: title, titleKnown: true, origin: origin}
	c.body = t.w.s.sealConv(id, k.acct, k.tag, convID, title)
	if _, err := t.exec(sqlConvInsert, id, k.acct, k.tag, group, origin, c.body); err != nil {
		return nil, fmt.Errorf("storage: create conversation: %w", err)
	}
	return c, nil
}

// add accounts for a new message in the conversation's state.
func (c *convState) add(id int64, m *MessageIn) {
	when := unixNano(m.Time)
	c.note(id, when, m.Direction == In, m.Hold, m.Seen, m.Mention)
}

// note counts a message; seen ones are never unread.
func (c *convState) note(id, when int64, in bool, hold Hold, seen, mention bool) {
	c.dirty = true
	newer := func(lastMsg, lastTime int64) bool {
		return lastMsg == 0 || when > lastTime || (when == lastTime && id > lastMsg)
	}
	switch hold {
	case Delivered:
		if newer(c.lastMsg, c.lastTime) {
			c.lastMsg, c.lastTime, c.lastIn = id, when, in
		}
		if in && !seen && id > c.readMark {
			c.unread++
		}
		c.noteAwait(id, when, in, mention)
	case HeldRequest:
		c.held++
		if newer(c.heldMsg, c.heldTime) {
			c.heldMsg, c.heldTime = id, when
		}
	case HeldBlocked:
		c.blocked++
		if newer(c.blockedMsg, c.blockedTime) {
			c.blockedMsg, c.blockedTime = id, when
		}
	}
}

func (t *wtx) saveConv(c *convState) error {
	if !c.dirty {
		return nil
	}
	if c.bodyDirty {
		c.body = t.w.s.sealConv(c.id, c.acct, c.tag, c.remoteID, c.title)
	}
	_, err := t.exec(sqlConvSave, c.group, c.readMark, c.unread, c.lastMsg, c.lastTime, c.lastIn,
		c.held, c.heldMsg, c.heldTime, c.blocked, c.blockedMsg, c.blockedTime,
		c.awaitMsg, c.awaitTime, c.outTime, c.body, c.id)
	if err != nil {
		return fmt.Errorf("storage: save conversation: %w", err)
	}
	c.dirty, c.bodyDirty = false, false
	return nil
}

// recomputeConv rebuilds a conversation's counters from its messages
// (after hold changes and deletions).
func (t *wtx) recomputeConv(convID int64) error {
	c := &convState{}
	if err := scanConvState(t.queryRow(sqlConvState+" WHERE id = ?", convID), c); err != nil {
		return fmt.Errorf("storage: load conversation %d: %w", convID, err)
	}
	c.unread, c.lastMsg, c.lastTime, c.lastIn = 0, 0, 0, false
	c.held, c.heldMsg, c.heldTime, c.blocked, c.blockedMsg, c.blockedTime = 0, 0, 0, 0, 0, 0
	c.awaitMsg, c.awaitTime, c.outTime = 0, 0, 0
	rows, err := t.tx.QueryContext(t.ctx, "SELECT id, time, flags, hold FROM messages WHERE conv_id = ? ORDER BY time, id", convID)
	if err != nil {
		return fmt.Errorf("storage: recount conversation: %w", err)
	}
	for rows.Next() {
		var id, when int64
		var flags, hold int
		if err := rows.Scan(&id, &when, &flags, &hold); err != nil {
			rows.Close()
			return fmt.Errorf("storage: recount conversation: %w", err)
		}
		c.note(id, when, flags&flagOut == 0, Hold(hold), flags&flagSeen != 0, flags&flagMention != 0)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("storage: recount conversation: %w", err)
	}
	c.dirty = true
	return t.saveConv(c)
}

// noteAwait keeps track of what awaits the user's reply: the user's own
// message answers everything before it; a direct message, or a group
// message naming the user, newer than that answer and than the user's
// "done" awaits one. Group chatter that does not name the user never does.
func (c *convState) noteAwait(id, when int64, in, mention bool) {
	if !in {
		if when > c.outTime {
			c.outTime = when
		}
		if c.awaitMsg != 0 && when >= c.awaitTime {
			c.awaitMsg, c.awaitTime = 0, 0
		}
		return
	}
	if c.group && !mention {
		return
	}
	if when <= c.outTime || when <= c.doneTime {
		return
	}
	if c.awaitMsg == 0 || when < c.awaitTime {
		c.awaitMsg, c.awaitTime = id, when
	}
}
