package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"switchboard/app/core"
	"switchboard/connectors"
	"switchboard/storage"
)

func TestFirstRunExplainsAndOpensAddAccount(t *testing.T) {
	h := newHarness(t)
	if h.v.acctDlg == nil {
		t.Fatal("an empty profile did not open the Add account dialog")
	}
	if h.v.chat.root.Objects[0] != h.v.chat.welcome {
		t.Fatal("an empty profile does not show the welcome text")
	}
	if !strings.Contains(h.v.list.empty.Text, "Add an account") {
		t.Fatalf("the conversation list says %q, want a hint to add an account", h.v.list.empty.Text)
	}
}

func TestAddingAnAccountThroughTheForm(t *testing.T) {
	h := newHarness(t)
	h.v.showAccountDialog(nil)
	d := h.v.acctDlg
	d.network.SetSelected("UI Test")
	test.Type(d.name, "Work")
	test.Type(d.inputs["server"].(*widget.Entry), "chat.test:6697")
	test.Type(d.inputs["nick"].(*widget.Entry), "ada")
	test.Type(d.inputs["password"].(*widget.Entry), "s3cret-pw")
	test.Type(d.inputs["join"].(*widget.Entry), "#team,#ops")

	test.Tap(d.testBtn)
	h.waitFor("the connection test result", func() bool { return strings.HasPrefix(d.result.Text, "Connected") })

	test.Tap(d.saveBtn)
	h.waitFor("the account in the sidebar", func() bool { return h.v.side.rows["Work"] != nil })
	accts, err := h.core.Accounts(h.ctx)
	if err != nil || len(accts) != 1 {
		t.Fatalf("core accounts = %v, %v", accts, err)
	}
	a := accts[0]
	if a.Network != "uitest" || a.Settings["server"] != "chat.test:6697" || a.Settings["nick"] != "ada" || a.Settings["join"] != "#team,#ops" {
		t.Fatalf("stored settings %+v", a)
	}
	if _, leaked := a.Settings["password"]; leaked {
		t.Fatal("the password was stored as a setting")
	}
	if a.Settings["tls"] != "true" {
		t.Fatalf("the check box default was not kept: tls=%q", a.Settings["tls"])
	}
	h.waitFor("the account online in the sidebar", func() bool {
		r := h.v.side.rows["Work"]
		return r != nil && r.st.State == connectors.StateOnline
	})
}

func TestConnectionTestShowsTheServersRefusal(t *testing.T) {
	h := newHarness(t)
	h.v.showAccountDialog(nil)
	d := h.v.acctDlg
	d.network.SetSelected("UI Test")
	test.Type(d.name, "Bad")
	test.Type(d.inputs["server"].(*widget.Entry), "refuse.test:6697")
	test.Type(d.inputs["nick"].(*widget.Entry), "ada")
	test.Tap(d.testBtn)
	h.waitFor("the failure", func() bool { return strings.HasPrefix(d.result.Text, "Connection failed") })
	if !strings.Contains(d.result.Text, "Password incorrect") {
		t.Fatalf("result %q lacks the server's words", d.result.Text)
	}
}

func TestArrivingMessageAppearsInListAndConversation(t *testing.T) {
	h := newHarness(t, "Work")
	fc := fakes.conn(t, h, "Work")
	fc.push(inbound("Work", "#team", "maria", "standup moved to 10:30, see https://example.org/agenda", true))
	h.waitFor("#team in the list", func() bool { _, ok := h.convByTitle("#team"); return ok })
	it := h.visibleConvItem("#team")
	if it == nil {
		t.Fatal("#team is listed but not rendered")
	}
	if !strings.Contains(it.snippet.Text, "maria: standup moved") || !it.title.TextStyle.Bold {
		t.Fatalf("row shows %q (bold %v), want maria's snippet in bold", it.snippet.Text, it.title.TextStyle.Bold)
	}
	h.tapConversation("#team")
	h.waitFor("the message in the conversation", func() bool { return contains(h.renderedMessages(), "standup moved to 10:30") })

	// While open, new messages append live.
	fc.push(inbound("Work", "#team", "maria", "also: bring coffee", true))
	h.waitFor("the live message", func() bool { return contains(h.renderedMessages(), "bring coffee") })

	// The link is a hyperlink, and only http/https become links.
	var link *widget.HyperlinkSegment
	for _, o := range test.LaidOutObjects(h.v.chat.list) {
		if mi, ok := o.(*msgItem); ok {
			for _, s := range mi.body.Segments {
				if l, ok := s.(*widget.HyperlinkSegment); ok {
					link = l
				}
			}
		}
	}
	if link == nil || link.URL.String() != "https://example.org/agenda" {
		t.Fatalf("link segment = %+v", link)
	}
}

