package ui

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"switchboard/app/core"
	"switchboard/connectors"
)

const testTimeout = 20 * time.Second

// accountDialog adds or edits an account with a form generated from the
// network's declared fields; no per-protocol code.
type accountDialog struct {
	v       *view
	edit    *core.AccountStatus // nil: adding
	dlg     dialog.Dialog
	network *widget.Select
	name    *widget.Entry
	form    *widget.Form
	formBox *fyne.Container
	fields  []connectors.Field
	inputs  map[string]fyne.CanvasObject
	result  *widget.Label
	testBtn *widget.Button
	saveBtn *widget.Button
	busy    bool
}

func (v *view) showAccountDialog(edit *core.AccountStatus) {
	d := &accountDialog{v: v, edit: edit, inputs: map[string]fyne.CanvasObject{}}
	var names []string
	byLabel := map[string]string{}
	for _, n := range v.netOrder {
		l := v.networkName(n)
		names = append(names, l)
		byLabel[l] = n
	}
	sort.Strings(names)
	d.network = widget.NewSelect(names, func(label string) { d.buildFields(byLabel[label]) })
	d.name = widget.NewEntry()
	d.name.SetPlaceHolder("Work, Libera, Personal mail…")
	d.formBox = container.NewVBox()
	d.result = widget.NewLabel("")
	d.result.Wrapping = fyne.TextWrapWord
	d.result.Hide()
	d.testBtn = widget.NewButtonWithIcon("Test connection", theme.MediaPlayIcon(), d.test)
	d.saveBtn = widget.NewButtonWithIcon("Save", theme.ConfirmIcon(), d.save)
	d.saveBtn.Importance = widget.HighImportance
	cancel := widget.NewButton("Cancel", func() { d.dlg.Hide() })
	buttons := container.NewHBox(d.testBtn)
	title := "Add account"
	if edit != nil {
		title = "Edit " + edit.Name
		d.name.SetText(edit.Name)
		d.name.Disable()
		remove := widget.NewButtonWithIcon("Remove", theme.DeleteIcon(), d.remove)
		remove.Importance = widget.DangerImportance
		buttons.Add(remove)
	}
	buttons.Objects = append(buttons.Objects, layout.NewSpacer(), cancel, d.saveBtn)
	top := widget.NewForm(widget.NewFormItem("Network", d.network), widget.NewFormItem("Account name", d.name))
	content := container.NewBorder(top, container.NewVBox(widget.NewSeparator(), d.result, buttons), nil, nil,
		container.NewVScroll(d.formBox))
	d.dlg = dialog.NewCustomWithoutButtons(title, content, v.win)
	d.dlg.Resize(fyne.NewSize(520, 560))
	v.acctDlg = d
	if edit != nil {
		d.network.SetSelected(v.networkName(edit.Network))
		d.network.Disable()
	} else if len(names) > 0 {
		d.network.SetSelected(names[0])
	}
	d.dlg.Show()
}

// buildFields renders the form of network n.
func (d *accountDialog) buildFields(n string) {
	info, ok := d.v.networks[n]
	if !ok {
		return
	}
	d.fields = info.Fields
	d.inputs = map[string]fyne.CanvasObject{}
	var items []*widget.FormItem
	for _, f := range info.Fields {
		val := f.Default
		if d.edit != nil {
			if s, ok := d.edit.Settings[f.Key]; ok {
				val = s
			}
		}
		w := d.input(f, val)
		d.inputs[f.Key] = w
		label := f.Label
		if f.Required {
			label += " *"
		}
		it := widget.NewFormItem(label, w)
		it.HintText = f.Help
		if f.Kind == connectors.FieldList && it.HintText == "" {
			it.HintText = "Separate several with commas"
		}
		items = append(items, it)
	}
	d.form = widget.NewForm(items...)
	d.formBox.Objects = []fyne.CanvasObject{d.form}
	d.formBox.Refresh()
	d.result.Hide()
}

func (d *accountDialog) input(f connectors.Field, val string) fyne.CanvasObject {
	switch f.Kind {
	case connectors.FieldBool:
		c := widget.NewCheck("", nil)
		c.SetChecked(val == "true")
		return c
	case connectors.FieldSecret:
		e := widget.NewPasswordEntry()
		e.SetPlaceHolder(f.Placeholder)
		if d.edit != nil {
			e.SetPlaceHolder("Unchanged — type to replace")
		}
		return e
	case connectors.FieldFile:
		e := widget.NewEntry()
		e.SetPlaceHolder(firstNonEmpty(f.Placeholder, "/path/to/file"))
		e.SetText(val)
		pick := widget.NewButtonWithIcon("", theme.FolderOpenIcon(), func() {
			dialog.ShowFileOpen(func(r fyne.URIReadCloser, err error) {
				if err == nil && r != nil {
					e.SetText(r.URI().Path())
					r.Close()
				}
			}, d.v.win)
		})
		return container.NewBorder(nil, nil, nil, pick, e)
	}
	e := widget.NewEntry()
	e.SetPlaceHolder(f.Placeholder)
	e.SetText(val)
	return e
}

