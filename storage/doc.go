// Package storage is Switchboard's encrypted local archive.
//
// # Files
//
// A profile directory holds archive.db (SQLite, WAL: -wal/-shm beside it)
// and profile.json, which records the key mode, the keyring entry name
// (service "switchboard", user = the profile ID) and, in passphrase mode,
// the Argon2id salt and parameters and the wrapped data key. It never
// holds a plaintext key. Files are created owner-only.
//
// # Keys and sealing
//
// A random 256-bit data key lives in the OS keyring or is wrapped with
// Argon2id(passphrase) using XChaCha20-Poly1305. Sub-keys are derived per
// purpose (HMAC-SHA256 of the data key and a purpose label): one for
// sealing, one per blind index. Everything a person wrote or received —
// message text, sender and sender name, remote message ID, conversation
// ID and title, contact handle, name and evidence, account name and
// settings, hold reasons, outbox text and errors, consent and ledger brand
// handles, blobs, preferences and passphrase-mode secrets — is sealed with
// XChaCha20-Poly1305 under a random nonce, with the row's identity
// (table|row ID, or table|account|key tag) as associated data: a value
// changed on disk or moved to another row fails to open (ErrTampered).
// Rows whose clear columns decide where a message is filed carry those
// columns in their associated data too (boundAD): a message's
// conversation, account, flags and hold; a conversation's account; a
// contact's kinds; a consent's state and dates. The consent ledger is a
// hash chain (each entry's associated data holds the previous entry's
// AEAD tag) with a sealed head in meta. Values are padded to length
// buckets (seal.go). Verify reads everything and cross-checks; see
// docs/SECURITY.md for what is and is not detected. Clear columns are row
// IDs, times, account row IDs, network names, flags, counts and
// blind-index tags. Deleted rows are zeroed (secure_delete) and a purge
// truncates the WAL.
//
// # Blind indexes and what they leak
//
// Look-ups by account, conversation, remote message ID, sender and handle
// use 8-byte truncated HMAC tags. Search uses a keyed blind index with
// 24-bit tags: text is NFKC-normalised and case-folded, split into words
// (and CJK runs, indexed as characters and character pairs), and each word
// is indexed under its prefixes of 3, 4 and 6 runes and itself. Posting lists are packed (varint
// deltas of message row IDs, ≤ ~900 bytes per row) and written by the
// writer goroutine in separate transactions from the messages: buffered in
// memory (and searched there) until 20,000 messages are pending or the
// writer has been idle for 2 s; a crash before a flush is repaired at the
// next Open by re-indexing the messages after the recorded watermark.
// Candidates from the index are verified against the decrypted text, so
// truncated-tag collisions never produce wrong results.
//
// Someone with the database file but without the key learns: how many
// messages, conversations, contacts there are, their times, directions,
// hold states and sizes; which messages share a conversation or sender;
// and, from the search index, which messages probably share a word or a
// 3-, 4- or 6-rune prefix (equal tags), and how often each (unknown) tag
// occurs. They do not learn
// the words themselves, names, handles or any text.
//
// # Concurrency
//
// One writer goroutine owns the single writer connection; PutMessages
// calls that arrive together are written in one transaction. Reads use a
// pool of read-only connections in parallel with the writer.
package storage