func TestTypingAndPressingEnterSends(t *testing.T) {
	h := newHarness(t, "Work")
	fc := fakes.conn(t, h, "Work")
	fc.push(inbound("Work", "jordan", "jordan", "is the invoice ready?", false))
	h.waitFor("jordan listed", func() bool { _, ok := h.convByTitle("jordan"); return ok })
	h.tapConversation("jordan")
	h.waitFor("the composer enabled", func() bool { return !h.v.chat.composer.Disabled() })

	comp := h.v.chat.composer
	comp.shift = func() bool { return true }
	test.Type(comp, "first line")
	comp.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	test.Type(comp, "second line")
	if comp.Text != "first line\nsecond line" {
		t.Fatalf("Shift+Enter: composer holds %q, want two lines", comp.Text)
	}
	if len(fakes.sentTexts()) != 0 && contains(fakes.sentTexts(), "first line") {
		t.Fatal("Shift+Enter sent the message")
	}
	comp.shift = func() bool { return false }
	comp.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if comp.Text != "" {
		t.Fatalf("after Enter the composer still holds %q", comp.Text)
	}
	h.waitFor("the message at the network", func() bool { return contains(fakes.sentTexts(), "first line\nsecond line") })
	h.waitFor("the sent message shown as sent", func() bool {
		for _, m := range h.v.chat.msgs {
			if m.Text == "first line\nsecond line" && m.Direction == storage.Out && m.SendState == storage.SendSent {
				return true
			}
		}
		return false
	})
	if !contains(h.renderedMessages(), "second line") {
		t.Fatal("the sent message is not drawn")
	}
}

func TestFailedMessageCanBeRetried(t *testing.T) {
	h := newHarness(t, "Work")
	fc := fakes.conn(t, h, "Work")
	fc.push(inbound("Work", "kim", "kim", "ping", false))
	h.waitFor("kim listed", func() bool { _, ok := h.convByTitle("kim"); return ok })
	h.tapConversation("kim")
	fakes.mu.Lock()
	fakes.fail["will fail once"] = true
	fakes.mu.Unlock()
	test.Type(h.v.chat.composer, "will fail once")
	h.v.chat.composer.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	var failed *msgItem
	h.waitFor("the failed state with a Retry button", func() bool {
		for _, o := range test.LaidOutObjects(h.v.chat.list) {
			if mi, ok := o.(*msgItem); ok && mi.msg.SendState == storage.SendFailed && mi.Visible() {
				failed = mi
				return true
			}
		}
		return false
	})
	if !strings.Contains(failed.when.Text, "not sent") {
		t.Fatalf("failed message header %q", failed.when.Text)
	}
	fakes.mu.Lock()
	delete(fakes.fail, "will fail once")
	fakes.mu.Unlock()
	test.Tap(failed.retry)
	h.waitFor("the retried message at the network", func() bool { return contains(fakes.sentTexts(), "will fail once") })
}

