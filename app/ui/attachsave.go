package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"

	"switchboard/internal/attach"
	sbstorage "switchboard/storage"
)

// saveAttachment asks where to save a message's file and writes it there,
// downloading it first when it is not in the archive yet. The bytes are
// written off the UI goroutine; the row shows "Saving…" meanwhile.
func (v *view) saveAttachment(a sbstorage.Attachment) {
	if v.saving[a.ID] {
		return
	}
	v.chooseSaveFile(attach.SafeName(a.Name), func(path string) {
		if path == "" || v.saving[a.ID] {
			return
		}
		v.saving[a.ID] = true
		v.chat.list.Refresh()
		v.async(func(ctx context.Context) func() {
			err := writeAttachment(ctx, v.be, a.ID, path)
			return func() {
				delete(v.saving, a.ID)
				v.chat.list.Refresh()
				if err != nil {
					v.showError("Save "+attachmentName(a), err)
					return
				}
				v.saveDir = filepath.Dir(path)
				dialog.ShowInformation("Saved", fmt.Sprintf("%s was saved to\n%s", attachmentName(a), path), v.win)
			}
		})
	})
}

// attachmentSaver is the part of the core that writes a file's bytes.
type attachmentSaver interface {
	SaveAttachment(ctx context.Context, id int64, w io.Writer) (sbstorage.Attachment, error)
}

// writeAttachment writes attachment id to path through a temporary file
// beside it, so that a failed download or write never leaves half a file
// under the chosen name, nor replaces a file that was there.
func writeAttachment(ctx context.Context, be attachmentSaver, id int64, path string) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".switchboard-save-*.part")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			os.Remove(tmp.Name())
			removeIfEmpty(path)
		}
	}()
	if _, err := be.SaveAttachment(ctx, id, tmp); err != nil {
		tmp.Close()
		return err
	}
	// The file keeps CreateTemp's mode, 0600 less the umask: a message's
	// attachment is the user's alone unless they share it.
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// removeIfEmpty removes the empty file the save dialog created for a save
// that then failed (an empty file holds nothing to lose).
func removeIfEmpty(path string) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode().IsRegular() && fi.Size() == 0 {
		os.Remove(path)
	}
}

// fileSaveDialog is the default chooseSaveFile: Fyne's save dialog with
// the name filled in, opened in the folder last saved to (or Downloads).
// cb gets the chosen path; it is not called when the user cancels.
func (v *view) fileSaveDialog(name string, cb func(path string)) {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			v.showError("Save", err)
			return
		}
		if w == nil {
			return
		}
		u := w.URI()
		// The dialog opened (created) the file; the bytes go in through a
		// temporary file renamed over it.
		if err := w.Close(); err != nil {
			v.showError("Save", err)
			return
		}
		if u.Scheme() != "file" {
			v.showError("Save", errors.New("files can only be saved to a folder on this computer"))
			return
		}
		cb(u.Path())
	}, v.win)
	d.SetFileName(name)
	if dir := v.saveFolder(); dir != "" {
		if l, err := storage.ListerForURI(storage.NewFileURI(dir)); err == nil {
			d.SetLocation(l)
		}
	}
	d.Resize(fyne.NewSize(760, 520))
	d.Show()
}

// saveFolder is the folder a save dialog opens in.
func (v *view) saveFolder() string {
	if v.saveDir != "" {
		return v.saveDir
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	if fi, err := os.Stat(filepath.Join(home, "Downloads")); err == nil && fi.IsDir() {
		return filepath.Join(home, "Downloads")
	}
	return home
}
