package ui

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"switchboard/app/core"
	"switchboard/assets"
)

// trayState is the system tray icon and menu (desktop only): the unread
// count, Show and Quit. Held brand messages never count.
type trayState struct {
	v      *view
	desk   desktop.App
	menu   *fyne.Menu
	count  *fyne.MenuItem
	last   int
	plain  fyne.Resource
	dotted fyne.Resource
}

func newTrayState(v *view) *trayState {
	t := &trayState{v: v, last: -1}
	desk, ok := v.app.(desktop.App)
	if !ok || !v.trayOK {
		return t
	}
	t.desk = desk
	t.count = fyne.NewMenuItem("No unread messages", nil)
	t.count.Disabled = true
	show := fyne.NewMenuItem("Show Switchboard", func() {
		v.win.Show()
		v.win.RequestFocus()
	})
	quit := fyne.NewMenuItem("Quit", v.quit)
	quit.IsQuit = true
	t.menu = fyne.NewMenu("Switchboard", t.count, fyne.NewMenuItemSeparator(), show, quit)
	t.plain = assets.AppIconPNG()
	t.dotted = withDot(assets.AppIconPNG())
	desk.SetSystemTrayMenu(t.menu)
	desk.SetSystemTrayIcon(t.plain)
	return t
}

// update shows the unread total in the tray and the window title.
func (t *trayState) update(n int) {
	if n == t.last {
		return
	}
	t.last = n
	title := "Switchboard"
	if n > 0 {
		title = fmt.Sprintf("Switchboard (%d)", n)
	}
	t.v.win.SetTitle(title)
	if t.desk == nil {
		return
	}
	switch n {
	case 0:
		t.count.Label = "No unread messages"
	case 1:
		t.count.Label = "1 unread message"
	default:
		t.count.Label = fmt.Sprintf("%d unread messages", n)
	}
	t.menu.Refresh()
	if n > 0 {
		t.desk.SetSystemTrayIcon(t.dotted)
	} else {
		t.desk.SetSystemTrayIcon(t.plain)
	}
}

// withDot draws a red unread dot on a PNG icon.
func withDot(r fyne.Resource) fyne.Resource {
	src, err := png.Decode(bytes.NewReader(r.Content()))
	if err != nil {
		return r
	}
	b := src.Bounds()
	img := image.NewNRGBA(b)
	draw.Draw(img, b, src, b.Min, draw.Src)
	cx, cy, rad := b.Max.X-b.Dx()/5, b.Min.Y+b.Dy()/5, b.Dx()/5
	red := color.NRGBA{0xEF, 0x44, 0x44, 0xff}
	white := color.NRGBA{0xff, 0xff, 0xff, 0xff}
	for y := cy - rad - 8; y <= cy+rad+8; y++ {
		for x := cx - rad - 8; x <= cx+rad+8; x++ {
			d := (x-cx)*(x-cx) + (y-cy)*(y-cy)
			switch {
			case d <= rad*rad:
				img.Set(x, y, red)
			case d <= (rad+8)*(rad+8):
				img.Set(x, y, white)
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return r
	}
	return fyne.NewStaticResource("tray-unread.png", buf.Bytes())
}

// installShortcuts binds Ctrl+F (search) and Ctrl+K (quick switcher).
func (v *view) installShortcuts() {
	c := v.win.Canvas()
	find := &desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: fyne.KeyModifierShortcutDefault}
	jump := &desktop.CustomShortcut{KeyName: fyne.KeyK, Modifier: fyne.KeyModifierShortcutDefault}
	quit := &desktop.CustomShortcut{KeyName: fyne.KeyQ, Modifier: fyne.KeyModifierShortcutDefault}
	compose := &desktop.CustomShortcut{KeyName: fyne.KeyN, Modifier: fyne.KeyModifierShortcutDefault}
	c.AddShortcut(compose, func(fyne.Shortcut) { v.showNewMessage() })
	c.AddShortcut(find, func(fyne.Shortcut) { v.showSearch() })
	c.AddShortcut(jump, func(fyne.Shortcut) { v.showSwitcher() })
	c.AddShortcut(quit, func(fyne.Shortcut) { v.quit() })
	// A focused entry receives shortcuts first; the composer passes ours on.
	v.chat.composer.onShortcut = func(s fyne.Shortcut) bool {
		switch s.ShortcutName() {
		case find.ShortcutName():
			v.showSearch()
		case jump.ShortcutName():
			v.showSwitcher()
		case quit.ShortcutName():
			v.quit()
		case compose.ShortcutName():
			v.showNewMessage()
		default:
			return false
		}
		return true
	}
}

// showSettingsMenu opens the sidebar's settings menu.
func (v *view) showSettingsMenu(anchor fyne.CanvasObject) {
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(anchor)
	widget.ShowPopUpMenuAtPosition(v.settingsMenu(), v.win.Canvas(), pos.Add(fyne.NewPos(0, anchor.Size().Height)))
}

// settingsMenu is the gear menu: actions, theme, quiet hours, help, Quit.
func (v *view) settingsMenu() *fyne.Menu {
	cur := v.app.Preferences().StringWithFallback(prefTheme, themeSystem)
	themeItem := func(label, val string) *fyne.MenuItem {
		it := fyne.NewMenuItem(label, func() { v.setTheme(val) })
		it.Checked = cur == val
		return it
	}
	menu := fyne.NewMenu("",
		fyne.NewMenuItem("New message…  (Ctrl+N)", v.showNewMessage),
		fyne.NewMenuItem("Add account…", func() { v.showAccountDialog(nil) }),
		fyne.NewMenuItem("Search…  (Ctrl+F)", v.showSearch),
		fyne.NewMenuItem("Go to conversation…  (Ctrl+K)", v.showSwitcher),
		fyne.NewMenuItemSeparator(),
		themeItem("Theme: follow the system", themeSystem),
		themeItem("Theme: light", themeLight),
		themeItem("Theme: dark", themeDark),
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Quiet hours…", v.showQuietHours),
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Keyboard shortcuts…", v.showShortcuts),
		fyne.NewMenuItem("About Switchboard…", v.showAbout),
		fyne.NewMenuItem("Quit  (Ctrl+Q)", v.quit),
	)
	return menu
}

func (v *view) setTheme(val string) {
	v.app.Preferences().SetString(prefTheme, val)
	v.app.Settings().SetTheme(newAppTheme(val))
	if v.restyle != nil {
		v.restyle()
	}
}

// showQuietHours edits the quiet hours (kept sealed in the archive).
func (v *view) showQuietHours() {
	e := widget.NewEntry()
	e.SetPlaceHolder("22:00-07:00")
	v.async(func(ctx context.Context) func() {
		cur, err := v.be.Pref(ctx, core.PrefQuietHours)
		if err != nil {
			v.log.Error("read quiet hours", "err", err)
		}
		return func() {
			e.SetText(cur)
			help := widget.NewLabel("No notifications during these hours. Leave empty for none.")
			help.Wrapping = fyne.TextWrapWord
			d := dialog.NewCustomConfirm("Quiet hours", "Save", "Cancel", container.NewVBox(help, e), func(ok bool) {
				if !ok {
					return
				}
				val := e.Text
				v.async(func(ctx context.Context) func() {
					err := v.be.SetPref(ctx, core.PrefQuietHours, val)
					return func() {
						if err != nil {
							v.showError("Quiet hours", err)
						}
					}
				})
			}, v.win)
			d.Resize(fyne.NewSize(380, 200))
			d.Show()
		}
	})
}
