package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

const sqlConvList = `SELECT id, account_id, remote_tag, is_group, muted, unread, last_msg, last_time, held, held_msg, held_time,
	blocked, blocked_msg, blocked_time, await_msg, await_time, peer_blocked, origin, body FROM conversations`

// inInbox is the condition for Unread and Awaiting: a delivered message,
// and not a conversation with a blocked contact. All also lists the
// conversations the user started or joined, before anyone wrote.
const (
	inInbox = "last_msg != 0 AND peer_blocked = 0"
	inAll   = "(last_msg != 0 OR opened != 0) AND peer_blocked = 0"
)

type rawConv struct {
	id, acct, tag                    int64
	group, muted                     bool
	unread, lastMsg, lastTime        int64
	held, heldMsg, heldTime          int64
	blocked, blockedMsg, blockedTime int64
	awaitMsg, awaitTime              int64
	peerBlocked                      bool
	origin                           string
	body                             []byte
}

func scanRawConv(sc interface{ Scan(...any) error }) (rawConv, error) {
	var c rawConv
	err := sc.Scan(&c.id, &c.acct, &c.tag, &c.group, &c.muted, &c.unread, &c.lastMsg, &c.lastTime, &c.held, &c.heldMsg,
		&c.heldTime, &c.blocked, &c.blockedMsg, &c.blockedTime, &c.awaitMsg, &c.awaitTime, &c.peerBlocked, &c.origin, &c.body)
	return c, err
}

// ListConversations returns the unified conversation list.
func (s *Store) ListConversations(ctx context.Context, q ConvQuery) ([]Conversation, error) {
	var where []string
	var args []any
	order := "last_time DESC, id DESC"
	switch q.Filter {
	case FilterAll, "":
		where = append(where, inAll)
	case FilterUnread:
		where = append(where, inInbox, "unread > 0")
	case FilterAwaiting:
		where = append(where, inInbox, "await_msg != 0")
		order = "await_time ASC, id ASC"
	case FilterRequests:
		where = append(where, "held > 0")
		order = "held_time DESC, id DESC"
	case FilterBlocked:
		where = append(where, "(blocked > 0 OR peer_blocked = 1)")
		order = "max(blocked_time, last_time) DESC, id DESC"
	default:
		return nil, fmt.Errorf("storage: list conversations: unknown filter %q", q.Filter)
	}
	if q.Account != "" {
		acct, ok, err := s.lookupAccountID(ctx, q.Account)
		if err != nil || !ok {
			return nil, err
		}
		where = append(where, "account_id = ?")
		args = append(args, acct)
	}
	if q.Network != "" {
		where = append(where, "(origin = ? OR (origin = '' AND account_id IN (SELECT id FROM accounts WHERE network = ?)))")
		args = append(args, q.Network, q.Network)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = -1
	}
	query := sqlConvList + " WHERE " + strings.Join(where, " AND ") + " ORDER BY " + order + " LIMIT ? OFFSET ?"
	args = append(args, limit, max(q.Offset, 0))
	raws, err := s.queryConvs(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return s.decodeConvs(ctx, raws, q.Filter)
}

func (s *Store) queryConvs(ctx context.Context, query string, args ...any) ([]rawConv, error) {
	rows, err := s.rdb.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: list conversations: %w", err)
	}
	defer rows.Close()
	var raws []rawConv
	for rows.Next() {
		c, err := scanRawConv(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: list conversations: %w", err)
		}
		raws = append(raws, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: list conversations: %w", err)
	}
	return raws, nil
}

// decodeConvs decrypts conversation rows and their "last" messages.
func (s *Store) decodeConvs(ctx context.Context, raws []rawConv, f Filter) ([]Conversation, error) {
	lastOf := func(c rawConv) (int64, int64, Hold) {
		switch {
		case f == FilterRequests || (f == "" && c.lastMsg == 0 && c.held > 0):
			return c.heldMsg, c.heldTime, HeldRequest
		case (f == FilterBlocked && c.blockedMsg != 0) || (f == "" && c.lastMsg == 0 && c.blocked > 0):
			return c.blockedMsg, c.blockedTime, HeldBlocked
		}
		return c.lastMsg, c.lastTime, Delivered
	}
	ids := make([]int64, 0, len(raws))
	for _, c := range raws {
		if id, _, _ := lastOf(c); id != 0 {
			ids = append(ids, id)
		}
	}
	msgs, err := s.messagesByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]Conversation, 0, len(raws))
	for _, c := range raws {
		rid, title, err := s.openConv(c.id, c.acct, c.tag, c.body)
		if err != nil {
			return nil, err
		}
		ai, err := s.accountInfo(ctx, c.acct)
		if err != nil {
			return nil, err
		}
		conv := Conversation{Row: c.id, Account: ai.name, Network: ai.network, RemoteID: rid, Origin: c.origin, Group: c.group,
			Title: title, Unread: int(c.unread), Held: int(c.held), Blocked: int(c.blocked), Muted: c.muted,
			PeerBlocked: c.peerBlocked}
		if c.awaitMsg != 0 {
			conv.Awaiting = fromNano(c.awaitTime)
		}
		lastID, lastTime, hold := lastOf(c)
		conv.LastTime = fromNano(lastTime)
		if m, ok := msgs[lastID]; ok {
			// The counters are clear columns; the message's conversation
			// and hold are authenticated. A held message shown in the
			// inbox through an edited counter is tampering.
			if m.ConvRow != c.id || m.Hold != hold {
				return nil, fmt.Errorf("storage: conversation %d lists message %d, which is not one of its %s messages: %w",
					c.id, lastID, holdName(hold), ErrTampered)
			}
			conv.LastText, conv.LastSender, conv.LastDirection, conv.LastAction = m.Text, m.Sender, m.Direction, m.Action
			if m.Hold != Delivered {
				conv.HoldReason = m.HoldReason
			}
		}
		out = append(out, conv)
	}
	return out, nil
}

