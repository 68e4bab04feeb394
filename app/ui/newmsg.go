package ui

import (
	"context"
	"slices"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"switchboard/app/core"
	"switchboard/storage"
)

// newMessage is the New message dialog (Ctrl+N): an account, whom to
// write to (a handle, an address or a channel, completed from the
// account's known conversations), and the first message. A channel is
// joined and listed at once, also without a message.
type newMessage struct {
	v       *view
	dlg     dialog.Dialog
	account *widget.Select
	to      *widget.SelectEntry
	text    *widget.Entry
	errL    *widget.Label
	ok      *widget.Button
	known   []string // the chosen account's conversation IDs
	offered []string // the completions shown
	busy    bool
}

func (v *view) showNewMessage() {
	var names []string
	for _, a := range v.accounts {
		if !a.Disabled {
			names = append(names, a.Name)
		}
	}
	if len(names) == 0 {
		v.showAccountDialog(nil)
		return
	}
	n := &newMessage{v: v, to: widget.NewSelectEntry(nil), text: widget.NewMultiLineEntry(), errL: widget.NewLabel("")}
	n.errL.Importance = widget.DangerImportance
	n.errL.Wrapping = fyne.TextWrapWord
	n.errL.Hide()
	n.to.SetPlaceHolder("a nick, an address or a #channel")
	n.to.OnChanged = func(string) { n.complete() }
	n.text.SetPlaceHolder("Your message (optional for a channel: it is joined)")
	n.text.SetMinRowsVisible(3)
	n.text.Wrapping = fyne.TextWrapWord
	n.account = widget.NewSelect(names, func(string) { n.loadKnown() })
	n.ok = widget.NewButtonWithIcon("Start", theme.MailSendIcon(), n.submit)
	n.ok.Importance = widget.HighImportance
	cancel := widget.NewButton("Cancel", func() { n.dlg.Hide() })
	form := widget.NewForm(widget.NewFormItem("Account", n.account), widget.NewFormItem("To", n.to),
		widget.NewFormItem("Message", n.text))
	body := container.NewBorder(nil, container.NewVBox(n.errL, container.NewHBox(layout.NewSpacer(), cancel, n.ok)), nil, nil, form)
	n.dlg = dialog.NewCustomWithoutButtons("New message", body, v.win)
	n.dlg.Resize(fyne.NewSize(480, 340))
	v.newMsgDlg = n
	n.account.SetSelected(firstNonEmpty(v.account, v.chat.conv.Account, names[0]))
	if !slices.Contains(names, n.account.Selected) {
		n.account.SetSelected(names[0])
	}
	n.dlg.Show()
	v.win.Canvas().Focus(n.to)
}

// loadKnown reads the chosen account's conversations for completion.
func (n *newMessage) loadKnown() {
	acct := n.account.Selected
	n.v.async(func(ctx context.Context) func() {
		convs, err := n.v.be.Conversations(ctx, storage.ConvQuery{Filter: storage.FilterAll, Account: acct, Limit: 2000})
		return func() {
			if err != nil {
				n.v.log.Error("list conversations for completion", "err", err)
				return
			}
			if n.account.Selected != acct {
				return
			}
			n.known = n.known[:0]
			for _, c := range convs {
				n.known = append(n.known, c.RemoteID)
			}
			sort.Strings(n.known)
			n.complete()
		}
	})
}

// complete offers the known conversations that start with (or contain)
// what was typed; the best ones first.
func (n *newMessage) complete() {
	q := strings.ToLower(strings.TrimSpace(n.to.Text))
	var starts, has []string
	for _, id := range n.known {
		l := strings.ToLower(id)
		switch {
		case l == q:
		case strings.HasPrefix(l, q) || strings.HasPrefix(strings.TrimLeft(l, "#&!+@"), q):
			starts = append(starts, id)
		case q != "" && strings.Contains(l, q):
			has = append(has, id)
		}
	}
	opts := append(starts, has...)
	if len(opts) > 12 {
		opts = opts[:12]
	}
	n.offered = opts
	n.to.SetOptions(opts)
}

func (n *newMessage) showError(msg string) {
	n.errL.SetText(msg)
	n.errL.Show()
}

// submit opens (or joins) the conversation, sends the message if one was
// written, and shows the conversation.
func (n *newMessage) submit() {
	if n.busy {
		return
	}
	acct, target := n.account.Selected, strings.TrimSpace(n.to.Text)
	text := strings.TrimRight(n.text.Text, "\n ")
	if target == "" {
		n.showError("Say whom to write to, or which channel to join.")
		return
	}
	n.busy = true
	n.ok.Disable()
	n.v.async(func(ctx context.Context) func() {
		conv, err := n.v.be.StartConversation(ctx, acct, target)
		if err == nil && strings.TrimSpace(text) != "" {
			_, err = n.v.be.Send(ctx, core.SendRequest{ConvRow: conv.Row, Text: text})
		}
		return func() {
			if err != nil {
				n.busy = false
				n.ok.Enable()
				n.showError(sentence(err.Error()))
				return
			}
			n.done(conv)
		}
	})
}

func (n *newMessage) done(conv storage.Conversation) {
	n.dlg.Hide()
	if n.v.filter != storage.FilterAll || (n.v.account != "" && n.v.account != conv.Account) {
		n.v.setFilter(storage.FilterAll, "")
	}
	n.v.reloadConvs()
	n.v.openConversation(conv.Row)
}
