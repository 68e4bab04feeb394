package core

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/connectors"
	"switchboard/storage/storagetest"
)

// The core's own tests drive it with a scripted connector, "coretest",
// so that routing, supervision, outbox and policy are tested without a
// network. The connectors themselves are tested against real servers in
// their packages, and the core end to end with IRC in the cli tests.

func init() { connectors.Register("coretest", func() connectors.Connector { return &fakeConn{} }) }

// fakeNet is the scripted network. Each test makes its own and puts it in
// the account's "net" setting; the connectors find it through nets.
type fakeNet struct {
	mu        sync.Mutex
	runs      int
	failRuns  int    // the first failRuns calls of Run fail at once
	authFail  string // non-empty: Run returns an AuthError with this reason
	sink      chan<- connectors.Event
	account   string
	sent      []connectors.Outgoing
	sentFiles []string // name=type=content of every file sent
	blocked   map[string]bool
	marked    []string            // conversations marked read on the network
	acked     []string            // remote IDs whose receipt the core let the connector send
	syncSeen  []string            // Account.SyncState given to each Run
	online    chan struct{}       // closed on every successful connect (replaced each time)
	files     map[string][]string // remote ID → its attachments' bytes (absent: the message is gone)
	fileErr   error               // non-nil: FetchAttachments fails with it
	fileErrs  map[string]error    // per remote ID: FetchAttachments fails with it
	fetches   int
	history   []connectors.Message // the network's archive, oldest first (History pages it from the newest)
	histAsks  int
	unsubs    []string          // handles unsubscribed on the network
	unsubErr  error             // non-nil: Unsubscribe fails with it
	values    map[*fakeConn]int // connector value → how many Runs it served
	drop      chan struct{}     // closed by dropLink: the connected Run fails
	sendErr   error             // non-nil: Send fails with it
}

var nets = struct {
	sync.Mutex
	m map[string]*fakeNet
}{m: map[string]*fakeNet{}}

func newFakeNet(t *testing.T) (*fakeNet, string) {
	t.Helper()
	n := &fakeNet{blocked: map[string]bool{}, online: make(chan struct{}), values: map[*fakeConn]int{}, drop: make(chan struct{})}
	id := fmt.Sprintf("%s-%p", t.Name(), n)
	nets.Lock()
	nets.m[id] = n
	nets.Unlock()
	t.Cleanup(func() {
		nets.Lock()
		delete(nets.m, id)
		nets.Unlock()
	})
	return n, id
}

type fakeConn struct {
	mu  sync.Mutex
	net *fakeNet
}

func (f *fakeConn) Info() connectors.NetworkInfo {
	return connectors.NetworkInfo{Name: "coretest", DisplayName: "Core test", Fields: []connectors.Field{
		{Key: "net", Label: "Net", Kind: connectors.FieldText, Required: true},
		{Key: "password", Label: "Password", Kind: connectors.FieldSecret},
	}}
}

func (f *fakeConn) Run(ctx context.Context, acct connectors.Account, sec connectors.Secrets, sink chan<- connectors.Event) error {
	nets.Lock()
	n := nets.m[acct.Settings["net"]]
	nets.Unlock()
	if n == nil {
		return errors.New("no such fake net")
	}
	n.mu.Lock()
	n.syncSeen = append(n.syncSeen, acct.SyncState)
	n.values[f]++
	n.runs++
	runs, fail, auth := n.runs, n.failRuns, n.authFail
	n.mu.Unlock()
	if auth != "" {
		return &connectors.AuthError{Reason: auth}
	}
	if runs <= fail {
		return fmt.Errorf("fake connection refused (run %d)", runs)
	}
	f.mu.Lock()
	f.net = n
	f.mu.Unlock()
	n.mu.Lock()
	n.sink, n.account = sink, acct.ID
	close(n.online)
	drop, mine := n.drop, n.online
	n.mu.Unlock()
	select {
	case sink <- connectors.ConnectionState{Account: acct.ID, State: connectors.StateOnline, Self: "me"}:
	case <-ctx.Done():
	}
	err := ctx.Err()
	select {
	case <-ctx.Done():
		err = ctx.Err()
	case <-drop:
		err = errors.New("fake: link dropped")
	}
	n.mu.Lock()
	n.sink = nil
	if n.online == mine { // dropLink may have replaced it already
		n.online = make(chan struct{})
	}
	n.mu.Unlock()
	return err
}

// dropLink ends the connected Run with an error; the next failRuns Runs
// (counted from now) fail at once, so the account keeps reconnecting.
func (n *fakeNet) dropLink(failRuns int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.failRuns = n.runs + failRuns
	n.online = make(chan struct{}) // waitOnline now waits for the next connect
	close(n.drop)
	n.drop = make(chan struct{})
}

