package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// navEntry is the query field of search and the quick switcher: Up and
// Down move the selection in the results below it, Enter picks (the
// entry's OnSubmitted), Escape closes the dialog.
type navEntry struct {
	widget.Entry
	onMove   func(delta int)
	onEscape func()
}

func newNavEntry() *navEntry {
	e := &navEntry{}
	e.ExtendBaseWidget(e)
	return e
}

func (e *navEntry) TypedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyDown:
		if e.onMove != nil {
			e.onMove(1)
		}
	case fyne.KeyUp:
		if e.onMove != nil {
			e.onMove(-1)
		}
	case fyne.KeyEscape:
		if e.onEscape != nil {
			e.onEscape()
		}
	default:
		e.Entry.TypedKey(k)
	}
}

// moveSel moves a selection index by delta within n rows, skipping rows
// skip says no to; -1 means nothing selected.
func moveSel(sel, delta, n int, skip func(int) bool) int {
	if n == 0 {
		return -1
	}
	i := sel
	for range n {
		i += delta
		if i < 0 || i >= n {
			return sel
		}
		if skip == nil || !skip(i) {
			return i
		}
	}
	return sel
}
