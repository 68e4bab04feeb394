package storage

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

const (
	exportChunk     = 1000
	importBatch     = 2000
	maxImportLine   = 16 << 20
	sqlExportChunk  = `SELECT ` + sqlMsgCols + ` FROM messages WHERE id > ? ORDER BY id LIMIT ?`
	sqlExportConvID = `SELECT is_group, account_id, remote_tag, body FROM conversations WHERE id = ?`
)

type convInfo struct {
	remoteID, title string
	group           bool
}

// Export writes every message (held ones too), oldest row first, as JSONL
// ExportRecords, each followed by the bytes of its saved attachments, and
// returns how many messages it wrote.
func (s *Store) Export(ctx context.Context, w io.Writer) (int, error) {
	bw := bufio.NewWriterSize(w, 256<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	convs := map[int64]convInfo{}
	var after int64
	n := 0
	for {
		rows, err := s.rdb.QueryContext(ctx, sqlExportChunk, after, exportChunk)
		if err != nil {
			return n, fmt.Errorf("storage: export: %w", err)
		}
		msgs, err := s.scanMessages(ctx, rows)
		if err != nil {
			return n, fmt.Errorf("storage: export: %w", err)
		}
		if len(msgs) == 0 {
			break
		}
		for _, m := range msgs {
			ci, err := s.exportConv(ctx, convs, m.ConvRow)
			if err != nil {
				return n, err
			}
			rec := ExportRecord{Network: m.Network, Account: m.Account, Conversation: ci.remoteID,
				ConversationTitle: ci.title, Group: ci.group, Sender: m.Sender, SenderName: m.SenderName,
				RemoteID: m.RemoteID, Time: m.Time, Direction: m.Direction, Text: m.Text, Action: m.Action,
				Notice: m.Notice, Hold: m.Hold, HoldReason: m.HoldReason}
			for _, a := range m.Attachments {
				rec.Attachments = append(rec.Attachments, ExportAttachment{Name: a.Name, Type: a.Type, Size: a.Size})
			}
			if err := enc.Encode(&rec); err != nil {
				return n, fmt.Errorf("storage: export: %w", err)
			}
			n++
			for _, a := range m.Attachments {
				if a.State != AttachSaved {
					continue
				}
				if err := s.exportAttachment(ctx, enc, m, a); err != nil {
					return n, err
				}
			}
		}
		after = msgs[len(msgs)-1].Row
	}
	if err := bw.Flush(); err != nil {
		return n, fmt.Errorf("storage: export: %w", err)
	}
	return n, nil
}

// exportAttachment writes a saved attachment's bytes as AttachmentData
// lines of at most attachChunk bytes.
func (s *Store) exportAttachment(ctx context.Context, enc *json.Encoder, m Message, a Attachment) error {
	_, rc, err := s.OpenAttachment(ctx, a.ID)
	if err != nil {
		return fmt.Errorf("storage: export: %w", err)
	}
	defer rc.Close()
	buf := make([]byte, attachChunk)
	for seq := int64(0); ; seq++ {
		k, rerr := io.ReadFull(rc, buf)
		last := errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF)
		if rerr != nil && !last {
			return fmt.Errorf("storage: export: attachment %d: %w", a.ID, rerr)
		}
		if k == 0 && !last {
			continue
		}
		d := ExportAttachmentData{Account: m.Account, RemoteID: m.RemoteID, Index: a.Index, Seq: seq, Data: buf[:k], Last: last}
		line := struct {
			D *ExportAttachmentData `json:"attachment_data"`
		}{&d}
		if err := enc.Encode(&line); err != nil {
			return fmt.Errorf("storage: export: %w", err)
		}
		if last {
			return nil
		}
	}
}

func (s *Store) exportConv(ctx context.Context, convs map[int64]convInfo, id int64) (convInfo, error) {
	if ci, ok := convs[id]; ok {
		return ci, nil
	}
	var ci convInfo
	var body []byte
	var acct, tag int64
	if err := s.rdb.QueryRowContext(ctx, sqlExportConvID, id).Scan(&ci.group, &acct, &tag, &body); err != nil {
		return ci, fmt.Errorf("storage: export: conversation %d: %w", id, err)
	}
	var err error
	if ci.remoteID, ci.title, err = s.openConv(id, acct, tag, body); err != nil {
		return ci, err
	}
	convs[id] = ci
	return ci, nil
}