// spec reads the form into an AccountSpec. The settings themselves are
// checked by the core with the network's own rules (NetworkInfo.Validate),
// whose words the dialog shows; only a new account's missing password is
// caught here, as the core cannot tell it from "keep the stored one".
func (d *accountDialog) spec() (core.AccountSpec, error) {
	s := core.AccountSpec{Name: strings.TrimSpace(d.name.Text), Settings: map[string]string{}, Secrets: map[string]string{}}
	if d.edit != nil {
		s.Network = d.edit.Network
	} else {
		for n := range d.v.networks {
			if d.v.networkName(n) == d.network.Selected {
				s.Network = n
			}
		}
	}
	if s.Network == "" {
		return s, errors.New("choose a network")
	}
	if s.Name == "" {
		return s, errors.New("give the account a name")
	}
	for _, f := range d.fields {
		var val string
		switch w := d.inputs[f.Key].(type) {
		case *widget.Check:
			val = strconv.FormatBool(w.Checked)
		case *widget.Entry:
			val = strings.TrimSpace(w.Text)
			if f.Kind == connectors.FieldSecret {
				val = w.Text
			}
		case *fyne.Container:
			val = strings.TrimSpace(w.Objects[0].(*widget.Entry).Text)
		}
		if f.Kind == connectors.FieldSecret {
			if val == "" && f.Required && d.edit == nil {
				return s, fmt.Errorf("%s is required", f.Label)
			}
			if val != "" {
				s.Secrets[f.Key] = val
			}
			continue
		}
		if val != "" {
			s.Settings[f.Key] = val
		}
	}
	return s, nil
}

func (d *accountDialog) setBusy(b bool, msg string) {
	d.busy = b
	if b {
		d.testBtn.Disable()
		d.saveBtn.Disable()
	} else {
		d.testBtn.Enable()
		d.saveBtn.Enable()
	}
	d.say(msg, widget.MediumImportance)
}

func (d *accountDialog) say(msg string, imp widget.Importance) {
	d.result.Importance = imp
	d.result.SetText(msg)
	if msg == "" {
		d.result.Hide()
	} else {
		d.result.Show()
	}
}

// test connects once with the form's values and shows the outcome.
func (d *accountDialog) test() {
	spec, err := d.spec()
	if err != nil {
		d.say(err.Error(), widget.DangerImportance)
		return
	}
	d.setBusy(true, "Connecting to the server…")
	d.v.async(func(ctx context.Context) func() {
		err := d.v.be.TestAccount(ctx, spec, testTimeout)
		return func() {
			d.setBusy(false, "")
			if err != nil {
				d.say("Connection failed: "+err.Error(), widget.DangerImportance)
				return
			}
			d.say("Connected — the server accepted this account.", widget.SuccessImportance)
		}
	})
}

func (d *accountDialog) save() {
	spec, err := d.spec()
	if err != nil {
		d.say(err.Error(), widget.DangerImportance)
		return
	}
	d.setBusy(true, "Saving…")
	edit := d.edit != nil
	d.v.async(func(ctx context.Context) func() {
		var err error
		if edit {
			err = d.v.be.UpdateAccount(ctx, spec)
		} else {
			err = d.v.be.AddAccount(ctx, spec)
		}
		return func() {
			d.setBusy(false, "")
			if err != nil {
				d.say(err.Error(), widget.DangerImportance)
				return
			}
			d.dlg.Hide()
			d.v.reloadAccounts()
			if !edit {
				d.v.signInIfNeeded(spec.Name)
			}
		}
	})
}

// signInIfNeeded opens the sign-in dialog for a new account whose
// network signs in interactively, unless it is already online.
func (v *view) signInIfNeeded(name string) {
	v.async(func(ctx context.Context) func() {
		accts, err := v.be.Accounts(ctx)
		if err != nil {
			return nil
		}
		for _, a := range accts {
			if a.Name == name && hasCapability(a, connectors.CapSignIn) && a.State != connectors.StateOnline {
				return func() { v.startSignIn(name) }
			}
		}
		return nil
	})
}

func hasCapability(st core.AccountStatus, c connectors.Capability) bool {
	for _, x := range st.Capabilities {
		if x == c {
			return true
		}
	}
	return false
}

func (d *accountDialog) remove() {
	name := d.edit.Name
	purge := widget.NewCheck("Also delete its archived messages", nil)
	msg := widget.NewLabel(fmt.Sprintf("Remove %s? Its password is deleted from the keyring.", name))
	dialog.ShowCustomConfirm("Remove account", "Remove", "Keep", container.NewVBox(msg, purge), func(ok bool) {
		if !ok {
			return
		}
		p := purge.Checked
		d.v.async(func(ctx context.Context) func() {
			err := d.v.be.RemoveAccount(ctx, name, p)
			return func() {
				if err != nil {
					d.say(err.Error(), widget.DangerImportance)
					return
				}
				d.dlg.Hide()
				if d.v.account == name {
					d.v.setFilter(d.v.filter, "")
				}
				d.v.reloadAccounts()
				d.v.reloadConvs()
			}
		})
	}, d.v.win)
}
