package ui

import (
	"testing"

	"fyne.io/fyne/v2/test"

	"switchboard/app/core"
	"switchboard/storage"
)

// A message that failed in another session (or was sent by `switchboard
// send`) is retried through the outbox item its archive row names: the
// same row turns sent and the network gets it once — no new message.
func TestRetryUsesTheMessagesOutboxID(t *testing.T) {
	h := newHarness(t, "Work")
	fc := fakes.conn(t, h, "Work")
	fc.push(inbound("Work", "kim", "kim", "ping", false))
	h.waitFor("kim listed", func() bool { _, ok := h.convByTitle("kim"); return ok })
	fakes.mu.Lock()
	fakes.fail["sent from the command line"] = true
	fakes.mu.Unlock()
	it, err := h.core.Send(h.ctx, core.SendRequest{Account: "Work", Target: "kim", Text: "sent from the command line"})
	if err != nil {
		t.Fatal(err)
	}
	h.tapConversation("kim")
	var failed *msgItem
	h.waitFor("the failed message with a Retry button", func() bool {
		for _, o := range test.LaidOutObjects(h.v.chat.list) {
			if mi, ok := o.(*msgItem); ok && mi.msg.SendState == storage.SendFailed && mi.Visible() {
				failed = mi
				return true
			}
		}
		return false
	})
	if failed.msg.OutboxID != it.ID || failed.msg.Row != it.MsgRow {
		t.Fatalf("the failed row names outbox item %d (row %d); want %d (row %d)", failed.msg.OutboxID, failed.msg.Row, it.ID, it.MsgRow)
	}
	fakes.mu.Lock()
	delete(fakes.fail, "sent from the command line")
	fakes.mu.Unlock()
	test.Tap(failed.retry)
	h.waitFor("the message sent, one row", func() bool {
		m, err := h.core.Messages(h.ctx, failed.msg.ConvRow, 0, 10)
		if err != nil {
			return false
		}
		mine := 0
		for _, x := range m {
			if x.Text == "sent from the command line" {
				mine++
				if x.SendState != storage.SendSent {
					return false
				}
			}
		}
		return mine == 1
	})
	n := 0
	for _, s := range fakes.sentTexts() {
		if s == "sent from the command line" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("the network got the retried message %d times; want once", n)
	}
}
