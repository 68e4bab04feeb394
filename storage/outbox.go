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

// The outbox: a message the user sends is written here and, in the same
// transaction, into the archive as a pending outbound message. The
// "sending" column records that MarkSending handed it to a connector and no
// outcome is known yet (State stays pending); after a crash such items may
// or may not have reached the network.

const (
	sqlOutboxCols   = `id, account_id, conv_id, msg_id, is_group, action, state, attempts, created, body, sending`
	sqlOutboxInsert = `INSERT INTO outbox(id, account_id, conv_id, msg_id, is_group, action, state, attempts, created, body)
		VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`
)

// outboxBody is an item's sealed part; subject came later and is optional
// on read.
type outboxBody struct{ convID, text, errText, remoteID, subject string }

func (s *Store) sealOutbox(id int64, b outboxBody) []byte {
	return s.seal.seal((&fields{}).str(b.convID).str(b.text).str(b.errText).str(b.remoteID).str(b.subject).b, ad("outbox", id))
}

func (s *Store) openOutbox(id int64, body []byte) (outboxBody, error) {
	plain, err := s.seal.open(body, ad("outbox", id))
	if err != nil {
		return outboxBody{}, fmt.Errorf("storage: outbox item %d: %w", id, err)
	}
	r := &fieldReader{b: plain}
	b := outboxBody{convID: r.str(), text: r.str(), errText: r.str(), remoteID: r.str(), subject: r.opt()}
	if r.err != nil {
		return outboxBody{}, fmt.Errorf("storage: outbox item %d: %w", id, ErrTampered)
	}
	return b, nil
}

// Enqueue writes an outbox item and its pending archive message in one
// transaction, returning the item with ID and MsgRow set.
func (s *Store) Enqueue(ctx context.Context, it OutboxItem) (OutboxItem, error) {
	if it.Account == "" || it.ConvID == "" {
		return it, errors.New("storage: enqueue: account and conversation are required")
	}
	if it.Created.IsZero() {
		it.Created = time.Now()
	}
	it.State, it.Attempts, it.Error, it.RemoteID = SendPending, 0, "", ""
	err := s.write(ctx, func(t *wtx) error {
		acct, err := t.accountID(it.Account, it.Network, true)
		if err != nil {
			return err
		}
		if it.ID, err = t.newID("outbox"); err != nil {
			return err
		}
		m := MessageIn{Account: it.Account, Network: it.Network, ConvID: it.ConvID, ConvGroup: it.ConvGroup,
			RemoteID: "local:" + strconv.FormatInt(it.ID, 10), Time: it.Created, Direction: Out, Text: it.Text,
			Action: it.Action, SendState: SendPending, Attachments: it.Files}
		res, err := t.putMessages([]MessageIn{m})
		if err != nil {
			return err
		}
		it.MsgRow = res[0].MsgRow
		state, _ := sendStateCode(SendPending)
		_, err = t.exec(sqlOutboxInsert, it.ID, acct, res[0].ConvRow, it.MsgRow, it.ConvGroup, it.Action, state,
			unixNano(it.Created), s.sealOutbox(it.ID, outboxBody{convID: it.ConvID, text: it.Text, subject: it.Subject}))
		return err
	})
	if err != nil {
		return it, fmt.Errorf("storage: enqueue: %w", err)
	}
	return it, nil
}

