package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"switchboard/app/core"
	"switchboard/connectors"
	"switchboard/internal/attach"
	"switchboard/storage"
	"switchboard/storage/storagetest"
)

// The "uitest" network: a fake connector that lets a test push inbound
// events and records what the core sends. Connectors are created by the
// core through the registry, so the live instances are found by account.
type fakeNet struct {
	mu    sync.Mutex
	conns map[string]*fakeConn // account → running connector
	sent  []connectors.Outgoing
	fail  map[string]bool // texts whose Send fails
	// files are the attachments' bytes by message remote ID; a message
	// not here is gone from the network.
	files map[string][]fakeFile
	// gates hold back a message's files until closed.
	gates map[string]chan struct{}
	// unsubs are the handles unsubscribed on the network.
	unsubs []string
	// sentFiles are name=content of the files sent.
	sentFiles []string
	// history is each conversation's archive on the network, oldest first.
	history map[string][]connectors.Message
	// joined are the channels joined at the user's request.
	joined []string
}

// fakeFile is one attachment the fake network serves.
type fakeFile struct {
	name, mediaType string
	data            []byte
}

var fakes = &fakeNet{conns: map[string]*fakeConn{}, fail: map[string]bool{},
	files: map[string][]fakeFile{}, gates: map[string]chan struct{}{}, history: map[string][]connectors.Message{}}

func init() {
	connectors.Register("uitest", func() connectors.Connector { return &fakeConn{} })
	connectors.Register("uitestplain", func() connectors.Connector { return &plainConn{} })
	connectors.Register("uitestmail", func() connectors.Connector { return &mailConn{} })
}

// mailConn is the fake network with subject lines, as e-mail has.
type mailConn struct{ fakeConn }

func (m *mailConn) Info() connectors.NetworkInfo {
	info := m.fakeConn.Info()
	info.Name, info.DisplayName = "uitestmail", "UI Test Mail"
	return info
}

func (m *mailConn) Subjects() {}

// plainConn is the fake network without optional capabilities (no
// unsubscribe, no originals, no files).
type plainConn struct{ f fakeConn }

func (p *plainConn) Info() connectors.NetworkInfo {
	info := p.f.Info()
	info.Name, info.DisplayName = "uitestplain", "UI Test (plain)"
	return info
}

func (p *plainConn) Run(ctx context.Context, acct connectors.Account, sec connectors.Secrets, sink chan<- connectors.Event) error {
	return p.f.Run(ctx, acct, sec, sink)
}

func (p *plainConn) Send(ctx context.Context, msg connectors.Outgoing) (string, error) {
	return p.f.Send(ctx, msg)
}

// History pages a conversation's network archive from the newest; the
// cursor is the index to page below.
func (f *fakeConn) History(ctx context.Context, conv connectors.ConversationRef, before connectors.Cursor, limit int) ([]connectors.Message, connectors.Cursor, error) {
	fakes.mu.Lock()
	defer fakes.mu.Unlock()
	all := fakes.history[conv.ID]
	end := len(all)
	if before != "" {
		fmt.Sscan(string(before), &end)
	}
	start := max(end-limit, 0)
	out := append([]connectors.Message(nil), all[start:end]...)
	if start == 0 {
		return out, "", nil
	}
	return out, connectors.Cursor(fmt.Sprint(start)), nil
}

// Join makes the fake network a Joiner.
func (f *fakeConn) Join(ctx context.Context, conv string) error {
	fakes.mu.Lock()
	defer fakes.mu.Unlock()
	fakes.joined = append(fakes.joined, conv)
	return nil
}

func (f *fakeConn) Leave(ctx context.Context, conv string) error { return nil }

func (f *fakeConn) UnsubscribePlan(ctx context.Context, handle string) (string, error) {
	return "a one-click request (HTTPS POST, no cookies) to unsub.shop.test", nil
}

func (f *fakeConn) Unsubscribe(ctx context.Context, handle string) (string, error) {
	fakes.mu.Lock()
	defer fakes.mu.Unlock()
	fakes.unsubs = append(fakes.unsubs, handle)
	return "HTTP 200", nil
}

