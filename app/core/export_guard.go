package core

import (
	"context"
	"errors"
	"fmt"

	"switchboard/storage"
)

// ErrExportNeedsPassphrase: an export over the control socket of a
// passphrase-protected archive came without the passphrase.
var ErrExportNeedsPassphrase = errors.New("this archive is protected by a passphrase: exporting it from another process needs that passphrase (--passphrase-file FILE, or type it at the prompt)")

// exportAllowed decides an export asked for over the control socket and
// writes it (allowed or refused) to the archive's audit log. In
// passphrase mode it needs the passphrase; in keyring mode the keyring
// already answers any process of the user.
func (c *Core) exportAllowed(ctx context.Context, pass []byte, who string) error {
	var refused error
	if c.store.Mode() == storage.ModePassphrase {
		switch err := c.store.CheckPassphrase(pass); {
		case len(pass) == 0:
			refused = ErrExportNeedsPassphrase
		case errors.Is(err, storage.ErrWrongPassphrase):
			refused = fmt.Errorf("export refused: %w", err)
		case err != nil:
			refused = fmt.Errorf("export: check the passphrase: %w", err)
		}
	}
	kind, detail := "export", "plaintext export "+who
	if refused != nil {
		kind, detail = "export refused", "plaintext export refused "+who+": "+refused.Error()
	}
	if err := c.store.AddAudit(ctx, c.now(), kind, detail); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return refused
}

// Audit returns the archive's audit log (every export, and every refused one).
func (c *Core) Audit(ctx context.Context) ([]storage.AuditEntry, error) { return c.store.Audit(ctx) }

// AllowExport records an export the calling process builds itself (the
// HTML archive): the process that opened the archive is always allowed.
func (c *Core) AllowExport(ctx context.Context, format string) error {
	if err := c.store.AddAudit(ctx, c.now(), "export", "plaintext export ("+format+") by the process that opened the archive"); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}
