package storage

// TEMPORARY: method signatures of the contract with "not implemented"
// bodies, so the core can be written against them while the storage
// implementation lands. The storage work replaces this file entirely.

import (
	"context"
	"errors"
	"io"
	"log/slog"
)

var errTODO = errors.New("storage: not implemented yet")

// Keyring is the OS keyring as storage needs it. OSKeyring() is the real
// one (go-keyring); tests pass go-keyring's mock through the same interface.
type Keyring interface {
	Get(service, user string) (string, error) // ErrKeyringNotFound when absent
	Set(service, user, secret string) error
	Delete(service, user string) error
}

// ErrKeyringNotFound is what a Keyring returns for an absent entry.
var ErrKeyringNotFound = errors.New("keyring: entry not found")

// Options configure Open.
type Options struct {
	Dir              string                            // the profile directory
	Keyring          Keyring                           // nil: OSKeyring()
	Passphrase       func(create bool) ([]byte, error) // asked in passphrase mode; nil: none available
	PreferPassphrase bool                              // create in passphrase mode even when a keyring answers
	Logger           *slog.Logger                      // nil: discard
}

type Store struct{}

func OSKeyring() Keyring                                    { return nil }
func Exists(dir string) bool                                { return false }
func Open(ctx context.Context, opt Options) (*Store, error) { return nil, errTODO }
func (s *Store) Close() error                               { return errTODO }
func (s *Store) Mode() KeyMode                              { return "" }

func (s *Store) PutAccount(ctx context.Context, a Account) error                  { return errTODO }
func (s *Store) Accounts(ctx context.Context) ([]Account, error)                  { return nil, errTODO }
func (s *Store) Account(ctx context.Context, name string) (Account, error)        { return Account{}, errTODO }
func (s *Store) DeleteAccount(ctx context.Context, name string, purge bool) error { return errTODO }

func (s *Store) PutMessages(ctx context.Context, msgs []MessageIn) ([]PutResult, error) {
	return nil, errTODO
}
func (s *Store) Messages(ctx context.Context, convRow, beforeRow int64, limit int, includeHeld bool) ([]Message, error) {
	return nil, errTODO
}
func (s *Store) Message(ctx context.Context, row int64) (Message, error) { return Message{}, errTODO }
func (s *Store) MarkRead(ctx context.Context, convRow int64) error       { return errTODO }
func (s *Store) ListConversations(ctx context.Context, q ConvQuery) ([]Conversation, error) {
	return nil, errTODO
}
func (s *Store) Conversation(ctx context.Context, row int64) (Conversation, error) {
	return Conversation{}, errTODO
}
func (s *Store) FindConversation(ctx context.Context, account, convID string) (Conversation, error) {
	return Conversation{}, errTODO
}
func (s *Store) SetHold(ctx context.Context, account, sender string, from, to Hold) (int, error) {
	return 0, errTODO
}
func (s *Store) PurgeBlocked(ctx context.Context, account string) (int, error) { return 0, errTODO }
func (s *Store) SetMuted(ctx context.Context, convRow int64, muted bool) error { return errTODO }
func (s *Store) UnreadTotal(ctx context.Context) (int, error)                  { return 0, errTODO }
func (s *Store) Search(ctx context.Context, query string, limit, offset int) ([]SearchHit, error) {
	return nil, errTODO
}

func (s *Store) PutContact(ctx context.Context, c Contact) error { return errTODO }
func (s *Store) SetUserKind(ctx context.Context, account, handle string, kind ContactKind) error {
	return errTODO
}
func (s *Store) Contact(ctx context.Context, account, handle string) (Contact, error) {
	return Contact{}, errTODO
}
func (s *Store) Contacts(ctx context.Context, account string) ([]Contact, error) { return nil, errTODO }
func (s *Store) SearchContacts(ctx context.Context, query string, limit int) ([]Contact, error) {
	return nil, errTODO
}

func (s *Store) Enqueue(ctx context.Context, it OutboxItem) (OutboxItem, error) { return it, errTODO }
func (s *Store) Outbox(ctx context.Context, account string, states ...SendState) ([]OutboxItem, error) {
	return nil, errTODO
}
func (s *Store) MarkSending(ctx context.Context, id int64) error                { return errTODO }
func (s *Store) MarkSent(ctx context.Context, id int64, remoteID string) error  { return errTODO }
func (s *Store) MarkFailed(ctx context.Context, id int64, errText string) error { return errTODO }
func (s *Store) Retry(ctx context.Context, id int64) error                      { return errTODO }

func (s *Store) PutConsent(ctx context.Context, c Consent) error { return errTODO }
func (s *Store) Consent(ctx context.Context, account, handle string) (Consent, error) {
	return Consent{}, errTODO
}
func (s *Store) Consents(ctx context.Context) ([]Consent, error) { return nil, errTODO }
func (s *Store) AppendLedger(ctx context.Context, e LedgerEntry) (LedgerEntry, error) {
	return e, errTODO
}
func (s *Store) Ledger(ctx context.Context, account, brand string) ([]LedgerEntry, error) {
	return nil, errTODO
}

func (s *Store) PutBlob(ctx context.Context, account, key string, data []byte) error { return errTODO }
func (s *Store) Blob(ctx context.Context, account, key string) ([]byte, error)       { return nil, errTODO }
func (s *Store) SetPref(ctx context.Context, key, value string) error                { return errTODO }
func (s *Store) Pref(ctx context.Context, key string) (string, error)                { return "", errTODO }

func (s *Store) Export(ctx context.Context, w io.Writer) (int, error) { return 0, errTODO }
func (s *Store) Import(ctx context.Context, r io.Reader, onBatch func(ImportStats)) (ImportStats, error) {
	return ImportStats{}, errTODO
}
