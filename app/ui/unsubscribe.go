package ui

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2/dialog"
)

// confirmUnsubscribe asks before having the network stop a sender (e-mail:
// RFC 8058 one-click or an RFC 2369 unsubscribe mail); blocked says the
// brand is blocked here, which unsubscribing does not change.
func (v *view) confirmUnsubscribe(account, handle string, blocked bool) {
	v.async(func(ctx context.Context) func() {
		plan, err := v.be.UnsubscribePlan(ctx, account, handle)
		return func() {
			if err != nil {
				v.showError("Unsubscribe", err)
				return
			}
			v.showUnsubscribeConfirm(account, handle, plan, blocked)
		}
	})
}

// showUnsubscribeConfirm names where the request goes (the one-click
// host, the mail's recipient) before anything is sent.
func (v *view) showUnsubscribeConfirm(account, handle, plan string, blocked bool) {
	after := "Its consent becomes none: anything it still sends is held in Requests."
	if blocked {
		after = "It stays blocked here."
	}
	msg := fmt.Sprintf("Ask %s to stop writing to your %s account?\n\n"+
		"Switchboard will send %s.\n\n"+
		"The request is shown in the conversation and its answer kept in the\n"+
		"consent history. %s", handle, account, strings.ReplaceAll(plan, "; ", ";\n"), after)
	v.unsubMsg = msg
	d := dialog.NewConfirm("Unsubscribe from "+handle, msg, func(ok bool) {
		if ok {
			v.unsubscribe(account, handle)
		}
	}, v.win)
	d.SetConfirmText("Unsubscribe")
	d.SetDismissText("Cancel")
	d.Show()
}

// unsubscribe has the network stop handle and shows the outcome.
func (v *view) unsubscribe(account, handle string) {
	v.async(func(ctx context.Context) func() {
		result, err := v.be.Unsubscribe(ctx, account, handle, "gui")
		return func() {
			if err != nil {
				v.showError("Unsubscribe", err)
				return
			}
			dialog.ShowInformation("Unsubscribed", fmt.Sprintf("%s was asked to stop (%s).\nThis is kept in the consent history.", handle, result), v.win)
			v.afterConsentChange()
		}
	})
}