type fakeConn struct {
	mu   sync.Mutex
	acct string
	sink chan<- connectors.Event
}

func (f *fakeConn) Info() connectors.NetworkInfo {
	return connectors.NetworkInfo{Name: "uitest", DisplayName: "UI Test", Target: fakeTarget, Fields: []connectors.Field{
		{Key: "server", Label: "Server", Kind: connectors.FieldHostPort, Required: true, Placeholder: "chat.example.org:6697"},
		{Key: "nick", Label: "Nick", Kind: connectors.FieldText, Required: true},
		{Key: "password", Label: "Password", Kind: connectors.FieldSecret},
		{Key: "tls", Label: "Use TLS", Kind: connectors.FieldBool, Default: "true"},
		{Key: "ca_file", Label: "CA file", Kind: connectors.FieldFile},
		{Key: "join", Label: "Channels", Kind: connectors.FieldList},
	}}
}

func (f *fakeConn) Run(ctx context.Context, acct connectors.Account, sec connectors.Secrets, sink chan<- connectors.Event) error {
	if strings.HasPrefix(acct.Settings["server"], "refuse.") {
		return &connectors.AuthError{Reason: "Password incorrect"}
	}
	f.mu.Lock()
	f.acct, f.sink = acct.ID, sink
	f.mu.Unlock()
	fakes.mu.Lock()
	fakes.conns[acct.ID] = f
	fakes.mu.Unlock()
	sink <- connectors.ConnectionState{Account: acct.ID, State: connectors.StateOnline, Self: acct.Settings["nick"]}
	<-ctx.Done()
	fakes.mu.Lock()
	if fakes.conns[acct.ID] == f {
		delete(fakes.conns, acct.ID)
	}
	fakes.mu.Unlock()
	return ctx.Err()
}

// MaxFileBytes makes the fake network a FileSender.
func (f *fakeConn) MaxFileBytes() int64 { return 1 << 20 }

func (f *fakeConn) Send(ctx context.Context, msg connectors.Outgoing) (string, error) {
	var files []string
	for _, of := range msg.Files {
		rc, err := of.Open()
		if err != nil {
			return "", err
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return "", err
		}
		files = append(files, of.Name+"="+string(b))
	}
	fakes.mu.Lock()
	defer fakes.mu.Unlock()
	fakes.sentFiles = append(fakes.sentFiles, files...)
	if fakes.fail[msg.Text] {
		return "", errors.New("the server said no")
	}
	fakes.sent = append(fakes.sent, msg)
	return fmt.Sprintf("uitest-%d", len(fakes.sent)), nil
}

func (n *fakeNet) conn(t *testing.T, h *harness, account string) *fakeConn {
	t.Helper()
	var c *fakeConn
	h.waitFor("account "+account+" connected", func() bool {
		n.mu.Lock()
		defer n.mu.Unlock()
		c = n.conns[account]
		return c != nil
	})
	return c
}

func (n *fakeNet) sentTexts() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []string
	for _, s := range n.sent {
		out = append(out, s.Text)
	}
	return out
}

// push delivers events as the network would.
func (f *fakeConn) push(evs ...connectors.Event) {
	f.mu.Lock()
	sink := f.sink
	f.mu.Unlock()
	for _, e := range evs {
		sink <- e
	}
}

var msgSeq struct {
	sync.Mutex
	n int
}

// inbound makes a message from sender in conversation conv.
func inbound(acct, conv, sender, text string, group bool) connectors.MessageReceived {
	msgSeq.Lock()
	msgSeq.n++
	id := fmt.Sprintf("m%d", msgSeq.n)
	msgSeq.Unlock()
	kind := connectors.Direct
	if group {
		kind = connectors.Group
	}
	return connectors.MessageReceived{Account: acct, Message: connectors.Message{
		RemoteID: id, Conversation: connectors.ConversationRef{ID: conv, Kind: kind}, Sender: sender,
		Time: time.Now(), Direction: connectors.Inbound, Text: text,
	}}
}