func TestUnreadCountsFallWhenConversationIsOpened(t *testing.T) {
	h := newHarness(t, "Work")
	fc := fakes.conn(t, h, "Work")
	for _, txt := range []string{"one", "two", "three"} {
		fc.push(inbound("Work", "sam", "sam", txt, false))
	}
	fc.push(inbound("Work", "lee", "lee", "hello", false))
	h.waitFor("4 unread", func() bool { return h.v.counts.unread == 4 })
	h.waitFor("the account badge", func() bool { return h.v.side.rows["Work"].badge.text.Text == "4" })
	if it := h.visibleConvItem("sam"); it == nil || it.badge.text.Text != "3" {
		t.Fatalf("sam's row badge wrong: %+v", it)
	}
	h.tapConversation("sam")
	h.waitFor("unread down to 1", func() bool { return h.v.counts.unread == 1 })
	h.waitFor("sam's badge gone", func() bool { it := h.visibleConvItem("sam"); return it != nil && !it.badge.Visible() })
	h.waitFor("the account badge at 1", func() bool { return h.v.side.rows["Work"].badge.text.Text == "1" })
	if n, _ := h.core.UnreadTotal(h.ctx); n != 1 {
		t.Fatalf("core unread total %d, want 1", n)
	}
	if h.win.Title() != "Switchboard (1)" {
		t.Fatalf("window title %q", h.win.Title())
	}
}

func TestNotificationForMessageInAnotherConversation(t *testing.T) {
	h := newHarness(t, "Work")
	fc := fakes.conn(t, h, "Work")
	fc.push(inbound("Work", "ann", "ann", "open this", false))
	h.waitFor("ann listed", func() bool { _, ok := h.convByTitle("ann"); return ok })
	h.tapConversation("ann")
	test.AssertNotificationSent(t, fyne.NewNotification("bob", "are you there?"), func() {
		fc.push(inbound("Work", "bob", "bob", "are you there?", false))
		h.waitFor("bob listed", func() bool { _, ok := h.convByTitle("bob"); return ok })
	})
	// The open conversation does not notify.
	test.AssertNotificationSent(t, nil, func() {
		fc.push(inbound("Work", "ann", "ann", "still here", false))
		h.waitFor("ann's message", func() bool { return contains(h.renderedMessages(), "still here") })
	})
}

func TestSearchOpensTheRightConversationAtTheMessage(t *testing.T) {
	h := newHarness(t, "Work")
	fc := fakes.conn(t, h, "Work")
	fc.push(inbound("Work", "#team", "maria", "lunch at noon", true))
	fc.push(inbound("Work", "jordan", "jordan", "the invoice number is 4711", false))
	fc.push(inbound("Work", "#team", "maria", "coffee later", true))
	h.waitFor("both listed", func() bool {
		_, a := h.convByTitle("#team")
		_, b := h.convByTitle("jordan")
		return a && b
	})
	h.v.showSearch()
	s := h.v.searchDlg
	test.Type(s.entry, "invo")
	s.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.waitFor("search results", func() bool { return len(s.rows) == 2 })
	if !s.rows[0].header || s.rows[0].hit.ConvTitle != "jordan" || s.rows[1].hit.Text != "the invoice number is 4711" {
		t.Fatalf("results %+v", s.rows)
	}
	var hit *infoRow
	for _, o := range test.LaidOutObjects(s.list) {
		if r, ok := o.(*infoRow); ok && r.title.Text == "the invoice number is 4711" {
			hit = r
		}
	}
	if hit == nil {
		t.Fatal("the hit is not rendered")
	}
	test.Tap(hit.tap)
	h.settle()
	jordan, _ := h.convByTitle("jordan")
	h.waitFor("jordan open", func() bool { return h.v.chat.open == jordan.Row && len(h.v.chat.msgs) > 0 })
	if h.v.chat.highlight != s.rows[1].hit.Row {
		t.Fatalf("highlighted message %d, want %d", h.v.chat.highlight, s.rows[1].hit.Row)
	}
}

func TestQuickSwitcherOpensTheConversation(t *testing.T) {
	h := newHarness(t, "Work")
	fc := fakes.conn(t, h, "Work")
	fc.push(inbound("Work", "#general", "ann", "hi all", true))
	fc.push(inbound("Work", "bobby", "bobby", "yo", false))
	h.waitFor("both listed", func() bool { return len(h.v.list.convs) == 2 })
	h.v.showSwitcher()
	sw := h.v.switchDlg
	h.settle()
	test.Type(sw.entry, "BOB")
	if len(sw.matches) != 1 || sw.matches[0].Title != "bobby" {
		t.Fatalf("matches %+v", sw.matches)
	}
	sw.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.settle()
	bobby, _ := h.convByTitle("bobby")
	if h.v.chat.open != bobby.Row {
		t.Fatalf("open conversation %d, want bobby (%d)", h.v.chat.open, bobby.Row)
	}
}

