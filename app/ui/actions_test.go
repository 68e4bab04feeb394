package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"switchboard/app/core"
	"switchboard/storage"
)

// listed loads a filter's conversations as the window shows them.
func (h *harness) listed(f storage.Filter) []string {
	h.t.Helper()
	h.v.setFilter(f, "")
	h.settle()
	var out []string
	for _, c := range h.v.list.convs {
		out = append(out, convTitle(c))
	}
	return out
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// menuItem finds an item of a conversation's action menu by its label's start.
func menuItem(t *testing.T, m *fyne.Menu, label string) *fyne.MenuItem {
	t.Helper()
	for _, it := range m.Items {
		if strings.HasPrefix(it.Label, label) {
			return it
		}
	}
	t.Fatalf("the conversation menu has no %q item", label)
	return nil
}

const spam = "Special offer, 50% off, reply STOP to unsubscribe"

// An unknown sender's marketing is held in Requests with the reason in
// plain words, never in All, Unread or Awaiting; the same words in a
// channel, or from someone the user wrote to, are delivered; "This is a
// person" releases it and teaches the policy.
func TestMarketingFromAnUnknownSenderWaitsInRequests(t *testing.T) {
	h := newHarness(t, "Work")
	fc := fakes.conn(t, h, "Work")
	if _, err := h.core.Send(h.ctx, core.SendRequest{Account: "Work", Target: "kim", Text: "send me your offer"}); err != nil {
		t.Fatal(err)
	}
	fc.push(inbound("Work", "dealz", "dealz", spam, false))
	fc.push(inbound("Work", "#sales", "maria", spam, true))
	fc.push(inbound("Work", "kim", "kim", "Special offer for you: 20% off, reply STOP if not interested", false))
	fc.push(inbound("Work", "jordan", "jordan", "is the invoice ready?", false))
	h.waitFor("jordan listed", func() bool { _, ok := h.convByTitle("jordan"); return ok })

	for _, f := range []storage.Filter{storage.FilterAll, storage.FilterUnread, storage.FilterAwaiting} {
		if got := h.listed(f); has(got, "dealz") {
			t.Fatalf("the spam is in %s: %v", f, got)
		}
	}
	if got := h.listed(storage.FilterAll); !has(got, "#sales") || !has(got, "kim") {
		t.Fatalf("a channel message or a known person's was held: All = %v", got)
	}
	h.listed(storage.FilterRequests)
	req, ok := h.convByTitle("dealz")
	if !ok || !strings.Contains(req.HoldReason, "looks like marketing") || !strings.Contains(req.HoldReason, "opt out") {
		t.Fatalf("Requests: %+v, want dealz with the reason in plain words", req)
	}
	h.tapConversation("dealz")
	h.waitFor("the request panel", func() bool { return h.v.chat.request.root.Visible() })
	if !strings.Contains(h.v.chat.request.reason.Text, "looks like marketing") || h.v.chat.request.person.Text != "This is a person" {
		t.Fatalf("panel says %q with %q", h.v.chat.request.reason.Text, h.v.chat.request.person.Text)
	}
	test.Tap(h.v.chat.request.person)
	h.settle()
	if got := h.listed(storage.FilterAll); !has(got, "dealz") {
		t.Fatalf("released, but not in All: %v", got)
	}
	// Taught: the next offer from dealz goes straight in.
	fc.push(inbound("Work", "dealz", "dealz", "Last chance: 50% off, reply STOP to opt out", false))
	h.waitFor("the next message delivered", func() bool {
		c, err := h.core.Conversation(h.ctx, req.Row)
		return err == nil && c.Held == 0 && strings.Contains(c.LastText, "Last chance")
	})
}

// Block from the header menu (or the row's right-click menu): the
// conversation leaves All, Unread and Awaiting, and its composer is off.
func TestBlockingTakesAConversationOutOfTheInbox(t *testing.T) {
	h := newHarness(t, "Work")
	fc := fakes.conn(t, h, "Work")
	fc.push(inbound("Work", "promo", "promo", "hello! quick question about your plans", false))
	fc.push(inbound("Work", "jordan", "jordan", "is the invoice ready?", false))
	h.waitFor("both listed", func() bool {
		_, a := h.convByTitle("promo")
		_, b := h.convByTitle("jordan")
		return a && b
	})
	// The right-click menu on the row.
	it := h.visibleConvItem("promo")
	test.TapSecondary(it.tap)
	top := h.win.Canvas().Overlays().Top()
	var block, person bool
	if top != nil {
		for _, o := range test.LaidOutObjects(top) {
			if tx, ok := o.(*canvas.Text); ok {
				block = block || tx.Text == "Block promo"
				person = person || tx.Text == "This is a person"
			}
		}
	}
	if !block || !person {
		t.Fatalf("right-click on a row opened %T without the conversation's actions (Block %v, person %v)", top, block, person)
	}
	h.win.Canvas().Overlays().Remove(top)

	h.tapConversation("promo")
	h.waitFor("the composer enabled", func() bool { return !h.v.chat.composer.Disabled() })
	menuItem(t, h.v.convMenu(h.v.chat.conv), "Block promo").Action()
	h.settle()
	for _, f := range []storage.Filter{storage.FilterAll, storage.FilterUnread, storage.FilterAwaiting} {
		if got := h.listed(f); has(got, "promo") || !has(got, "jordan") {
			t.Fatalf("%s after blocking promo: %v", f, got)
		}
	}
	if h.v.counts.unread != 1 || h.v.counts.awaiting != 1 {
		t.Fatalf("counts after blocking: %+v", h.v.counts)
	}
	h.waitFor("the composer disabled", func() bool { return h.v.chat.composer.Disabled() })
	if !strings.Contains(h.v.chat.offline.Text, "You blocked promo") {
		t.Fatalf("the composer's note says %q", h.v.chat.offline.Text)
	}
	if !strings.Contains(h.v.chat.request.reason.Text, "out of your inbox") {
		t.Fatalf("the panel says %q", h.v.chat.request.reason.Text)
	}
	if got := h.listed(storage.FilterBlocked); !has(got, "promo") {
		t.Fatalf("Blocked does not list promo: %v", got)
	}
	// Unblock brings it back.
	menuItem(t, h.v.convMenu(h.v.chat.conv), "Unblock promo").Action()
	h.settle()
	if got := h.listed(storage.FilterAll); !has(got, "promo") {
		t.Fatalf("All after unblocking: %v", got)
	}
}

// Mark as brand from the menu: what comes next from the sender is held.
func TestMarkAsBrandFromTheMenuHoldsWhatComesNext(t *testing.T) {
	h := newHarness(t, "Work")
	fc := fakes.conn(t, h, "Work")
	fc.push(inbound("Work", "shopbot", "shopbot", "hi, thanks for visiting", false))
	h.waitFor("shopbot listed", func() bool { _, ok := h.convByTitle("shopbot"); return ok })
	c, _ := h.convByTitle("shopbot")
	menuItem(t, h.v.convMenu(c), "Mark as brand").Action()
	h.settle()
	fc.push(inbound("Work", "shopbot", "shopbot", "new arrivals this week", false))
	h.waitFor("the next message held", func() bool {
		cv, err := h.core.Conversation(h.ctx, c.Row)
		return err == nil && cv.Held == 1
	})
}

// Awaiting reply: direct messages and mentions of the user, not channel
// chatter; "Mark as done" clears one until the other side writes again.
func TestAwaitingReplyIsWhatTheUserOwes(t *testing.T) {
	h := newHarness(t)
	if err := h.core.AddAccount(h.ctx, core.AccountSpec{Name: "Work", Network: "uitest",
		Settings: map[string]string{"server": "chat.test:6697", "nick": "ada"}}); err != nil {
		t.Fatal(err)
	}
	fc := fakes.conn(t, h, "Work")
	h.waitFor("online as ada", func() bool {
		st, ok := h.v.accountStatus("Work")
		return ok && st.Self == "ada"
	})
	fc.push(inbound("Work", "#sales", "maria", "thanks!", true))
	fc.push(inbound("Work", "#team", "lee", "ada: can you check the deploy?", true))
	fc.push(inbound("Work", "jordan", "jordan", "is the invoice ready?", false))
	h.waitFor("jordan listed", func() bool { _, ok := h.convByTitle("jordan"); return ok })

	got := h.listed(storage.FilterAwaiting)
	if has(got, "#sales") || !has(got, "#team") || !has(got, "jordan") {
		t.Fatalf("Awaiting reply = %v, want #team (mention) and jordan, not #sales", got)
	}
	if h.v.counts.awaiting != 2 {
		t.Fatalf("awaiting count %d", h.v.counts.awaiting)
	}
	c, _ := h.convByTitle("jordan")
	menuItem(t, h.v.convMenu(c), "Mark as done").Action()
	h.settle()
	if got := h.listed(storage.FilterAwaiting); has(got, "jordan") {
		t.Fatalf("jordan still awaiting after done: %v", got)
	}
	fc.push(inbound("Work", "jordan", "jordan", "hello? any news?", false))
	h.waitFor("jordan back in Awaiting", func() bool { return has(h.listed(storage.FilterAwaiting), "jordan") })
}

// A group message naming the user stands out in the conversation.
func TestMentionsOfTheUserAreHighlighted(t *testing.T) {
	h := newHarness(t)
	if err := h.core.AddAccount(h.ctx, core.AccountSpec{Name: "Work", Network: "uitest",
		Settings: map[string]string{"server": "chat.test:6697", "nick": "ada"}}); err != nil {
		t.Fatal(err)
	}
	fc := fakes.conn(t, h, "Work")
	h.waitFor("online as ada", func() bool { st, ok := h.v.accountStatus("Work"); return ok && st.Self == "ada" })
	fc.push(inbound("Work", "#team", "maria", "lunch at noon", true))
	fc.push(inbound("Work", "#team", "lee", "ada: can you check the deploy?", true))
	h.waitFor("#team listed", func() bool { _, ok := h.convByTitle("#team"); return ok })
	h.tapConversation("#team")
	h.waitFor("both messages shown", func() bool { return len(h.renderedMessages()) == 2 })
	for _, o := range test.LaidOutObjects(h.v.chat.list) {
		mi, ok := o.(*msgItem)
		if !ok || mi.row.day != "" || !mi.Visible() {
			continue
		}
		mention := mi.bg.FillColor == themeColor(colorMention)
		if mention != strings.HasPrefix(mi.msg.Text, "ada:") {
			t.Fatalf("%q highlighted as a mention: %v", mi.msg.Text, mention)
		}
	}
}
