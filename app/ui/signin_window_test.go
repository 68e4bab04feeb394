package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"switchboard/app/core"
	"switchboard/assets"
	"switchboard/connectors"
	"switchboard/connectors/signinfake"
)

// The sign-in test network is registered in this test binary only.
func init() { connectors.Register("signinfake", signinfake.New) }

func startSignInServer(t *testing.T, qrRefresh time.Duration) *signinfake.Server {
	t.Helper()
	srv, err := signinfake.Start(qrRefresh)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	srv.AddUser("+15550100", "24680", "two-step pw")
	return srv
}

// stepText is every label's text in the sign-in dialog's current step.
func stepText(d *signInDialog) string {
	var b strings.Builder
	for _, o := range d.step.Objects {
		if l, ok := o.(*widget.Label); ok {
			b.WriteString(l.Text + "\n")
		}
	}
	return b.String()
}

// answer types into the open question once it is the one wanted.
func (h *harness) answer(question, text string) {
	h.t.Helper()
	var d *signInDialog
	h.waitFor("the question "+question, func() bool {
		d = h.v.signIn // opened by the window on its own after a save
		return d != nil && d.entry != nil && d.action.Visible() && !d.action.Disabled() && strings.Contains(stepText(d), question)
	})
	test.Type(d.entry, text)
	test.Tap(d.action)
}

func TestNewAccountSignsInWithACodeThenAPassword(t *testing.T) {
	srv := startSignInServer(t, time.Second)
	h := newHarness(t)
	h.v.showAccountDialog(nil)
	d := h.v.acctDlg
	d.network.SetSelected("Sign-in test network")
	test.Type(d.name, "Phone")
	test.Type(d.inputs["server"].(*widget.Entry), srv.Addr())
	test.Type(d.inputs["phone"].(*widget.Entry), "+15550100")
	test.Tap(d.saveBtn)

	h.answer("Code sent to +15550100", "24680")
	h.answer("Two-step password", "two-step pw")
	if !h.v.signIn.entry.Password {
		t.Fatal("the two-step password was asked in a plain field")
	}
	h.waitFor("signed in: the dialog closed and the account online", func() bool {
		r := h.v.side.rows["Phone"]
		return h.v.signIn.done && r != nil && r.st.State == connectors.StateOnline
	})
	if srv.Online("+15550100") != 1 {
		t.Fatal("the server has no live session")
	}
}

func TestRevokedAccountOffersSignInAgain(t *testing.T) {
	srv := startSignInServer(t, time.Second)
	h := newHarness(t)
	spec := core.AccountSpec{Name: "Phone", Network: "signinfake", Settings: map[string]string{"server": srv.Addr(), "phone": "+15550100"}}
	if err := h.core.AddAccount(h.ctx, spec); err != nil {
		t.Fatal(err)
	}
	var row *accountRow
	h.waitFor("the account needing sign-in, with a Sign in button", func() bool {
		row = h.v.side.rows["Phone"]
		return row != nil && row.st.State == connectors.StateNeedsSignIn && row.signIn.Visible()
	})
	if row.status.Text != "Needs sign-in: not signed in yet" {
		t.Fatalf("status %q", row.status.Text)
	}
	test.Tap(row.signIn)
	h.answer("Code sent to", "11111")
	h.waitFor("the refusal in the server's words", func() bool {
		return h.v.signIn.done && strings.Contains(h.v.signIn.status.Text, "not the one we sent")
	})
	h.v.signIn.close()
	test.Tap(row.signIn)
	h.answer("Code sent to", "24680")
	h.answer("Two-step password", "two-step pw")
	h.waitFor("online", func() bool { return row.st.State == connectors.StateOnline && !row.signIn.Visible() })

	srv.Revoke("+15550100")
	h.waitFor("needs sign-in again after the revocation", func() bool {
		return row.st.State == connectors.StateNeedsSignIn && row.signIn.Visible() && strings.Contains(row.st.Reason, "another device")
	})
}