func TestRequestFromBrandCanBeAccepted(t *testing.T) {
	h := newHarness(t, "Work")
	fc := fakes.conn(t, h, "Work")
	fc.push(connectors.ContactUpdated{Account: "Work", Contact: connectors.Contact{Handle: "AcmeDeals", Kind: connectors.KindBrand,
		Evidence: []string{"uitest: business account"}}})
	fc.push(inbound("Work", "AcmeDeals", "AcmeDeals", "50% off everything today!", false))
	h.waitFor("a request counted", func() bool { return h.v.counts.requests == 1 })
	if h.v.counts.unread != 0 {
		t.Fatalf("a held message counts as unread (%d)", h.v.counts.unread)
	}
	if _, ok := h.convByTitle("AcmeDeals"); ok {
		t.Fatal("the held conversation is in the inbox")
	}
	test.Tap(h.v.side.filters["requests"].row)
	h.waitFor("AcmeDeals under Requests", func() bool { _, ok := h.convByTitle("AcmeDeals"); return ok })
	h.tapConversation("AcmeDeals")
	h.waitFor("the request panel", func() bool { return h.v.chat.request.root.Visible() })
	rp := h.v.chat.request
	if !strings.Contains(rp.reason.Text, "AcmeDeals") || rp.handle != "AcmeDeals" {
		t.Fatalf("request panel: %q (handle %q)", rp.reason.Text, rp.handle)
	}
	test.Tap(rp.accept)
	f := h.v.acceptDlg
	f.choice.SetSelected("Subscribe")
	test.Tap(f.ok)
	h.waitFor("requests empty", func() bool { return h.v.counts.requests == 0 })
	test.Tap(h.v.side.filters["all"].row)
	h.waitFor("AcmeDeals in the inbox", func() bool { _, ok := h.convByTitle("AcmeDeals"); return ok })
	es, err := h.core.Ledger(context.Background(), "Work", "AcmeDeals")
	if err != nil || len(es) == 0 {
		t.Fatalf("ledger %v, %v", es, err)
	}
	last := es[len(es)-1]
	if last.NewState != "subscribed" || last.How != "gui" || len(last.Scopes) != 0 {
		t.Fatalf("ledger entry %+v", last)
	}
}

func TestBrandsViewChangesConsentAndShowsHistory(t *testing.T) {
	h := newHarness(t, "Work")
	fc := fakes.conn(t, h, "Work")
	fc.push(connectors.ContactUpdated{Account: "Work", Contact: connectors.Contact{Handle: "ShopBot", Kind: connectors.KindBrand}})
	fc.push(inbound("Work", "ShopBot", "ShopBot", "new arrivals", false))
	h.waitFor("a request", func() bool { return h.v.counts.requests == 1 })
	test.Tap(h.v.side.filters["brands"].row)
	b := h.v.brands
	h.waitFor("ShopBot listed", func() bool { return len(b.brands) == 1 })
	b.choose(0)
	b.consent.SetSelected(consentBlocked)
	test.Tap(b.apply)
	h.waitFor("the ledger shows the block", func() bool {
		return len(b.entries) > 0 && b.entries[0].NewState == "blocked" && b.entries[0].How == "gui"
	})
	h.waitFor("blocked counted", func() bool { return h.v.counts.blocked == 1 && h.v.counts.requests == 0 })
}

