package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"
)

// maxCachedConvs bounds the writer's conversation-state cache.
const maxCachedConvs = 50000

const (
	flagOut     = 1
	flagAction  = 2
	flagNotice  = 4
	flagFiles   = 8  // has rows in attachments
	flagSeen    = 16 // read before it was archived (imported): never unread
	flagMention = 32 // a group message that names the user: awaits a reply
)

const (
	sqlMsgInsert = `INSERT OR IGNORE INTO messages(id, conv_id, account_id, remote_tag, sender_tag, time, flags, hold, send_state, body)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlMsgByRemote = `SELECT ` + sqlMsgKeyCols + ` FROM messages WHERE account_id = ? AND remote_tag = ?`
	sqlMsgCols     = `id, conv_id, account_id, time, flags, hold, send_state, body, ` + sqlMsgOutbox
	// sqlMsgOutbox is the outbox item behind a message written here (0 for others).
	sqlMsgOutbox = `CASE WHEN send_state != 0 THEN COALESCE((SELECT o.id FROM outbox o WHERE o.msg_id = messages.id), 0) ELSE 0 END`
	// A conversation pages in time order (ties by row): mail synced newest
	// page first and history fetched later arrive after newer messages.
	sqlMsgPage = `SELECT ` + sqlMsgCols + ` FROM messages WHERE conv_id = ?1 AND (time, id) < (?2, ?3)
		ORDER BY time DESC, id DESC LIMIT ?4`
	sqlMsgPageDel = `SELECT ` + sqlMsgCols + ` FROM messages WHERE conv_id = ?1 AND (time, id) < (?2, ?3) AND hold = 0
		ORDER BY time DESC, id DESC LIMIT ?4`
	sqlMsgTime = `SELECT time FROM messages WHERE id = ?`
	sqlMsgOne  = `SELECT ` + sqlMsgCols + ` FROM messages WHERE id = ?`
)

var sendStates = []SendState{SendNone, SendPending, SendSent, SendFailed}

func sendStateCode(s SendState) (int, error) {
	for i, v := range sendStates {
		if v == s {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown send state %q", s)
}

func sendStateOf(code int) SendState {
	if code >= 0 && code < len(sendStates) {
		return sendStates[code]
	}
	return SendNone
}

// msgBody is the sealed part of a message row.
type msgBody struct {
	remoteID, sender, senderName, text, holdReason, sendError string
}

// msgKey is a message row's identity and the clear columns bound to its
// sealed value: the conversation and account it is filed under, its flags
// (direction, seen…) and its hold state. Any of them edited in the file
// makes the message fail to open.
type msgKey struct {
	id, conv, acct int64
	flags, hold    int
}

// sqlMsgKeyCols selects a msgKey (scanMsgKey) followed by the body.
const sqlMsgKeyCols = `id, conv_id, account_id, flags, hold, body`

func scanMsgKey(sc interface{ Scan(...any) error }, k *msgKey, body *[]byte) error {
	return sc.Scan(&k.id, &k.conv, &k.acct, &k.flags, &k.hold, body)
}

func (k msgKey) ad() []byte { return boundAD("messages", k.id, k.conv, k.acct, k.flags, k.hold) }

func (s *Store) sealMsg(k msgKey, b msgBody) []byte {
	f := (&fields{}).str(b.remoteID).str(b.sender).str(b.senderName).str(b.text).str(b.holdReason).str(b.sendError)
	return s.seal.seal(f.b, k.ad())
}

func (s *Store) openMsg(k msgKey, body []byte) (msgBody, error) {
	id := k.id
	plain, err := s.seal.openBound(body, k.ad())
	if err != nil {
		return msgBody{}, fmt.Errorf("storage: message %d: %w", id, err)
	}
	r := &fieldReader{b: plain}
	b := msgBody{remoteID: r.str(), sender: r.str(), senderName: r.str(), text: r.str(), holdReason: r.str(), sendError: r.str()}
	if r.err != nil {
		return msgBody{}, fmt.Errorf("storage: message %d: %w", id, ErrTampered)
	}
	return b, nil
}

func validateMsg(m *MessageIn) error {
	switch {
	case m.Account == "":
		return errors.New("message has no account")
	case m.ConvID == "":
		return errors.New("message has no conversation ID")
	case m.RemoteID == "":
		return errors.New("message has no remote ID")
	case m.Direction != In && m.Direction != Out:
		return fmt.Errorf("message direction %q is neither in nor out", m.Direction)
	case m.Hold < Delivered || m.Hold > HeldBlocked:
		return fmt.Errorf("message hold %d is unknown", m.Hold)
	}
	_, err := sendStateCode(m.SendState)
	return err
}

// PutMessages archives messages, deduplicating on (account, remote ID).
// Concurrent callers' batches are written in one transaction.
func (s *Store) PutMessages(ctx context.Context, msgs []MessageIn) ([]PutResult, error) {
	if len(msgs) == 0 {
		return nil, nil
	}
	for i := range msgs {
		if err := validateMsg(&msgs[i]); err != nil {
			return nil, fmt.Errorf("storage: put message %d: %w", i, err)
		}
	}
	r := &wreq{msgs: msgs}
	if err := s.submit(ctx, r); err != nil {
		return nil, fmt.Errorf("storage: put messages: %w", err)
	}
	return r.res, nil
}

// indexed is a new message's search tokens, added to the index after commit.
type indexed struct {
	id   int64
	toks []int64
}

func (t *wtx) putMessages(msgs []MessageIn) ([]PutResult, error) {
	s := t.w.s
	res := make([]PutResult, len(msgs))
	convs := t.w.convs
	if len(convs) > maxCachedConvs {
		clear(convs)
	}
	touched := map[*convState]bool{}
	var newIdx []indexed
	now := time.Now()
	for i := range msgs {
		mv := msgs[i]
		m := &mv
		if m.Time.IsZero() {
			m.Time = now
		}
		acct, err := t.accountID(m.Account, m.Network, true)
		if err != nil {
			return nil, err
		}
		c, err := t.convFor(convs, acct, m.ConvID, m.ConvGroup, m.ConvTitle, m.ConvOrigin)
		if err != nil {
			return nil, err
		}
		touched[c] = true
		id, inserted, existingConv, err := t.insertMsg(acct, c.id, m)
		if err != nil {
			return nil, err
		}
		res[i] = PutResult{ConvRow: c.id, MsgRow: id, Inserted: inserted}
		if !inserted {
			res[i].ConvRow = existingConv
			continue
		}
		c.add(id, m)
		if len(m.Attachments) > 0 {
			if err := t.insertAttachments(id, m.Attachments); err != nil {
				return nil, err
			}
		}
		if m.Text != "" {
			newIdx = append(newIdx, indexed{id: id, toks: t.w.tokenTags(m.Text)})
		}
	}
	for c := range touched {
		if err := t.saveConv(c); err != nil {
			return nil, err
		}
	}
	if len(newIdx) > 0 {
		t.after = append(t.after, func() { s.index.add(newIdx) })
	}
	return res, nil
}

// insertMsg inserts one message; for a duplicate it returns the stored row.
func (t *wtx) insertMsg(acct, conv int64, m *MessageIn) (id int64, inserted bool, existingConv int64, err error) {
	s := t.w.s
	rtag := s.tags.remote.tagID(acct, m.RemoteID)
	id, err = t.newID("messages")
	if err != nil {
		return 0, false, 0, err
	}
	when := m.Time
	flags := 0
	if m.Direction == Out {
		flags |= flagOut
	}
	if m.Action {
		flags |= flagAction
	}
	if m.Notice {
		flags |= flagNotice
	}
	if len(m.Attachments) > 0 {
		flags |= flagFiles
	}
	if m.Seen {
		flags |= flagSeen
	}
	if m.Mention {
		flags |= flagMention
	}
	state, _ := sendStateCode(m.SendState)
	body := s.sealMsg(msgKey{id: id, conv: conv, acct: acct, flags: flags, hold: int(m.Hold)}, msgBody{remoteID: m.RemoteID, sender: m.Sender, senderName: m.SenderName,
		text: m.Text, holdReason: m.HoldReason})
	r, err := t.exec(sqlMsgInsert, id, conv, acct, rtag, s.tags.sender.tagID(acct, m.Sender),
		when.UnixNano(), flags, int(m.Hold), state, body)
	if err != nil {
		return 0, false, 0, fmt.Errorf("storage: insert message: %w", err)
	}
	if n, err := r.RowsAffected(); err != nil || n == 1 {
		return id, true, 0, err
	}
	t.next["messages"] = id // not used: give the ID back
	var oldBody []byte
	var k msgKey
	if err := scanMsgKey(t.queryRow(sqlMsgByRemote, acct, rtag), &k, &oldBody); err != nil {
		return 0, false, 0, fmt.Errorf("storage: find duplicate message: %w", err)
	}
	id, existingConv = k.id, k.conv
	old, err := s.openMsg(k, oldBody)
	if err != nil {
		return 0, false, 0, err
	}
	if old.remoteID != m.RemoteID {
		return 0, false, 0, fmt.Errorf("storage: remote ID tag collision on message %d", id)
	}
	return id, false, existingConv, nil
}

// Messages returns up to limit messages of a conversation that come
// before the message beforeRow (0: from the newest) in time order (ties by
// row), oldest first.
func (s *Store) Messages(ctx context.Context, convRow, beforeRow int64, limit int, includeHeld bool) ([]Message, error) {
	beforeTime := int64(math.MaxInt64)
	if beforeRow <= 0 {
		beforeRow = math.MaxInt64
	} else if err := s.rdb.QueryRowContext(ctx, sqlMsgTime, beforeRow).Scan(&beforeTime); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("storage: messages: %w", err)
	}
	if limit <= 0 {
		limit = math.MaxInt32
	}
	q := sqlMsgPageDel
	if includeHeld {
		q = sqlMsgPage
	}
	rows, err := s.rdb.QueryContext(ctx, q, convRow, beforeTime, beforeRow, limit)
	if err != nil {
		return nil, fmt.Errorf("storage: messages: %w", err)
	}
	out, err := s.scanMessages(ctx, rows)
	if err != nil {
		return nil, err
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// Message returns one message by row; ErrNotFound when absent.
func (s *Store) Message(ctx context.Context, row int64) (Message, error) {
	rows, err := s.rdb.QueryContext(ctx, sqlMsgOne, row)
	if err != nil {
		return Message{}, fmt.Errorf("storage: message: %w", err)
	}
	out, err := s.scanMessages(ctx, rows)
	if err != nil {
		return Message{}, err
	}
	if len(out) == 0 {
		return Message{}, fmt.Errorf("storage: message %d: %w", row, ErrNotFound)
	}
	return out[0], nil
}

type rawMsg struct {
	row, conv, acct, when int64
	flags, hold, state    int
	body                  []byte
	outbox                int64
}

// scanMessages reads the rows first and decrypts after closing them, so no
// reader connection is held while another is needed (account look-ups).
func (s *Store) scanMessages(ctx context.Context, rows *sql.Rows) ([]Message, error) {
	var raws []rawMsg
	for rows.Next() {
		var r rawMsg
		if err := rows.Scan(&r.row, &r.conv, &r.acct, &r.when, &r.flags, &r.hold, &r.state, &r.body, &r.outbox); err != nil {
			rows.Close()
			return nil, fmt.Errorf("storage: read message: %w", err)
		}
		raws = append(raws, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: read messages: %w", err)
	}
	out := make([]Message, 0, len(raws))
	for _, r := range raws {
		m, err := s.decodeMsg(ctx, r)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

func (s *Store) decodeMsg(ctx context.Context, r rawMsg) (Message, error) {
	b, err := s.openMsg(msgKey{id: r.row, conv: r.conv, acct: r.acct, flags: r.flags, hold: r.hold}, r.body)
	if err != nil {
		return Message{}, err
	}
	ai, err := s.accountInfo(ctx, r.acct)
	if err != nil {
		return Message{}, err
	}
	m := Message{Row: r.row, ConvRow: r.conv, Account: ai.name, Network: ai.network,
		RemoteID: b.remoteID, Sender: b.sender, SenderName: b.senderName, Text: b.text,
		HoldReason: b.holdReason, SendError: b.sendError, Time: fromNano(r.when), Direction: In,
		Action: r.flags&flagAction != 0, Notice: r.flags&flagNotice != 0, Mention: r.flags&flagMention != 0,
		Hold: Hold(r.hold), SendState: sendStateOf(r.state), OutboxID: r.outbox}
	if r.flags&flagOut != 0 {
		m.Direction = Out
	}
	if r.flags&flagFiles != 0 {
		if m.Attachments, err = s.Attachments(ctx, r.row); err != nil {
			return Message{}, err
		}
	}
	return m, nil
}
