package storage

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations are numbered by position (1-based) and recorded in
// PRAGMA user_version. Never edit a released migration; append a new one.
//
// Clear columns: row IDs, times (Unix nanoseconds, 0 = none), account IDs,
// network names, flags, counts and keyed blind-index tags (*_tag, tok).
// Everything a person wrote or received is in a sealed "body" column
// (XChaCha20-Poly1305, associated data = table|row identity).
var migrations = []string{
	// 1: the archive.
	`
CREATE TABLE meta(k TEXT PRIMARY KEY, v BLOB NOT NULL);

CREATE TABLE accounts(
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	name_tag INTEGER NOT NULL UNIQUE,
	network  TEXT NOT NULL,
	created  INTEGER NOT NULL,
	disabled INTEGER NOT NULL DEFAULT 0,
	deleted  INTEGER NOT NULL DEFAULT 0,  -- removed without purge: history kept
	body     BLOB NOT NULL                -- sealed: name, settings
);

CREATE TABLE conversations(
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id   INTEGER NOT NULL,
	remote_tag   INTEGER NOT NULL,
	is_group     INTEGER NOT NULL DEFAULT 0,
	muted        INTEGER NOT NULL DEFAULT 0,
	read_mark    INTEGER NOT NULL DEFAULT 0,  -- message row read up to
	unread       INTEGER NOT NULL DEFAULT 0,
	last_msg     INTEGER NOT NULL DEFAULT 0,  -- newest delivered message (0 = none)
	last_time    INTEGER NOT NULL DEFAULT 0,
	last_in      INTEGER NOT NULL DEFAULT 0,  -- newest delivered message is inbound
	held         INTEGER NOT NULL DEFAULT 0,
	held_msg     INTEGER NOT NULL DEFAULT 0,
	held_time    INTEGER NOT NULL DEFAULT 0,
	blocked      INTEGER NOT NULL DEFAULT 0,
	blocked_msg  INTEGER NOT NULL DEFAULT 0,
	blocked_time INTEGER NOT NULL DEFAULT 0,
	body         BLOB NOT NULL                -- sealed: remote ID, title
);
CREATE UNIQUE INDEX conv_remote ON conversations(account_id, remote_tag);
CREATE INDEX conv_last ON conversations(last_time) WHERE last_msg != 0;
CREATE INDEX conv_held ON conversations(held_time) WHERE held > 0;
CREATE INDEX conv_blocked ON conversations(blocked_time) WHERE blocked > 0;

CREATE TABLE messages(
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	conv_id    INTEGER NOT NULL,
	account_id INTEGER NOT NULL,
	remote_tag INTEGER NOT NULL,
	sender_tag INTEGER NOT NULL,
	time       INTEGER NOT NULL,
	flags      INTEGER NOT NULL,   -- 1 outbound, 2 action, 4 notice
	hold       INTEGER NOT NULL,
	send_state INTEGER NOT NULL,
	body       BLOB NOT NULL       -- sealed: remote ID, sender, sender name, text, hold reason, send error
);
CREATE UNIQUE INDEX msg_remote ON messages(account_id, remote_tag);
CREATE INDEX msg_conv ON messages(conv_id, id);
CREATE INDEX msg_sender ON messages(sender_tag);

-- Blind search index: packed posting lists. One row holds the ascending
-- message IDs (a varint, then varint deltas) of one token (keyed HMAC tag)
-- for a range of messages; rows stay under ~1 KB so they fit in a page.
CREATE TABLE postings(
	tok   INTEGER NOT NULL,
	first INTEGER NOT NULL,
	last  INTEGER NOT NULL,
	n     INTEGER NOT NULL,
	ids   BLOB NOT NULL,
	PRIMARY KEY(tok, first)
) WITHOUT ROWID;

CREATE TABLE attachments(
	id     INTEGER PRIMARY KEY AUTOINCREMENT,
	msg_id INTEGER NOT NULL,
	size   INTEGER NOT NULL,
	body   BLOB NOT NULL              -- sealed: name, media type, bytes
);
CREATE INDEX attach_msg ON attachments(msg_id);

CREATE TABLE contacts(
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id INTEGER NOT NULL,
	handle_tag INTEGER NOT NULL,
	kind       TEXT NOT NULL,
	user_kind  TEXT NOT NULL,
	updated    INTEGER NOT NULL,
	body       BLOB NOT NULL          -- sealed: handle, name, evidence
);
CREATE UNIQUE INDEX contact_handle ON contacts(account_id, handle_tag);
CREATE TABLE contact_words(tok INTEGER NOT NULL, contact_id INTEGER NOT NULL, PRIMARY KEY(tok, contact_id)) WITHOUT ROWID;
CREATE INDEX contact_words_rev ON contact_words(contact_id);

CREATE TABLE outbox(
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id INTEGER NOT NULL,
	conv_id    INTEGER NOT NULL,
	msg_id     INTEGER NOT NULL,
	is_group   INTEGER NOT NULL,
	action     INTEGER NOT NULL,
	state      INTEGER NOT NULL,
	sending    INTEGER NOT NULL DEFAULT 0,  -- handed to the connector, no outcome yet
	attempts   INTEGER NOT NULL DEFAULT 0,
	created    INTEGER NOT NULL,
	body       BLOB NOT NULL                -- sealed: conversation ID, text, error, remote ID
);
CREATE INDEX outbox_state ON outbox(state, id);

CREATE TABLE consent(
	account_id    INTEGER NOT NULL,
	handle_tag    INTEGER NOT NULL,
	state         TEXT NOT NULL,
	until_time    INTEGER NOT NULL,
	last_user_msg INTEGER NOT NULL,
	updated       INTEGER NOT NULL,
	body          BLOB NOT NULL,             -- sealed: handle, scopes
	PRIMARY KEY(account_id, handle_tag)
);

CREATE TABLE ledger(
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	time       INTEGER NOT NULL,
	account_id INTEGER NOT NULL,
	network    TEXT NOT NULL,
	brand_tag  INTEGER NOT NULL,
	body       BLOB NOT NULL                 -- sealed: the entry
);
CREATE INDEX ledger_brand ON ledger(account_id, brand_tag, seq);
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
BEGIN SELECT RAISE(ABORT, 'the consent ledger is append-only'); END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
BEGIN SELECT RAISE(ABORT, 'the consent ledger is append-only'); END;

CREATE TABLE blobs(account_id INTEGER NOT NULL, key_tag INTEGER NOT NULL, body BLOB NOT NULL,
	PRIMARY KEY(account_id, key_tag));
CREATE TABLE prefs(key_tag INTEGER PRIMARY KEY, body BLOB NOT NULL);
CREATE TABLE secrets(account_id INTEGER NOT NULL, key_tag INTEGER NOT NULL, body BLOB NOT NULL,
	PRIMARY KEY(account_id, key_tag));
`,
	// 2: attachments listed per message, bytes in sealed chunks. The
	// attachments table of migration 1 was never written.
	`
DROP TABLE attachments;
CREATE TABLE attachments(
	id     INTEGER PRIMARY KEY AUTOINCREMENT,
	msg_id INTEGER NOT NULL,
	idx    INTEGER NOT NULL,           -- position in the message's list
	state  INTEGER NOT NULL,           -- 0 pending, 1 saved, 2 failed
	size   INTEGER NOT NULL,           -- bytes
	chunks INTEGER NOT NULL DEFAULT 0, -- sealed chunks once saved
	body   BLOB NOT NULL               -- sealed: message row, index, name, media type, size, chunks, error, state
);
CREATE UNIQUE INDEX attach_msg ON attachments(msg_id, idx);
CREATE INDEX attach_pending ON attachments(msg_id) WHERE state = 0;
CREATE TABLE attachment_chunks(
	att_id INTEGER NOT NULL,
	seq    INTEGER NOT NULL,
	body   BLOB NOT NULL,              -- sealed bytes, associated data = attachment and position
	PRIMARY KEY(att_id, seq)
);
`,
	// 3: a conversation reads in time order, not arrival order: mail is
	// synced newest page first and history fetched later is older.
	`
CREATE INDEX msg_conv_time ON messages(conv_id, time, id);
`,
	// 4: a message row finds its outbox item (Message.OutboxID, for Retry).
	`
CREATE INDEX outbox_msg ON outbox(msg_id);
`,
	// 5: the audit log: every plaintext export, when and by whom.
	`
CREATE TABLE audit (
	id     INTEGER PRIMARY KEY AUTOINCREMENT,
	time   INTEGER NOT NULL,           -- unix ms
	kind   TEXT NOT NULL,              -- "export"
	detail BLOB NOT NULL               -- sealed, associated data = id, time and kind
);
`,
	// 6: sealed values bind their rows' clear columns (bind.go re-seals an
	// older archive once at open), and the search index has narrower tags
	// and fewer prefixes (tokens.go): it is emptied here and rebuilt at
	// open from the sealed text (reindexTail, rebuildContactWords). The
	// version keeps older programs, which would write unbound values, out.
	`
DELETE FROM postings;
DELETE FROM contact_words;
DELETE FROM meta WHERE k = 'indexed';
`,
	// 7: Awaiting reply counts what the user owes an answer to (direct
	// messages, group messages naming the user) and forgets what was
	// marked done; a blocked contact's conversation leaves the inbox; a
	// conversation the user started or joined is listed before anyone speaks.
	// Existing direct conversations ending inbound start out awaiting.
	`
ALTER TABLE conversations ADD COLUMN await_msg INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN await_time INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN out_time INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN done_time INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN peer_blocked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN opened INTEGER NOT NULL DEFAULT 0;
UPDATE conversations SET await_msg = last_msg, await_time = last_time WHERE last_in = 1 AND is_group = 0 AND last_msg != 0;
CREATE INDEX conv_await ON conversations(await_time) WHERE await_msg != 0;
`,
	// 8: account state a connector keeps (sessions, tokens, device keys),
	// sealed, removed with the account; and the network a bridged
	// conversation really belongs to ("" = its account's own network),
	// clear like the account's network name.
	`
CREATE TABLE account_state(account_id INTEGER NOT NULL, key_tag INTEGER NOT NULL, body BLOB NOT NULL,
	PRIMARY KEY(account_id, key_tag));
ALTER TABLE conversations ADD COLUMN origin TEXT NOT NULL DEFAULT '';
`,
}

// migrate brings the schema to the newest version, one transaction per step.
func migrate(ctx context.Context, db *sql.DB) (from int, err error) {
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&from); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	if from > len(migrations) {
		return from, fmt.Errorf("schema version %d is newer than this program knows (%d)", from, len(migrations))
	}
	for v := from + 1; v <= len(migrations); v++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return from, fmt.Errorf("migration %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
			tx.Rollback()
			return from, fmt.Errorf("migration %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v)); err != nil {
			tx.Rollback()
			return from, fmt.Errorf("migration %d: %w", v, err)
		}
		if err := tx.Commit(); err != nil {
			return from, fmt.Errorf("migration %d: %w", v, err)
		}
	}
	return from, nil
}