// Import reads JSONL ExportRecords and archives them, as read, in batches of
// importBatch messages, one transaction each, calling onBatch after each
// committed batch. Duplicates are skipped. A malformed line stops the
// import with an error naming the line; the lines before it are kept.
func (s *Store) Import(ctx context.Context, r io.Reader, onBatch func(ImportStats)) (ImportStats, error) {
	var st ImportStats
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxImportLine)
	batch := make([]MessageIn, 0, importBatch)
	commit := func() error {
		if len(batch) == 0 {
			return nil
		}
		req := &wreq{msgs: batch}
		if err := s.submit(ctx, req); err != nil {
			return fmt.Errorf("storage: import: %w", err)
		}
		for _, res := range req.res {
			if res.Inserted {
				st.Inserted++
			} else {
				st.Duplicates++
			}
		}
		st.Batches++
		batch = make([]MessageIn, 0, importBatch)
		if onBatch != nil {
			onBatch(st)
		}
		return nil
	}
	line := 0
	files := &fileImport{s: s, ctx: ctx}
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var rec ExportRecord
		err := json.Unmarshal(b, &rec)
		if err == nil && rec.AttachmentData != nil {
			// Its message must be stored before its bytes.
			if err := commit(); err != nil {
				return st, err
			}
			if err := files.add(rec.AttachmentData); err != nil {
				return st, fmt.Errorf("storage: import: line %d: %w", line, err)
			}
			continue
		}
		var m MessageIn
		if err != nil {
			err = fmt.Errorf("not a valid JSON record: %w", err)
		} else {
			m, err = importRecord(rec)
		}
		if err != nil {
			if cerr := commit(); cerr != nil {
				return st, cerr
			}
			return st, fmt.Errorf("storage: import: line %d: %w", line, err)
		}
		st.Read++
		batch = append(batch, m)
		if len(batch) == importBatch {
			if err := commit(); err != nil {
				return st, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		if cerr := commit(); cerr != nil {
			return st, cerr
		}
		return st, fmt.Errorf("storage: import: after line %d: %w", line, err)
	}
	return st, commit()
}

func importRecord(rec ExportRecord) (MessageIn, error) {
	if rec.Time.IsZero() {
		return MessageIn{}, fmt.Errorf("record has no time")
	}
	if rec.Direction == "" {
		rec.Direction = In
	}
	m := MessageIn{Account: rec.Account, Network: rec.Network, ConvID: rec.Conversation, ConvGroup: rec.Group,
		ConvTitle: rec.ConversationTitle, RemoteID: rec.RemoteID, Sender: rec.Sender, SenderName: rec.SenderName,
		Time: rec.Time, Direction: rec.Direction, Text: rec.Text, Action: rec.Action, Notice: rec.Notice, Hold: rec.Hold,
		HoldReason: rec.HoldReason, Seen: true} // history, not news
	for _, a := range rec.Attachments {
		m.Attachments = append(m.Attachments, AttachmentIn{Name: a.Name, Type: a.Type, Size: a.Size})
	}
	if err := validateMsg(&m); err != nil {
		return MessageIn{}, err
	}
	return m, nil
}

// fileImport puts AttachmentData lines back into sealed chunks. An
// attachment already saved in the archive is left as it is.
type fileImport struct {
	s    *Store
	ctx  context.Context
	key  string // account, remote ID and index of the attachment being read
	next int64  // the Seq expected next
	skip bool
	cw   *chunkWriter
}

func (f *fileImport) add(d *ExportAttachmentData) error {
	key := fmt.Sprintf("%s\x00%s\x00%d", d.Account, d.RemoteID, d.Index)
	if d.Seq == 0 {
		if err := f.begin(key, d); err != nil {
			return err
		}
	} else if key != f.key || d.Seq != f.next {
		return fmt.Errorf("attachment data out of order (piece %d of file %d of message %q)", d.Seq, d.Index+1, d.RemoteID)
	}
	f.next++
	if f.skip {
		return nil
	}
	for p := d.Data; len(p) > 0; {
		k := min(len(p), attachChunk)
		if err := f.cw.add(p[:k]); err != nil {
			return err
		}
		p = p[k:]
	}
	if d.Last {
		_, err := f.cw.finish()
		f.key, f.cw = "", nil
		return err
	}
	return nil
}

// begin finds the attachment the data belongs to.
func (f *fileImport) begin(key string, d *ExportAttachmentData) error {
	f.key, f.next, f.skip, f.cw = key, 0, false, nil
	id, state, err := f.s.attachmentByRemote(f.ctx, d.Account, d.RemoteID, d.Index)
	if err != nil {
		return fmt.Errorf("attachment data for file %d of message %q: %w", d.Index+1, d.RemoteID, err)
	}
	if state == attSaved {
		f.skip = true
		return nil
	}
	f.cw, err = f.s.newChunkWriter(f.ctx, id)
	return err
}