func TestQRCodeIsShownAndReplacedUntilScanned(t *testing.T) {
	srv := startSignInServer(t, 200*time.Millisecond)
	h := newHarness(t)
	spec := core.AccountSpec{Name: "QR", Network: "signinfake", Settings: map[string]string{"server": srv.Addr(), "phone": "+15550100", "method": "qr"}}
	if err := h.core.AddAccount(h.ctx, spec); err != nil {
		t.Fatal(err)
	}
	h.v.startSignIn("QR")
	d := h.v.signIn
	h.waitFor("a QR code", func() bool { return d.qr != nil && d.qr.Image != nil })
	first := d.qr
	if b := first.Image.Bounds(); b.Dx() < 100 || b.Dx() != b.Dy() {
		t.Fatalf("QR image is %v", b)
	}
	if !strings.Contains(stepText(d), "Scan this code") {
		t.Fatalf("caption missing: %q", stepText(d))
	}
	h.waitFor("the QR code replaced", func() bool { return d.qr != nil && d.qr != first })
	var shown []string
	h.waitFor("one code on show", func() bool { shown = srv.QRCodes(); return len(shown) == 1 })
	if err := srv.Scan(shown[0], "+15550100"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("signed in", func() bool {
		r := h.v.side.rows["QR"]
		return d.done && r != nil && r.st.State == connectors.StateOnline
	})
}

func TestBridgedConversationShowsItsOriginsIcon(t *testing.T) {
	srv := startSignInServer(t, time.Second)
	h := newHarness(t)
	spec := core.AccountSpec{Name: "Phone", Network: "signinfake", Settings: map[string]string{"server": srv.Addr(), "phone": "+15550100"}}
	if err := h.core.AddAccount(h.ctx, spec); err != nil {
		t.Fatal(err)
	}
	h.v.startSignIn("Phone")
	h.answer("Code sent to", "24680")
	h.answer("Two-step password", "two-step pw")
	h.waitFor("online", func() bool { r := h.v.side.rows["Phone"]; return r != nil && r.st.State == connectors.StateOnline })
	srv.Push("+15550100", "m1", "wa-chat", "whatsapp", "bob", "hello from WhatsApp")
	srv.Push("+15550100", "m2", "own-chat", "", "carol", "hello from the network itself")
	var wa, own *convItem
	h.waitFor("both rows", func() bool {
		wa, own = h.visibleConvItem("wa-chat"), h.visibleConvItem("own-chat")
		return wa != nil && own != nil
	})
	if c, _ := h.convByTitle("wa-chat"); c.Origin != "whatsapp" {
		t.Fatalf("row origin %q; want whatsapp", c.Origin)
	}
	if c, _ := h.convByTitle("own-chat"); c.Origin != "" || c.LastText != "hello from the network itself" {
		t.Fatalf("unbridged row: origin %q, text %q", c.Origin, c.LastText)
	}
	if wa.icon.badge.Resource != assets.Icon("whatsapp") {
		t.Fatalf("bridged row shows %s; want WhatsApp's icon", wa.icon.badge.Resource.Name())
	}
	if own.icon.badge.Resource != h.v.networkIcon("signinfake") {
		t.Fatalf("unbridged row shows %s; want its own network's icon", own.icon.badge.Resource.Name())
	}
	// The sidebar groups by origin: a WhatsApp filter lists only its chat.
	var wf *navItem
	h.waitFor("a WhatsApp filter under BRIDGED", func() bool {
		wf = h.v.side.origins["whatsapp"]
		return wf != nil && wf.label.Text == "WhatsApp"
	})
	test.Tap(wf.row)
	h.waitFor("only the WhatsApp chat listed", func() bool {
		return len(h.v.list.convs) == 1 && h.v.list.convs[0].RemoteID == "wa-chat" && h.v.list.heading() == "WhatsApp"
	})
}
