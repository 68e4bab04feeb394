package ui

import (
	"slices"
	"testing"

	"fyne.io/fyne/v2/test"
)

// New message (Ctrl+N): pick an account, type whom to write to with
// completion from known conversations, write. A channel is joined and
// listed at once, before anyone speaks; a person gets the message.
func TestNewMessageStartsConversationsAndJoinsChannels(t *testing.T) {
	h := newHarness(t, "Work")
	fc := fakes.conn(t, h, "Work")
	fc.push(inbound("Work", "jordan", "jordan", "is the invoice ready?", false))
	h.waitFor("jordan listed", func() bool { _, ok := h.convByTitle("jordan"); return ok })

	h.v.showNewMessage()
	n := h.v.newMsgDlg
	if n == nil || n.account.Selected != "Work" {
		t.Fatal("New message did not open with the account chosen")
	}
	h.settle()
	test.Type(n.to, "jo")
	if !slices.Contains(n.offered, "jordan") {
		t.Fatalf("typing jo offers %v, want jordan", n.offered)
	}
	n.to.SetText("#launch")
	test.Tap(n.ok)
	h.waitFor("#launch listed and open", func() bool {
		c, ok := h.convByTitle("#launch")
		return ok && h.v.chat.open == c.Row
	})
	fakes.mu.Lock()
	joined := slices.Clone(fakes.joined)
	fakes.mu.Unlock()
	if !slices.Equal(joined, []string{"#launch"}) {
		t.Fatalf("joined %v, want #launch", joined)
	}
	if c, _ := h.convByTitle("#launch"); !c.Group {
		t.Fatal("#launch is not a group conversation")
	}

	h.v.showNewMessage()
	n = h.v.newMsgDlg
	n.to.SetText("kim")
	test.Type(n.text, "hello kim, about the quote")
	test.Tap(n.ok)
	h.waitFor("the message sent to kim", func() bool { return contains(fakes.sentTexts(), "hello kim") })
	h.waitFor("kim listed and open", func() bool {
		c, ok := h.convByTitle("kim")
		return ok && h.v.chat.open == c.Row
	})

	// Nobody to write to: said in plain words, nothing sent.
	h.v.showNewMessage()
	n = h.v.newMsgDlg
	test.Tap(n.ok)
	if !n.errL.Visible() || n.errL.Text == "" {
		t.Fatal("an empty To field was not explained")
	}
}