// idList encodes row IDs as a JSON array for "IN (SELECT value FROM
// json_each(?))": one statement shape for any count, so it stays prepared.
func idList(ids []int64) string {
	b := make([]byte, 0, 8*len(ids)+2)
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, ']'))
}

// The json_each table drives the join so each ID is a rowid look-up.
const sqlMsgsByID = `SELECT messages.id, conv_id, account_id, time, flags, hold, send_state, body, ` + sqlMsgOutbox + `
	FROM json_each(?) j CROSS JOIN messages ON messages.id = j.value`

// messagesByID fetches and decrypts messages by row.
func (s *Store) messagesByID(ctx context.Context, ids []int64) (map[int64]Message, error) {
	out := make(map[int64]Message, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.rdb.QueryContext(ctx, sqlMsgsByID, idList(ids))
	if err != nil {
		return nil, fmt.Errorf("storage: read messages: %w", err)
	}
	msgs, err := s.scanMessages(ctx, rows)
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		out[m.Row] = m
	}
	return out, nil
}

// Conversation returns one conversation; its Last* fields describe the
// delivered messages, or the held ones when none is delivered.
func (s *Store) Conversation(ctx context.Context, row int64) (Conversation, error) {
	return s.oneConv(ctx, "id = ?", row)
}

// FindConversation finds a conversation by account and remote ID.
func (s *Store) FindConversation(ctx context.Context, account, convID string) (Conversation, error) {
	acct, ok, err := s.lookupAccountID(ctx, account)
	if err != nil {
		return Conversation{}, err
	}
	if !ok {
		return Conversation{}, fmt.Errorf("storage: conversation %q: %w", convID, ErrNotFound)
	}
	return s.oneConv(ctx, "account_id = ? AND remote_tag = ?", acct, s.tags.conv.tagID(acct, convID))
}

func (s *Store) oneConv(ctx context.Context, where string, args ...any) (Conversation, error) {
	raws, err := s.queryConvs(ctx, sqlConvList+" WHERE "+where, args...)
	if err != nil {
		return Conversation{}, err
	}
	if len(raws) == 0 {
		return Conversation{}, fmt.Errorf("storage: conversation: %w", ErrNotFound)
	}
	out, err := s.decodeConvs(ctx, raws, "")
	if err != nil {
		return Conversation{}, err
	}
	return out[0], nil
}

