package ui

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// The composer holds the open conversation's draft or nothing: text typed
// for a customer never follows the user into #sales, comes back when the
// customer's conversation is opened again, survives a restart, and is
// sealed in the archive.
func TestDraftStaysWithItsConversation(t *testing.T) {
	dir := t.TempDir()
	h := newHarnessIn(t, dir, "Work")
	fc := fakes.conn(t, h, "Work")
	fc.push(inbound("Work", "jordan", "jordan", "is the invoice ready?", false))
	fc.push(inbound("Work", "#sales", "maria", "numbers are in", true))
	h.waitFor("both listed", func() bool {
		_, a := h.convByTitle("jordan")
		_, b := h.convByTitle("#sales")
		return a && b
	})
	const draft = "the invoice goes out tomorrow, sorry for the wait"
	h.tapConversation("jordan")
	h.waitFor("the composer enabled", func() bool { return !h.v.chat.composer.Disabled() })
	test.Type(h.v.chat.composer, draft)

	h.tapConversation("#sales")
	if got := h.v.chat.composer.Text; got != "" {
		t.Fatalf("#sales opened with %q in the composer; the draft followed the user", got)
	}
	h.v.chat.composer.shift = func() bool { return false }
	h.v.chat.composer.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.settle()
	if contains(fakes.sentTexts(), "invoice goes out") {
		t.Fatal("Enter in #sales sent the draft typed for jordan")
	}

	h.tapConversation("jordan")
	h.waitFor("jordan's draft back", func() bool { return h.v.chat.composer.Text == draft })
	h.settle()
	h.close()

	// Sealed on disk: not in the database, its WAL or anything else there.
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err == nil && bytes.Contains(b, []byte("invoice goes out")) {
			t.Fatalf("the draft is in plaintext in %s", filepath.Base(f))
		}
	}

	h2 := newHarnessIn(t, dir)
	h2.waitFor("jordan listed after restart", func() bool { _, ok := h2.convByTitle("jordan"); return ok })
	h2.tapConversation("#sales")
	if h2.v.chat.composer.Text != "" {
		t.Fatalf("after a restart #sales shows %q", h2.v.chat.composer.Text)
	}
	h2.tapConversation("jordan")
	h2.waitFor("the draft after a restart", func() bool { return h2.v.chat.composer.Text == draft })

	// Sending clears it, for good.
	h2.v.chat.composer.shift = func() bool { return false }
	h2.v.chat.composer.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h2.waitFor("the draft sent", func() bool { return contains(fakes.sentTexts(), "invoice goes out") })
	h2.settle()
	if d, err := h2.core.Draft(h2.ctx, h2.v.chat.open); err != nil || d != "" {
		t.Fatalf("after sending, the stored draft is %q (%v)", d, err)
	}
}