// Offline, the user can still write: the note says why and that the
// message waits; it shows as pending and goes out on reconnect.
func TestOfflineAccountQueuesWhatYouWrite(t *testing.T) {
	h := newHarness(t, "Work")
	fc := fakes.conn(t, h, "Work")
	fc.push(inbound("Work", "zoe", "zoe", "hi", false))
	h.waitFor("zoe", func() bool { _, ok := h.convByTitle("zoe"); return ok })
	h.tapConversation("zoe")
	fc.push(connectors.ConnectionState{Account: "Work", State: connectors.StateOffline, Reason: "connection reset by peer"})
	h.waitFor("the offline note", func() bool { return h.v.chat.offline.Visible() })
	if !strings.Contains(h.v.chat.offline.Text, "connection reset by peer") || !strings.Contains(h.v.chat.offline.Text, "waits in the outbox") {
		t.Fatalf("offline note %q", h.v.chat.offline.Text)
	}
	if st := h.v.side.rows["Work"].status.Text; !strings.Contains(st, "Offline") {
		t.Fatalf("sidebar status %q", st)
	}
	comp := h.v.chat.composer
	if comp.Disabled() {
		t.Fatal("the composer is disabled while offline; the user cannot write")
	}
	comp.shift = func() bool { return false }
	test.Type(comp, "written while offline")
	comp.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.waitFor("the message shown pending", func() bool {
		for _, m := range h.v.chat.msgs {
			if m.Text == "written while offline" && m.SendState == storage.SendPending {
				return true
			}
		}
		return false
	})
	if contains(fakes.sentTexts(), "written while offline") {
		t.Fatal("sent while offline")
	}
	fc.push(connectors.ConnectionState{Account: "Work", State: connectors.StateOnline, Self: "me"})
	h.waitFor("sent on reconnect", func() bool { return contains(fakes.sentTexts(), "written while offline") })
}

func TestOriginalOfAMessageOpensFromTheConversation(t *testing.T) {
	h := newHarness(t, "Work")
	fc := fakes.conn(t, h, "Work")
	m := inbound("Work", "bob", "bob", "the short version", false)
	fc.push(m)
	h.waitFor("bob in the list", func() bool { _, ok := h.convByTitle("bob"); return ok })
	h.tapConversation("bob")
	h.waitFor("the message", func() bool { return contains(h.renderedMessages(), "the short version") })
	var orig *widget.Button
	h.waitFor("an Original button on bob's message", func() bool {
		for _, o := range test.LaidOutObjects(h.v.chat.list) {
			if mi, ok := o.(*msgItem); ok && mi.msg.Text == "the short version" && mi.showsOriginal() {
				orig = mi.orig
				return true
			}
		}
		return false
	})
	test.Tap(orig)
	h.waitFor("the original in a dialog", func() bool {
		top := h.v.win.Canvas().Overlays().Top()
		if top == nil {
			return false
		}
		for _, o := range test.LaidOutObjects(top) {
			if l, ok := o.(*widget.Label); ok && strings.Contains(l.Text, "FULL ORIGINAL of "+m.Message.RemoteID) {
				return true
			}
		}
		return false
	})
}

// overlayButton finds a button by its text in the window's top overlay.
func (h *harness) overlayButton(text string) *widget.Button {
	top := h.v.win.Canvas().Overlays().Top()
	if top == nil {
		return nil
	}
	for _, o := range test.LaidOutObjects(top) {
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			return b
		}
	}
	return nil
}

