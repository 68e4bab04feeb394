package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	_ "switchboard/connectors/email"
)

// The account dialog checks nothing of its own: the network's rules
// (NetworkInfo.Validate, run by the core) decide, and the dialog shows
// their words. The e-mail server field's help recommends imaps://HOST:PORT,
// which the window used to refuse.
func TestAccountDialogShowsTheNetworksOwnSettingsError(t *testing.T) {
	h := newHarness(t)
	h.v.showAccountDialog(nil)
	d := h.v.acctDlg
	d.network.SetSelected("E-mail")
	test.Type(d.name, "Mail")
	test.Type(d.inputs["user"].(*widget.Entry), "ada@example.org")
	test.Type(d.inputs["server"].(*widget.Entry), "imap.example.org")
	test.Type(d.inputs["smtp"].(*widget.Entry), "127.0.0.1:1")
	test.Type(d.inputs["password"].(*widget.Entry), "pw")

	test.Tap(d.saveBtn)
	h.waitFor("the network's words about the server", func() bool {
		return strings.Contains(d.result.Text, `email: setting server: "imap.example.org" is not HOST:PORT`)
	})
	d.inputs["server"].(*widget.Entry).SetText("imap.example.org:143")
	d.inputs["tls"].(*widget.Check).SetChecked(false)
	test.Tap(d.testBtn)
	h.waitFor("the network's words about tls", func() bool {
		return strings.Contains(d.result.Text, "email: tls=false is only allowed for a server on this computer (127.0.0.1/localhost), not imap.example.org")
	})
	if accts, _ := h.core.Accounts(h.ctx); len(accts) != 0 {
		t.Fatalf("a refused form was saved: %+v", accts)
	}

	d.inputs["tls"].(*widget.Check).SetChecked(true)
	d.inputs["server"].(*widget.Entry).SetText("imaps://127.0.0.1:1")
	test.Tap(d.saveBtn)
	h.waitFor("the account saved", func() bool {
		accts, _ := h.core.Accounts(h.ctx)
		return len(accts) == 1 && accts[0].Settings["server"] == "imaps://127.0.0.1:1"
	})
}
