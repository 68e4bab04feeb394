package ui

import (
	"context"
	"errors"
	"image"
	"net/url"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	qrcode "github.com/skip2/go-qrcode"

	"switchboard/connectors"
)

// signInDialog walks the user through a network's sign-in steps (a code,
// a two-step password, a QR code, a browser page). It is the window's
// connectors.Prompter: the connector calls it from the sign-in goroutine
// and every change to the dialog is posted to the UI goroutine.
type signInDialog struct {
	v       *view
	account string
	cancel  context.CancelFunc
	dlg     dialog.Dialog
	step    *fyne.Container // the current step's content
	status  *widget.Label
	action  *widget.Button // Continue, for a question
	cancelB *widget.Button // Cancel; Close once it is over
	entry   *widget.Entry  // the current question's field
	qr      *canvas.Image  // the current QR code (nil when none is shown)
	answer  chan string    // the open question's answer, cap 1
	done    bool
}

// startSignIn opens the sign-in dialog for an account and runs its
// network's sign-in. One runs at a time.
func (v *view) startSignIn(account string) {
	if v.signIn != nil && !v.signIn.done {
		v.signIn.dlg.Show()
		return
	}
	ctx, cancel := context.WithCancel(v.ctx)
	d := &signInDialog{v: v, account: account, cancel: cancel, step: container.NewVBox(), status: widget.NewLabel("Connecting…")}
	d.status.Wrapping = fyne.TextWrapWord
	d.action = widget.NewButtonWithIcon("Continue", theme.NavigateNextIcon(), d.submit)
	d.action.Importance = widget.HighImportance
	d.action.Hide()
	d.cancelB = widget.NewButton("Cancel", d.close)
	buttons := container.NewHBox(layout.NewSpacer(), d.cancelB, d.action)
	content := container.NewBorder(nil, container.NewVBox(widget.NewSeparator(), d.status, buttons), nil, nil, d.step)
	d.dlg = dialog.NewCustomWithoutButtons("Sign in to "+account, content, v.win)
	d.dlg.Resize(fyne.NewSize(440, 480))
	v.signIn = d
	d.dlg.Show()
	v.jobs.Add(1)
	go func() { // owned by the dialog: ends when SignIn returns (Cancel or the window closing ends ctx)
		defer v.jobs.Done()
		err := v.be.SignIn(ctx, account, d)
		cancel()
		v.post(func() { d.finished(err) })
	}()
}

// finished shows the outcome: the dialog closes on success or cancel,
// stays with the server's words on failure.
func (d *signInDialog) finished(err error) {
	d.done = true
	d.v.reloadAccounts()
	if err == nil || errors.Is(err, context.Canceled) {
		d.dlg.Hide()
		return
	}
	d.action.Hide()
	d.cancelB.SetText("Close")
	d.step.Objects = nil
	d.step.Refresh()
	d.say("Sign-in failed: "+err.Error(), widget.DangerImportance)
}

func (d *signInDialog) close() {
	d.cancel()
	d.dlg.Hide()
}

func (d *signInDialog) say(msg string, imp widget.Importance) {
	d.status.SetText(msg)
	d.status.Importance = imp
	d.status.Refresh()
}

func (d *signInDialog) submit() {
	if d.answer == nil || d.entry == nil {
		return
	}
	select {
	case d.answer <- d.entry.Text:
		d.answer = nil
		d.action.Disable()
		d.say("Checking…", widget.MediumImportance)
	default:
	}
}

// Ask shows a question and waits for Continue.
func (d *signInDialog) Ask(ctx context.Context, q connectors.Question) (string, error) {
	ch := make(chan string, 1)
	d.v.post(func() { d.showQuestion(q, ch) })
	select {
	case a := <-ch:
		return a, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (d *signInDialog) showQuestion(q connectors.Question, ch chan string) {
	d.entry = widget.NewEntry()
	if q.Secret {
		d.entry = widget.NewPasswordEntry()
	}
	d.entry.OnSubmitted = func(string) { d.submit() }
	d.answer, d.qr = ch, nil
	label := widget.NewLabelWithStyle(q.Label, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	label.Wrapping = fyne.TextWrapWord
	objs := []fyne.CanvasObject{label, d.entry}
	if q.Help != "" {
		help := widget.NewLabel(q.Help)
		help.Wrapping = fyne.TextWrapWord
		help.Importance = widget.LowImportance
		objs = append(objs, help)
	}
	d.step.Objects = objs
	d.step.Refresh()
	d.action.Enable()
	d.action.Show()
	d.say("", widget.MediumImportance)
	d.v.win.Canvas().Focus(d.entry)
}

// ShowQR shows (or replaces) the code to scan.
func (d *signInDialog) ShowQR(ctx context.Context, qr connectors.QRCode) error {
	img, err := qrImage(qr.Payload)
	if err != nil {
		return err
	}
	d.v.post(func() { d.showQR(qr, img) })
	return nil
}

// qrImage encodes a payload as a QR code (medium error correction, as
// phones scan it off a screen).
func qrImage(payload string) (image.Image, error) {
	code, err := qrcode.New(payload, qrcode.Medium)
	if err != nil {
		return nil, err
	}
	return code.Image(512), nil
}

func (d *signInDialog) showQR(qr connectors.QRCode, img image.Image) {
	d.answer, d.entry = nil, nil
	d.action.Hide()
	d.qr = canvas.NewImageFromImage(img)
	d.qr.FillMode = canvas.ImageFillContain
	d.qr.ScaleMode = canvas.ImageScalePixels
	d.qr.SetMinSize(fyne.NewSize(260, 260))
	caption := widget.NewLabel(qr.Caption)
	caption.Wrapping = fyne.TextWrapWord
	caption.Alignment = fyne.TextAlignCenter
	d.step.Objects = []fyne.CanvasObject{container.NewCenter(d.qr), caption}
	d.step.Refresh()
	note := "Waiting for the code to be scanned…"
	if !qr.Expires.IsZero() {
		note += " It is replaced now and then; the new one appears here by itself."
	}
	d.say(note, widget.MediumImportance)
}

// OpenURL opens the page in the browser and shows its address.
func (d *signInDialog) OpenURL(ctx context.Context, raw, note string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return errors.New("sign-in: the network gave an address that is not a web page")
	}
	d.v.post(func() {
		d.answer, d.entry, d.qr = nil, nil, nil
		d.action.Hide()
		l := widget.NewLabel(note)
		l.Wrapping = fyne.TextWrapWord
		link := widget.NewHyperlink(u.Host, u)
		d.step.Objects = []fyne.CanvasObject{l, link}
		d.step.Refresh()
		d.say("Waiting for the browser… If it did not open, click the link.", widget.MediumImportance)
		if err := d.v.app.OpenURL(u); err != nil {
			d.say("Open the link in your browser: "+err.Error(), widget.WarningImportance)
		}
	})
	return nil
}