// harness is a real core on a temp profile behind the view, with the
// view's UI work run on the test goroutine (fyne.Do's role in the app).
type harness struct {
	t     *testing.T
	ctx   context.Context
	core  *core.Core
	app   fyne.App
	win   fyne.Window
	v     *view
	queue chan func()
	// close shuts the window and the core (also at cleanup; once).
	close func()
}

// keyrings keep each test profile's key across a restart of its core, as
// the OS keyring does.
var keyrings = struct {
	sync.Mutex
	m map[string]*storagetest.MemKeyring
}{m: map[string]*storagetest.MemKeyring{}}

func profileKeyring(dir string) *storagetest.MemKeyring {
	keyrings.Lock()
	defer keyrings.Unlock()
	k := keyrings.m[dir]
	if k == nil {
		k = &storagetest.MemKeyring{}
		keyrings.m[dir] = k
	}
	return k
}

func newHarness(t *testing.T, accounts ...string) *harness {
	t.Helper()
	return newHarnessIn(t, t.TempDir(), accounts...)
}

// newHarnessIn opens the window on the profile in dir, adding accounts
// (none when reopening a profile that has them).
func newHarnessIn(t *testing.T, dir string, accounts ...string) *harness {
	t.Helper()
	// What the fake network was sent belongs to one test (tests run one at
	// a time; -count=N repeats them in one process).
	fakes.mu.Lock()
	fakes.sent, fakes.unsubs, fakes.sentFiles, fakes.joined = nil, nil, nil, nil
	fakes.mu.Unlock()
	a := test.NewTempApp(t)
	a.Settings().SetTheme(newAppTheme(themeLight))
	ctx, cancel := context.WithCancel(context.Background())
	c, err := core.Open(ctx, core.Options{ProfileDir: dir, Keyring: profileKeyring(dir), NoControlSocket: true})
	if err != nil {
		cancel()
		t.Fatalf("open core: %v", err)
	}
	h := &harness{t: t, ctx: ctx, core: c, app: a, queue: make(chan func(), 4096)}
	for _, name := range accounts {
		spec := core.AccountSpec{Name: name, Network: "uitest", Settings: map[string]string{"server": "chat.test:6697", "nick": "me"}}
		if err := c.AddAccount(ctx, spec); err != nil {
			t.Fatalf("add account %s: %v", name, err)
		}
	}
	if err := c.Start(ctx); err != nil {
		t.Fatalf("start core: %v", err)
	}
	h.win = a.NewWindow("Switchboard")
	h.v = newView(ctx, c, a, h.win, func(f func()) { h.queue <- f }, nil)
	h.win.SetContent(h.v.root)
	h.win.Resize(fyne.NewSize(1200, 800))
	var once sync.Once
	h.close = func() {
		once.Do(func() {
			cancel()
			h.v.wait()
			c.Close()
			h.win.Close()
		})
	}
	t.Cleanup(h.close)
	h.v.start()
	h.settle()
	return h
}

// drain runs queued UI work; it reports whether anything ran.
func (h *harness) drain() bool {
	ran := false
	for {
		select {
		case f := <-h.queue:
			f()
			ran = true
		default:
			return ran
		}
	}
}

// settle runs UI work until no background job is left. The limits here
// are only reached when a test fails; on a loaded 2-core machine a page of
// history from the network took longer than 10 s.
func (h *harness) settle() {
	h.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if !h.drain() && h.v.inflight.Load() == 0 && len(h.queue) == 0 {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	h.t.Fatal("the window did not settle within 60 s")
}

// waitFor runs UI work until cond holds.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for time.Now().Before(deadline) {
		h.drain()
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.t.Fatalf("timed out waiting for %s", what)
}

// convByTitle is the row of the listed conversation with this title.
func (h *harness) convByTitle(title string) (storage.Conversation, bool) {
	for _, c := range h.v.list.convs {
		if convTitle(c) == title {
			return c, true
		}
	}
	return storage.Conversation{}, false
}

