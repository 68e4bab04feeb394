package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"switchboard/internal/attach"
)

// outFiles is the composer's list of files to send with the next message,
// where the account's network can send files (e-mail): a paperclip button
// picks them, each shows as a chip that removes it.
type outFiles struct {
	p      *chatPane
	paths  []string
	box    *fyne.Container
	attach *widget.Button
}

func newOutFiles(p *chatPane) *outFiles {
	f := &outFiles{p: p, box: container.NewHBox()}
	f.attach = widget.NewButtonWithIcon("", theme.MailAttachmentIcon(), f.pick)
	f.attach.Importance = widget.LowImportance
	f.attach.Hide()
	f.box.Hide()
	return f
}

// pick opens the file dialog; the chosen file joins the list.
func (f *outFiles) pick() {
	dialog.ShowFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		path := r.URI().Path()
		r.Close()
		f.add(path)
	}, f.p.v.win)
}

// add puts a file on the list (once).
func (f *outFiles) add(path string) {
	if slices.Contains(f.paths, path) {
		return
	}
	f.paths = append(f.paths, path)
	f.refresh()
}

// take empties the list and returns it, for sending.
func (f *outFiles) take() []string {
	paths := f.paths
	f.paths = nil
	f.refresh()
	return paths
}

// restore puts back files whose sending failed.
func (f *outFiles) restore(paths []string) {
	for _, p := range paths {
		f.add(p)
	}
}

func (f *outFiles) refresh() {
	f.box.Objects = nil
	for _, path := range f.paths {
		label := filepath.Base(path)
		if st, err := os.Stat(path); err == nil {
			label = fmt.Sprintf("%s (%s)", label, attach.Size(st.Size()))
		}
		chip := widget.NewButtonWithIcon(label, theme.CancelIcon(), func() {
			f.paths = slices.DeleteFunc(f.paths, func(p string) bool { return p == path })
			f.refresh()
		})
		chip.Importance = widget.LowImportance
		f.box.Objects = append(f.box.Objects, chip)
	}
	if len(f.paths) == 0 {
		f.box.Hide()
	} else {
		f.box.Show()
	}
	f.box.Refresh()
	f.p.relayout()
}

// show offers the paperclip where the account's network sends files.
func (f *outFiles) show(can bool) {
	if can {
		f.attach.Show()
		return
	}
	f.attach.Hide()
	if len(f.paths) > 0 {
		f.paths = nil
		f.refresh()
	}
}
