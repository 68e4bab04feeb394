package email

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"switchboard/connectors"
)

// folderState is what the connector remembers of a folder between Runs
// (and, through connectors.SyncState, across restarts): a Run that finds
// the same UIDVALIDITY fetches only UIDs above lastUID.
type folderState struct {
	uidValidity uint32
	lastUID     imap.UID
	// restored: the state came from Account.SyncState and this process has
	// not yet caught up with the folder; what it fetches above lastUID
	// arrived while the app was closed and is emitted as backfill.
	restored bool
	// newest is the newest mail time (Date header, never in the future)
	// emitted from the folder: after a UIDVALIDITY change, when the old
	// UIDs mean nothing, mail dated since then is fetched again.
	newest time.Time
	// modSeq is the folder's HIGHESTMODSEQ when flag changes were last
	// looked at (CONDSTORE; 0: not yet): mail flagged \Seen since then by
	// another client — also while the app was closed — is reported read.
	modSeq uint64
}

// folderKey names a folder of one account on one server.
type folderKey struct {
	server, login, folder string
}

// location finds a mail seen during this Run again.
type location struct {
	folder      string
	uidValidity uint32
	uid         imap.UID
}

// threadInfo is the newest mail of a conversation, for replying to it.
type threadInfo struct {
	messageID  string
	references []string
	subject    string
	time       time.Time
}

// unsubInfo is the newest List-Unsubscribe data of a sender.
type unsubInfo struct {
	header string // List-Unsubscribe
	post   string // List-Unsubscribe-Post
	time   time.Time
}

// request is work another goroutine (Send, Unsubscribe, Original) needs
// done on the IMAP connection; the Run loop executes it between IDLEs.
type request struct {
	fn   func(ctx context.Context, c *imapclient.Client) error
	done chan error
}

// session is one Run's connection and what it learnt.
type session struct {
	conn        *Connector
	cfg         config
	sink        chan<- connectors.Event
	self        selfSet
	reqs        chan request
	wake        chan struct{}
	closed      chan struct{} // closed when Run ends
	ready       chan struct{} // closed when the initial sync is done
	sentFolder  string
	selected    string // folder open on the connection; used by the loop goroutine only
	selValidity uint32 // its UIDVALIDITY; likewise
	wd          *watchdog

	mu       sync.Mutex
	threads  map[string]threadInfo // conversation ID → newest mail
	where    map[string]location   // remote ID → where it is
	unsub    map[string]unsubInfo  // sender address → newest unsubscribe data
	reported map[string]bool       // senders already reported as brands
	// unread are the inbound INBOX mails (UID → remote ID, under
	// unreadValidity) delivered unread in this Run: when another client
	// flags one \Seen, it is reported as ReadElsewhere.
	unread         map[imap.UID]string
	unreadValidity uint32
	seenHere       map[imap.UID]bool // INBOX mail reported read, or marked read by us, in this Run
	noModSeq       bool              // CONDSTORE unusable on this server: flag changes only for unread
	flags          chan struct{}     // a flag changed on the server (unsolicited FETCH)
}

func newSession(c *Connector, cfg config, sink chan<- connectors.Event) *session {
	self := selfSet{cfg.user: true}
	if checkAddress(cfg.login) == nil {
		self[cfg.login] = true
	}
	return &session{
		conn: c, cfg: cfg, sink: sink, self: self,
		reqs:     make(chan request),
		closed:   make(chan struct{}),
		ready:    make(chan struct{}),
		wake:     make(chan struct{}, 1),
		flags:    make(chan struct{}, 1),
		unread:   map[imap.UID]string{},
		seenHere: map[imap.UID]bool{},
		threads:  map[string]threadInfo{},
		where:    map[string]location{},
		unsub:    map[string]unsubInfo{},
		reported: map[string]bool{},
	}
}

// handler turns unsolicited EXISTS into a wake-up of the wait loop, and
// unsolicited FLAGS (another client read or flagged a mail) into a check
// for mail read elsewhere. Mailbox runs on the client's reader goroutine
// and must not block; Fetch runs on a goroutine of the client's, which
// must read the items to the end.
func (s *session) handler() *imapclient.UnilateralDataHandler {
	return &imapclient.UnilateralDataHandler{
		Mailbox: func(data *imapclient.UnilateralDataMailbox) {
			if data.NumMessages != nil {
				select {
				case s.wake <- struct{}{}:
				default:
				}
			}
		},
		Fetch: func(msg *imapclient.FetchMessageData) {
			changed := false
			for item := msg.Next(); item != nil; item = msg.Next() {
				if _, ok := item.(imapclient.FetchItemDataFlags); ok {
					changed = true
				}
			}
			if changed {
				select {
				case s.flags <- struct{}{}:
				default:
				}
			}
		},
	}
}

