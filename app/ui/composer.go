package ui

import (
	"context"
	"math"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"switchboard/app/core"
)

// composer is the message entry: Enter sends, Shift+Enter starts a new
// line. widget.Entry inserts a line break on Enter in multi-line mode, so
// Enter is intercepted in TypedKey and the Shift state is read from the
// desktop driver.
type composer struct {
	widget.Entry
	onSend func()
	// shift reports whether Shift is held; nil asks the desktop driver.
	shift func() bool
	// onShortcut handles window shortcuts (Ctrl+F, Ctrl+K) typed while
	// the composer has the focus; true means handled.
	onShortcut func(fyne.Shortcut) bool
	rows       int // rows shown (fit)
}

func newComposer(onSend func()) *composer {
	c := &composer{onSend: onSend}
	c.MultiLine = true
	c.Wrapping = fyne.TextWrapWord
	c.rows = 1
	c.SetMinRowsVisible(1)
	c.ExtendBaseWidget(c)
	return c
}

// maxComposerRows is how tall the composer grows before it scrolls.
const maxComposerRows = 5

// rowsFor is how many rows text needs at the composer's width (its own
// lines, and long ones wrapped), between 1 and maxComposerRows.
func (c *composer) rowsFor(text string) int {
	width := c.Size().Width - 4*theme.InnerPadding()
	rows := 0
	for _, line := range strings.Split(text, "\n") {
		n := 1
		if width > 0 {
			w := fyne.MeasureText(line, theme.TextSize(), fyne.TextStyle{}).Width
			n = max(1, int(math.Ceil(float64(w/width))))
		}
		rows += n
		if rows >= maxComposerRows {
			return maxComposerRows
		}
	}
	return max(rows, 1)
}

// fit grows or shrinks the composer to its text; it reports a change.
func (c *composer) fit(text string) bool {
	rows := c.rowsFor(text)
	if rows == c.rows {
		return false
	}
	c.rows = rows
	c.SetMinRowsVisible(rows)
	return true
}

func (c *composer) shiftHeld() bool {
	if c.shift != nil {
		return c.shift()
	}
	if d, ok := fyne.CurrentApp().Driver().(desktop.Driver); ok {
		return d.CurrentKeyModifiers()&fyne.KeyModifierShift != 0
	}
	return false
}

// TypedKey sends on Enter and passes everything else to the Entry.
func (c *composer) TypedKey(e *fyne.KeyEvent) {
	if (e.Name == fyne.KeyReturn || e.Name == fyne.KeyEnter) && !c.shiftHeld() {
		if !c.Disabled() && c.onSend != nil {
			c.onSend()
		}
		return
	}
	c.Entry.TypedKey(e)
}

// TypedShortcut turns Shift+Enter, when a driver reports it as a
// shortcut, into a new line.
func (c *composer) TypedShortcut(s fyne.Shortcut) {
	if cs, ok := s.(*desktop.CustomShortcut); ok && cs.Modifier == fyne.KeyModifierShift &&
		(cs.KeyName == fyne.KeyReturn || cs.KeyName == fyne.KeyEnter) {
		c.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
		return
	}
	if c.onShortcut != nil && c.onShortcut(s) {
		return
	}
	c.Entry.TypedShortcut(s)
}

// submit sends what the composer holds (and the subject, where shown)
// through the outbox; on failure both are put back.
func (p *chatPane) submit() {
	text := strings.TrimRight(p.composer.Text, "\n ")
	if p.open == 0 || (strings.TrimSpace(text) == "" && len(p.files.paths) == 0) || p.composer.Disabled() {
		return
	}
	req := core.SendRequest{ConvRow: p.open, Text: text, Files: p.files.take()}
	if rest, ok := strings.CutPrefix(text, "/me "); ok {
		req.Text, req.Action = rest, true
	}
	subject := ""
	if p.subject.Visible() {
		subject = p.subject.Text
		req.Subject = strings.TrimSpace(subject)
		p.subject.SetText("")
	}
	p.composer.SetText("")
	p.v.async(func(ctx context.Context) func() {
		_, err := p.v.be.Send(ctx, req)
		return func() {
			if err != nil {
				if p.composer.Text == "" {
					p.composer.SetText(text)
				}
				if p.subject.Text == "" {
					p.subject.SetText(subject)
				}
				p.files.restore(req.Files)
				p.v.showError("Send", err)
			}
		}
	})
}
