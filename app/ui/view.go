package ui

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"switchboard/app/core"
	"switchboard/assets"
	"switchboard/connectors"
	"switchboard/storage"
)

// Backend is what the window needs from the core: the command API plus
// the live parts. *core.Core satisfies it.
type Backend interface {
	core.API
	Subscribe() (<-chan []core.Update, func())
	Pref(ctx context.Context, key string) (string, error)
	SetPref(ctx context.Context, key, value string) error
	Draft(ctx context.Context, convRow int64) (string, error)
	SetDraft(ctx context.Context, convRow int64, text string) error
	MarkDone(ctx context.Context, convRow int64) error
	StartConversation(ctx context.Context, account, target string) (storage.Conversation, error)
	KeyMode() storage.KeyMode
}

var _ Backend = (*core.Core)(nil)

// Fyne preference keys (window state, not user data: no message text).
const (
	prefWidth    = "window.width"
	prefHeight   = "window.height"
	prefLastConv = "last_conversation" // + ":" + profile key, see LastConversationKey
	prefTheme    = "theme"
)

// counts are the numbers beside the sidebar's filters.
type counts struct {
	unread, awaiting, requests, blocked int
	oldestWait                          time.Time
	origins                             []string // networks conversations are bridged from
}

// view is the main window's content and state. Every field is read and
// written on the UI goroutine only; background work runs in async jobs
// whose results come back through post (fyne.Do in the app).
type view struct {
	ctx  context.Context
	be   Backend
	app  fyne.App
	win  fyne.Window
	post func(func())
	jobs sync.WaitGroup
	// inflight counts async jobs whose result is not yet handed to post
	// (tests wait for it to reach zero).
	inflight atomic.Int64
	now      func() time.Time
	log      *slog.Logger

	filter     storage.Filter
	account    string // account filter; "" = all accounts
	network    string // network filter (bridged conversations included); "" = all networks
	brandsOpen bool
	networks   map[string]connectors.NetworkInfo
	netOrder   []string
	accounts   []core.AccountStatus
	counts     counts
	loaders    map[string]*loader
	acctDlg    *accountDialog // the last account dialog opened
	searchDlg  *searchDialog
	switchDlg  *switcher
	acceptDlg  *acceptForm
	newMsgDlg  *newMessage   // the last New message dialog opened
	unsubMsg   string        // the last unsubscribe confirmation's text
	signIn     *signInDialog // the last sign-in dialog opened
	// chooseSaveFile asks where to save a file named name and calls cb
	// with the chosen path (not at all when the user cancels); tests
	// replace Fyne's dialog with a folder of their own.
	chooseSaveFile func(name string, cb func(path string))
	saving         map[int64]bool // attachment IDs being saved
	saveDir        string         // the folder last saved to

	// banner shows a core-level problem across the window's top (the
	// archive refusing new messages); hidden while there is none.
	banner    *widget.Label
	bannerBox *fyne.Container // the layout holding the banner above the rest
	side      *sidebar
	list      *convList
	chat      *chatPane
	brands    *brandsView
	right     *fyne.Container
	tray      *trayState
	root      fyne.CanvasObject
	// trayOK says a system tray host runs (the shell asks the bus once).
	trayOK bool
	// noNotifier: no notification service answers (the shell asks once).
	noNotifier bool
	// restyle rebuilds the window content after a theme change.
	restyle func()
	// lastConvKey is the Fyne preference remembering this profile's open conversation.
	lastConvKey string
	// onFirstLoad is called once the first conversation page is shown.
	onFirstLoad  func(n int)
	firstLoaded  bool
	firstRunDone bool
}

// loader coalesces reloads of one kind: while one runs, further requests
// collapse into a single rerun with the newest parameters.
type loader struct {
	busy  bool
	again func(context.Context) func()
}

func newView(ctx context.Context, be Backend, a fyne.App, w fyne.Window, post func(func()), log *slog.Logger) *view {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	v := &view{
		ctx: ctx, be: be, app: a, win: w, post: post, now: time.Now, log: log,
		filter:      storage.FilterAll,
		networks:    map[string]connectors.NetworkInfo{},
		loaders:     map[string]*loader{},
		saving:      map[int64]bool{},
		lastConvKey: LastConversationKey(""),
	}
	v.chooseSaveFile = v.fileSaveDialog
	v.side = newSidebar(v)
	v.list = newConvList(v)
	v.chat = newChatPane(v)
	v.brands = newBrandsView(v)
	v.right = container.NewStack(v.chat.root)
	v.root = v.layout()
	return v
}