func TestRequestCanBeUnsubscribedAtTheSender(t *testing.T) {
	h := newHarness(t, "Work")
	fc := fakes.conn(t, h, "Work")
	fc.push(connectors.ContactUpdated{Account: "Work", Contact: connectors.Contact{Handle: "news@shop.test", Kind: connectors.KindBrand,
		Evidence: []string{"List-Unsubscribe header"}}})
	fc.push(inbound("Work", "news@shop.test", "news@shop.test", "This week's deals", false))
	test.Tap(h.v.side.filters["requests"].row)
	h.waitFor("the newsletter under Requests", func() bool { _, ok := h.convByTitle("news@shop.test"); return ok })
	h.tapConversation("news@shop.test")
	rp := h.v.chat.request
	h.waitFor("the request panel", func() bool { return rp.root.Visible() })
	if !rp.unsub.Visible() {
		t.Fatal("no Unsubscribe button for an account whose network can unsubscribe")
	}
	test.Tap(rp.unsub)
	var confirm *widget.Button
	h.waitFor("the confirmation", func() bool { confirm = h.overlayButton("Unsubscribe"); return confirm != nil })
	if !strings.Contains(h.v.unsubMsg, "to unsub.shop.test") {
		t.Fatalf("the confirmation does not say where the request goes: %q", h.v.unsubMsg)
	}
	test.Tap(confirm)
	h.waitFor("the network asked", func() bool {
		fakes.mu.Lock()
		defer fakes.mu.Unlock()
		return slices.Contains(fakes.unsubs, "news@shop.test")
	})
	h.waitFor("the outcome shown", func() bool { return h.overlayButton("OK") != nil })
	es, err := h.core.Ledger(context.Background(), "Work", "news@shop.test")
	if err != nil || len(es) != 1 || es[0].Result != "HTTP 200" || es[0].How != "gui" || es[0].NewState != "none" {
		t.Fatalf("ledger %+v, %v", es, err)
	}
	// What was sent on the user's behalf shows in the conversation.
	h.waitFor("the request in the conversation", func() bool {
		for _, f := range []storage.Filter{storage.FilterAll, storage.FilterRequests} {
			convs, _ := h.core.Conversations(h.ctx, storage.ConvQuery{Filter: f})
			for _, cv := range convs {
				if cv.Title == "news@shop.test" && strings.Contains(cv.LastText, "Unsubscribe request sent on your behalf: HTTP 200") {
					return true
				}
			}
		}
		return false
	})
	test.Tap(h.v.side.filters["brands"].row)
	b := h.v.brands
	h.waitFor("the newsletter listed", func() bool { return len(b.brands) == 1 })
	b.choose(0)
	if !b.unsub.Visible() {
		t.Fatal("the brands view offers no Unsubscribe for this network")
	}
}

func TestNoUnsubscribeWhereTheNetworkCannot(t *testing.T) {
	h := newHarness(t)
	if err := h.core.AddAccount(h.ctx, core.AccountSpec{Name: "Plain", Network: "uitestplain",
		Settings: map[string]string{"server": "chat.test:6697", "nick": "me"}}); err != nil {
		t.Fatal(err)
	}
	fc := fakes.conn(t, h, "Plain")
	fc.push(connectors.ContactUpdated{Account: "Plain", Contact: connectors.Contact{Handle: "ShopBot", Kind: connectors.KindBrand}})
	fc.push(inbound("Plain", "ShopBot", "ShopBot", "new arrivals", false))
	test.Tap(h.v.side.filters["requests"].row)
	h.waitFor("ShopBot under Requests", func() bool { _, ok := h.convByTitle("ShopBot"); return ok })
	h.tapConversation("ShopBot")
	h.waitFor("the request panel", func() bool { return h.v.chat.request.root.Visible() })
	if h.v.chat.request.unsub.Visible() {
		t.Fatal("Unsubscribe offered on a network that cannot unsubscribe")
	}
	test.Tap(h.v.side.filters["brands"].row)
	b := h.v.brands
	h.waitFor("ShopBot listed", func() bool { return len(b.brands) == 1 })
	b.choose(0)
	if b.unsub.Visible() {
		t.Fatal("the brands view offers Unsubscribe on a network that cannot")
	}
}

