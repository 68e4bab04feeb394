package core

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"switchboard/app/policy"
	"switchboard/connectors"
	"switchboard/storage"
)

// accountRun is one connected account: its supervisor goroutine, its
// outbox sender goroutine, its connector value and its live state.
//
// conn is made once when the account starts and kept until it stops
// (removed, its settings changed, or the core closed): every Run and
// reconnect uses the same value, so what a connector keeps in it across
// Runs (XMPP's unacknowledged stanzas, IRC's blocks and channels, e-mail's
// pending Sent copies) survives a dropped connection. It is nil only when
// the network is not registered in this build.
type accountRun struct {
	name    string
	network string
	conn    connectors.Connector // for the account's life; see above
	cancel  context.CancelFunc
	done    chan struct{} // closed when its goroutines have ended
	kick    chan struct{} // cap 1: "the outbox may have work"
	files   chan struct{} // cap 1: "attachments may wait to be fetched"
	fetchMu sync.Mutex    // one attachment download at a time per account

	mu     sync.Mutex
	status AccountStatus
	// awaitingSignIn is set while Run is not running because the account
	// needs sign-in; signedIn (cap 1) then wakes the supervisor.
	awaitingSignIn bool
	signedIn       chan struct{}
}

// snapshot returns the account's connector (the same value whether it is
// online or reconnecting) and its current status.
func (ar *accountRun) snapshot() (connectors.Connector, AccountStatus) {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	return ar.conn, ar.status
}

func (ar *accountRun) poke() {
	select {
	case ar.kick <- struct{}{}:
	default:
	}
}

func (ar *accountRun) pokeFiles() {
	select {
	case ar.files <- struct{}{}:
	default:
	}
}

// startAccount launches the supervisor for a. The caller must not hold c.mu.
func (c *Core) startAccount(a storage.Account) {
	c.mu.Lock()
	if c.runCtx == nil || c.closed {
		c.mu.Unlock()
		return
	}
	if _, running := c.accounts[a.Name]; running {
		c.mu.Unlock()
		return
	}
	conn, connErr := connectors.New(a.Network) // nil for an unknown network: supervise reports it
	ctx, cancel := context.WithCancel(c.runCtx)
	ar := &accountRun{
		name: a.Name, network: a.Network, conn: conn, cancel: cancel,
		done: make(chan struct{}), kick: make(chan struct{}, 1), files: make(chan struct{}, 1),
		signedIn: make(chan struct{}, 1),
		status:   AccountStatus{Name: a.Name, Network: a.Network, State: connectors.StateConnecting, Since: c.now()},
	}
	c.accounts[a.Name] = ar
	c.accWG.Add(1)
	c.mu.Unlock()

	go func() {
		defer c.accWG.Done()
		defer close(ar.done)
		var inner sync.WaitGroup
		inner.Add(2)
		go func() {
			defer inner.Done()
			c.sendLoop(ctx, ar)
		}()
		go func() {
			defer inner.Done()
			c.fileLoop(ctx, ar)
		}()
		c.supervise(ctx, ar, a, connErr)
		inner.Wait()
	}()
}

// stopAccount disconnects an account and waits until its goroutines end.
func (c *Core) stopAccount(name string) {
	c.mu.Lock()
	ar := c.accounts[name]
	delete(c.accounts, name)
	c.mu.Unlock()
	if ar == nil {
		return
	}
	ar.cancel()
	<-ar.done
	c.bus.publish([]Update{{Kind: UpdAccount, Account: name}})
}

func (c *Core) running(name string) *accountRun {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.accounts[name]
}

