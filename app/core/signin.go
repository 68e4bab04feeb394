package core

import (
	"context"
	"fmt"

	"switchboard/connectors"
)

// SignIn runs the account's interactive sign-in (a code, a two-factor
// password, a QR code, a browser page) through p, for a network that has
// one (connectors.SignInner). Run is never running at the same time: an
// account waiting for sign-in signs in on its own connector value and
// its supervisor then connects at once; a connected account is stopped
// for the sign-in and started again afterwards (a new value). A failed
// attempt leaves the account as it was.
func (c *Core) SignIn(ctx context.Context, account string, p connectors.Prompter) error {
	a, err := c.store.Account(ctx, account)
	if err != nil {
		return fmt.Errorf("sign in %q: %w", account, err)
	}
	acct := connectors.Account{ID: a.Name, Network: a.Network, Settings: a.Settings, State: c.stateFor(a.Name)}
	if ar := c.running(account); ar != nil {
		ar.mu.Lock()
		waiting := ar.awaitingSignIn
		if waiting {
			ar.awaitingSignIn = false // one sign-in at a time on this value
		}
		ar.mu.Unlock()
		if waiting {
			err := c.signInWith(ctx, ar.conn, acct, p)
			if err != nil {
				ar.mu.Lock()
				ar.awaitingSignIn = true
				ar.mu.Unlock()
				return err
			}
			select {
			case ar.signedIn <- struct{}{}:
			default:
			}
			return nil
		}
		c.stopAccount(account)
		if !a.Disabled {
			defer c.startAccount(a)
		}
	}
	conn, err := connectors.New(a.Network)
	if err != nil {
		return fmt.Errorf("sign in %q: %w", account, err)
	}
	return c.signInWith(ctx, conn, acct, p)
}

func (c *Core) signInWith(ctx context.Context, conn connectors.Connector, acct connectors.Account, p connectors.Prompter) error {
	si, ok := conn.(connectors.SignInner)
	if !ok || conn == nil {
		return fmt.Errorf("sign in %q: %s accounts have no sign-in step; their password is all they need", acct.ID, acct.Network)
	}
	if err := si.SignIn(ctx, acct, c.secrets.For(acct.ID), p); err != nil {
		return fmt.Errorf("sign in %q: %w", acct.ID, err)
	}
	c.log.Info("account signed in", "account", acct.ID)
	return nil
}