// TestRequestPanelDoesNotCoverTheMessages: the panel above a held
// conversation pushes the messages down (it used to be drawn over them
// until the window was resized).
func TestRequestPanelDoesNotCoverTheMessages(t *testing.T) {
	h := newHarness(t, "Work")
	fc := fakes.conn(t, h, "Work")
	fc.push(inbound("Work", "zoe", "zoe", "hi", false))
	h.waitFor("zoe", func() bool { _, ok := h.convByTitle("zoe"); return ok })
	h.tapConversation("zoe") // laid out once without the panel
	h.waitFor("zoe's message", func() bool { return contains(h.renderedMessages(), "hi") })
	fc.push(connectors.ContactUpdated{Account: "Work", Contact: connectors.Contact{Handle: "AcmeDeals", Kind: connectors.KindBrand}})
	fc.push(inbound("Work", "AcmeDeals", "AcmeDeals", "50% off everything today!", false))
	test.Tap(h.v.side.filters["requests"].row)
	h.waitFor("AcmeDeals under Requests", func() bool { _, ok := h.convByTitle("AcmeDeals"); return ok })
	h.tapConversation("AcmeDeals")
	rp := h.v.chat.request
	h.waitFor("the request panel and the message", func() bool {
		return rp.root.Visible() && contains(h.renderedMessages(), "50% off everything today!")
	})
	h.settle()
	// Where the panel is drawn: at its position, at least as tall as it needs.
	panelBottom := fyne.CurrentApp().Driver().AbsolutePositionForObject(rp.root).Y + rp.root.MinSize().Height
	listTop := fyne.CurrentApp().Driver().AbsolutePositionForObject(h.v.chat.list).Y
	if rp.root.Size().Height < rp.root.MinSize().Height-1 || listTop < panelBottom-1 {
		t.Fatalf("the messages start at y=%.0f, under the request panel that ends at y=%.0f", listTop, panelBottom)
	}
	// Leaving for a conversation without the panel gives the room back.
	test.Tap(h.v.side.filters["all"].row)
	h.waitFor("zoe", func() bool { _, ok := h.convByTitle("zoe"); return ok })
	h.tapConversation("zoe")
	h.waitFor("the panel hidden", func() bool { return !rp.root.Visible() })
	h.settle()
	if top := fyne.CurrentApp().Driver().AbsolutePositionForObject(h.v.chat.list).Y; top >= listTop {
		t.Fatalf("the messages still start at y=%.0f after the panel was hidden", top)
	}
}

// TestScrollingBackFetchesOlderMessagesFromTheNetwork: the archive holds
// three of yara's messages, the network 90 older ones; reaching the top of
// the conversation brings them in, oldest first, none unread.
func TestScrollingBackFetchesOlderMessagesFromTheNetwork(t *testing.T) {
	h := newHarness(t, "Work")
	fc := fakes.conn(t, h, "Work")
	start := time.Now().Add(-48 * time.Hour)
	var older []connectors.Message
	for i := range 90 {
		m := inbound("Work", "yara", "yara", fmt.Sprintf("old %02d", i), false).Message
		m.Time = start.Add(time.Duration(i) * time.Minute)
		older = append(older, m)
	}
	fakes.mu.Lock()
	fakes.history["yara"] = older
	fakes.mu.Unlock()
	for _, text := range []string{"new 1", "new 2", "new 3"} {
		fc.push(inbound("Work", "yara", "yara", text, false))
	}
	h.waitFor("yara", func() bool { _, ok := h.convByTitle("yara"); return ok })
	h.tapConversation("yara")
	h.waitFor("all 93 messages, the oldest first", func() bool {
		p := h.v.chat
		if len(p.msgs) < 93 {
			p.list.ScrollToTop() // the user keeps scrolling up
			return false
		}
		return len(p.msgs) == 93 && p.msgs[0].Text == "old 00" && p.msgs[92].Text == "new 3"
	})
	c, _ := h.convByTitle("yara")
	if c.Unread > 3 {
		t.Fatalf("unread = %d; history from the network must not count as unread", c.Unread)
	}
}

// TestSubjectFieldWhereTheNetworkHasSubjects: a mail conversation offers a
// subject line that goes out with the message and is then cleared; a chat
// network's conversation shows none.
func TestSubjectFieldWhereTheNetworkHasSubjects(t *testing.T) {
	h := newHarness(t, "Work")
	if err := h.core.AddAccount(h.ctx, core.AccountSpec{Name: "Mail", Network: "uitestmail",
		Settings: map[string]string{"server": "mail.test:993", "nick": "me"}}); err != nil {
		t.Fatal(err)
	}
	mail := fakes.conn(t, h, "Mail")
	work := fakes.conn(t, h, "Work")
	mail.push(inbound("Mail", "dana@example.org", "dana@example.org", "Could you correct the invoice?", false))
	work.push(inbound("Work", "zoe", "zoe", "hi", false))
	h.waitFor("both conversations", func() bool {
		_, a := h.convByTitle("dana@example.org")
		_, b := h.convByTitle("zoe")
		return a && b
	})
	p := h.v.chat
	h.tapConversation("dana@example.org")
	h.waitFor("the subject field", func() bool { return p.subject.Visible() })
	p.subject.SetText("Invoice 2291, corrected")
	p.composer.SetText("Here it is.")
	p.submit()
	h.waitFor("sent with its subject", func() bool {
		fakes.mu.Lock()
		defer fakes.mu.Unlock()
		for _, o := range fakes.sent {
			if o.Text == "Here it is." {
				return o.Subject == "Invoice 2291, corrected"
			}
		}
		return false
	})
	if p.subject.Text != "" {
		t.Fatalf("the subject stayed after sending: %q", p.subject.Text)
	}
	h.tapConversation("zoe")
	h.waitFor("no subject field on a chat network", func() bool { return !p.subject.Visible() })
}

