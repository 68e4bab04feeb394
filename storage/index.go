package storage

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// The search index is a keyed blind index: each token (see tokens.go) is
// replaced by an 8-byte HMAC tag, and each tag maps to packed posting
// lists of message rows. New messages' postings are buffered in memory
// (memIndex, searched too) and written by the writer in their own
// transactions: in bulk (one new posting row per token per flush) when
// many messages are buffered, or by appending to the token's newest row
// when few are (live traffic). meta 'indexed' records the newest message
// covered by the posting rows; at open, newer messages are re-indexed from
// their sealed text, so a crash loses nothing.
const (
	segMaxBytes    = 900 // posting row payload cap (fits a 4 KiB page's local payload)
	bulkFlushMsgs  = 256 // at least this many buffered messages: write new rows only
	tokenCacheSize = 1 << 17
)

type memIndex struct {
	mu    sync.RWMutex
	post  map[int64][]int64 // tag → ascending message rows
	msgs  int
	maxID int64
}

func newMemIndex() *memIndex { return &memIndex{post: map[int64][]int64{}} }

func (m *memIndex) add(items []indexed) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, it := range items {
		for _, tok := range it.toks {
			m.post[tok] = append(m.post[tok], it.id)
		}
		m.msgs++
		m.maxID = max(m.maxID, it.id)
	}
}

func (m *memIndex) size() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.msgs
}

// get returns a copy of a token's buffered rows.
func (m *memIndex) get(tok int64) []int64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return slices.Clone(m.post[tok])
}

func (m *memIndex) remove(byTok map[int64][]int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for tok, ids := range byTok {
		l := m.post[tok]
		l = slices.DeleteFunc(l, func(id int64) bool { return slices.Contains(ids, id) })
		if len(l) == 0 {
			delete(m.post, tok)
		} else {
			m.post[tok] = l
		}
	}
}

// tokenTags returns the sorted, unique index tags of a text (writer
// only). Tags are cached per term (word or CJK run), bounded.
func (w *writer) tokenTags(text string) []int64 {
	var out []int64
	terms(normalize(text), func(t term) {
		tags, ok := w.tokCache[t.s]
		if !ok {
			if len(w.tokCache) >= tokenCacheSize {
				clear(w.tokCache)
			}
			termTokens(t, func(tok string) { tags = append(tags, w.s.tags.words.tag(tok)) })
			w.tokCache[strings.Clone(t.s)] = tags
		}
		out = append(out, tags...)
	})
	slices.Sort(out)
	return slices.Compact(out)
}

func encodePostings(dst []byte, prev int64, ids []int64) []byte {
	for _, id := range ids {
		dst = binary.AppendUvarint(dst, uint64(id-prev))
		prev = id
	}
	return dst
}

func decodePostings(b []byte) ([]int64, error) {
	out := make([]int64, 0, len(b))
	var prev int64
	for len(b) > 0 {
		d, k := binary.Uvarint(b)
		if k <= 0 {
			return nil, errors.New("storage: damaged posting list")
		}
		prev += int64(d)
		out = append(out, prev)
		b = b[k:]
	}
	return out, nil
}

// flushIndex writes the buffered postings (writer goroutine only).
func (s *Store) flushIndex(ctx context.Context) error {
	m := s.index
	if m.size() == 0 {
		return nil
	}
	// Only this goroutine mutates m, so reading it unlocked here is safe.
	toks := make([]int64, 0, len(m.post))
	for tok := range m.post {
		toks = append(toks, tok)
	}
	slices.Sort(toks)
	bulk := m.msgs >= bulkFlushMsgs
	err := s.w.runTx(ctx, func(t *wtx) error {
		for _, tok := range toks {
			if err := t.writePostings(tok, m.post[tok], bulk); err != nil {
				return err
			}
		}
		_, err := t.exec(`INSERT OR REPLACE INTO meta(k, v) VALUES ('indexed', COALESCE((SELECT max(id) FROM messages), 0))`)
		return err
	})
	if err != nil {
		return fmt.Errorf("storage: flush search index: %w", err)
	}
	m.mu.Lock()
	m.post, m.msgs, m.maxID = map[int64][]int64{}, 0, 0
	m.mu.Unlock()
	return nil
}

func (t *wtx) writePostings(tok int64, ids []int64, bulk bool) error {
	if !bulk {
		var first, last, n int64
		var blob []byte
		err := t.queryRow(`SELECT first, last, n, ids FROM postings WHERE tok = ? ORDER BY first DESC LIMIT 1`, tok).
			Scan(&first, &last, &n, &blob)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err == nil && ids[0] > last && len(blob) < segMaxBytes {
			k := 0
			for k < len(ids) && len(blob) < segMaxBytes {
				blob = binary.AppendUvarint(blob, uint64(ids[k]-last))
				last = ids[k]
				k++
			}
			if _, err := t.exec(`UPDATE postings SET last = ?, n = ?, ids = ? WHERE tok = ? AND first = ?`,
				last, n+int64(k), blob, tok, first); err != nil {
				return err
			}
			ids = ids[k:]
		}
	}
	for len(ids) > 0 {
		var blob []byte
		k, prev := 0, int64(0)
		for k < len(ids) && len(blob) < segMaxBytes {
			blob = binary.AppendUvarint(blob, uint64(ids[k]-prev))
			prev = ids[k]
			k++
		}
		if _, err := t.exec(`INSERT INTO postings(tok, first, last, n, ids) VALUES (?, ?, ?, ?, ?)`,
			tok, ids[0], ids[k-1], k, blob); err != nil {
			return err
		}
		ids = ids[k:]
	}
	return nil
}

