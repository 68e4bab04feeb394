package ui

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"switchboard/storage"
)

// fileRow finds the visible message row showing the attachment name and
// that line of it.
func (h *harness) fileRow(name string) (*msgItem, *attachLine) {
	for _, o := range test.LaidOutObjects(h.v.chat.list) {
		mi, ok := o.(*msgItem)
		if !ok || mi.row.day != "" || !mi.Visible() {
			continue
		}
		for _, l := range mi.atts[:mi.nAtt] {
			if l.full == name {
				return mi, l
			}
		}
	}
	return nil, nil
}

// waitFileLine waits until the attachment line for name satisfies cond.
func (h *harness) waitFileLine(what, name string, cond func(*attachLine) bool) (*msgItem, *attachLine) {
	h.t.Helper()
	var mi *msgItem
	var l *attachLine
	h.waitFor(what, func() bool {
		mi, l = h.fileRow(name)
		return l != nil && cond(l)
	})
	return mi, l
}

// overlayText is all the text of the topmost dialog.
func (h *harness) overlayText() string {
	top := h.v.win.Canvas().Overlays().Top()
	if top == nil {
		return ""
	}
	var b strings.Builder
	for _, o := range test.LaidOutObjects(top) {
		switch w := o.(type) {
		case *widget.Label:
			b.WriteString(w.Text + "\n")
		case *widget.RichText:
			b.WriteString(richText(w) + "\n")
		}
	}
	return b.String()
}

// saveInto makes the window save files into dir instead of asking, and
// records the names it suggested.
func (h *harness) saveInto(dir string) *[]string {
	var asked []string
	h.v.chooseSaveFile = func(name string, cb func(string)) {
		asked = append(asked, name)
		cb(filepath.Join(dir, name))
	}
	return &asked
}

// assertLineInsideRow checks that the row was measured for its attachment
// lines: each starts below the text and ends inside the row.
func assertLineInsideRow(t *testing.T, mi *msgItem) {
	t.Helper()
	textBottom := mi.body.Position().Y + mi.body.MinSize().Height - theme.InnerPadding()
	for _, l := range mi.atts[:mi.nAtt] {
		if mi.hasText && l.Position().Y < textBottom-0.5 {
			t.Fatalf("attachment line at y=%.1f overlaps the text ending at %.1f", l.Position().Y, textBottom)
		}
		if end := l.Position().Y + l.Size().Height; end > mi.Size().Height-msgBottomPad+0.5 {
			t.Fatalf("attachment line ends at y=%.1f, below the row of height %.1f", end, mi.Size().Height)
		}
		if l.reason.Segments != nil {
			if end := l.reason.Position().Y + l.reason.MinSize().Height - theme.InnerPadding(); end > l.Size().Height+0.5 {
				t.Fatalf("the failure reason ends at y=%.1f, below its line of height %.1f", end, l.Size().Height)
			}
		}
	}
}

