package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"switchboard/app/core"
	"switchboard/connectors"
	"switchboard/storage"
)

// Consent states as the core names them.
const (
	consentNone       = "none"
	consentReplies    = "replies"
	consentSubscribed = "subscribed"
	consentBlocked    = "blocked"
)

// requestPanel sits above a conversation that has messages held by the
// brand policy: who, why, and what the user can do about it.
type requestPanel struct {
	v       *view
	root    *fyne.Container
	title   *widget.Label
	reason  *widget.Label
	accept  *widget.Button
	block   *widget.Button
	person  *widget.Button
	unblock *widget.Button
	purge   *widget.Button
	unsub   *widget.Button
	buttons *fyne.Container // wraps in a narrow window
	conv    storage.Conversation
	handle  string
	msgID   string
}

func newRequestPanel(v *view) *requestPanel {
	r := &requestPanel{v: v, title: widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		reason: widget.NewLabel("")}
	r.reason.Wrapping = fyne.TextWrapWord
	r.title.Wrapping = fyne.TextWrapWord // a long handle wraps instead of widening the window
	r.accept = widget.NewButtonWithIcon("Accept…", theme.ConfirmIcon(), r.showAccept)
	r.accept.Importance = widget.HighImportance
	r.block = widget.NewButtonWithIcon("Block", theme.CancelIcon(), func() { r.setConsent(consentBlocked, nil, time.Time{}) })
	r.block.Importance = widget.DangerImportance
	r.person = widget.NewButtonWithIcon("This is a person", theme.AccountIcon(), r.markPerson)
	r.unblock = widget.NewButtonWithIcon("Unblock", theme.ContentUndoIcon(), func() { r.setConsent(consentNone, nil, time.Time{}) })
	r.purge = widget.NewButtonWithIcon("Delete blocked messages", theme.DeleteIcon(), r.purgeBlocked)
	r.unsub = widget.NewButtonWithIcon("Unsubscribe", theme.MailForwardIcon(), func() {
		r.v.confirmUnsubscribe(r.conv.Account, r.handle, r.conv.Blocked > 0 && r.conv.Held == 0)
	})
	bg := canvas.NewRectangle(themeColor(colorOwnMsg))
	bg.CornerRadius = 8
	// The buttons wrap in a narrow window instead of widening it.
	r.buttons = container.New(&flowBox{}, r.accept, r.block, r.unsub, r.person, r.unblock, r.purge)
	card := container.NewStack(bg, container.New(layout.NewCustomPaddedLayout(8, 8, 12, 12),
		container.NewVBox(container.NewBorder(nil, nil, widget.NewIcon(theme.QuestionIcon()), nil, r.title), r.reason, r.buttons)))
	r.root = container.NewVBox(container.New(layout.NewCustomPaddedLayout(8, 4, 12, 12), card))
	r.root.Hide()
	return r
}

// show displays the panel when the conversation has held messages.
func (r *requestPanel) show(c storage.Conversation, handle, msgID string) {
	r.conv, r.handle, r.msgID = c, firstNonEmpty(handle, c.RemoteID), msgID
	if c.Held == 0 && c.Blocked == 0 && !c.PeerBlocked {
		r.root.Hide()
		return
	}
	net := r.v.networkName(c.Network)
	if (c.Blocked > 0 || c.PeerBlocked) && c.Held == 0 {
		r.title.SetText(fmt.Sprintf("%s is blocked", r.handle))
		if c.PeerBlocked {
			text := fmt.Sprintf("You blocked %s on %s (%s): this conversation is out of your inbox, and what it sends "+
				"is kept in Blocked, never notified.", r.handle, net, c.Account)
			if c.Blocked > 0 {
				text += fmt.Sprintf(" %d message(s) kept so far.", c.Blocked)
			}
			r.reason.SetText(text)
		} else {
			r.reason.SetText(fmt.Sprintf("%d message(s) from this sender on %s (%s) were kept here, never in your inbox.", c.Blocked, net, c.Account))
		}
		r.accept.Hide()
		r.block.Hide()
		r.person.Show()
		r.unblock.Show()
		r.purge.Show()
	} else {
		r.title.SetText(fmt.Sprintf("Request from %s on %s (%s)", r.handle, net, c.Account))
		r.reason.SetText(sentence(firstNonEmpty(c.HoldReason, "A brand wrote to you without your consent")) +
			" Nothing was notified. Accept to let it into your inbox.")
		r.accept.Show()
		r.block.Show()
		r.person.Show()
		r.unblock.Hide()
		r.purge.Hide()
	}
	if r.v.hasCapability(c.Account, connectors.CapUnsubscribe) {
		r.unsub.Show()
	} else {
		r.unsub.Hide()
	}
	r.root.Show()
	r.root.Refresh()
}