func (v *view) layout() fyne.CanvasObject {
	inner := container.NewHSplit(v.list.root, v.right)
	inner.Offset = 0.34
	outer := container.NewHSplit(v.side.root, inner)
	outer.Offset = 0.2
	if v.banner == nil {
		v.banner = widget.NewLabel("")
		v.banner.Importance = widget.DangerImportance
		v.banner.Wrapping = fyne.TextWrapWord
		v.banner.Hide()
	}
	v.bannerBox = container.NewBorder(v.banner, nil, nil, nil, outer)
	return v.bannerBox
}

// showArchiveError shows the archive's write error in the banner, or
// hides the banner when msg is "".
func (v *view) showArchiveError(msg string) {
	v.banner.SetText(msg)
	if msg == "" {
		v.banner.Hide()
	} else {
		v.banner.Show()
	}
	v.bannerBox.Refresh() // the rest moves down or back up
}

// start loads everything and follows the core's updates until ctx ends.
func (v *view) start() {
	v.tray = newTrayState(v)
	v.installShortcuts()
	v.loadNetworks()
	v.reloadAccounts()
	v.reloadConvs()
	v.reloadCounts()
	if row := int64(v.app.Preferences().Int(v.lastConvKey)); row > 0 {
		v.openConversation(row)
	}
	updates, cancel := v.be.Subscribe()
	v.jobs.Add(1)
	go func() {
		defer v.jobs.Done()
		defer cancel()
		for {
			select {
			case <-v.ctx.Done():
				return
			case batch, ok := <-updates:
				if !ok {
					return
				}
				// One hand-over per batch, however large (STYLE.md: fyne-io/terminal).
				v.post(func() { v.apply(batch) })
			}
		}
	}()
}

// async runs work off the UI goroutine and applies the function it
// returns on the UI goroutine.
func (v *view) async(work func(ctx context.Context) func()) {
	v.jobs.Add(1)
	v.inflight.Add(1)
	go func() {
		defer v.jobs.Done()
		defer v.inflight.Add(-1)
		apply := work(v.ctx)
		if apply != nil && v.ctx.Err() == nil {
			v.post(apply)
		}
	}()
}

// coalesce runs fetch as the loader name, or schedules it to run once
// more after the running one.
func (v *view) coalesce(name string, fetch func(context.Context) func()) {
	l := v.loaders[name]
	if l == nil {
		l = &loader{}
		v.loaders[name] = l
	}
	if l.busy {
		l.again = fetch
		return
	}
	l.busy = true
	v.async(func(ctx context.Context) func() {
		apply := fetch(ctx)
		return func() {
			if apply != nil {
				apply()
			}
			l.busy = false
			if next := l.again; next != nil {
				l.again = nil
				v.coalesce(name, next)
			}
		}
	})
}

// apply handles one batch of core updates.
func (v *view) apply(batch []core.Update) {
	var convs, accts, brands bool
	for _, u := range batch {
		switch u.Kind {
		case core.UpdMessage:
			convs = true
			if u.Message != nil {
				v.chat.messageUpdated(*u.Message)
			}
			if u.Notify && !(v.chat.open == u.ConvRow && v.chat.open != 0) {
				v.notify(u)
			}
		case core.UpdConversation:
			convs, accts = true, true
			v.chat.conversationChanged(u.ConvRow)
		case core.UpdAccount:
			accts = true
		case core.UpdBrands:
			brands, convs = true, true
		case core.UpdTyping:
			if u.Typing != nil {
				v.chat.typing(u.ConvRow, *u.Typing)
			}
		case core.UpdArchive:
			v.showArchiveError(u.ArchiveError)
		}
	}
	if convs {
		v.reloadConvs()
		v.reloadCounts()
		accts = true
	}
	if accts {
		v.reloadAccounts()
	}
	if brands && v.brandsOpen {
		v.brands.reload()
	}
}

func (v *view) notify(u core.Update) {
	if u.Message == nil || v.noNotifier {
		return
	}
	body := oneLine(u.Message.Text)
	if u.Message.Action {
		body = "* " + senderName(*u.Message) + " " + body
	} else if u.Title != "" && u.Title != senderName(*u.Message) {
		body = senderName(*u.Message) + ": " + body
	}
	v.app.SendNotification(fyne.NewNotification(firstNonEmpty(u.Title, senderName(*u.Message)), markupEscape(body)))
}

// markupEscape keeps a sender's text from being read as markup by the
// notification server (a desktop notification's body may hold <b>, <a
// href> and <img>): a message is shown as the text it is.
var markupEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace

// loadNetworks reads the registered networks (no I/O: the registry).
func (v *view) loadNetworks() {
	nets, err := v.be.Networks(v.ctx)
	if err != nil {
		v.log.Error("list networks", "err", err)
	}
	v.netOrder = v.netOrder[:0]
	for _, n := range nets {
		v.networks[n.Name] = n
		v.netOrder = append(v.netOrder, n.Name)
	}
}

