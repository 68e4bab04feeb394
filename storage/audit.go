package storage

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// AuditEntry is one line of the archive's audit log.
type AuditEntry struct {
	ID     int64     `json:"id"`
	Time   time.Time `json:"time"`
	Kind   string    `json:"kind"`   // "export"
	Detail string    `json:"detail"` // who asked, and how
}

const (
	sqlAuditInsert = `INSERT INTO audit(id, time, kind, detail) VALUES (?, ?, ?, ?)`
	sqlAuditList   = `SELECT id, time, kind, detail FROM audit ORDER BY id`
)

func adAudit(id, ms int64, kind string) []byte {
	return []byte("audit|" + strconv.FormatInt(id, 10) + "|" + strconv.FormatInt(ms, 10) + "|" + kind)
}

// AddAudit appends an entry to the audit log (its detail sealed).
func (s *Store) AddAudit(ctx context.Context, at time.Time, kind, detail string) error {
	err := s.write(ctx, func(t *wtx) error {
		id, err := t.newID("audit")
		if err != nil {
			return err
		}
		ms := at.UnixMilli()
		_, err = t.exec(sqlAuditInsert, id, ms, kind, s.seal.seal([]byte(detail), adAudit(id, ms, kind)))
		return err
	})
	if err != nil {
		return fmt.Errorf("storage: write the audit log: %w", err)
	}
	return nil
}

// Audit returns the audit log, oldest first. An entry whose sealed detail
// does not open under its row is an error, not skipped.
func (s *Store) Audit(ctx context.Context) ([]AuditEntry, error) {
	rows, err := s.rdb.QueryContext(ctx, sqlAuditList)
	if err != nil {
		return nil, fmt.Errorf("storage: read the audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var ms int64
		var body []byte
		if err := rows.Scan(&e.ID, &ms, &e.Kind, &body); err != nil {
			return nil, fmt.Errorf("storage: read the audit log: %w", err)
		}
		d, err := s.seal.open(body, adAudit(e.ID, ms, e.Kind))
		if err != nil {
			return nil, fmt.Errorf("storage: audit entry %d: %w", e.ID, err)
		}
		e.Time, e.Detail = time.UnixMilli(ms).UTC(), string(d)
		out = append(out, e)
	}
	return out, rows.Err()
}
