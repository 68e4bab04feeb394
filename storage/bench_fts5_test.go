//go:build sqlite_fts5

package storage

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// plainStore is the comparison baseline: the same data unsealed, with an
// SQLite FTS5 full-text index (external content), same pragmas and batching.
type plainStore struct {
	db *sql.DB
}

const plainSchema = `
CREATE TABLE IF NOT EXISTS convs(id INTEGER PRIMARY KEY, account TEXT NOT NULL, remote_id TEXT NOT NULL, title TEXT NOT NULL,
	is_group INTEGER NOT NULL, last_msg INTEGER NOT NULL DEFAULT 0, last_time INTEGER NOT NULL DEFAULT 0,
	unread INTEGER NOT NULL DEFAULT 0, UNIQUE(account, remote_id));
CREATE TABLE IF NOT EXISTS msgs(id INTEGER PRIMARY KEY, conv_id INTEGER NOT NULL, account TEXT NOT NULL,
	remote_id TEXT NOT NULL, sender TEXT NOT NULL, sender_name TEXT NOT NULL, time INTEGER NOT NULL,
	dir INTEGER NOT NULL, text TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS msgs_remote ON msgs(account, remote_id);
CREATE INDEX IF NOT EXISTS msgs_conv ON msgs(conv_id, id);
CREATE INDEX IF NOT EXISTS msgs_sender ON msgs(account, sender);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(text, content='msgs', content_rowid='id');
`

func plainFTS5(b *testing.B, dir string) benchTarget {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "plain.db")+
		"?_journal_mode=WAL&_synchronous=NORMAL&_cache_size=-65536&_busy_timeout=10000&_stmt_cache_size=64")
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(plainSchema); err != nil {
		b.Fatalf("plain schema (is FTS5 compiled in?): %v", err)
	}
	return &plainStore{db: db}
}

type plainConv struct {
	id, lastMsg, lastTime, unread int64
	dirty                         bool
}

func (p *plainStore) importJSONL(r io.Reader) (int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	var batch []ExportRecord
	inserted := 0
	for {
		more := sc.Scan()
		if more {
			var rec ExportRecord
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				return inserted, err
			}
			batch = append(batch, rec)
		}
		if len(batch) == importBatch || (!more && len(batch) > 0) {
			n, err := p.writeBatch(batch)
			if err != nil {
				return inserted, err
			}
			inserted += n
			batch = batch[:0]
		}
		if !more {
			return inserted, sc.Err()
		}
	}
}

func (p *plainStore) writeBatch(recs []ExportRecord) (int, error) {
	ctx := context.Background()
	tx, err := p.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	convs := map[[2]string]*plainConv{}
	n := 0
	for _, r := range recs {
		k := [2]string{r.Account, r.Conversation}
		c := convs[k]
		if c == nil {
			c = &plainConv{}
			if _, err := tx.Exec(`INSERT OR IGNORE INTO convs(account, remote_id, title, is_group) VALUES (?, ?, ?, ?)`,
				r.Account, r.Conversation, r.ConversationTitle, r.Group); err != nil {
				return 0, err
			}
			if err := tx.QueryRow(`SELECT id, last_msg, last_time, unread FROM convs WHERE account = ? AND remote_id = ?`,
				r.Account, r.Conversation).Scan(&c.id, &c.lastMsg, &c.lastTime, &c.unread); err != nil {
				return 0, err
			}
			convs[k] = c
		}
		res, err := tx.Exec(`INSERT OR IGNORE INTO msgs(conv_id, account, remote_id, sender, sender_name, time, dir, text)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, c.id, r.Account, r.RemoteID, r.Sender, r.SenderName, r.Time.UnixNano(),
			r.Direction == Out, r.Text)
		if err != nil {
			return 0, err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			continue
		}
		id, _ := res.LastInsertId()
		if _, err := tx.Exec(`INSERT INTO fts(rowid, text) VALUES (?, ?)`, id, r.Text); err != nil {
			return 0, err
		}
		c.lastMsg, c.lastTime, c.dirty = id, r.Time.UnixNano(), true
		if r.Direction == In {
			c.unread++
		}
		n++
	}
	for _, c := range convs {
		if c.dirty {
			if _, err := tx.Exec(`UPDATE convs SET last_msg = ?, last_time = ?, unread = ? WHERE id = ?`,
				c.lastMsg, c.lastTime, c.unread, c.id); err != nil {
				return 0, err
			}
		}
	}
	return n, tx.Commit()
}

func (p *plainStore) search(q string) (int, error) {
	match := `"` + q + `"`
	if len(q) == 3 {
		match += "*" // the benchmark's prefix queries are 3 letters
	}
	rows, err := p.db.Query(`SELECT m.id, m.sender, m.sender_name, m.time, m.text, c.title, c.remote_id
		FROM msgs m JOIN convs c ON c.id = m.conv_id
		WHERE m.id IN (SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY rowid DESC LIMIT 50) ORDER BY m.id DESC`, match)
	if err != nil {
		return 0, err
	}
	return countRows(rows)
}

func (p *plainStore) openConv(conv int) (int, error) {
	rows, err := p.db.Query(`SELECT id, sender, sender_name, time, dir, text FROM msgs
		WHERE conv_id = (SELECT id FROM convs WHERE account = ? AND remote_id = ?) ORDER BY id DESC LIMIT 50`,
		fmt.Sprintf("acct%d", conv%3), fmt.Sprintf("conv%d", conv))
	if err != nil {
		return 0, err
	}
	return countRows(rows)
}

func countRows(rows *sql.Rows) (int, error) {
	defer rows.Close()
	n := 0
	for rows.Next() {
		var a, b, c, d, e, f, g any
		cols, _ := rows.Columns()
		dst := []any{&a, &b, &c, &d, &e, &f, &g}[:len(cols)]
		if err := rows.Scan(dst...); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

func (p *plainStore) close() error {
	p.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	return p.db.Close()
}
