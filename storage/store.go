package storage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// Options configure Open.
type Options struct {
	Dir              string                            // the profile directory
	Keyring          Keyring                           // nil: OSKeyring()
	Passphrase       func(create bool) ([]byte, error) // asked in passphrase mode; nil: none available
	PreferPassphrase bool                              // create in passphrase mode even when a keyring answers
	Logger           *slog.Logger                      // nil: discard
	// KeyringTimeout bounds each keyring call (0: DefaultKeyringTimeout).
	KeyringTimeout time.Duration
	// UnlockKeyring: the user chose to unlock a locked keyring, so its own
	// unlock prompt may be shown and is waited for (up to 2 minutes).
	UnlockKeyring bool
}

// Store is an open, unlocked profile archive. It is safe for concurrent use.
// All writes go through one writer goroutine on one connection; reads use
// a pool of read-only connections (WAL lets them run beside the writer).
type Store struct {
	dir       string
	log       *slog.Logger
	mode      KeyMode
	profileID string
	kr        Keyring

	seal *sealer
	tags tagKeys

	wdb *sql.DB // the single writer connection
	rdb *sql.DB // readers

	w     *writer
	index *memIndex

	acctMu sync.RWMutex
	accts  map[int64]acctInfo // account row → decrypted name/network

	closeOnce sync.Once
	closeErr  error

	// failAt, set only by this package's tests, is called between the
	// steps of multi-step writes (ApplyConsent); an error it returns
	// aborts the transaction there.
	failAt func(step string) error
}

// tagKeys are the blind-index PRFs, one key per purpose.
type tagKeys struct {
	account, conv, remote, sender, handle, words, contact, key *prf
}

func newTagKeys(k []byte) tagKeys {
	return tagKeys{
		account: newPRF(k, purposeAccount), conv: newPRF(k, purposeConv),
		remote: newPRF(k, purposeRemote), sender: newPRF(k, purposeSender),
		handle: newPRF(k, purposeHandle), words: newPRFBits(k, purposeMsgWords, wordTagBits),
		contact: newPRFBits(k, purposeContact, wordTagBits), key: newPRF(k, purposeKey),
	}
}

// Open unlocks (or creates) the profile archive in opt.Dir.
func Open(ctx context.Context, opt Options) (*Store, error) {
	if opt.Dir == "" {
		return nil, errors.New("storage: no profile directory given")
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	kr := opt.Keyring
	if kr == nil {
		kr = OSKeyring()
	}
	d := opt.KeyringTimeout
	if d <= 0 {
		d = DefaultKeyringTimeout
	}
	if opt.UnlockKeyring {
		d = unlockTimeout
	}
	kr = withDeadline(kr, d)
	if err := os.MkdirAll(opt.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("storage: create profile directory: %w", err)
	}
	prof, key, err := loadOrCreateProfile(opt, kr)
	if err != nil {
		return nil, err
	}
	s := &Store{dir: opt.Dir, log: log, mode: prof.Mode, profileID: prof.ID, kr: kr,
		tags: newTagKeys(key), accts: map[int64]acctInfo{}}
	if s.seal, err = newSealer(key); err != nil {
		return nil, err
	}
	if err := s.openDB(ctx, prof); err != nil {
		return nil, err
	}
	if !prof.Ready {
		prof.Ready = true
		if err := writeProfile(opt.Dir, prof); err != nil {
			s.closeDBs()
			return nil, err
		}
	}
	s.index = newMemIndex()
	s.w = newWriter(s)
	if err := s.w.run(ctx, s.reindexTail); err != nil {
		s.closeDBs()
		return nil, err
	}
	log.Info("storage: archive open", "mode", string(s.mode))
	return s, nil
}

func loadOrCreateProfile(opt Options, kr Keyring) (*profile, []byte, error) {
	dbPath := filepath.Join(opt.Dir, archiveFile)
	_, dbErr := os.Stat(dbPath)
	prof, err := readProfile(opt.Dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if dbErr == nil {
			return nil, nil, fmt.Errorf("%w: %s exists but %s is missing, so its key cannot be found",
				ErrCorrupt, archiveFile, profileFile)
		}
		prof, key, err := createProfile(opt.Dir, kr, opt)
		if err != nil {
			return nil, nil, err
		}
		if err := writeProfile(opt.Dir, prof); err != nil {
			return nil, nil, err
		}
		return prof, key, nil
	case err != nil:
		return nil, nil, err
	}
	key, err := unlock(prof, kr, opt)
	if err != nil {
		return nil, nil, err
	}
	if prof.Ready && dbErr != nil {
		return nil, nil, fmt.Errorf("%w: %s is missing from the profile directory", ErrCorrupt, archiveFile)
	}
	return prof, key, nil
}

// connector opens go-sqlite3 connections with per-connection pragmas,
// without registering a global driver name.
type connector struct {
	drv *sqlite3.SQLiteDriver
	dsn string
}

func (c connector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c connector) Driver() driver.Driver                        { return c.drv }

func newConnector(path string, pragmas ...string) connector {
	drv := &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		for _, p := range pragmas {
			if _, err := c.Exec("PRAGMA "+p, nil); err != nil {
				return fmt.Errorf("pragma %s: %w", p, err)
			}
		}
		return nil
	}}
	return connector{drv: drv, dsn: "file:" + path + "?_busy_timeout=10000&_txlock=immediate&_stmt_cache_size=64"}
}