func TestAttachmentShowsAsAFileLineAndSavesToAFile(t *testing.T) {
	h := newHarness(t, "Work")
	fc := fakes.conn(t, h, "Work")
	data := bytes.Repeat([]byte("plan\x00\xff"), 200_000) // 1.2 MB, not text
	file := fakeFile{"plan.pdf", "application/pdf", data}
	m := withFiles(inbound("Work", "carol", "carol", "Here is the plan", false), file)
	fakes.setFiles(m.Message.RemoteID, []fakeFile{file})
	fc.push(m)
	h.waitFor("carol listed", func() bool { _, ok := h.convByTitle("carol"); return ok })
	h.tapConversation("carol")

	mi, l := h.waitFileLine("plan.pdf saved by the core", "plan.pdf", func(l *attachLine) bool {
		return l.att.State == storage.AttachSaved
	})
	if got := richText(mi.body); got != "Here is the plan" {
		t.Fatalf("the message text shows %q, want the text without its attachment line", got)
	}
	if l.name.Text != "plan.pdf" || !strings.Contains(l.detail.Text, "1.2 MB") {
		t.Fatalf("the file line shows %q / %q, want the name and 1.2 MB", l.name.Text, l.detail.Text)
	}
	if l.btn.Text != "Save…" || l.btn.Disabled() {
		t.Fatalf("the file's button says %q (disabled %v), want an enabled Save…", l.btn.Text, l.btn.Disabled())
	}
	assertLineInsideRow(t, mi)

	dir := t.TempDir()
	asked := h.saveInto(dir)
	test.Tap(l.btn)
	h.waitFor("the Saved confirmation", func() bool { return strings.Contains(h.overlayText(), "was saved to") })
	want := filepath.Join(dir, "plan.pdf")
	if !strings.Contains(h.overlayText(), want) {
		t.Fatalf("the confirmation says %q, want it to name %s", h.overlayText(), want)
	}
	if len(*asked) != 1 || (*asked)[0] != "plan.pdf" {
		t.Fatalf("the save dialog was offered %q, want plan.pdf", *asked)
	}
	got, err := os.ReadFile(want)
	if err != nil {
		t.Fatalf("read the saved file: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("the saved file has %d bytes, want the attachment's %d", len(got), len(data))
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) != 0 {
		t.Fatalf("temporary files left beside the saved one: %v", left)
	}
}

func TestPendingAttachmentSaysDownloadingThenUpdatesInPlace(t *testing.T) {
	h := newHarness(t, "Work")
	fc := fakes.conn(t, h, "Work")
	file := fakeFile{"notes.txt", "text/plain", []byte("meeting notes\n")}
	m := withFiles(inbound("Work", "dan", "dan", "notes attached", false), file)
	fakes.setFiles(m.Message.RemoteID, []fakeFile{file})
	gate := make(chan struct{})
	fakes.mu.Lock()
	fakes.gates[m.Message.RemoteID] = gate
	fakes.mu.Unlock()
	released := false
	t.Cleanup(func() {
		if !released {
			close(gate)
		}
	})
	fc.push(m)
	h.waitFor("dan listed", func() bool { _, ok := h.convByTitle("dan"); return ok })
	h.tapConversation("dan")

	mi, l := h.waitFileLine("notes.txt downloading", "notes.txt", func(l *attachLine) bool {
		return strings.Contains(l.detail.Text, "downloading…")
	})
	if l.att.State != storage.AttachPending || l.btn.Text != "Save…" || l.btn.Disabled() {
		t.Fatalf("a pending file shows state %s and button %q (disabled %v)", l.att.State, l.btn.Text, l.btn.Disabled())
	}
	if !strings.Contains(l.detail.Text, "14 B") {
		t.Fatalf("the file line's detail %q lacks the size 14 B", l.detail.Text)
	}
	row := mi.msg.Row
	close(gate)
	released = true
	mi, l = h.waitFileLine("notes.txt saved", "notes.txt", func(l *attachLine) bool {
		return l.att.State == storage.AttachSaved
	})
	if mi.msg.Row != row || strings.Contains(l.detail.Text, "downloading") {
		t.Fatalf("after the download the row %d (was %d) shows %q", mi.msg.Row, row, l.detail.Text)
	}
	if n := len(h.v.chat.msgs); n != 1 {
		t.Fatalf("the conversation holds %d messages after the update, want the one updated in place", n)
	}
}

func TestFailedAttachmentShowsWhyAndCanBeTriedAgain(t *testing.T) {
	h := newHarness(t, "Work")
	fc := fakes.conn(t, h, "Work")
	file := fakeFile{"photo.jpg", "image/jpeg", bytes.Repeat([]byte{0xd8}, 4321)}
	m := withFiles(inbound("Work", "erin", "erin", "look", false), file) // the network has no bytes: gone
	fc.push(m)
	h.waitFor("erin listed", func() bool { _, ok := h.convByTitle("erin"); return ok })
	h.tapConversation("erin")

	mi, l := h.waitFileLine("photo.jpg failed", "photo.jpg", func(l *attachLine) bool {
		return l.att.State == storage.AttachFailed
	})
	if reason := richText(l.reason); !strings.Contains(reason, "no longer on the server") {
		t.Fatalf("a failed file explains %q, want the reason", reason)
	}
	if l.btn.Text != "Try again" || !strings.Contains(l.detail.Text, "failed") {
		t.Fatalf("a failed file shows %q with button %q", l.detail.Text, l.btn.Text)
	}
	assertLineInsideRow(t, mi)

	dir := t.TempDir()
	h.saveInto(dir)
	test.Tap(l.btn)
	h.waitFor("an error in plain words", func() bool { return strings.Contains(h.overlayText(), "could not be downloaded") })
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("a failed save left files behind: %v", left)
	}
	h.v.win.Canvas().Overlays().Top().Hide()
	h.v.win.Canvas().Overlays().Remove(h.v.win.Canvas().Overlays().Top())

	fakes.setFiles(m.Message.RemoteID, []fakeFile{file})
	test.Tap(l.btn)
	h.waitFor("the Saved confirmation", func() bool { return strings.Contains(h.overlayText(), "was saved to") })
	got, err := os.ReadFile(filepath.Join(dir, "photo.jpg"))
	if err != nil || !bytes.Equal(got, file.data) {
		t.Fatalf("after trying again the file has %d bytes (err %v), want %d", len(got), err, len(file.data))
	}
	h.waitFileLine("photo.jpg saved after trying again", "photo.jpg", func(l *attachLine) bool {
		return l.att.State == storage.AttachSaved && l.reason.Segments == nil && l.btn.Text == "Save…"
	})
}

