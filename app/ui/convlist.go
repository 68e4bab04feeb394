package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"switchboard/assets"
	"switchboard/storage"
)

const convPage = 300

// convList is the middle pane: the unified conversation list, virtualised
// (widget.List keeps only the visible rows' widgets) and loaded in pages.
type convList struct {
	v       *view
	root    fyne.CanvasObject
	list    *widget.List
	title   *widget.Label
	empty   *widget.Label
	convs   []storage.Conversation
	limit   int  // rows asked for in the last load
	more    bool // the last load was full: there may be more
	search  *widget.Button
	compose *widget.Button // New message (Ctrl+N)
}

func newConvList(v *view) *convList {
	l := &convList{v: v, limit: convPage}
	l.list = widget.NewList(
		func() int { return len(l.convs) },
		func() fyne.CanvasObject { return newConvItem(l) },
		func(id widget.ListItemID, o fyne.CanvasObject) { l.updateItem(id, o.(*convItem)) },
	)
	l.list.HideSeparators = true
	l.title = widget.NewLabelWithStyle("All conversations", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.title.SizeName = theme.SizeNameSubHeadingText
	l.title.Truncation = fyne.TextTruncateEllipsis
	l.search = widget.NewButtonWithIcon("", theme.SearchIcon(), func() { v.showSearch() })
	l.search.Importance = widget.LowImportance
	sw := widget.NewButtonWithIcon("", theme.NavigateNextIcon(), func() { v.showSwitcher() })
	sw.Importance = widget.LowImportance
	l.compose = widget.NewButtonWithIcon("", theme.ContentAddIcon(), func() { v.showNewMessage() })
	l.compose.Importance = widget.LowImportance
	header := paneHeader(container.New(layout.NewCustomPaddedLayout(0, 0, 8, 4),
		container.NewBorder(nil, nil, nil, container.NewHBox(l.compose, l.search, sw), l.title)))
	l.empty = widget.NewLabel("")
	l.empty.Alignment = fyne.TextAlignCenter
	l.empty.Wrapping = fyne.TextWrapWord
	l.empty.Importance = widget.LowImportance
	l.empty.Hide()
	body := container.NewStack(container.New(layout.NewCustomPaddedLayout(0, 0, 4, 4), l.list),
		container.New(layout.NewCustomPaddedLayout(40, 0, 16, 16), container.NewVBox(l.empty)))
	l.root = container.NewBorder(container.NewVBox(header, widget.NewSeparator()), nil, nil, nil, body)
	return l
}

func (l *convList) wantRows() int { return l.limit }

func (l *convList) resetPaging() {
	l.limit = convPage
	l.convs = nil
	l.list.Refresh()
	l.list.ScrollToTop()
}

// set replaces the list's rows with a fresh load of up to limit rows.
func (l *convList) set(convs []storage.Conversation, limit int) {
	l.convs = convs
	l.more = limit > 0 && len(convs) >= limit
	l.title.SetText(l.heading())
	l.list.Refresh()
	l.refreshEmptyState()
}

func (l *convList) heading() string {
	v := l.v
	if v.account != "" {
		return v.account
	}
	if v.network != "" {
		return networkLabel(v, v.network)
	}
	switch v.filter {
	case storage.FilterUnread:
		return "Unread"
	case storage.FilterAwaiting:
		return "Awaiting reply"
	case storage.FilterRequests:
		return "Requests"
	case storage.FilterBlocked:
		return "Blocked"
	}
	return "All conversations"
}

func (l *convList) refreshEmptyState() {
	if len(l.convs) > 0 {
		l.empty.Hide()
		return
	}
	msg := "Nothing here."
	switch {
	case len(l.v.accounts) == 0 && l.v.filter == storage.FilterAll:
		msg = "No conversations yet. Add an account to start."
	case l.v.filter == storage.FilterUnread:
		msg = "You are all caught up."
	case l.v.filter == storage.FilterAwaiting:
		msg = "Nobody is waiting for an answer."
	case l.v.filter == storage.FilterRequests:
		msg = "No requests. Brands that write to you without your consent wait here."
	case l.v.filter == storage.FilterBlocked:
		msg = "Nothing from blocked brands."
	case l.v.filter == storage.FilterAll:
		msg = "No conversations yet. Messages appear here as they arrive."
	}
	l.empty.SetText(msg)
	l.empty.Show()
}

// refreshSelection repaints the rows so the open conversation is highlighted.
func (l *convList) refreshSelection() { l.list.Refresh() }

func (l *convList) updateItem(id widget.ListItemID, it *convItem) {
	if id < 0 || id >= len(l.convs) {
		return
	}
	it.set(l.convs[id], l.v)
	if l.more && id >= len(l.convs)-30 {
		l.more = false
		l.limit += convPage
		l.v.reloadConvs()
	}
}

// convItem is one row of the conversation list.
type convItem struct {
	widget.BaseWidget
	l       *convList
	row     int64
	conv    storage.Conversation
	tap     *tapRow
	icon    *convFace
	title   *widget.Label
	when    *canvas.Text
	snippet *widget.Label
	badge   *badge
	top     *fyne.Container // relaid out when the time's width changes
}

func newConvItem(l *convList) *convItem {
	it := &convItem{l: l, icon: newConvFace(34), title: widget.NewLabel(""),
		when: mutedText(""), snippet: widget.NewLabel(""), badge: newBadge()}
	it.title.Truncation = fyne.TextTruncateEllipsis
	it.snippet.Truncation = fyne.TextTruncateEllipsis
	it.snippet.SizeName = theme.SizeNameCaptionText
	tight := func(o fyne.CanvasObject) fyne.CanvasObject {
		return container.New(layout.NewCustomPaddedLayout(-6, -6, -4, 0), o)
	}
	top := container.NewBorder(nil, nil, nil, it.when, tight(it.title))
	it.top = top
	bottom := container.NewBorder(nil, nil, nil, container.NewCenter(it.badge), tight(it.snippet))
	body := container.New(layout.NewCustomPaddedLayout(4, 4, 0, 0), container.NewVBox(top, bottom))
	it.tap = newTapRow(container.NewBorder(nil, nil, fixed(it.icon, fyne.NewSize(36, 36)), nil, body), func() {
		if it.row != 0 {
			l.v.openConversation(it.row)
		}
	})
	it.tap.OnSecondary = func(at fyne.Position) {
		if it.row != 0 {
			l.v.showConvMenu(it.conv, at)
		}
	}
	it.ExtendBaseWidget(it)
	return it
}

func (it *convItem) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(it.tap) }