// MarkRead marks every message of the conversation read.
func (s *Store) MarkRead(ctx context.Context, convRow int64) error {
	return s.write(ctx, func(t *wtx) error {
		r, err := t.exec(`UPDATE conversations SET unread = 0,
			read_mark = max(read_mark, COALESCE((SELECT max(id) FROM messages WHERE conv_id = ?1), 0)) WHERE id = ?1`, convRow)
		return rowChanged(r, err, "mark read")
	})
}

// MarkReadThrough marks the message with this remote ID, and every earlier
// one of its conversation, read — the user read them in another client —
// and returns the conversation's row. ErrNotFound when the message is not
// archived.
func (s *Store) MarkReadThrough(ctx context.Context, account, remoteID string) (int64, error) {
	acct, ok, err := s.lookupAccountID(ctx, account)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, ErrNotFound
	}
	var conv int64
	err = s.write(ctx, func(t *wtx) error {
		var msg int64
		err := t.queryRow(`SELECT id, conv_id FROM messages WHERE account_id = ? AND remote_tag = ?`,
			acct, s.tags.remote.tagID(acct, remoteID)).Scan(&msg, &conv)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("storage: find message read elsewhere: %w", err)
		}
		if _, err := t.exec(`UPDATE conversations SET read_mark = max(read_mark, ?) WHERE id = ?`, msg, conv); err != nil {
			return fmt.Errorf("storage: mark read through: %w", err)
		}
		return t.recomputeConv(conv)
	})
	return conv, err
}

// SetMuted mutes or unmutes a conversation (muted ones are left out of UnreadTotal).
func (s *Store) SetMuted(ctx context.Context, convRow int64, muted bool) error {
	return s.write(ctx, func(t *wtx) error {
		r, err := t.exec(`UPDATE conversations SET muted = ? WHERE id = ?`, muted, convRow)
		return rowChanged(r, err, "set muted")
	})
}

func rowChanged(r sql.Result, err error, what string) error {
	if err != nil {
		return fmt.Errorf("storage: %s: %w", what, err)
	}
	if n, err := r.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("storage: %s: %w", what, ErrNotFound)
	}
	return nil
}

// UnreadTotal sums unread counts over unmuted conversations.
func (s *Store) UnreadTotal(ctx context.Context) (int, error) {
	var n int
	err := s.rdb.QueryRowContext(ctx, `SELECT COALESCE(SUM(unread), 0) FROM conversations WHERE muted = 0 AND peer_blocked = 0`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("storage: unread total: %w", err)
	}
	return n, nil
}

