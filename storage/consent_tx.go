package storage

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// HoldMove refiles a brand's messages from one hold state to another.
type HoldMove struct{ From, To Hold }

// ConsentChange is everything one consent decision writes to the archive.
// ApplyConsent writes it in one transaction: all of it or none of it.
type ConsentChange struct {
	// MarkBrand records the user's word that the contact is a brand
	// (setting a consent says so) before anything else.
	MarkBrand bool
	// Consent is the brand's new state.
	Consent Consent
	// Ledger, when set, is appended (Account and Brand default to the
	// consent's); nil for changes the ledger does not record (the time of
	// the user's last message).
	Ledger *LedgerEntry
	// Moves refile the brand's held messages, in order.
	Moves []HoldMove
}

// ApplyConsent marks, stores the consent, appends the ledger entry and
// refiles held messages in one write transaction, and returns the ledger
// entry as appended (zero when none).
func (s *Store) ApplyConsent(ctx context.Context, ch ConsentChange) (LedgerEntry, error) {
	c := ch.Consent
	if c.Account == "" || c.Handle == "" {
		return LedgerEntry{}, errors.New("storage: apply consent: account and handle are required")
	}
	if c.Updated.IsZero() {
		c.Updated = time.Now()
	}
	var e LedgerEntry
	if ch.Ledger != nil {
		e = *ch.Ledger
		e.Account, e.Brand = c.Account, c.Handle
		if e.Time.IsZero() {
			e.Time = c.Updated
		}
	}
	err := s.write(ctx, func(t *wtx) error {
		if ch.MarkBrand {
			err := t.mergeContact(Contact{Account: c.Account, Handle: c.Handle}, func(old *Contact) { old.UserKind = ContactBrand })
			if err != nil {
				return fmt.Errorf("mark %s a brand: %w", c.Handle, err)
			}
		}
		if err := s.step("marked"); err != nil {
			return err
		}
		if err := t.putConsent(c); err != nil {
			return fmt.Errorf("save consent: %w", err)
		}
		if err := s.step("consent"); err != nil {
			return err
		}
		if ch.Ledger != nil {
			if err := t.appendLedger(&e); err != nil {
				return fmt.Errorf("append ledger: %w", err)
			}
		}
		if err := s.step("ledger"); err != nil {
			return err
		}
		for i, m := range ch.Moves {
			if _, err := t.setHold(c.Account, c.Handle, m.From, m.To); err != nil {
				return fmt.Errorf("refile messages of %s: %w", c.Handle, err)
			}
			if err := s.step(fmt.Sprintf("move %d", i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return LedgerEntry{}, fmt.Errorf("storage: apply consent: %w", err)
	}
	return e, nil
}

// step lets a test fail a multi-step write between two of its steps.
func (s *Store) step(name string) error {
	if s.failAt == nil {
		return nil
	}
	return s.failAt(name)
}
