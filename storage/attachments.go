package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Attachments. A message lists its files when it is stored (one row per
// file, state pending); the bytes arrive later through SaveAttachment,
// which streams them into sealed chunks of attachChunk bytes, each in its
// own row with the attachment and its position as associated data. The
// attachment row's sealed body repeats the message row, index, size and
// chunk count, so chunks cannot be dropped, reordered, moved to another
// attachment or the attachment to another message without ErrTampered.

// attachChunk is the plaintext size of one sealed chunk.
const attachChunk = 256 << 10

// chunksPerTx is how many chunks one write transaction carries.
const chunksPerTx = 4

const (
	attPending = 0
	attSaved   = 1
	attFailed  = 2
)

// ErrNotSaved: the attachment's bytes have not been saved (yet).
var ErrNotSaved = errors.New("the attachment has not been downloaded yet")

const sqlAttCols = `id, msg_id, idx, state, size, chunks, body`

type attBody struct {
	msgRow    int64
	index     int
	name, typ string
	size      int64
	chunks    int64
	errText   string
	state     int
}

func (s *Store) sealAtt(id int64, b attBody) []byte {
	f := (&fields{}).str(strconv.FormatInt(b.msgRow, 10)).str(strconv.Itoa(b.index)).str(b.name).str(b.typ).
		str(strconv.FormatInt(b.size, 10)).str(strconv.FormatInt(b.chunks, 10)).str(b.errText).str(strconv.Itoa(b.state))
	return s.seal.seal(f.b, ad("attachments", id))
}

func (s *Store) openAtt(id int64, body []byte) (attBody, error) {
	plain, err := s.seal.open(body, ad("attachments", id))
	if err != nil {
		return attBody{}, fmt.Errorf("storage: attachment %d: %w", id, err)
	}
	r := &fieldReader{b: plain}
	msgRow, idx, name, typ, size, chunks, errText, state := r.str(), r.str(), r.str(), r.str(), r.str(), r.str(), r.str(), r.str()
	if r.err != nil {
		return attBody{}, fmt.Errorf("storage: attachment %d: %w", id, ErrTampered)
	}
	b := attBody{name: name, typ: typ, errText: errText}
	var errs [5]error
	b.msgRow, errs[0] = strconv.ParseInt(msgRow, 10, 64)
	b.index, errs[1] = strconv.Atoi(idx)
	b.size, errs[2] = strconv.ParseInt(size, 10, 64)
	b.chunks, errs[3] = strconv.ParseInt(chunks, 10, 64)
	b.state, errs[4] = strconv.Atoi(state)
	if errors.Join(errs[:]...) != nil {
		return attBody{}, fmt.Errorf("storage: attachment %d: %w", id, ErrTampered)
	}
	return b, nil
}

// insertAttachments lists a new message's files, pending.
func (t *wtx) insertAttachments(msgRow int64, atts []AttachmentIn) error {
	s := t.w.s
	for i, a := range atts {
		id, err := t.newID("attachments")
		if err != nil {
			return err
		}
		size := max(a.Size, -1)
		body := s.sealAtt(id, attBody{msgRow: msgRow, index: i, name: a.Name, typ: a.Type, size: size, state: attPending})
		if _, err := t.exec(`INSERT INTO attachments(`+sqlAttCols+`) VALUES (?, ?, ?, ?, ?, 0, ?)`,
			id, msgRow, i, attPending, size, body); err != nil {
			return fmt.Errorf("storage: insert attachment: %w", err)
		}
	}
	return nil
}

type rawAtt struct {
	id, msg, size, chunks int64
	idx, state            int
	body                  []byte
}

func scanAtts(rows *sql.Rows) ([]rawAtt, error) {
	defer rows.Close()
	var out []rawAtt
	for rows.Next() {
		var r rawAtt
		if err := rows.Scan(&r.id, &r.msg, &r.idx, &r.state, &r.size, &r.chunks, &r.body); err != nil {
			return nil, fmt.Errorf("storage: read attachment: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: read attachments: %w", err)
	}
	return out, nil
}

// decodeAtt opens a row and checks its clear columns against the sealed copy.
func (s *Store) decodeAtt(r rawAtt) (Attachment, attBody, error) {
	b, err := s.openAtt(r.id, r.body)
	if err != nil {
		return Attachment{}, b, err
	}
	if b.msgRow != r.msg || b.index != r.idx || b.state != r.state || b.size != r.size || b.chunks != r.chunks {
		return Attachment{}, b, fmt.Errorf("storage: attachment %d: %w", r.id, ErrTampered)
	}
	a := Attachment{ID: r.id, MsgRow: r.msg, Index: r.idx, Name: b.name, Type: b.typ, Size: r.size, Error: b.errText}
	switch r.state {
	case attSaved:
		a.State = AttachSaved
	case attFailed:
		a.State = AttachFailed
	default:
		a.State = AttachPending
	}
	return a, b, nil
}

func (s *Store) queryAtts(ctx context.Context, q string, args ...any) ([]Attachment, error) {
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: attachments: %w", err)
	}
	raws, err := scanAtts(rows)
	if err != nil {
		return nil, err
	}
	out := make([]Attachment, 0, len(raws))
	for _, r := range raws {
		a, _, err := s.decodeAtt(r)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// Attachments lists a message's files in the message's order.
func (s *Store) Attachments(ctx context.Context, msgRow int64) ([]Attachment, error) {
	return s.queryAtts(ctx, `SELECT `+sqlAttCols+` FROM attachments WHERE msg_id = ? ORDER BY idx`, msgRow)
}

// Attachment returns one attachment; ErrNotFound when absent.
func (s *Store) Attachment(ctx context.Context, id int64) (Attachment, error) {
	out, err := s.queryAtts(ctx, `SELECT `+sqlAttCols+` FROM attachments WHERE id = ?`, id)
	if err != nil {
		return Attachment{}, err
	}
	if len(out) == 0 {
		return Attachment{}, fmt.Errorf("storage: attachment %d: %w", id, ErrNotFound)
	}
	return out[0], nil
}

// PendingAttachments lists up to limit attachments of an account whose
// bytes are still to be fetched, oldest first, with their message's
// remote ID. Only delivered messages' files are listed: those of held
// requests and blocked brands are fetched only when the user accepts the
// sender or asks for them (fetching tells the sender's server the mail was
// opened); the user's own files in the outbox come from disk, not from the
// network.
func (s *Store) PendingAttachments(ctx context.Context, account string, limit int) ([]PendingAttachment, error) {
	acct, ok, err := s.lookupAccountID(ctx, account)
	if err != nil || !ok {
		return nil, err
	}
	atts, err := s.queryAtts(ctx, `SELECT a.id, a.msg_id, a.idx, a.state, a.size, a.chunks, a.body
		FROM attachments a JOIN messages m ON m.id = a.msg_id
		WHERE a.state = 0 AND m.account_id = ? AND m.hold = ? AND m.send_state = 0 ORDER BY a.id LIMIT ?`, acct, int(Delivered), max(limit, 1))
	if err != nil {
		return nil, err
	}
	out := make([]PendingAttachment, 0, len(atts))
	for _, a := range atts {
		m, err := s.Message(ctx, a.MsgRow)
		if err != nil {
			return nil, err
		}
		out = append(out, PendingAttachment{Attachment: a, Account: m.Account, RemoteID: m.RemoteID})
	}
	return out, nil
}

// FailAttachment records why an attachment's bytes could not be fetched;
// the fetch is not tried again on its own (SaveAttachment still may).
func (s *Store) FailAttachment(ctx context.Context, id int64, reason string) error {
	return s.write(ctx, func(t *wtx) error {
		return t.setAttState(id, attFailed, -2, 0, reason)
	})
}

// setAttState rewrites an attachment row (size -2 keeps the stored size).
func (t *wtx) setAttState(id int64, state int, size, chunks int64, errText string) error {
	s := t.w.s
	var r rawAtt
	err := t.queryRow(`SELECT `+sqlAttCols+` FROM attachments WHERE id = ?`, id).
		Scan(&r.id, &r.msg, &r.idx, &r.state, &r.size, &r.chunks, &r.body)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("storage: attachment %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("storage: attachment %d: %w", id, err)
	}
	_, b, err := s.decodeAtt(r)
	if err != nil {
		return err
	}
	if size == -2 {
		size = r.size
	}
	b.state, b.size, b.chunks, b.errText = state, size, chunks, errText
	_, err = t.exec(`UPDATE attachments SET state = ?, size = ?, chunks = ?, body = ? WHERE id = ?`,
		state, size, chunks, s.sealAtt(id, b), id)
	if err != nil {
		return fmt.Errorf("storage: update attachment %d: %w", id, err)
	}
	return nil
}

// SaveAttachment streams an attachment's bytes from r into sealed chunks
// and marks it saved. A save interrupted (error, crash) leaves the
// attachment as it was; the next save starts over.
func (s *Store) SaveAttachment(ctx context.Context, id int64, r io.Reader) (Attachment, error) {
	if _, err := s.Attachment(ctx, id); err != nil {
		return Attachment{}, err
	}
	cw, err := s.newChunkWriter(ctx, id)
	if err != nil {
		return Attachment{}, err
	}
	buf := make([]byte, attachChunk)
	for {
		n, rerr := io.ReadFull(r, buf)
		if n > 0 {
			if err := cw.add(buf[:n]); err != nil {
				return Attachment{}, err
			}
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			return Attachment{}, fmt.Errorf("storage: save attachment %d: read: %w", id, rerr)
		}
	}
	return cw.finish()
}

// chunkWriter seals an attachment's bytes into chunks, written a few per
// transaction; finish marks the attachment saved.
type chunkWriter struct {
	s     *Store
	ctx   context.Context
	id    int64
	seq   int64
	total int64
	group [][]byte
}

// newChunkWriter starts (or restarts) writing an attachment's bytes.
func (s *Store) newChunkWriter(ctx context.Context, id int64) (*chunkWriter, error) {
	if err := s.write(ctx, func(t *wtx) error {
		_, err := t.exec(`DELETE FROM attachment_chunks WHERE att_id = ?`, id)
		return err
	}); err != nil {
		return nil, fmt.Errorf("storage: save attachment %d: %w", id, err)
	}
	return &chunkWriter{s: s, ctx: ctx, id: id}, nil
}

// add seals p (at most attachChunk bytes) as the next chunk.
func (w *chunkWriter) add(p []byte) error {
	w.group = append(w.group, w.s.seal.sealRaw(p, adKey("attachment_chunks", w.id, w.seq)))
	w.seq++
	w.total += int64(len(p))
	if len(w.group) < chunksPerTx {
		return nil
	}
	return w.flush()
}

func (w *chunkWriter) flush() error {
	if len(w.group) == 0 {
		return nil
	}
	first := w.seq - int64(len(w.group))
	g := w.group
	w.group = nil
	err := w.s.write(w.ctx, func(t *wtx) error {
		for i, c := range g {
			if _, err := t.exec(`INSERT INTO attachment_chunks(att_id, seq, body) VALUES (?, ?, ?)`, w.id, first+int64(i), c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("storage: save attachment %d: %w", w.id, err)
	}
	return nil
}

func (w *chunkWriter) finish() (Attachment, error) {
	if err := w.flush(); err != nil {
		return Attachment{}, err
	}
	err := w.s.write(w.ctx, func(t *wtx) error {
		return t.setAttState(w.id, attSaved, w.total, w.seq, "")
	})
	if err != nil {
		return Attachment{}, fmt.Errorf("storage: save attachment %d: %w", w.id, err)
	}
	return w.s.Attachment(w.ctx, w.id)
}

// OpenAttachment returns a saved attachment and a reader of its bytes,
// decrypted chunk by chunk; a chunk that fails its check, or a missing
// one, is ErrTampered from Read.
func (s *Store) OpenAttachment(ctx context.Context, id int64) (Attachment, io.ReadCloser, error) {
	a, err := s.Attachment(ctx, id)
	if err != nil {
		return a, nil, err
	}
	if a.State != AttachSaved {
		return a, nil, fmt.Errorf("storage: attachment %d: %w", id, ErrNotSaved)
	}
	var chunks int64
	if err := s.rdb.QueryRowContext(ctx, `SELECT chunks FROM attachments WHERE id = ?`, id).Scan(&chunks); err != nil {
		return a, nil, fmt.Errorf("storage: attachment %d: %w", id, err)
	}
	return a, &attReader{s: s, ctx: ctx, id: id, chunks: chunks, size: a.Size}, nil
}

type attReader struct {
	s      *Store
	ctx    context.Context
	id     int64
	seq    int64
	chunks int64
	size   int64
	read   int64
	buf    []byte
	err    error
}

func (r *attReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 && r.err == nil {
		r.err = r.next()
	}
	if len(r.buf) == 0 {
		return 0, r.err
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

func (r *attReader) next() error {
	if r.seq == r.chunks {
		if r.read != r.size {
			return fmt.Errorf("storage: attachment %d is shorter than recorded: %w", r.id, ErrTampered)
		}
		return io.EOF
	}
	var body []byte
	err := r.s.rdb.QueryRowContext(r.ctx, `SELECT body FROM attachment_chunks WHERE att_id = ? AND seq = ?`, r.id, r.seq).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("storage: attachment %d: chunk %d missing: %w", r.id, r.seq, ErrTampered)
	}
	if err != nil {
		return fmt.Errorf("storage: attachment %d: %w", r.id, err)
	}
	plain, err := r.s.seal.open(body, adKey("attachment_chunks", r.id, r.seq))
	if err != nil {
		return fmt.Errorf("storage: attachment %d: chunk %d: %w", r.id, r.seq, err)
	}
	r.seq++
	r.read += int64(len(plain))
	if r.read > r.size {
		return fmt.Errorf("storage: attachment %d is longer than recorded: %w", r.id, ErrTampered)
	}
	r.buf = plain
	return nil
}

func (r *attReader) Close() error { return nil }

// attachmentByRemote finds an attachment by its message's account and
// remote ID and its index; ErrNotFound when absent.
func (s *Store) attachmentByRemote(ctx context.Context, account, remoteID string, index int) (id int64, state int, err error) {
	acct, ok, err := s.lookupAccountID(ctx, account)
	if err != nil {
		return 0, 0, err
	}
	if !ok {
		return 0, 0, ErrNotFound
	}
	err = s.rdb.QueryRowContext(ctx, `SELECT a.id, a.state FROM attachments a JOIN messages m ON m.id = a.msg_id
		WHERE m.account_id = ? AND m.remote_tag = ? AND a.idx = ?`, acct, s.tags.remote.tagID(acct, remoteID), index).Scan(&id, &state)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, ErrNotFound
	}
	if err != nil {
		return 0, 0, fmt.Errorf("storage: find attachment: %w", err)
	}
	return id, state, nil
}
