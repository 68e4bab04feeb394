// Package ui is Switchboard's window (Fyne v2.7): a unified inbox across
// accounts in three panes, account forms generated from the connectors'
// declared fields, search, a quick switcher, brand requests and consent,
// notifications and a tray icon. It talks only to the core (app/core).
package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"switchboard/app/core"
	"switchboard/assets"
	"switchboard/storage"
)

// AppID is the Fyne application ID (also in FyneApp.toml).
const AppID = "im.switchboard.app"

// Options configure Run.
type Options struct {
	ProfileDir       string          // "" = core.DefaultProfileDir()
	Keyring          storage.Keyring // nil = the OS keyring
	PreferPassphrase bool            // a new profile uses a passphrase even if a keyring answers
	// PassphraseFile unlocks a passphrase-mode profile without asking
	// ("" = $SWITCHBOARD_PASSPHRASE_FILE, else the window asks).
	PassphraseFile string
	Logger         *slog.Logger
}

// shell owns the window: the unlock screen, then the main view.
type shell struct {
	ctx    context.Context
	opts   Options
	app    fyne.App
	win    fyne.Window
	log    *slog.Logger
	start  time.Time
	core   *core.Core
	v      *view
	vStop  context.CancelFunc
	traced bool
	trayOK bool // a tray host runs on the session bus
	silent bool // no notification service: do not send notifications

	status  *widget.Label
	busy    *widget.ProgressBarInfinite
	actions *fyne.Container
}

