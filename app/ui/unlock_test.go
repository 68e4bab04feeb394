package ui

import (
	"errors"
	"fmt"
	"image/png"
	"os"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"switchboard/storage"
)

// TestLockedKeyringAtFirstStartOffersToUnlock: the window calls a locked
// keyring locked (not "no system keyring") and offers to unlock it, or to
// use a passphrase for a new archive instead.
func TestLockedKeyringAtFirstStartOffersToUnlock(t *testing.T) {
	a := test.NewTempApp(t)
	a.Settings().SetTheme(newAppTheme(themeLight))
	w := a.NewWindow("Switchboard")
	w.Resize(fyne.NewSize(800, 600))
	s := &shell{app: a, win: w}
	w.SetContent(s.unlockScreen())

	err := fmt.Errorf("open archive: %w", &storage.KeyringError{Problem: storage.KeyringLocked})
	msg := openError(err, "/home/ada/.config/switchboard")
	if !strings.Contains(msg, "locked") || strings.Contains(msg, "No system keyring") {
		t.Fatalf("message for a locked keyring: %q", msg)
	}
	again := make(chan retryChoice, 1)
	s.showOpenError(msg, again, true, true)
	if path := os.Getenv("SWITCHBOARD_UI_SHOT"); path != "" {
		f, _ := os.Create(path)
		png.Encode(f, w.Canvas().Capture())
		f.Close()
	}
	unlock, passphrase := button(s.actions.Objects, "Unlock keyring"), button(s.actions.Objects, "Use a passphrase instead")
	if unlock == nil || passphrase == nil {
		t.Fatalf("buttons on the locked-keyring screen: %v", labels(s.actions.Objects))
	}
	test.Tap(unlock)
	if got := <-again; got != retryUnlock {
		t.Fatalf("Unlock keyring chose %v", got)
	}

	// An existing profile offers no passphrase switch; other errors keep "Try again".
	s.win.SetContent(s.unlockScreen())
	s.showOpenError(msg, again, true, false)
	if button(s.actions.Objects, "Use a passphrase instead") != nil {
		t.Fatal("a passphrase is offered for an existing keyring profile")
	}
	s.win.SetContent(s.unlockScreen())
	s.showOpenError(openError(errors.New("boom"), "/p"), again, false, false)
	if button(s.actions.Objects, "Try again") == nil {
		t.Fatalf("buttons for another error: %v", labels(s.actions.Objects))
	}
}

func button(objs []fyne.CanvasObject, label string) *widget.Button {
	for _, o := range objs {
		if b, ok := o.(*widget.Button); ok && b.Text == label {
			return b
		}
		if c, ok := o.(*fyne.Container); ok {
			if b := button(c.Objects, label); b != nil {
				return b
			}
		}
	}
	return nil
}

func labels(objs []fyne.CanvasObject) []string {
	var out []string
	for _, o := range objs {
		if b, ok := o.(*widget.Button); ok {
			out = append(out, b.Text)
		}
		if c, ok := o.(*fyne.Container); ok {
			out = append(out, labels(c.Objects)...)
		}
	}
	return out
}