func (f *fakeConn) Send(ctx context.Context, msg connectors.Outgoing) (string, error) {
	f.mu.Lock()
	n := f.net
	f.mu.Unlock()
	if n == nil {
		return "", connectors.ErrNotConnected
	}
	var files []string
	for _, f := range msg.Files {
		rc, err := f.Open()
		if err != nil {
			return "", fmt.Errorf("fake: open %s: %w", f.Name, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return "", fmt.Errorf("fake: read %s: %w", f.Name, err)
		}
		files = append(files, f.Name+"="+f.Type+"="+string(b))
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.sendErr != nil {
		return "", n.sendErr
	}
	n.sent = append(n.sent, msg)
	n.sentFiles = append(n.sentFiles, files...)
	return "remote-" + msg.LocalID, nil
}

// MaxFileBytes makes the fake network a FileSender with a small limit.
func (f *fakeConn) MaxFileBytes() int64 { return 1 << 20 }

func (f *fakeConn) Block(ctx context.Context, handle string, block bool) error {
	f.mu.Lock()
	n := f.net
	f.mu.Unlock()
	if n == nil {
		return connectors.ErrNotConnected
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.blocked[handle] = block
	return nil
}

func (f *fakeConn) History(ctx context.Context, conv connectors.ConversationRef, before connectors.Cursor, limit int) ([]connectors.Message, connectors.Cursor, error) {
	f.mu.Lock()
	n := f.net
	f.mu.Unlock()
	n.mu.Lock()
	defer n.mu.Unlock()
	n.histAsks++
	end := len(n.history)
	if before != "" {
		var err error
		if end, err = strconv.Atoi(string(before)); err != nil {
			return nil, "", fmt.Errorf("fake: bad cursor %q", before)
		}
	}
	start := max(end-limit, 0)
	var out []connectors.Message
	for _, m := range n.history[start:end] {
		if m.Conversation.ID == conv.ID {
			out = append(out, m)
		}
	}
	if start == 0 {
		return out, "", nil
	}
	return out, connectors.Cursor(strconv.Itoa(start)), nil
}

func (f *fakeConn) Unsubscribe(ctx context.Context, handle string) (string, error) {
	f.mu.Lock()
	n := f.net
	f.mu.Unlock()
	if n == nil {
		return "", connectors.ErrNotConnected
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.unsubErr != nil {
		return "", n.unsubErr
	}
	n.unsubs = append(n.unsubs, handle)
	return "HTTP 200", nil
}

func (f *fakeConn) Acknowledge(ctx context.Context, remoteID string) error {
	f.mu.Lock()
	n := f.net
	f.mu.Unlock()
	n.mu.Lock()
	defer n.mu.Unlock()
	n.acked = append(n.acked, remoteID)
	return nil
}

func (f *fakeConn) MarkRead(ctx context.Context, conv connectors.ConversationRef, remoteID string) error {
	f.mu.Lock()
	n := f.net
	f.mu.Unlock()
	n.mu.Lock()
	defer n.mu.Unlock()
	n.marked = append(n.marked, conv.ID+"@"+remoteID)
	return nil
}

func (f *fakeConn) FetchAttachments(ctx context.Context, remoteID string, save func(int, connectors.Attachment, io.Reader) error) error {
	f.mu.Lock()
	n := f.net
	f.mu.Unlock()
	n.mu.Lock()
	n.fetches++
	files, ok := n.files[remoteID]
	ferr := cmp.Or(n.fileErr, n.fileErrs[remoteID])
	n.mu.Unlock()
	if ferr != nil {
		return ferr
	}
	if !ok {
		return fmt.Errorf("fake: message %s: %w", remoteID, connectors.ErrGone)
	}
	for i, b := range files {
		if err := save(i, connectors.Attachment{Size: int64(len(b))}, strings.NewReader(b)); err != nil {
			return err
		}
	}
	return nil
}

// onlineEnv is a started core with one account, "work", on its own fake
// network, connected.
func onlineEnv(t *testing.T) (*env, *fakeNet) {
	t.Helper()
	e := newEnv(t)
	n, id := newFakeNet(t)
	e.addAccount("work", id)
	e.start()
	n.waitOnline(t)
	return e, n
}

// waitOnline waits until the fake net has a connected Run.
func (n *fakeNet) waitOnline(t *testing.T) {
	t.Helper()
	n.mu.Lock()
	ch := n.online
	n.mu.Unlock()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("the fake account never connected")
	}
}

// deliver sends an event as the connector would.
func (n *fakeNet) deliver(t *testing.T, ev connectors.Event) {
	t.Helper()
	n.mu.Lock()
	sink := n.sink
	n.mu.Unlock()
	if sink == nil {
		t.Fatal("deliver: the fake account is not connected")
	}
	sink <- ev
}

func (n *fakeNet) sentTexts() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []string
	for _, m := range n.sent {
		out = append(out, m.Text)
	}
	return out
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is one test's profile.
type env struct {
	t    *testing.T
	dir  string
	kr   *storagetest.MemKeyring
	clk  *clock
	core *Core
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), kr: &storagetest.MemKeyring{}, clk: &clock{t: time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)}}
	e.open()
	return e
}

func (e *env) open() {
	e.t.Helper()
	c, err := Open(context.Background(), Options{ProfileDir: e.dir, Keyring: e.kr, Now: e.clk.Now, BackoffMin: 10 * time.Millisecond, BackoffMax: 50 * time.Millisecond})
	if err != nil {
		e.t.Fatalf("open core: %v", err)
	}
	e.core = c
	e.t.Cleanup(func() { c.Close() })
}

func (e *env) start() {
	e.t.Helper()
	if err := e.core.Start(context.Background()); err != nil {
		e.t.Fatalf("start: %v", err)
	}
}

func (e *env) reopen() {
	e.t.Helper()
	if err := e.core.Close(); err != nil {
		e.t.Fatalf("close: %v", err)
	}
	e.open()
}

func (e *env) addAccount(name, netID string) {
	e.t.Helper()
	err := e.core.AddAccount(context.Background(), AccountSpec{Name: name, Network: "coretest", Settings: map[string]string{"net": netID}, Secrets: map[string]string{"password": "pw-" + name}})
	if err != nil {
		e.t.Fatalf("add account: %v", err)
	}
}

// eventually polls cond until it holds or 10 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func msg(account, conv, sender, text, id string, at time.Time) connectors.MessageReceived {
	return connectors.MessageReceived{Account: account, Message: connectors.Message{
		RemoteID: id, Conversation: connectors.ConversationRef{ID: conv, Kind: connectors.Direct},
		Sender: sender, Time: at, Text: text,
	}}
}
