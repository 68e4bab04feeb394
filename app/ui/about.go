package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// shortcuts are the window's keyboard shortcuts, as the gear menu lists them.
var shortcuts = [][2]string{
	{"Ctrl+N", "New message or join a channel"},
	{"Ctrl+F", "Search all conversations"},
	{"Ctrl+K", "Go to a conversation"},
	{"↑ ↓, Enter, Esc", "Pick, open and close in search and Go to"},
	{"Enter", "Send (Shift+Enter adds a line)"},
	{"Ctrl+Q", "Quit"},
}

// showShortcuts lists the keyboard shortcuts.
func (v *view) showShortcuts() {
	grid := container.NewGridWithColumns(2)
	for _, s := range shortcuts {
		grid.Add(widget.NewLabelWithStyle(s[0], fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
		grid.Add(widget.NewLabel(s[1]))
	}
	d := dialog.NewCustom("Keyboard shortcuts", "Close", grid, v.win)
	d.Show()
}

// showAbout says what this is and which version.
func (v *view) showAbout() {
	meta := v.app.Metadata()
	version := meta.Version
	if version == "" {
		version = "development build"
	}
	text := widget.NewLabel("Switchboard " + version + "\n\nAll your chat accounts in one window, an encrypted archive " +
		"on this computer, passwords in the system keyring, and brands only when you say so.")
	text.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustom("About Switchboard", "Close", text, v.win)
	d.Resize(fyne.NewSize(420, 220))
	d.Show()
}