// supervise runs the account's connector until ctx ends, reconnecting
// after failures with capped exponential backoff and jitter. Every Run is
// on the same connector value (see accountRun). Refused credentials stop
// the retries until the account is changed.
func (c *Core) supervise(ctx context.Context, ar *accountRun, a storage.Account, connErr error) {
	if connErr != nil {
		c.emitState(ctx, ar.name, connectors.StateOffline, connErr.Error())
		<-ctx.Done()
		return
	}
	c.replayBlocks(ctx, ar)
	attempt := 0
	acct := connectors.Account{ID: a.Name, Network: a.Network, Settings: a.Settings, State: c.stateFor(a.Name)}
	for {
		c.emitState(ctx, ar.name, connectors.StateConnecting, "")
		acct.SyncState = ""
		if b, err := c.store.Blob(ctx, a.Name, syncBlob); err == nil {
			acct.SyncState = string(b)
		}
		started := c.now()
		err := ar.conn.Run(ctx, acct, c.secrets.For(a.Name), c.events)
		if ctx.Err() != nil {
			c.emitState(context.WithoutCancel(ctx), ar.name, connectors.StateOffline, "")
			return
		}
		var authErr *connectors.AuthError
		if errors.As(err, &authErr) {
			c.emitState(ctx, ar.name, connectors.StateAuthFailed, authErr.Reason)
			c.log.Warn("account authentication failed", "account", ar.name)
			<-ctx.Done()
			return
		}
		var signIn *connectors.SignInError
		if errors.As(err, &signIn) {
			// Only the user can make a session: no retry loop.
			if !c.awaitSignIn(ctx, ar, signIn.Reason) {
				return
			}
			attempt = 0
			continue
		}
		if errors.Is(err, connectors.ErrNoSecret) {
			c.emitState(ctx, ar.name, connectors.StateAuthFailed, err.Error())
			<-ctx.Done()
			return
		}
		if c.now().Sub(started) > time.Minute {
			attempt = 0 // it was up for a while: start the backoff afresh
		}
		d := backoff(attempt, c.opt.BackoffMin, c.opt.BackoffMax)
		attempt++
		reason := "connection closed"
		if err != nil {
			reason = err.Error()
		}
		c.emitEvent(ctx, connectors.ConnectionState{Account: ar.name, State: connectors.StateOffline, Reason: reason, RetryAt: c.now().Add(d)})
		c.log.Info("account disconnected", "account", ar.name, "retry_in", d, "err", err)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// awaitSignIn shows the account as needing sign-in and waits until
// SignIn succeeds (true) or ctx ends (false). Run is not running
// meanwhile, so SignIn may use the account's connector value.
func (c *Core) awaitSignIn(ctx context.Context, ar *accountRun, reason string) bool {
	ar.mu.Lock()
	ar.awaitingSignIn = true
	ar.mu.Unlock()
	c.emitState(ctx, ar.name, connectors.StateNeedsSignIn, reason)
	c.log.Info("account needs sign-in", "account", ar.name)
	select {
	case <-ctx.Done():
		return false
	case <-ar.signedIn:
		return true
	}
}

// backoff is min(max, min·2^attempt), with ±20% jitter so that many
// accounts on one server don't reconnect in lockstep.
func backoff(attempt int, min, max time.Duration) time.Duration {
	d := min
	for i := 0; i < attempt && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	jitter := time.Duration(float64(d) * (rand.Float64()*0.4 - 0.2))
	return d + jitter
}

// emitState puts a supervisor-made state change on the event channel, so
// it is ordered with the connector's own events.
func (c *Core) emitState(ctx context.Context, account string, st connectors.ConnState, reason string) {
	c.emitEvent(ctx, connectors.ConnectionState{Account: account, State: st, Reason: reason})
}

func (c *Core) emitEvent(ctx context.Context, ev connectors.ConnectionState) {
	select {
	case c.events <- ev:
	case <-ctx.Done():
	}
}

// replayBlocks hands the account's blocked contacts to its new connector
// value before its first Run. A connector that keeps blocks itself and
// applies them on connect (IRC's SILENCE) so keeps them across an app
// restart too; one whose server keeps the list (XMPP's XEP-0191) answers
// ErrNotConnected, which is fine.
func (c *Core) replayBlocks(ctx context.Context, ar *accountRun) {
	b, ok := ar.conn.(connectors.Blocker)
	if !ok {
		return
	}
	cons, err := c.store.Consents(ctx)
	if err != nil {
		c.log.Error("read blocked contacts", "account", ar.name, "err", err)
		return
	}
	for _, cn := range cons {
		if cn.Account != ar.name || cn.State != string(policy.StateBlocked) {
			continue
		}
		if err := b.Block(ctx, cn.Handle, true); err != nil && !errors.Is(err, connectors.ErrNotConnected) {
			c.log.Warn("block again on connect", "account", ar.name, "err", err)
		}
	}
}
