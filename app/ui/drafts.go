package ui

import (
	"context"
	"fmt"
)

// drafts keeps each conversation's unsent composer text: in memory for
// this session and sealed in the archive (core.SetDraft) across restarts.
// The composer always holds the draft of the conversation it belongs to,
// so text typed for one conversation can never be sent to another.
type drafts struct {
	p     *chatPane
	row   int64            // the conversation the composer's text belongs to
	known map[int64]string // drafts read or typed this session
	quiet bool             // the composer's text is being set by us, not typed
}

// switchTo hands the composer to conversation row: the text typed for the
// previous one stays with it, and row's own draft (or nothing) is shown.
func (d *drafts) switchTo(row int64) {
	if row == d.row {
		return
	}
	d.row = row
	text, ok := d.known[row]
	d.set(text)
	if ok || row == 0 {
		return
	}
	d.p.v.async(func(ctx context.Context) func() {
		saved, err := d.p.v.be.Draft(ctx, row)
		return func() {
			if err != nil {
				d.p.v.log.Error("read draft", "err", err)
				return
			}
			if _, typed := d.known[row]; typed {
				return // typed into meanwhile: that is newer
			}
			d.known[row] = saved
			if d.row == row && d.p.composer.Text == "" {
				d.set(saved)
			}
		}
	})
}

// set shows text in the composer without treating it as typed.
func (d *drafts) set(text string) {
	d.quiet = true
	d.p.composer.SetText(text)
	d.quiet = false
}

// changed is the composer's OnChanged: the text is the open conversation's
// draft, saved (coalesced per conversation) as it is typed.
func (d *drafts) changed(text string) {
	if d.quiet || d.row == 0 {
		return
	}
	row := d.row
	d.known[row] = text
	d.p.v.coalesce(fmt.Sprintf("draft:%d", row), func(ctx context.Context) func() {
		if err := d.p.v.be.SetDraft(ctx, row, text); err != nil {
			return func() { d.p.v.log.Error("save draft", "err", err) }
		}
		return nil
	})
}
