// Package core is Switchboard's hub: it owns the profile (archive, secrets,
// accounts), supervises one connector per account, routes connector events
// through the brand policy into storage, and offers the one command API
// (API) that the GUI and the CLI call.
package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	"switchboard/connectors"
	"switchboard/storage"
)

// ErrProfileBusy means another Switchboard process has the profile open.
// The CLI then talks to it over the control socket instead.
var ErrProfileBusy = errors.New("another Switchboard process is using this profile")

// Options configure Open.
type Options struct {
	ProfileDir       string
	Keyring          storage.Keyring                   // nil: the OS keyring
	Passphrase       func(create bool) ([]byte, error) // asked in passphrase mode
	PreferPassphrase bool                              // new profile: use a passphrase even if a keyring answers
	// UnlockKeyring: the user chose to unlock a locked keyring, so its own
	// password prompt may be shown and is waited for.
	UnlockKeyring bool
	Logger        *slog.Logger     // nil: discard
	Now           func() time.Time // nil: time.Now
	// Backoff bounds for reconnects; zero values take the defaults (1 s, 2 min).
	BackoffMin, BackoffMax time.Duration
	// NoControlSocket disables the control socket (tests running several cores).
	NoControlSocket bool
}

// Core is one open profile. It is safe for concurrent use.
type Core struct {
	opt     Options
	log     *slog.Logger
	now     func() time.Time
	store   *storage.Store
	secrets secretStore
	lock    io.Closer

	events chan connectors.Event // all connectors → router
	bus    *bus
	pol    *brandPolicy
	nets   netCache // network descriptions and capabilities, by name

	mu        sync.Mutex
	runCtx    context.Context // set by Start; nil before
	accounts  map[string]*accountRun
	wg        sync.WaitGroup // router, control socket
	accWG     sync.WaitGroup // account supervisors and senders
	cancel    context.CancelFunc
	ctl       *controlServer
	ctlCancel context.CancelFunc
	closed    bool
	hist      map[int64]histState // conversation row → paging back on its network
	// archiveErr is the archive's current write error for received
	// messages ("" = it writes); see holdMessages.
	archiveErr string
	// putMessages writes a batch of messages: the store's PutMessages;
	// this package's tests wrap it to make the archive fail for a while.
	putMessages func(context.Context, []storage.MessageIn) ([]storage.PutResult, error)
}

// DefaultProfileDir is the OS's per-user config directory + "switchboard".
func DefaultProfileDir() (string, error) {
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the user config directory: %w", err)
	}
	return filepath.Join(base, "switchboard"), nil
}

// Open opens (or creates) the profile in opt.ProfileDir. It fails with
// ErrProfileBusy when another process holds the profile.
func Open(ctx context.Context, opt Options) (*Core, error) {
	if opt.ProfileDir == "" {
		return nil, errors.New("core: no profile directory given")
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.BackoffMin <= 0 {
		opt.BackoffMin = time.Second
	}
	if opt.BackoffMax <= 0 {
		opt.BackoffMax = 2 * time.Minute
	}
	if err := os.MkdirAll(opt.ProfileDir, 0o700); err != nil {
		return nil, fmt.Errorf("core: create profile directory: %w", err)
	}
	if err := secureProfileDir(opt.ProfileDir, os.Getuid(), opt.Logger); err != nil {
		return nil, err
	}
	lk, err := lockProfile(opt.ProfileDir)
	if err != nil {
		return nil, err
	}
	st, err := storage.Open(ctx, storage.Options{
		Dir:              opt.ProfileDir,
		Keyring:          opt.Keyring,
		Passphrase:       opt.Passphrase,
		PreferPassphrase: opt.PreferPassphrase,
		UnlockKeyring:    opt.UnlockKeyring,
		Logger:           opt.Logger,
	})
	if err != nil {
		lk.Close()
		return nil, fmt.Errorf("open archive: %w", err)
	}
	if st.Mode() == storage.ModePassphrase {
		// Argon2id just used 64 MiB to unwrap the key; hand it back to the
		// OS now rather than carrying it for the life of the process.
		debug.FreeOSMemory()
	}
	sec, err := newSecrets(st, opt.Keyring)
	if err != nil {
		st.Close()
		lk.Close()
		return nil, fmt.Errorf("open secret store: %w", err)
	}
	c := &Core{
		opt:      opt,
		log:      opt.Logger,
		now:      opt.Now,
		store:    st,
		secrets:  sec,
		lock:     lk,
		events:   make(chan connectors.Event, 1024),
		bus:      newBus(),
		accounts: map[string]*accountRun{}, hist: map[int64]histState{},
	}
	c.putMessages = st.PutMessages
	c.pol, err = newBrandPolicy(ctx, c)
	if err != nil {
		c.closeStorage()
		return nil, err
	}
	if !opt.NoControlSocket {
		c.ctl, err = listenControl(opt.ProfileDir, c, c.log)
		if err != nil {
			c.closeStorage()
			return nil, err
		}
		// The socket answers from now on, started or not: a command that
		// found the profile held must get answers, not a silent socket.
		sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		c.ctlCancel = cancel
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			c.ctl.serve(sctx)
		}()
	}
	return c, nil
}

