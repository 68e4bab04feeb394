package storage

// TEMPORARY: method signatures of the contract with "not implemented"
// bodies, so the core can be written against them while the storage
// implementation lands. The storage work replaces this file entirely.

import (
	"context"
	"errors"
	"io"
)

var errTODO = errors.New("storage: not implemented yet")

func (s *Store) DeleteAccount(ctx context.Context, name string, purge bool) error { return errTODO }

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
