package ui

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"switchboard/app/core"
	"switchboard/storage"
)

// The actions every conversation offers, from the header's menu button and
// a right-click on its row in the list: done, mute, and for a direct
// conversation who the other side is (block, brand, person, report).

// convMenu builds the actions for conversation c.
func (v *view) convMenu(c storage.Conversation) *fyne.Menu {
	done := fyne.NewMenuItem("Mark as done", func() { v.markDone(c.Row) })
	done.Disabled = c.Awaiting.IsZero()
	muteLabel := "Mute notifications"
	if c.Muted {
		muteLabel = "Unmute notifications"
	}
	items := []*fyne.MenuItem{done, fyne.NewMenuItem(muteLabel, func() { v.setMuted(c.Row, !c.Muted) })}
	if c.Group {
		return fyne.NewMenu("", items...)
	}
	who := c.RemoteID
	items = append(items, fyne.NewMenuItemSeparator())
	if c.PeerBlocked {
		items = append(items, fyne.NewMenuItem("Unblock "+who, func() { v.setContactConsent(c, consentNone, "Unblock") }))
	} else {
		items = append(items, fyne.NewMenuItem("Block "+who, func() { v.setContactConsent(c, consentBlocked, "Block") }))
	}
	items = append(items,
		fyne.NewMenuItem("Mark as brand", func() { v.markContact(c, storage.ContactBrand) }),
		fyne.NewMenuItem("This is a person", func() { v.markContact(c, storage.ContactPerson) }),
		fyne.NewMenuItem("Report spam…", func() { v.confirmReport(c) }),
	)
	return fyne.NewMenu("", items...)
}

// showConvMenu pops the actions up at an absolute position.
func (v *view) showConvMenu(c storage.Conversation, at fyne.Position) {
	widget.ShowPopUpMenuAtPosition(v.convMenu(c), v.win.Canvas(), at)
}

// afterAction reloads what an action changed and reports its failure.
func (v *view) afterAction(what string, err error) {
	if err != nil {
		v.showError(what, err)
		return
	}
	v.afterConsentChange()
}

func (v *view) markDone(row int64) {
	v.async(func(ctx context.Context) func() {
		err := v.be.MarkDone(ctx, row)
		return func() { v.afterAction("Mark as done", err) }
	})
}

func (v *view) setMuted(row int64, muted bool) {
	v.async(func(ctx context.Context) func() {
		err := v.be.SetMuted(ctx, row, muted)
		return func() { v.afterAction("Mute", err) }
	})
}

func (v *view) setContactConsent(c storage.Conversation, state, what string) {
	req := core.ConsentRequest{Account: c.Account, Handle: c.RemoteID, State: state, How: "gui"}
	v.async(func(ctx context.Context) func() {
		err := v.be.SetConsent(ctx, req)
		return func() { v.afterAction(what, err) }
	})
}

func (v *view) markContact(c storage.Conversation, kind storage.ContactKind) {
	what := "Mark as brand"
	if kind == storage.ContactPerson {
		what = "This is a person"
	}
	v.async(func(ctx context.Context) func() {
		err := v.be.MarkContact(ctx, c.Account, c.RemoteID, kind, "gui")
		return func() { v.afterAction(what, err) }
	})
}

// confirmReport explains what reporting does before doing it: the sender
// is blocked here (and on the network where it can block), and its
// messages are kept as evidence. No network here takes spam reports, so
// nothing else is sent anywhere.
func (v *view) confirmReport(c storage.Conversation) {
	msg := fmt.Sprintf("Switchboard will block %s on %s (on the network too, where it can) and keep what it sent "+
		"in Blocked as evidence. %s takes no spam reports, so nothing else is sent anywhere.",
		c.RemoteID, c.Account, v.networkName(c.Network))
	d := dialog.NewConfirm("Report spam from "+c.RemoteID+"?", msg, func(ok bool) {
		if !ok {
			return
		}
		req := core.ConsentRequest{Account: c.Account, Handle: c.RemoteID, State: consentBlocked, How: "gui: reported as spam"}
		v.async(func(ctx context.Context) func() {
			err := v.be.SetConsent(ctx, req)
			return func() { v.afterAction("Report spam", err) }
		})
	}, v.win)
	d.SetConfirmText("Block and report")
	d.Show()
}