// Run opens the window, unlocks and opens the profile, connects every
// account and returns when the window is closed or ctx ends.
func Run(ctx context.Context, opts Options) error {
	if opts.ProfileDir == "" {
		dir, err := core.DefaultProfileDir()
		if err != nil {
			return err
		}
		opts.ProfileDir = dir
	}
	if opts.PassphraseFile == "" {
		opts.PassphraseFile = os.Getenv("SWITCHBOARD_PASSPHRASE_FILE")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	a := app.NewWithID(AppID)
	a.SetIcon(assets.AppIconPNG())
	a.Settings().SetTheme(newAppTheme(a.Preferences().StringWithFallback(prefTheme, themeSystem)))
	w := a.NewWindow("Switchboard")
	w.SetMaster()
	p := a.Preferences()
	w.Resize(fyne.NewSize(float32(p.FloatWithFallback(prefWidth, 1180)), float32(p.FloatWithFallback(prefHeight, 760))))
	s := &shell{ctx: ctx, opts: opts, app: a, win: w, log: opts.Logger, start: time.Now()}
	w.SetContent(s.unlockScreen())
	a.Lifecycle().SetOnStopped(s.saveWindow)

	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		s.openProfile()
	}()
	go func() {
		defer wg.Done()
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	w.ShowAndRun()
	cancel()
	wg.Wait()
	if s.v != nil {
		s.v.wait()
	}
	if s.core != nil {
		return s.core.Close()
	}
	return nil
}

func (s *shell) saveWindow() {
	sz := s.win.Canvas().Size()
	if sz.Width > 200 && sz.Height > 200 {
		s.app.Preferences().SetFloat(prefWidth, float64(sz.Width))
		s.app.Preferences().SetFloat(prefHeight, float64(sz.Height))
	}
}

func (s *shell) unlockScreen() fyne.CanvasObject {
	logo := canvas.NewImageFromResource(assets.AppIcon())
	logo.FillMode = canvas.ImageFillContain
	s.status = widget.NewLabel("Opening your archive…")
	s.status.Alignment = fyne.TextAlignCenter
	s.status.Wrapping = fyne.TextWrapWord
	s.busy = widget.NewProgressBarInfinite()
	s.actions = container.NewHBox()
	return container.NewCenter(container.New(&fixedWidth{w: 420},
		container.NewVBox(container.NewCenter(fixed(logo, fyne.NewSize(88, 88))), s.status, s.busy, s.actions)))
}

// openProfile opens the core (asking for the passphrase in the window if
// needed), starts it and mounts the main view. It runs off the UI goroutine.
func (s *shell) openProfile() {
	unlock, prefer := false, s.opts.PreferPassphrase
	for s.ctx.Err() == nil {
		isNew := !storage.Exists(s.opts.ProfileDir)
		c, err := core.Open(s.ctx, core.Options{
			ProfileDir:       s.opts.ProfileDir,
			Keyring:          s.opts.Keyring,
			Passphrase:       s.passphrase,
			PreferPassphrase: prefer,
			UnlockKeyring:    unlock,
			Logger:           s.log,
		})
		if err == nil {
			s.trayOK = trayAvailable(s.ctx)
			s.silent = !notifierAvailable(s.ctx)
			if err := c.Start(s.ctx); err != nil {
				s.log.Error("start accounts", "err", err)
			}
			fyne.Do(func() {
				s.core = c
				s.mount()
			})
			return
		}
		if s.ctx.Err() != nil {
			return
		}
		msg := openError(err, s.opts.ProfileDir)
		locked := false
		if p, ok := storage.KeyringProblemOf(err); ok && p == storage.KeyringLocked {
			locked = true
		}
		again := make(chan retryChoice, 1)
		fyne.Do(func() { s.showOpenError(msg, again, locked, isNew) })
		select {
		case <-s.ctx.Done():
			return
		case ch := <-again:
			switch ch {
			case retryQuit:
				return
			case retryUnlock:
				unlock = true
			case retryPassphrase:
				prefer = true
			}
		}
	}
}

// retryChoice is what the user chose on the open-error screen.
type retryChoice int

const (
	retryQuit retryChoice = iota
	retryAgain
	retryUnlock     // let the keyring show its own unlock prompt
	retryPassphrase // protect the new archive with a passphrase instead
)

// openError says in plain words why the profile could not be opened.
func openError(err error, dir string) string {
	switch {
	case errors.Is(err, storage.ErrWrongPassphrase):
		return "That passphrase does not unlock this archive. Try again."
	case errors.Is(err, storage.ErrKeyMissing):
		return "The key of this archive is missing from the system keyring, so it cannot be opened. " +
			"Nothing was changed or created. If you moved the profile from another computer or user, " +
			"open it there, or restore the keyring entry.\n\nProfile: " + dir
	case errors.Is(err, storage.ErrCorrupt):
		return "The archive database is damaged or is not a Switchboard archive. It was left untouched.\n\nProfile: " + dir
	case isKeyring(err, storage.KeyringLocked):
		return "Your system keyring is locked, so the archive's key cannot be read from it or stored in it. " +
			"Unlock it with your login password: the keyring asks in its own window."
	case isKeyring(err, storage.KeyringTimeout):
		return "The system keyring did not answer. Nothing was changed. Check that it runs, then try again."
	case errors.Is(err, storage.ErrNoKeyring):
		return "No system keyring is available to protect the archive. Start Switchboard with a passphrase " +
			"(set SWITCHBOARD_PASSPHRASE_FILE) or where a Secret Service keyring runs."
	case errors.Is(err, core.ErrProfileBusy):
		return "Switchboard is already running with this profile. Switch to that window, or close it and try again."
	case errors.Is(err, errCancelled):
		return "Unlocking was cancelled."
	}
	return "The archive could not be opened: " + err.Error()
}

var errCancelled = errors.New("unlocking was cancelled")

func isKeyring(err error, p storage.KeyringProblem) bool {
	got, ok := storage.KeyringProblemOf(err)
	return ok && got == p
}

// showOpenError shows why the profile did not open, with what can be done:
// try again, or for a locked keyring unlock it (and, for a new profile,
// use a passphrase instead), or quit.
func (s *shell) showOpenError(msg string, again chan<- retryChoice, locked, isNew bool) {
	s.busy.Hide()
	s.status.SetText(msg)
	choose := func(ch retryChoice) func() {
		return func() {
			select {
			case again <- ch:
				s.win.SetContent(s.unlockScreen())
			default:
			}
		}
	}
	try := widget.NewButtonWithIcon("Try again", theme.ViewRefreshIcon(), choose(retryAgain))
	if locked {
		try = widget.NewButtonWithIcon("Unlock keyring", theme.LoginIcon(), choose(retryUnlock))
	}
	try.Importance = widget.HighImportance
	quit := widget.NewButton("Quit", func() {
		select {
		case again <- retryQuit:
		default:
		}
		s.app.Quit()
	})
	s.actions.Objects = []fyne.CanvasObject{layout.NewSpacer(), quit, try, layout.NewSpacer()}
	if locked && isNew {
		// Three buttons do not fit in a row: the way forward first.
		s.actions.Objects = []fyne.CanvasObject{layout.NewSpacer(), container.NewVBox(try,
			widget.NewButton("Use a passphrase instead", choose(retryPassphrase)), quit), layout.NewSpacer()}
	}
	s.actions.Refresh()
}

// passphrase is core.Options.Passphrase: from the passphrase file, or
// asked in the window while this goroutine waits.
func (s *shell) passphrase(create bool) ([]byte, error) {
	if s.opts.PassphraseFile != "" {
		b, err := os.ReadFile(s.opts.PassphraseFile)
		if err != nil {
			return nil, fmt.Errorf("read the passphrase file: %w", err)
		}
		return []byte(strings.TrimRight(string(b), "\r\n")), nil
	}
	answer := make(chan []byte, 1)
	fyne.Do(func() { s.askPassphrase(create, answer) })
	select {
	case <-s.ctx.Done():
		return nil, s.ctx.Err()
	case p := <-answer:
		if p == nil {
			return nil, errCancelled
		}
		return p, nil
	}
}

// askPassphrase shows the unlock (or choose-a-passphrase) form in the window.
func (s *shell) askPassphrase(create bool, answer chan<- []byte) {
	pass := widget.NewPasswordEntry()
	confirm := widget.NewPasswordEntry()
	errL := widget.NewLabel("")
	errL.Importance = widget.DangerImportance
	errL.Hide()
	title := "Unlock your archive"
	help := "This profile is protected by a passphrase. Enter it to open your messages."
	if create {
		title = "Protect your archive"
		help = "Your archive will be encrypted with a passphrase instead of the system keyring. " +
			"Choose one you will remember: without it the archive cannot be opened."
	}
	submit := func() {
		p := pass.Text
		switch {
		case p == "":
			errL.SetText("Enter the passphrase.")
		case create && len([]rune(p)) < 8:
			errL.SetText("Use at least 8 characters.")
		case create && confirm.Text != p:
			errL.SetText("The two passphrases differ.")
		default:
			select {
			case answer <- []byte(p):
				s.win.SetContent(s.unlockScreen())
			default:
			}
			return
		}
		errL.Show()
	}
	pass.OnSubmitted = func(string) { submit() }
	confirm.OnSubmitted = func(string) { submit() }
	items := []*widget.FormItem{widget.NewFormItem("Passphrase", pass)}
	if create {
		items = append(items, widget.NewFormItem("Repeat", confirm))
	}
	label := "Unlock"
	if create {
		label = "Create archive"
	}
	ok := widget.NewButtonWithIcon(label, theme.LoginIcon(), submit)
	ok.Importance = widget.HighImportance
	cancel := widget.NewButton("Quit", func() {
		select {
		case answer <- nil:
		default:
		}
		s.app.Quit()
	})
	head := widget.NewLabelWithStyle(title, fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	head.SizeName = theme.SizeNameSubHeadingText
	text := widget.NewLabel(help)
	text.Wrapping = fyne.TextWrapWord
	logo := canvas.NewImageFromResource(assets.AppIcon())
	logo.FillMode = canvas.ImageFillContain
	s.win.SetContent(container.NewCenter(container.New(&fixedWidth{w: 420}, container.NewVBox(
		container.NewCenter(fixed(logo, fyne.NewSize(72, 72))), head, text, widget.NewForm(items...), errL,
		container.NewHBox(layout.NewSpacer(), cancel, ok)))))
	s.win.Canvas().Focus(pass)
}

// mount builds the main view over the open core (again after a theme change).
func (s *shell) mount() {
	var filter storage.Filter
	var account string
	if s.v != nil {
		filter, account = s.v.filter, s.v.account
		s.vStop()
	}
	ctx, stop := context.WithCancel(s.ctx)
	v := newView(ctx, s.core, s.app, s.win, fyne.Do, s.log)
	if filter != "" {
		v.filter, v.account = filter, account
	}
	v.restyle = s.mount
	v.trayOK = s.trayOK
	v.noNotifier = s.silent
	v.lastConvKey = LastConversationKey(s.opts.ProfileDir)
	v.onFirstLoad = s.trace
	s.v, s.vStop = v, stop
	s.win.SetContent(v.root)
	v.start()
}

// trace reports start-up timing when SWITCHBOARD_UI_TRACE is set (the
// start-up benchmark reads it).
func (s *shell) trace(convs int) {
	if s.traced || os.Getenv("SWITCHBOARD_UI_TRACE") == "" {
		return
	}
	s.traced = true
	fmt.Fprintf(os.Stderr, "switchboard-ui: inbox shown %d ms after start (%d conversations loaded)\n",
		time.Since(s.start).Milliseconds(), convs)
}