func (s *Store) openDB(ctx context.Context, prof *profile) error {
	path := filepath.Join(s.dir, archiveFile)
	if prof.Ready {
		if err := checkHeader(path); err != nil {
			return err
		}
	} else {
		// Create the file owner-only; SQLite gives -wal/-shm the same mode.
		f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			return fmt.Errorf("storage: create archive: %w", err)
		}
		f.Close()
	}
	// secure_delete: deleted rows are overwritten with zeros, not left in
	// free space of their pages or in free pages (see checkpointAfterPurge).
	s.wdb = sql.OpenDB(newConnector(path, "journal_mode=WAL", "synchronous=NORMAL",
		"cache_size=-65536", "temp_store=MEMORY", "foreign_keys=OFF", "secure_delete=ON"))
	s.wdb.SetMaxOpenConns(1)
	s.wdb.SetMaxIdleConns(1)
	s.wdb.SetConnMaxLifetime(0)
	from, err := migrate(ctx, s.wdb)
	if err != nil {
		s.wdb.Close()
		if ctx.Err() != nil {
			// Interrupted, not damaged: say so, never "corrupt".
			return fmt.Errorf("storage: opening the archive was interrupted: %w", ctx.Err())
		}
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if from == 0 && prof.Ready {
		s.wdb.Close()
		return fmt.Errorf("%w: %s has no Switchboard schema", ErrCorrupt, archiveFile)
	}
	bound, err := s.checkKey(ctx, from == 0)
	if err != nil {
		s.wdb.Close()
		return err
	}
	if !bound {
		if err := s.bindClearColumns(ctx); err != nil {
			s.wdb.Close()
			return err
		}
	}
	s.rdb = sql.OpenDB(newConnector(path, "query_only=ON", "cache_size=-16384", "mmap_size=268435456"))
	s.rdb.SetMaxOpenConns(4)
	s.rdb.SetMaxIdleConns(4)
	if from != len(migrations) {
		s.log.Info("storage: schema migrated", "from", from, "to", len(migrations))
	}
	return nil
}

// checkHeader rejects files that are not SQLite databases before the
// driver touches them.
func checkHeader(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("storage: open archive: %w", err)
	}
	defer f.Close()
	hdr := make([]byte, 16)
	if _, err := io.ReadFull(f, hdr); err != nil || string(hdr) != "SQLite format 3\x00" {
		return fmt.Errorf("%w: %s is not an SQLite database", ErrCorrupt, archiveFile)
	}
	return nil
}

// The key check: a sealed constant in meta, so a wrong key is caught at
// open instead of as tampering later. Its "|bound" form also records that
// every row's clear columns are bound to its sealed value (bind.go).
const (
	keyCheck      = "switchboard archive key check"
	keyCheckBound = keyCheck + "|bound"
)

var keyCheckAD = []byte("meta|check")

// checkKey stores (new archive) or verifies the key check, and reports
// whether the archive's rows are bound already.
func (s *Store) checkKey(ctx context.Context, fresh bool) (bound bool, err error) {
	if fresh {
		_, err := s.wdb.ExecContext(ctx, "INSERT OR REPLACE INTO meta(k, v) VALUES ('check', ?)",
			s.seal.seal([]byte(keyCheckBound), keyCheckAD))
		if err != nil {
			return false, fmt.Errorf("storage: initialise archive: %w", err)
		}
		return true, nil
	}
	var v []byte
	err = s.wdb.QueryRowContext(ctx, "SELECT v FROM meta WHERE k = 'check'").Scan(&v)
	if err != nil && ctx.Err() != nil {
		return false, fmt.Errorf("storage: opening the archive was interrupted: %w", ctx.Err())
	}
	if err != nil {
		return false, fmt.Errorf("%w: reading the key check: %v", ErrCorrupt, err)
	}
	plain, err := s.seal.open(v, keyCheckAD)
	if err == nil && (string(plain) == keyCheck || string(plain) == keyCheckBound) {
		return string(plain) == keyCheckBound, nil
	}
	if s.mode == ModePassphrase {
		return false, ErrWrongPassphrase
	}
	return false, fmt.Errorf("%w (the keyring entry holds a different key)", ErrKeyMissing)
}

// Mode says how this profile's key is protected.
func (s *Store) Mode() KeyMode { return s.mode }

// ProfileID is the stable ID of the profile (its keyring user name).
func (s *Store) ProfileID() string { return s.profileID }

// Keyring is the keyring the store was opened with (for storage/secrets).
func (s *Store) Keyring() Keyring { return s.kr }

// Close flushes the search index, stops the writer and closes the database.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closeErr = s.w.stop()
		if err := s.closeDBs(); err != nil && s.closeErr == nil {
			s.closeErr = err
		}
		s.log.Info("storage: archive closed")
	})
	return s.closeErr
}

func (s *Store) closeDBs() error {
	var errs []error
	if s.rdb != nil {
		errs = append(errs, s.rdb.Close())
	}
	if s.wdb != nil {
		// Checkpoint so the -wal file is folded into the database.
		_, err := s.wdb.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
		errs = append(errs, err, s.wdb.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("storage: close: %w", err)
	}
	return nil
}

// checkpointAfterPurge folds the WAL into the database file and truncates
// it (writer goroutine, after a purge's commit): the WAL holds earlier
// copies of the pages the purge zeroed. A reader in the middle of a read
// can keep the checkpoint from finishing; then the old frames stay in the
// WAL until a later checkpoint overwrites or truncates them.
func (t *wtx) checkpointAfterPurge() {
	s := t.w.s
	t.after = append(t.after, func() {
		var busy, frames, done int
		err := s.wdb.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &frames, &done)
		if err != nil || busy != 0 {
			s.log.Warn("storage: the WAL could not be truncated after a purge; old pages stay in it until the next checkpoint",
				"err", err, "busy", busy)
		}
	})
}

// isConstraint reports a UNIQUE/constraint failure from SQLite.
func isConstraint(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.Code == sqlite3.ErrConstraint
	}
	return err != nil && strings.Contains(err.Error(), "constraint failed")
}