// visibleConvItem finds the rendered list row showing title.
func (h *harness) visibleConvItem(title string) *convItem {
	for _, o := range test.LaidOutObjects(h.v.list.list) {
		if it, ok := o.(*convItem); ok && it.title.Text == title && it.Visible() {
			return it
		}
	}
	return nil
}

// tapConversation taps the conversation's row in the middle pane.
func (h *harness) tapConversation(title string) {
	h.t.Helper()
	var it *convItem
	h.waitFor("a row for "+title, func() bool {
		it = h.visibleConvItem(title)
		return it != nil
	})
	test.Tap(it.tap)
	h.settle()
}

// renderedMessages is the text of every message row on screen.
func (h *harness) renderedMessages() []string {
	var out []string
	for _, o := range test.LaidOutObjects(h.v.chat.list) {
		if it, ok := o.(*msgItem); ok && it.row.day == "" && it.Visible() {
			out = append(out, richText(it.body))
		}
	}
	return out
}

func richText(r *widget.RichText) string {
	var b strings.Builder
	for _, s := range r.Segments {
		b.WriteString(s.Textual())
	}
	return b.String()
}

func contains(list []string, want string) bool {
	for _, s := range list {
		if strings.Contains(s, want) {
			return true
		}
	}
	return false
}

// Original makes the fake network keep fuller originals, like e-mail.
func (f *fakeConn) Original(ctx context.Context, remoteID string) (string, error) {
	return "FULL ORIGINAL of " + remoteID + "\n-- \nsignature", nil
}

// FetchAttachments serves the bytes of fakes.files, waiting for a gate
// first if one is set; a message not listed there is gone.
func (f *fakeConn) FetchAttachments(ctx context.Context, remoteID string, save func(int, connectors.Attachment, io.Reader) error) error {
	fakes.mu.Lock()
	gate := fakes.gates[remoteID]
	fakes.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	fakes.mu.Lock()
	files, ok := fakes.files[remoteID]
	fakes.mu.Unlock()
	if !ok {
		return fmt.Errorf("uitest: message %s: %w", remoteID, connectors.ErrGone)
	}
	for i, fl := range files {
		a := connectors.Attachment{Name: fl.name, Type: fl.mediaType, Size: int64(len(fl.data))}
		if err := save(i, a, bytes.NewReader(fl.data)); err != nil {
			return err
		}
	}
	return nil
}

// setFiles makes the fake network serve files for a message (nil: none, gone).
func (n *fakeNet) setFiles(remoteID string, files []fakeFile) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if files == nil {
		delete(n.files, remoteID)
		return
	}
	n.files[remoteID] = files
}

// withFiles adds files to a message as the e-mail connector does: listed,
// and one "[attachment: NAME (SIZE)]" line each after the text.
func withFiles(m connectors.MessageReceived, files ...fakeFile) connectors.MessageReceived {
	var lines []string
	for _, fl := range files {
		m.Message.Attachments = append(m.Message.Attachments,
			connectors.Attachment{Name: fl.name, Type: fl.mediaType, Size: int64(len(fl.data))})
		lines = append(lines, fmt.Sprintf("[attachment: %s (%s)]", fl.name, attach.Size(int64(len(fl.data)))))
	}
	if m.Message.Text != "" {
		m.Message.Text += "\n\n"
	}
	m.Message.Text += strings.Join(lines, "\n")
	return m
}

// fakeTarget is the fake network's answer to "what is this handle": like
// IRC, a name starting with '#' is a channel.
func fakeTarget(ref string) (connectors.ConversationRef, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" || strings.ContainsAny(ref, " ,") {
		return connectors.ConversationRef{}, fmt.Errorf("uitest: %q is neither a nick nor a channel", ref)
	}
	if ref[0] == '#' {
		return connectors.ConversationRef{ID: ref, Kind: connectors.Group}, nil
	}
	return connectors.ConversationRef{ID: ref, Kind: connectors.Direct}, nil
}