// TestFilesSentFromTheComposer: a file put on the composer's list goes out
// with the message, shows under it in the conversation, and leaves the
// list; a network that cannot send files offers no paperclip.
func TestFilesSentFromTheComposer(t *testing.T) {
	h := newHarness(t, "Work")
	if err := h.core.AddAccount(h.ctx, core.AccountSpec{Name: "Plain", Network: "uitestplain",
		Settings: map[string]string{"server": "chat.test:6697", "nick": "me"}}); err != nil {
		t.Fatal(err)
	}
	work, plain := fakes.conn(t, h, "Work"), fakes.conn(t, h, "Plain")
	work.push(inbound("Work", "dana", "dana", "Could you send the quote?", false))
	plain.push(inbound("Plain", "zoe", "zoe", "hi", false))
	h.waitFor("both conversations", func() bool {
		_, a := h.convByTitle("dana")
		_, b := h.convByTitle("zoe")
		return a && b
	})
	path := filepath.Join(t.TempDir(), "quote-2291.pdf")
	if err := os.WriteFile(path, []byte("%PDF-1.4 the quote"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := h.v.chat
	h.tapConversation("dana")
	h.waitFor("the paperclip", func() bool { return p.files.attach.Visible() })
	p.files.add(path)
	if !p.files.box.Visible() || len(p.files.box.Objects) != 1 {
		t.Fatal("the chosen file is not shown above the composer")
	}
	p.composer.SetText("Here it is.")
	p.submit()
	h.waitFor("the file at the network", func() bool {
		fakes.mu.Lock()
		defer fakes.mu.Unlock()
		return slices.Contains(fakes.sentFiles, "quote-2291.pdf=%PDF-1.4 the quote")
	})
	if p.files.box.Visible() || len(p.files.paths) != 0 {
		t.Fatal("the file stayed on the list after sending")
	}
	var sent storage.Message
	h.waitFor("the sent message", func() bool {
		for _, m := range p.msgs {
			if m.Text == "Here it is." && m.SendState == storage.SendSent {
				sent = m
				return true
			}
		}
		return false
	})
	atts, err := h.core.Attachments(h.ctx, sent.Row)
	if err != nil || len(atts) != 1 || atts[0].Name != "quote-2291.pdf" || atts[0].State != storage.AttachSaved {
		t.Fatalf("the sent message's files: %+v, %v", atts, err)
	}
	h.tapConversation("zoe")
	h.waitFor("no paperclip where the network cannot send files", func() bool { return !p.files.attach.Visible() })
}

// A sender's text reaches the notification server as text, never as
// markup (links, images, formatting a hostile sender chose).
func TestNotificationTextIsEscapedForMarkup(t *testing.T) {
	h := newHarness(t, "Work")
	fc := fakes.conn(t, h, "Work")
	test.AssertNotificationSent(t, fyne.NewNotification("mallory",
		"&lt;a href='http://evil.example'&gt;&lt;b&gt;invoice&lt;/b&gt;&lt;/a&gt; &amp;amp; &lt;img src='file:///x'/&gt;"), func() {
		fc.push(inbound("Work", "mallory", "mallory", "<a href='http://evil.example'><b>invoice</b></a> &amp; <img src='file:///x'/>", false))
		h.waitFor("mallory listed", func() bool { _, ok := h.convByTitle("mallory"); return ok })
	})
}
