package storage

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
)

const (
	exportChunk     = 1000
	importBatch     = 2000
	maxImportLine   = 16 << 20
	sqlExportChunk  = `SELECT ` + sqlMsgCols + ` FROM messages WHERE id > ? ORDER BY id LIMIT ?`
	sqlExportConvID = `SELECT is_group, body FROM conversations WHERE id = ?`
)

type convInfo struct {
	remoteID, title string
	group           bool
}

// Export writes every message (held ones too), oldest row first, as JSONL
// ExportRecords, and returns how many it wrote.
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
				Notice: m.Notice, Hold: m.Hold}
			if err := enc.Encode(&rec); err != nil {
				return n, fmt.Errorf("storage: export: %w", err)
			}
			n++
		}
		after = msgs[len(msgs)-1].Row
	}
	if err := bw.Flush(); err != nil {
		return n, fmt.Errorf("storage: export: %w", err)
	}
	return n, nil
}

func (s *Store) exportConv(ctx context.Context, convs map[int64]convInfo, id int64) (convInfo, error) {
	if ci, ok := convs[id]; ok {
		return ci, nil
	}
	var ci convInfo
	var body []byte
	if err := s.rdb.QueryRowContext(ctx, sqlExportConvID, id).Scan(&ci.group, &body); err != nil {
		return ci, fmt.Errorf("storage: export: conversation %d: %w", id, err)
	}
	var err error
	if ci.remoteID, ci.title, err = s.openConv(id, body); err != nil {
		return ci, err
	}
	convs[id] = ci
	return ci, nil
}

// Import reads JSONL ExportRecords and archives them in batches of
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
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		m, err := importRecord(b)
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

func importRecord(b []byte) (MessageIn, error) {
	var rec ExportRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return MessageIn{}, fmt.Errorf("not a valid JSON record: %w", err)
	}
	if rec.Time.IsZero() {
		return MessageIn{}, fmt.Errorf("record has no time")
	}
	if rec.Direction == "" {
		rec.Direction = In
	}
	m := MessageIn{Account: rec.Account, Network: rec.Network, ConvID: rec.Conversation, ConvGroup: rec.Group,
		ConvTitle: rec.ConversationTitle, RemoteID: rec.RemoteID, Sender: rec.Sender, SenderName: rec.SenderName,
		Time: rec.Time, Direction: rec.Direction, Text: rec.Text, Action: rec.Action, Notice: rec.Notice, Hold: rec.Hold}
	if err := validateMsg(&m); err != nil {
		return MessageIn{}, err
	}
	return m, nil
}