// Running says whether Start (or StartOnly) has run and Close has not.
func (c *Core) Running() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.runCtx != nil && !c.closed
}

// KeyMode says how the archive key is protected (keyring or passphrase).
func (c *Core) KeyMode() storage.KeyMode { return c.store.Mode() }

// Start connects every enabled account, each in its own supervised
// goroutine, and starts routing events. It returns at once; Close stops it.
func (c *Core) Start(ctx context.Context) error {
	ctx, err := c.begin(ctx)
	if err != nil {
		return err
	}
	accts, err := c.store.Accounts(ctx)
	if err != nil {
		return fmt.Errorf("core: load accounts: %w", err)
	}
	for _, a := range accts {
		if !a.Disabled {
			c.startAccount(a)
		}
	}
	return nil
}

// StartOnly is Start for a subset of accounts (the CLI's one-shot send).
func (c *Core) StartOnly(ctx context.Context, names ...string) error {
	ctx, err := c.begin(ctx)
	if err != nil {
		return err
	}
	for _, n := range names {
		a, err := c.store.Account(ctx, n)
		if err != nil {
			return fmt.Errorf("core: account %q: %w", n, err)
		}
		c.startAccount(a)
	}
	return nil
}

// begin makes the run context, settles the outbox and starts the router.
func (c *Core) begin(ctx context.Context) (context.Context, error) {
	c.mu.Lock()
	if c.runCtx != nil || c.closed {
		c.mu.Unlock()
		return nil, errors.New("core: already started or closed")
	}
	ctx, cancel := context.WithCancel(ctx)
	c.runCtx, c.cancel = ctx, cancel
	c.mu.Unlock()
	if err := c.recoverOutbox(ctx); err != nil {
		c.log.Warn("outbox recovery", "err", err)
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.route(ctx)
	}()
	return ctx, nil
}

// Close disconnects everything, waits for the goroutines and closes the archive.
func (c *Core) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	cancel := c.cancel
	c.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	if c.ctl != nil {
		c.ctlCancel()
		c.ctl.close()
	}
	c.wg.Wait()
	c.bus.close()
	return c.closeStorage()
}

func (c *Core) closeStorage() error {
	err := c.store.Close()
	if c.lock != nil {
		c.lock.Close()
	}
	return err
}

// Subscribe returns batches of updates until cancel is called or the core closes.
func (c *Core) Subscribe() (<-chan []Update, func()) { return c.bus.subscribe() }

// Pref reads a sealed preference ("" when unset).
func (c *Core) Pref(ctx context.Context, key string) (string, error) {
	v, err := c.store.Pref(ctx, key)
	if errors.Is(err, storage.ErrNotFound) {
		return "", nil
	}
	return v, err
}

// SetPref writes a sealed preference.
func (c *Core) SetPref(ctx context.Context, key, value string) error {
	if err := validatePref(key, value); err != nil {
		return err
	}
	if err := c.store.SetPref(ctx, key, value); err != nil {
		return fmt.Errorf("save preference %s: %w", key, err)
	}
	return nil
}

// VerifyArchive reads the whole archive and reports what fails its
// integrity checks (storage.Verify), changing nothing.
func (c *Core) VerifyArchive(ctx context.Context) (storage.VerifyReport, error) {
	return c.store.Verify(ctx)
}
