package ui

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2/dialog"
)

// confirmUnsubscribe asks before having the network stop a sender (e-mail:
// RFC 8058 one-click or an RFC 2369 unsubscribe mail); blocked says the
// brand is blocked here, which unsubscribing does not change.
func (v *view) confirmUnsubscribe(account, handle string, blocked bool) {
	after := "Its consent becomes none: anything it still sends is held in Requests."
	if blocked {
		after = "It stays blocked here."
	}
	msg := fmt.Sprintf("Ask %s to stop writing to your %s account?\n\n"+
		"Switchboard does it the way the sender offers (for e-mail: its one-click link\n"+
		"when the sender signed it, else the unsubscribe mail it names) and keeps\n"+
		"the answer in the consent history. %s", handle, account, after)
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