// showAccept asks which consent to grant: replies only, or a subscription
// with an optional end date (no scopes: no network says which kind a
// message is, so they could not be kept).
func (r *requestPanel) showAccept() {
	choice := widget.NewRadioGroup([]string{"Replies to my messages only", "Subscribe"}, nil)
	choice.SetSelected("Replies to my messages only")
	until := widget.NewEntry()
	until.SetPlaceHolder("YYYY-MM-DD (optional)")
	sub := container.NewVBox(widget.NewLabel("It may start conversations with you until (empty: until you change it)"), until)
	sub.Hide()
	choice.OnChanged = func(s string) {
		if s == "Subscribe" {
			sub.Show()
		} else {
			sub.Hide()
		}
	}
	f := &acceptForm{choice: choice, until: until}
	f.ok = widget.NewButtonWithIcon("Accept", theme.ConfirmIcon(), func() {
		if choice.Selected != "Subscribe" {
			f.dlg.Hide()
			r.setConsent(consentReplies, nil, time.Time{})
			return
		}
		var t time.Time
		if s := strings.TrimSpace(until.Text); s != "" {
			var err error
			if t, err = time.ParseInLocation("2006-01-02", s, time.Local); err != nil {
				r.v.showError("Accept", fmt.Errorf("%q is not a date like 2026-12-31", s))
				return
			}
		}
		f.dlg.Hide()
		r.setConsent(consentSubscribed, nil, t)
	})
	f.ok.Importance = widget.HighImportance
	cancel := widget.NewButton("Cancel", func() { f.dlg.Hide() })
	body := container.NewBorder(nil, container.NewHBox(layout.NewSpacer(), cancel, f.ok), nil, nil, container.NewVBox(choice, sub))
	f.dlg = dialog.NewCustomWithoutButtons("Accept "+r.handle, body, r.v.win)
	f.dlg.Resize(fyne.NewSize(440, 320))
	r.v.acceptDlg = f
	f.dlg.Show()
}

// acceptForm is the open Accept dialog's controls.
type acceptForm struct {
	dlg    dialog.Dialog
	ok     *widget.Button
	choice *widget.RadioGroup
	until  *widget.Entry
}

func (r *requestPanel) setConsent(state string, scopes []string, until time.Time) {
	req := core.ConsentRequest{Account: r.conv.Account, Handle: r.handle, State: state, Scopes: scopes,
		Until: until, How: "gui", MessageID: r.msgID}
	r.v.async(func(ctx context.Context) func() {
		err := r.v.be.SetConsent(ctx, req)
		return func() {
			if err != nil {
				r.v.showError("Change consent", err)
				return
			}
			r.v.afterConsentChange()
		}
	})
}

func (r *requestPanel) markPerson() {
	acct, handle := r.conv.Account, r.handle
	r.v.async(func(ctx context.Context) func() {
		err := r.v.be.MarkContact(ctx, acct, handle, storage.ContactPerson, "gui")
		return func() {
			if err != nil {
				r.v.showError("Mark as person", err)
				return
			}
			r.v.afterConsentChange()
		}
	})
}

func (r *requestPanel) purgeBlocked() {
	acct := r.conv.Account
	dialog.ShowConfirm("Delete blocked messages",
		fmt.Sprintf("Delete every message held from blocked brands on %s? This cannot be undone.", acct), func(ok bool) {
			if !ok {
				return
			}
			r.v.async(func(ctx context.Context) func() {
				n, err := r.v.be.PurgeBlocked(ctx, acct)
				return func() {
					if err != nil {
						r.v.showError("Delete blocked messages", err)
						return
					}
					dialog.ShowInformation("Deleted", fmt.Sprintf("%d message(s) deleted.", n), r.v.win)
					r.v.afterConsentChange()
				}
			})
		}, r.v.win)
}

// afterConsentChange reloads what a consent change moves around.
func (v *view) afterConsentChange() {
	v.reloadConvs()
	v.reloadCounts()
	if v.chat.open != 0 {
		v.chat.openRow(v.chat.open)
	}
	if v.brandsOpen {
		v.brands.reload()
	}
}

// sentence ends s with a full stop unless it already ends a sentence.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}