func (v *view) reloadAccounts() {
	v.coalesce("accounts", func(ctx context.Context) func() {
		accts, err := v.be.Accounts(ctx)
		if err != nil {
			v.log.Error("list accounts", "err", err)
			return nil
		}
		return func() {
			v.accounts = accts
			if len(accts) == 0 && !v.firstRunDone && len(v.netOrder) > 0 {
				// First run: nothing to show yet, so offer to add an account.
				v.firstRunDone = true
				v.showAccountDialog(nil)
			}
			v.firstRunDone = true
			v.side.refreshAccounts()
			v.chat.accountsChanged()
			v.list.refreshEmptyState()
		}
	})
}

func (v *view) reloadConvs() {
	q := storage.ConvQuery{Filter: v.filter, Account: v.account, Network: v.network, Limit: v.list.wantRows()}
	v.coalesce("convs", func(ctx context.Context) func() {
		convs, err := v.be.Conversations(ctx, q)
		if err != nil {
			v.log.Error("list conversations", "err", err)
			return nil
		}
		return func() {
			if q.Filter != v.filter || q.Account != v.account || q.Network != v.network {
				return // the user switched filters meanwhile; a newer load follows
			}
			v.list.set(convs, q.Limit)
			if !v.firstLoaded {
				v.firstLoaded = true
				if v.onFirstLoad != nil {
					v.onFirstLoad(len(convs))
				}
			}
		}
	})
}

func (v *view) reloadCounts() {
	v.coalesce("counts", func(ctx context.Context) func() {
		var c counts
		n, err := v.be.Counts(ctx)
		if err != nil {
			v.log.Error("conversation counts", "err", err)
		}
		c.unread, c.awaiting, c.oldestWait, c.requests, c.blocked = n.Unread, n.Awaiting, n.OldestWait, n.Requests, n.Blocked
		c.origins = n.Origins
		return func() {
			v.counts = c
			v.side.refreshFilters()
			v.tray.update(c.unread)
		}
	})
}

// setFilter switches the middle pane's filter (and leaves the Brands view).
func (v *view) setFilter(f storage.Filter, account string) {
	v.filter, v.account, v.network = f, account, ""
	v.showBrands(false)
	v.side.refreshFilters()
	v.side.refreshAccounts()
	v.list.resetPaging()
	v.reloadConvs()
}

// setNetwork shows every conversation of one network, those bridged
// from it included.
func (v *view) setNetwork(n string) {
	v.setFilter(storage.FilterAll, "")
	v.network = n
	v.side.refreshFilters()
	v.reloadConvs()
}

func (v *view) showBrands(on bool) {
	if v.brandsOpen == on {
		return
	}
	v.brandsOpen = on
	if on {
		v.right.Objects = []fyne.CanvasObject{v.brands.root}
		v.brands.reload()
	} else {
		v.right.Objects = []fyne.CanvasObject{v.chat.root}
	}
	v.right.Refresh()
	v.side.refreshFilters()
}

// openConversation shows a conversation on the right and marks it read.
func (v *view) openConversation(row int64) {
	v.showBrands(false)
	v.chat.openRow(row)
	v.list.refreshSelection()
	v.app.Preferences().SetInt(v.lastConvKey, int(row))
}

// openAt opens a conversation and scrolls to one of its messages.
func (v *view) openAt(convRow, msgRow int64) {
	v.showBrands(false)
	v.chat.openRowAt(convRow, msgRow)
	v.list.refreshSelection()
	v.app.Preferences().SetInt(v.lastConvKey, int(convRow))
}

func (v *view) accountStatus(name string) (core.AccountStatus, bool) {
	for _, a := range v.accounts {
		if a.Name == name {
			return a, true
		}
	}
	return core.AccountStatus{}, false
}

// networkIcon is the icon a network names in its description
// (NetworkInfo.Icon); the app's own for a network that names none.
func (v *view) networkIcon(n string) fyne.Resource {
	return assets.Icon(v.networks[n].Icon)
}

func (v *view) networkName(n string) string {
	if info, ok := v.networks[n]; ok && info.DisplayName != "" {
		return info.DisplayName
	}
	return n
}

func (v *view) showError(what string, err error) {
	dialog.ShowError(errorf(what, err), v.win)
}

// quit ends the app: the window closes, the core shuts down cleanly.
func (v *view) quit() { v.app.Quit() }

// wait blocks until no background job is running (tests, shutdown).
func (v *view) wait() { v.jobs.Wait() }

// LastConversationKey is the Fyne preference key that remembers the open
// conversation of the profile in dir (rows are per profile).
func LastConversationKey(dir string) string {
	h := fnv.New64a()
	h.Write([]byte(filepath.Clean(dir)))
	return fmt.Sprintf("%s:%x", prefLastConv, h.Sum64())
}

// Preference keys the demo and the screenshot test preset.
const (
	PrefTheme  = prefTheme
	PrefWidth  = prefWidth
	PrefHeight = prefHeight
)