// Run connects, syncs INBOX and Sent, then waits for new mail until ctx
// ends (nil) or the connection fails (the error; *connectors.AuthError for
// refused credentials).
func (c *Connector) Run(ctx context.Context, acct connectors.Account, secrets connectors.Secrets, sink chan<- connectors.Event) error {
	cfg, err := parseConfig(acct)
	if err != nil {
		return err
	}
	pw, err := secrets.Get(ctx, "password")
	if errors.Is(err, connectors.ErrNoSecret) {
		aerr := &connectors.AuthError{Reason: "no password stored for this account"}
		emit(ctx, sink, connectors.ConnectionState{Account: acct.ID, State: connectors.StateAuthFailed, Reason: aerr.Reason})
		return aerr
	}
	if err != nil {
		return fmt.Errorf("email: read password: %w", err)
	}
	cfg.password = pw
	c.seedPosition(cfg, acct.SyncState)
	emit(ctx, sink, connectors.ConnectionState{Account: acct.ID, State: connectors.StateConnecting})
	s := newSession(c, cfg, sink)
	s.wd = newWatchdog(c.answerWait)
	defer s.wd.close()
	client, err := dialIMAP(ctx, cfg, s.handler(), s.wd)
	if err != nil {
		return s.fail(ctx, err)
	}
	defer client.Close()
	c.setSession(s)
	defer func() {
		c.setSession(nil)
		close(s.closed)
	}()
	if err := s.start(ctx, client); err != nil {
		return s.fail(ctx, err)
	}
	close(s.ready)
	_ = s.flushAppends(client) // copies left from an earlier Run; failures stay queued
	emit(ctx, sink, connectors.ConnectionState{Account: acct.ID, State: connectors.StateOnline, Self: cfg.user})
	err = s.loop(ctx, client)
	if ctx.Err() != nil {
		_ = client.Logout().Wait()
		return nil
	}
	return s.fail(ctx, err)
}

// fail reports the state that goes with a Run error and returns it.
func (s *session) fail(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	err = s.wd.explain(err)
	var aerr *connectors.AuthError
	if errors.As(err, &aerr) {
		emit(ctx, s.sink, connectors.ConnectionState{Account: s.cfg.account, State: connectors.StateAuthFailed, Reason: aerr.Reason})
		return err
	}
	emit(ctx, s.sink, connectors.ConnectionState{Account: s.cfg.account, State: connectors.StateOffline, Reason: err.Error()})
	return err
}

func (c *Connector) setSession(s *session) {
	c.mu.Lock()
	c.sess = s
	c.mu.Unlock()
}

// waitReady waits until the session's initial sync is done, so a reply
// knows the conversation's newest mail.
func (s *session) waitReady(ctx context.Context) error {
	select {
	case <-s.ready:
		return nil
	case <-s.closed:
		return connectors.ErrNotConnected
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Connector) session() *session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess
}

// emit sends an event unless ctx ends first.
func emit(ctx context.Context, sink chan<- connectors.Event, ev connectors.Event) bool {
	select {
	case sink <- ev:
		return true
	case <-ctx.Done():
		return false
	}
}

// start finds the Sent folder and syncs it and INBOX, leaving INBOX selected.
func (s *session) start(ctx context.Context, c *imapclient.Client) error {
	sent, err := findSent(c)
	if err != nil {
		return err
	}
	s.sentFolder = sent
	if err := s.syncFolder(ctx, c, sent); err != nil {
		return err
	}
	return s.syncFolder(ctx, c, "INBOX")
}

func (c *Connector) stateKey(cfg config, folder string) folderKey {
	return folderKey{server: cfg.imap.addr, login: cfg.login, folder: folder}
}

func (c *Connector) folderState(cfg config, folder string) (folderState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.folders[c.stateKey(cfg, folder)]
	return st, ok
}

func (c *Connector) setFolderState(cfg config, folder string, st folderState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.folders[c.stateKey(cfg, folder)] = st
}