// Outbox lists items, oldest first (account "" = all; no states = all).
func (s *Store) Outbox(ctx context.Context, account string, states ...SendState) ([]OutboxItem, error) {
	var where []string
	var args []any
	if account != "" {
		acct, ok, err := s.lookupAccountID(ctx, account)
		if err != nil || !ok {
			return nil, err
		}
		where, args = append(where, "account_id = ?"), append(args, acct)
	}
	if len(states) > 0 {
		ph := make([]string, len(states))
		for i, st := range states {
			code, err := sendStateCode(st)
			if err != nil {
				return nil, fmt.Errorf("storage: outbox: %w", err)
			}
			ph[i], args = "?", append(args, code)
		}
		where = append(where, "state IN ("+strings.Join(ph, ",")+")")
	}
	q := `SELECT ` + sqlOutboxCols + ` FROM outbox`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := s.rdb.QueryContext(ctx, q+" ORDER BY id", args...)
	if err != nil {
		return nil, fmt.Errorf("storage: outbox: %w", err)
	}
	type raw struct {
		it   OutboxItem
		acct int64
		body []byte
	}
	var raws []raw
	for rows.Next() {
		var r raw
		var conv, created int64
		var state int
		if err := rows.Scan(&r.it.ID, &r.acct, &conv, &r.it.MsgRow, &r.it.ConvGroup, &r.it.Action, &state,
			&r.it.Attempts, &created, &r.body, &r.it.Sending); err != nil {
			rows.Close()
			return nil, fmt.Errorf("storage: outbox: %w", err)
		}
		r.it.State, r.it.Created = sendStateOf(state), fromNano(created)
		raws = append(raws, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: outbox: %w", err)
	}
	out := make([]OutboxItem, 0, len(raws))
	for _, r := range raws {
		b, err := s.openOutbox(r.it.ID, r.body)
		if err != nil {
			return nil, err
		}
		ai, err := s.accountInfo(ctx, r.acct)
		if err != nil {
			return nil, err
		}
		it := r.it
		it.Account, it.Network, it.ConvID, it.Text, it.Error, it.RemoteID = ai.name, ai.network, b.convID, b.text, b.errText, b.remoteID
		it.Subject = b.subject
		out = append(out, it)
	}
	return out, nil
}

// outboxRow is an outbox item as the writer updates it.
type outboxRow struct {
	id, acct, conv, msg int64
	body                outboxBody
}

func (t *wtx) loadOutbox(id int64) (*outboxRow, error) {
	r := &outboxRow{id: id}
	var body []byte
	err := t.queryRow(`SELECT account_id, conv_id, msg_id, body FROM outbox WHERE id = ?`, id).Scan(&r.acct, &r.conv, &r.msg, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("outbox item %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if r.body, err = t.w.s.openOutbox(id, body); err != nil {
		return nil, err
	}
	return r, nil
}

func (t *wtx) saveOutbox(r *outboxRow, state SendState, sending bool) error {
	code, _ := sendStateCode(state)
	_, err := t.exec(`UPDATE outbox SET state = ?, sending = ?, msg_id = ?, body = ? WHERE id = ?`,
		code, sending, r.msg, t.w.s.sealOutbox(r.id, r.body), r.id)
	return err
}

// updateMsg rewrites a message's send state and sealed fields.
func (t *wtx) updateMsg(id int64, state SendState, change func(*msgBody)) error {
	s := t.w.s
	var body []byte
	var k msgKey
	if err := scanMsgKey(t.queryRow(`SELECT `+sqlMsgKeyCols+` FROM messages WHERE id = ?`, id), &k, &body); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil // the archive row was deleted (e.g. account purged)
		}
		return err
	}
	b, err := s.openMsg(k, body)
	if err != nil {
		return err
	}
	change(&b)
	code, _ := sendStateCode(state)
	_, err = t.exec(`UPDATE messages SET send_state = ?, body = ? WHERE id = ?`, code, s.sealMsg(k, b), id)
	return err
}

// MarkSending records an attempt: Attempts+1 and "sending" (still pending).
func (s *Store) MarkSending(ctx context.Context, id int64) error {
	return s.write(ctx, func(t *wtx) error {
		r, err := t.exec(`UPDATE outbox SET attempts = attempts + 1, sending = 1 WHERE id = ?`, id)
		return rowChanged(r, err, "mark sending")
	})
}

// MarkSent records the network's ID for the message. When the network's
// echo was archived first under that ID, the pending row is deleted and
// the echo kept.
func (s *Store) MarkSent(ctx context.Context, id int64, remoteID string) error {
	err := s.write(ctx, func(t *wtx) error {
		r, err := t.loadOutbox(id)
		if err != nil {
			return err
		}
		r.body.remoteID, r.body.errText = remoteID, ""
		if remoteID == "" {
			return errors.New("no remote ID")
		}
		rtag := s.tags.remote.tagID(r.acct, remoteID)
		var echo int64
		err = t.queryRow(`SELECT id FROM messages WHERE account_id = ? AND remote_tag = ? AND id != ?`, r.acct, rtag, r.msg).Scan(&echo)
		switch {
		case err == nil:
			if err := t.deleteMessages([]int64{r.msg}); err != nil {
				return err
			}
			if err := t.recomputeConv(r.conv); err != nil {
				return err
			}
			r.msg = echo
			if _, err := t.exec(`UPDATE messages SET send_state = ? WHERE id = ?`, 2, echo); err != nil {
				return err
			}
		case errors.Is(err, sql.ErrNoRows):
			if _, err := t.exec(`UPDATE messages SET remote_tag = ? WHERE id = ?`, rtag, r.msg); err != nil {
				return err
			}
			if err := t.updateMsg(r.msg, SendSent, func(b *msgBody) { b.remoteID, b.sendError = remoteID, "" }); err != nil {
				return err
			}
		default:
			return err
		}
		return t.saveOutbox(r, SendSent, false)
	})
	if err != nil {
		return fmt.Errorf("storage: mark sent: %w", err)
	}
	return nil
}

// MarkFailed records a failure on the item and its archive message.
func (s *Store) MarkFailed(ctx context.Context, id int64, errText string) error {
	return s.setOutcome(ctx, "mark failed", id, SendFailed, errText)
}

// Retry puts a failed (or pending) item back to pending.
func (s *Store) Retry(ctx context.Context, id int64) error {
	return s.setOutcome(ctx, "retry", id, SendPending, "")
}

func (s *Store) setOutcome(ctx context.Context, what string, id int64, state SendState, errText string) error {
	err := s.write(ctx, func(t *wtx) error {
		r, err := t.loadOutbox(id)
		if err != nil {
			return err
		}
		if state == SendPending && r.body.remoteID != "" {
			return fmt.Errorf("outbox item %d was already sent", id)
		}
		r.body.errText = errText
		if err := t.updateMsg(r.msg, state, func(b *msgBody) { b.sendError = errText }); err != nil {
			return err
		}
		return t.saveOutbox(r, state, false)
	})
	if err != nil {
		return fmt.Errorf("storage: %s: %w", what, err)
	}
	return nil
}