func TestMessageWithOnlyFilesShowsJustTheFiles(t *testing.T) {
	h := newHarness(t, "Work")
	fc := fakes.conn(t, h, "Work")
	a := fakeFile{"a.pdf", "application/pdf", []byte("%PDF-1.4 a")}
	b := fakeFile{"b.png", "image/png", []byte("\x89PNG b")}
	m := withFiles(inbound("Work", "fay", "fay", "", false), a, b)
	fakes.setFiles(m.Message.RemoteID, []fakeFile{a, b})
	fc.push(m)
	h.waitFor("fay listed", func() bool { _, ok := h.convByTitle("fay"); return ok })
	h.tapConversation("fay")
	mi, _ := h.waitFileLine("both files saved", "b.png", func(l *attachLine) bool { return l.att.State == storage.AttachSaved })
	if mi.hasText {
		t.Fatalf("a message of only files shows text %q", richText(mi.body))
	}
	for _, o := range mi.CreateRenderer().Objects() {
		if o == mi.body {
			t.Fatal("the empty text is still drawn")
		}
	}
	want := float32(msgTopPad + headerHeight + 2*attachChipH + attachGap + msgBottomPad)
	if got := mi.Size().Height; got != want {
		t.Fatalf("the row is %.1f high, want %.1f: header and two file lines", got, want)
	}
	assertLineInsideRow(t, mi)
}

func TestSaveOpensTheFileDialogWithASafeNameFilledIn(t *testing.T) {
	h := newHarness(t, "Work")
	fc := fakes.conn(t, h, "Work")
	file := fakeFile{"q3/report.pdf", "application/pdf", []byte("%PDF-1.7 report")}
	m := withFiles(inbound("Work", "gus", "gus", "the report", false), file)
	fakes.setFiles(m.Message.RemoteID, []fakeFile{file})
	fc.push(m)
	h.waitFor("gus listed", func() bool { _, ok := h.convByTitle("gus"); return ok })
	h.tapConversation("gus")
	_, l := h.waitFileLine("the report saved", "q3/report.pdf", func(l *attachLine) bool { return l.att.State == storage.AttachSaved })

	dir := t.TempDir()
	h.v.saveDir = dir
	test.Tap(l.btn)
	var save *widget.Button
	h.waitFor("the save dialog with the name filled in", func() bool {
		top := h.v.win.Canvas().Overlays().Top()
		if top == nil {
			return false
		}
		named := false
		for _, o := range test.LaidOutObjects(top) {
			switch w := o.(type) {
			case *widget.Entry:
				named = named || w.Text == "q3_report.pdf"
			case *widget.Button:
				if w.Text == "Save" {
					save = w
				}
			}
		}
		return named && save != nil
	})
	test.Tap(save)
	h.waitFor("the Saved confirmation", func() bool { return strings.Contains(h.overlayText(), "was saved to") })
	got, err := os.ReadFile(filepath.Join(dir, "q3_report.pdf"))
	if err != nil || !bytes.Equal(got, file.data) {
		t.Fatalf("the file saved through the dialog has %q (err %v), want %q", got, err, file.data)
	}
}

var _ fyne.Widget = (*attachLine)(nil)
