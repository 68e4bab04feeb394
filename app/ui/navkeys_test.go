package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// Ctrl+K and search are used from the keyboard: the arrows move a visible
// selection, Enter opens it, Escape closes.
func TestKeyboardPicksInSwitcherAndSearch(t *testing.T) {
	h := newHarness(t, "Work")
	fc := fakes.conn(t, h, "Work")
	fc.push(inbound("Work", "jordan", "jordan", "the invoice is late", false))
	fc.push(inbound("Work", "kim", "kim", "invoice attached", false))
	h.waitFor("both listed", func() bool {
		_, a := h.convByTitle("jordan")
		_, b := h.convByTitle("kim")
		return a && b
	})
	key := func(e *navEntry, k fyne.KeyName) { e.TypedKey(&fyne.KeyEvent{Name: k}); h.settle() }

	h.v.showSwitcher()
	h.settle()
	s := h.v.switchDlg
	if len(s.matches) != 2 || s.sel != 0 {
		t.Fatalf("switcher: %d matches, selection %d", len(s.matches), s.sel)
	}
	key(s.entry, fyne.KeyDown)
	if s.sel != 1 {
		t.Fatalf("Down: selection %d", s.sel)
	}
	want := s.matches[1].Row
	key(s.entry, fyne.KeyReturn)
	h.waitFor("the picked conversation open", func() bool { return h.v.chat.open == want })

	h.v.showSwitcher()
	h.settle()
	key(h.v.switchDlg.entry, fyne.KeyEscape)
	if h.win.Canvas().Overlays().Top() != nil {
		t.Fatal("Escape left the switcher open")
	}

	h.v.showSearch()
	q := h.v.searchDlg
	test.Type(q.entry, "invoice")
	key(q.entry, fyne.KeyReturn) // runs the search (nothing selected yet)
	h.waitFor("two hits under two headers", func() bool { return len(q.rows) == 4 })
	key(q.entry, fyne.KeyDown)
	key(q.entry, fyne.KeyDown)
	if q.sel != 3 || q.rows[q.sel].header {
		t.Fatalf("Down twice: selection %d, want the second hit (row 3)", q.sel)
	}
	hit := q.rows[q.sel].hit
	key(q.entry, fyne.KeyReturn)
	h.waitFor("the hit's conversation open", func() bool { return h.v.chat.open == hit.ConvRow })
	if h.win.Canvas().Overlays().Top() != nil {
		t.Fatal("search stayed open after Enter")
	}
	h.v.showSearch()
	key(h.v.searchDlg.entry, fyne.KeyEscape)
	if h.win.Canvas().Overlays().Top() != nil {
		t.Fatal("Escape left search open")
	}
}

// The gear menu has Quit, the keyboard shortcuts and About.
func TestGearMenuHasShortcutsAboutAndQuit(t *testing.T) {
	h := newHarness(t, "Work")
	m := h.v.settingsMenu()
	for _, label := range []string{"New message", "Keyboard shortcuts", "About Switchboard", "Quit"} {
		menuItem(t, m, label)
	}
	menuItem(t, m, "Keyboard shortcuts").Action()
	top := h.win.Canvas().Overlays().Top()
	found := false
	if top != nil {
		for _, o := range test.LaidOutObjects(top) {
			if l, ok := o.(*widget.Label); ok && l.Text == "Ctrl+N" {
				found = true
			}
		}
	}
	if !found {
		t.Fatal("the shortcuts dialog does not list Ctrl+N")
	}
}