// convIcon is the icon of the network a conversation belongs to: its
// origin's when its account's network only carries it (a bridge), else
// that network's.
func convIcon(v *view, c storage.Conversation) fyne.Resource {
	if c.Origin != "" {
		return assets.Icon(c.Origin)
	}
	return v.networkIcon(c.Network)
}

func (it *convItem) set(c storage.Conversation, v *view) {
	it.row, it.conv = c.Row, c
	it.icon.set(c, convIcon(v, c))
	it.title.SetText(convTitle(c))
	it.title.TextStyle.Bold = c.Unread > 0
	it.title.Refresh()
	now := v.now()
	switch v.filter {
	case storage.FilterAwaiting:
		it.when.Text = "waiting " + waited(firstTime(c.Awaiting, c.LastTime), now)
	default:
		it.when.Text = listTime(c.LastTime, now)
	}
	it.when.TextStyle.Bold = c.Unread > 0
	it.when.Refresh()
	it.top.Refresh()
	text := snippet(c)
	if (v.filter == storage.FilterRequests || v.filter == storage.FilterBlocked) && c.HoldReason != "" {
		text = c.HoldReason
	}
	it.snippet.SetText(text)
	n := ""
	switch {
	case c.Unread > 0:
		n = fmt.Sprint(c.Unread)
	case v.filter == storage.FilterRequests && c.Held > 0:
		n = fmt.Sprint(c.Held)
	}
	it.badge.set(n, c.Muted)
	it.tap.setSelected(c.Row == v.chat.open)
}