// reindexTail indexes messages newer than the index watermark (after a
// crash, or an interrupted flush). Runs at open before the writer starts.
func (s *Store) reindexTail(ctx context.Context) error {
	var mark int64
	var v []byte
	err := s.wdb.QueryRowContext(ctx, `SELECT v FROM meta WHERE k = 'indexed'`).Scan(&v)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: read index state: %v", ErrCorrupt, err)
	}
	if len(v) > 0 {
		if mark, err = strconv.ParseInt(string(v), 10, 64); err != nil {
			return fmt.Errorf("%w: index state %q", ErrCorrupt, v)
		}
	}
	rows, err := s.wdb.QueryContext(ctx, `SELECT `+sqlMsgKeyCols+` FROM messages WHERE id > ? ORDER BY id`, mark)
	if err != nil {
		return fmt.Errorf("%w: read messages: %v", ErrCorrupt, err)
	}
	defer rows.Close()
	var items []indexed
	for rows.Next() {
		var k msgKey
		var body []byte
		if err := scanMsgKey(rows, &k, &body); err != nil {
			return fmt.Errorf("%w: read messages: %v", ErrCorrupt, err)
		}
		b, err := s.openMsg(k, body)
		if err != nil {
			// Reported where the message is read (and by Verify); the
			// archive still opens.
			s.log.Warn("storage: a message failed its integrity check while re-indexing", "row", k.id)
			continue
		}
		if b.text != "" {
			items = append(items, indexed{id: k.id, toks: s.w.tokenTags(b.text)})
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%w: read messages: %v", ErrCorrupt, err)
	}
	rows.Close()
	if len(items) == 0 {
		return nil
	}
	s.log.Info("storage: re-indexing messages not yet in the search index", "count", len(items))
	s.index.add(items)
	return s.flushIndex(ctx)
}

// deleteMessages deletes message rows with their attachments and search
// index entries.
func (t *wtx) deleteMessages(ids []int64) error {
	s := t.w.s
	byTok := map[int64][]int64{}
	for _, id := range ids {
		var body []byte
		var k msgKey
		if err := scanMsgKey(t.queryRow(`SELECT `+sqlMsgKeyCols+` FROM messages WHERE id = ?`, id), &k, &body); err != nil {
			return fmt.Errorf("storage: delete message %d: %w", id, err)
		}
		if b, err := s.openMsg(k, body); err == nil {
			for _, tok := range t.w.tokenTags(b.text) {
				byTok[tok] = append(byTok[tok], id)
			}
		}
		for _, q := range []string{`DELETE FROM messages WHERE id = ?`,
			`DELETE FROM attachment_chunks WHERE att_id IN (SELECT id FROM attachments WHERE msg_id = ?)`,
			`DELETE FROM attachments WHERE msg_id = ?`} {
			if _, err := t.exec(q, id); err != nil {
				return fmt.Errorf("storage: delete message %d: %w", id, err)
			}
		}
	}
	for tok, ids := range byTok {
		for _, id := range ids {
			if err := t.unpost(tok, id); err != nil {
				return fmt.Errorf("storage: unindex message: %w", err)
			}
		}
	}
	t.after = append(t.after, func() { s.index.remove(byTok) })
	return nil
}

// unpost removes one message row from a token's posting rows.
func (t *wtx) unpost(tok, id int64) error {
	var first, last int64
	var blob []byte
	err := t.queryRow(`SELECT first, last, ids FROM postings WHERE tok = ? AND first <= ? ORDER BY first DESC LIMIT 1`,
		tok, id).Scan(&first, &last, &blob)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && last < id) {
		return nil // only in the memory buffer
	}
	if err != nil {
		return err
	}
	list, err := decodePostings(blob)
	if err != nil {
		return err
	}
	list = slices.DeleteFunc(list, func(x int64) bool { return x == id })
	if _, err := t.exec(`DELETE FROM postings WHERE tok = ? AND first = ?`, tok, first); err != nil {
		return err
	}
	if len(list) == 0 {
		return nil
	}
	_, err = t.exec(`INSERT INTO postings(tok, first, last, n, ids) VALUES (?, ?, ?, ?, ?)`,
		tok, list[0], list[len(list)-1], len(list), encodePostings(nil, 0, list))
	return err
}