// ConversationCounts counts every filter in one query over clear columns.
func (s *Store) ConversationCounts(ctx context.Context) (ConvCounts, error) {
	var c ConvCounts
	var oldest sql.NullInt64
	err := s.rdb.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN muted = 0 AND peer_blocked = 0 THEN unread ELSE 0 END), 0),
		COUNT(CASE WHEN `+inInbox+` AND await_msg != 0 THEN 1 END),
		MIN(CASE WHEN `+inInbox+` AND await_msg != 0 THEN await_time END),
		COUNT(CASE WHEN held > 0 THEN 1 END),
		COUNT(CASE WHEN blocked > 0 OR peer_blocked = 1 THEN 1 END)
		FROM conversations`).Scan(&c.Unread, &c.Awaiting, &oldest, &c.Requests, &c.Blocked)
	if err != nil {
		return c, fmt.Errorf("storage: conversation counts: %w", err)
	}
	if oldest.Valid {
		c.OldestWait = fromNano(oldest.Int64)
	}
	c.Origins, err = s.origins(ctx)
	return c, err
}

// origins lists the distinct origin networks of listed conversations.
func (s *Store) origins(ctx context.Context) ([]string, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT DISTINCT origin FROM conversations WHERE origin != '' AND last_msg != 0 ORDER BY origin`)
	if err != nil {
		return nil, fmt.Errorf("storage: conversation origins: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			return nil, fmt.Errorf("storage: conversation origins: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// SetHold moves every message of sender on account from hold state from
// to to, and returns how many moved.
func (s *Store) SetHold(ctx context.Context, account, sender string, from, to Hold) (int, error) {
	var n int
	err := s.write(ctx, func(t *wtx) error {
		var err error
		n, err = t.setHold(account, sender, from, to)
		return err
	})
	return n, err
}

// setHold moves sender's messages from one hold state to another inside a
// write transaction. A message's hold is bound into its sealed value, so
// each moved message is sealed again.
func (t *wtx) setHold(account, sender string, from, to Hold) (int, error) {
	s := t.w.s
	acct, err := t.accountID(account, "", false)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	rows, err := t.tx.QueryContext(t.ctx, `SELECT `+sqlMsgKeyCols+` FROM messages WHERE sender_tag = ? AND hold = ?`,
		s.tags.sender.tagID(acct, sender), int(from))
	if err != nil {
		return 0, fmt.Errorf("storage: set hold: %w", err)
	}
	type moved struct {
		k msgKey
		b msgBody
	}
	convs := map[int64]bool{}
	var ms []moved
	for rows.Next() {
		var k msgKey
		var body []byte
		if err := scanMsgKey(rows, &k, &body); err != nil {
			rows.Close()
			return 0, fmt.Errorf("storage: set hold: %w", err)
		}
		b, err := s.openMsg(k, body)
		if err != nil {
			rows.Close()
			return 0, err
		}
		if b.sender == sender {
			ms = append(ms, moved{k, b})
			convs[k.conv] = true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("storage: set hold: %w", err)
	}
	for _, m := range ms {
		m.k.hold = int(to)
		if _, err := t.exec(`UPDATE messages SET hold = ?, body = ? WHERE id = ?`, int(to), s.sealMsg(m.k, m.b), m.k.id); err != nil {
			return 0, fmt.Errorf("storage: set hold: %w", err)
		}
	}
	for conv := range convs {
		if err := t.recomputeConv(conv); err != nil {
			return 0, err
		}
	}
	return len(ms), nil
}

// PurgeBlocked deletes the messages held from blocked senders (account ""
// = all accounts) with their search index entries.
func (s *Store) PurgeBlocked(ctx context.Context, account string) (int, error) {
	var n int
	err := s.write(ctx, func(t *wtx) error {
		q, args := `SELECT m.id, m.conv_id FROM conversations c JOIN messages m ON m.conv_id = c.id
			WHERE c.blocked > 0 AND m.hold = ?`, []any{int(HeldBlocked)}
		if account != "" {
			acct, err := t.accountID(account, "", false)
			if errors.Is(err, ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			q += " AND c.account_id = ?"
			args = append(args, acct)
		}
		ids, convs, err := t.idsAndConvs(q, args...)
		if err != nil {
			return fmt.Errorf("storage: purge blocked: %w", err)
		}
		if err := t.deleteMessages(ids); err != nil {
			return err
		}
		t.checkpointAfterPurge()
		for conv := range convs {
			if err := t.recomputeConv(conv); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}

// idsAndConvs runs a query yielding (message id, conversation id) pairs.
func (t *wtx) idsAndConvs(q string, args ...any) ([]int64, map[int64]bool, error) {
	rows, err := t.tx.QueryContext(t.ctx, q, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var ids []int64
	convs := map[int64]bool{}
	for rows.Next() {
		var id, conv int64
		if err := rows.Scan(&id, &conv); err != nil {
			return nil, nil, err
		}
		ids = append(ids, id)
		convs[conv] = true
	}
	return ids, convs, rows.Err()
}

// UnreadByAccount sums each account's unread counts over its unmuted
// conversations, by account name, from clear columns: only the account
// names are opened (and cached), no conversation is decrypted. Accounts
// without unread messages are absent.
func (s *Store) UnreadByAccount(ctx context.Context) (map[string]int, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT account_id, SUM(unread) FROM conversations
		WHERE muted = 0 AND unread > 0 AND last_msg != 0 AND peer_blocked = 0 GROUP BY account_id`)
	if err != nil {
		return nil, fmt.Errorf("storage: unread by account: %w", err)
	}
	type sum struct{ id, n int64 }
	var sums []sum
	for rows.Next() {
		var x sum
		if err := rows.Scan(&x.id, &x.n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("storage: unread by account: %w", err)
		}
		sums = append(sums, x)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("storage: unread by account: %w", err)
	}
	out := make(map[string]int, len(sums))
	for _, x := range sums {
		ai, err := s.accountInfo(ctx, x.id)
		if err != nil {
			return nil, err
		}
		out[ai.name] += int(x.n)
	}
	return out, nil
}

func holdName(h Hold) string {
	switch h {
	case HeldRequest:
		return "held"
	case HeldBlocked:
		return "blocked"
	}
	return "delivered"
}

// MarkDone takes a conversation out of Awaiting reply until the other side
// writes again (a message newer than the newest one now delivered).
func (s *Store) MarkDone(ctx context.Context, convRow int64) error {
	return s.write(ctx, func(t *wtx) error {
		r, err := t.exec(`UPDATE conversations SET await_msg = 0, await_time = 0,
			done_time = max(done_time, last_time) WHERE id = ?`, convRow)
		return rowChanged(r, err, "mark done")
	})
}

// SetPeerBlocked records that the other side of a direct conversation is
// blocked (or no longer): it leaves All, Unread and Awaiting, and comes
// back when unblocked. ErrNotFound when there is no such conversation.
func (s *Store) SetPeerBlocked(ctx context.Context, account, convID string, blocked bool) (int64, error) {
	acct, ok, err := s.lookupAccountID(ctx, account)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, fmt.Errorf("storage: set blocked: %w", ErrNotFound)
	}
	var row int64
	err = s.write(ctx, func(t *wtx) error {
		err := t.queryRow(`UPDATE conversations SET peer_blocked = ? WHERE account_id = ? AND remote_tag = ? AND is_group = 0 RETURNING id`,
			blocked, acct, s.tags.conv.tagID(acct, convID)).Scan(&row)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("storage: set blocked: %w", ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("storage: set blocked: %w", err)
		}
		return nil
	})
	return row, err
}

// OpenConversation finds or creates the conversation convID of account
// (one the user starts or joins) and lists it in All before anyone
// writes, at the time at. It returns the conversation's row.
func (s *Store) OpenConversation(ctx context.Context, account, convID string, group bool, at time.Time) (int64, error) {
	if convID == "" {
		return 0, errors.New("storage: open conversation: no conversation ID")
	}
	var row int64
	err := s.write(ctx, func(t *wtx) error {
		acct, err := t.accountID(account, "", false)
		if err != nil {
			return fmt.Errorf("storage: open conversation: %w", err)
		}
		c, err := t.convFor(map[convKey]*convState{}, acct, convID, group, "", "")
		if err != nil {
			return err
		}
		if err := t.saveConv(c); err != nil {
			return err
		}
		row = c.id
		_, err = t.exec(`UPDATE conversations SET opened = ?1,
			last_time = CASE WHEN last_msg = 0 THEN ?1 ELSE last_time END WHERE id = ?2 AND opened = 0`, unixNano(at), c.id)
		if err != nil {
			return fmt.Errorf("storage: open conversation: %w", err)
		}
		return nil
	})
	return row, err
}

// SetConversationOrigin records the network a stored conversation really
// belongs to (a bridge's origin); "" clears it. ErrNotFound when the
// conversation is not stored.
func (s *Store) SetConversationOrigin(ctx context.Context, account, convID, origin string) error {
	err := s.write(ctx, func(t *wtx) error {
		acct, err := t.accountID(account, "", false)
		if err != nil {
			return err
		}
		k := convKey{acct, s.tags.conv.tagID(acct, convID)}
		res, err := t.exec(`UPDATE conversations SET origin = ? WHERE account_id = ? AND remote_tag = ?`, origin, acct, k.tag)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("conversation %q: %w", convID, ErrNotFound)
		}
		if c := t.w.convs[k]; c != nil {
			c.origin = origin
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("storage: set conversation origin: %w", err)
	}
	return nil
}
