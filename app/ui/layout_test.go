package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
)

// At 800×600 and at half a 1366-px screen the window fits (nothing makes
// it wider by itself), the conversation keeps the largest share, and the
// request panel's buttons wrap instead of running past its edge.
func TestSmallWindowKeepsTheConversationsRoom(t *testing.T) {
	h := newHarness(t, "Work")
	fc := fakes.conn(t, h, "Work")
	fc.push(inbound("Work", "promo-with-a-rather-long-handle", "promo-with-a-rather-long-handle", "hello", false))
	h.waitFor("promo listed", func() bool { _, ok := h.convByTitle("promo-with-a-rather-long-handle"); return ok })
	h.tapConversation("promo-with-a-rather-long-handle")
	menuItem(t, h.v.convMenu(h.v.chat.conv), "Block").Action() // the widest state: the panel with three buttons
	h.settle()
	h.waitFor("the blocked panel", func() bool { return h.v.chat.request.root.Visible() })
	for _, w := range []float32{800, 683} {
		if min := h.win.Content().MinSize(); min.Width > w {
			t.Fatalf("the window cannot be narrower than %.0f px; want it to fit %.0f", min.Width, w)
		}
		h.win.Resize(fyne.NewSize(w, 600))
		h.settle()
		chat, list, side := h.v.chat.root.Size().Width, h.v.list.root.Size().Width, h.v.side.root.Size().Width
		if chat < 0.45*w || chat < list || chat < side {
			t.Fatalf("at %.0f px: sidebar %.0f, list %.0f, conversation %.0f — the conversation lost its room", w, side, list, chat)
		}
		box := h.v.chat.request.buttons
		for _, o := range box.Objects {
			if o.Visible() && o.Position().X+o.Size().Width > box.Size().Width+1 {
				t.Fatalf("at %.0f px a request button runs past the panel (%v + %v > %v)", w, o.Position(), o.Size(), box.Size())
			}
		}
	}
}

// A direct conversation shows the person's initials with a small badge of
// its network; a channel shows the channel sign with the badge.
func TestConversationIconsShowWhoAndWhere(t *testing.T) {
	h := newHarness(t, "Work")
	fc := fakes.conn(t, h, "Work")
	fc.push(inbound("Work", "jordan", "jordan", "hi", false))
	fc.push(inbound("Work", "#sales", "maria", "numbers", true))
	h.waitFor("both rendered", func() bool { return h.visibleConvItem("jordan") != nil && h.visibleConvItem("#sales") != nil })
	direct, channel := h.visibleConvItem("jordan").icon, h.visibleConvItem("#sales").icon
	if direct.face.text.Text != "J" || direct.isChan {
		t.Fatalf("jordan's row shows %q, want the initial", direct.face.text.Text)
	}
	if channel.face.text.Text != "#" || !channel.isChan {
		t.Fatalf("#sales's row shows %q, want the channel sign", channel.face.text.Text)
	}
	for _, ic := range []*convFace{direct, channel} {
		if ic.badge.Resource != h.v.networkIcon("uitest") {
			t.Fatalf("badge %v, want the network's icon", ic.badge.Resource)
		}
	}
	h.tapConversation("jordan")
	if h.v.chat.icon.face.text.Text != "J" {
		t.Fatalf("the header shows %q", h.v.chat.icon.face.text.Text)
	}
	// One person, one colour: the list's face and the messages' share it.
	if direct.face.circle.FillColor != nameColor("jordan") {
		t.Fatal("the list colours jordan differently from the messages")
	}
}

// The composer grows with its text up to a few lines, then scrolls, and
// shrinks back when the message is sent.
func TestComposerGrowsWithItsText(t *testing.T) {
	h := newHarness(t, "Work")
	fc := fakes.conn(t, h, "Work")
	fc.push(inbound("Work", "jordan", "jordan", "hi", false))
	h.waitFor("jordan listed", func() bool { _, ok := h.convByTitle("jordan"); return ok })
	h.tapConversation("jordan")
	comp := h.v.chat.composer
	one := comp.MinSize().Height
	comp.SetText("first\nsecond\nthird")
	three := comp.MinSize().Height
	if three <= one+10 {
		t.Fatalf("three lines: composer %.0f px tall, one line %.0f", three, one)
	}
	comp.SetText(strings.Repeat("line\n", 20))
	if many := comp.MinSize().Height; many <= three || comp.rows != maxComposerRows {
		t.Fatalf("twenty lines: %.0f px, %d rows; want it capped at %d rows", many, comp.rows, maxComposerRows)
	}
	comp.shift = func() bool { return false }
	comp.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.settle()
	if got := comp.MinSize().Height; got != one {
		t.Fatalf("after sending the composer is %.0f px, want %.0f", got, one)
	}
}