// loop waits for new mail with IDLE (or NOOP polling) and runs requests
// from Send, Unsubscribe and Original in between.
func (s *session) loop(ctx context.Context, c *imapclient.Client) error {
	canIdle := (c.Caps().Has(imap.CapIdle) || c.Caps().Has(imap.CapIMAP4rev2)) && !s.conn.noIdle
	interval := s.conn.pollInterval
	if interval <= 0 {
		interval = defaultPollInterval
	}
	poll := time.NewTicker(interval)
	defer poll.Stop()
	first := true
	for {
		if err := s.ensureSelected(ctx, c, "INBOX"); err != nil {
			return err
		}
		if err := s.fetchNew(ctx, c, "INBOX"); err != nil {
			return err
		}
		if first { // what was read elsewhere while we were away
			first = false
			if err := s.reportSeenSince(ctx, c); err != nil {
				return err
			}
		}
		var idle *imapclient.IdleCommand
		if canIdle {
			var err error
			if idle, err = c.Idle(); err != nil {
				return fmt.Errorf("email: IDLE: %w", err)
			}
		}
		s.wd.expect(false) // news may never come; that is no fault
		var req *request
		pollDue, flagsDue := false, false
		select {
		case <-ctx.Done():
		case <-s.wake:
		case <-s.flags:
			flagsDue = true
		case r := <-s.reqs:
			req = &r
		case <-poll.C:
			pollDue = true
		case <-c.Closed():
		}
		s.wd.expect(true)
		if idle != nil {
			if err := idle.Close(); err == nil {
				err = idle.Wait()
			}
		}
		if ctx.Err() != nil {
			if req != nil {
				req.done <- ctx.Err()
			}
			return nil
		}
		if err := connClosed(c); err != nil {
			if req != nil {
				req.done <- connectors.ErrNotConnected
			}
			return err
		}
		if req != nil {
			req.done <- req.fn(ctx, c)
		}
		if pollDue {
			_ = s.flushAppends(c) // failures stay queued for the next poll
			if err := s.poll(ctx, c, canIdle); err != nil {
				return err
			}
		}
		// Also on every poll: not every server tells an IDLE client about
		// other clients' flag changes.
		if flagsDue || pollDue {
			if err := s.reportReadElsewhere(ctx, c); err != nil {
				return err
			}
			if err := s.reportSeenSince(ctx, c); err != nil {
				return err
			}
		}
	}
}

func connClosed(c *imapclient.Client) error {
	select {
	case <-c.Closed():
		return errors.New("email: connection to the IMAP server lost")
	default:
		return nil
	}
}

// poll checks for new mail without IDLE (NOOP) and for mail that other
// clients put into Sent.
func (s *session) poll(ctx context.Context, c *imapclient.Client, canIdle bool) error {
	if !canIdle {
		if err := c.Noop().Wait(); err != nil {
			return fmt.Errorf("email: NOOP: %w", err)
		}
	}
	return s.checkFolder(ctx, c, s.sentFolder)
}

// checkFolder fetches new mail of a folder that is not selected, if its
// STATUS shows any.
func (s *session) checkFolder(ctx context.Context, c *imapclient.Client, folder string) error {
	st, err := c.Status(folder, &imap.StatusOptions{UIDNext: true, UIDValidity: true}).Wait()
	if err != nil {
		return fmt.Errorf("email: STATUS %s: %w", folder, err)
	}
	known, ok := s.conn.folderState(s.cfg, folder)
	if ok && known.uidValidity == st.UIDValidity && st.UIDNext != 0 && st.UIDNext-1 <= known.lastUID {
		return nil
	}
	if err := s.ensureSelected(ctx, c, folder); err != nil {
		return err
	}
	return s.fetchNew(ctx, c, folder)
}

// call runs fn on the Run loop's connection and returns its error;
// ErrNotConnected when no Run is connected.
func (c *Connector) call(ctx context.Context, fn func(ctx context.Context, c *imapclient.Client) error) error {
	s := c.session()
	if s == nil {
		return connectors.ErrNotConnected
	}
	req := request{fn: fn, done: make(chan error, 1)}
	select {
	case s.reqs <- req:
	case <-s.closed:
		return connectors.ErrNotConnected
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		// The loop finishes the request on its own; its result is dropped.
		return ctx.Err()
	}
}
