package ui

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"switchboard/assets"
	"switchboard/connectors"
	"switchboard/storage"
)

const msgPage = 60

// chatPane is the right pane: one conversation's messages and the composer.
type chatPane struct {
	v    *view
	root *fyne.Container

	welcome  fyne.CanvasObject
	pick     fyne.CanvasObject
	convView *fyne.Container

	open      int64
	conv      storage.Conversation
	msgs      []storage.Message // ascending by time
	rows      []chatRow
	heights   []float32
	width     float32
	seq       int  // bumped on every open, to drop stale loads
	noMore    bool // no older messages in the archive
	loading   bool // an older page is being loaded
	server    serverHistory
	highlight int64 // message row to highlight (search result)
	marking   bool  // a MarkRead is in flight
	drafts    drafts

	icon     *convFace
	title    *widget.Label
	subtitle *canvas.Text
	typingL  *canvas.Text
	typingN  int
	mute     *widget.Button
	more     *widget.Button // the conversation's actions (convMenu)
	request  *requestPanel
	list     *widget.List
	measure  *widget.RichText
	composer *composer
	subject  *widget.Entry // where the network has subject lines (e-mail)
	files    *outFiles     // files to send, where the network can
	send     *widget.Button
	offline  *widget.Label
}

func newChatPane(v *view) *chatPane {
	p := &chatPane{v: v, measure: widget.NewRichText()}
	p.icon = newConvFace(34)
	p.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.title.SizeName = theme.SizeNameSubHeadingText
	p.title.Truncation = fyne.TextTruncateEllipsis
	p.subtitle = mutedText("")
	p.typingL = mutedText("")
	p.typingL.TextStyle.Italic = true
	p.mute = widget.NewButtonWithIcon("", theme.VolumeUpIcon(), func() { p.toggleMute() })
	p.mute.Importance = widget.LowImportance
	p.more = widget.NewButtonWithIcon("", theme.MoreVerticalIcon(), func() {
		if p.open != 0 {
			pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(p.more)
			p.v.showConvMenu(p.conv, pos.Add(fyne.NewPos(0, p.more.Size().Height)))
		}
	})
	p.more.Importance = widget.LowImportance
	head := container.NewBorder(nil, nil, fixed(p.icon, fyne.NewSize(36, 36)), container.NewHBox(p.mute, p.more),
		container.NewVBox(container.New(layout.NewCustomPaddedLayout(-4, -8, -4, 0), p.title),
			container.NewHBox(p.subtitle, p.typingL)))
	header := container.NewVBox(paneHeader(container.New(layout.NewCustomPaddedLayout(0, 0, 12, 8), head)), widget.NewSeparator())

	p.list = widget.NewList(
		func() int { return len(p.rows) },
		func() fyne.CanvasObject { return newMsgItem(p) },
		func(id widget.ListItemID, o fyne.CanvasObject) { p.updateItem(id, o.(*msgItem)) },
	)
	p.list.HideSeparators = true
	p.request = newRequestPanel(v)

	p.composer = newComposer(p.submit)
	p.drafts = drafts{p: p, known: map[int64]string{}}
	p.composer.OnChanged = func(text string) {
		if p.composer.fit(text) {
			p.relayout() // the composer grew or shrank: the messages make room
		}
		p.drafts.changed(text)
	}
	p.subject = widget.NewEntry()
	p.subject.SetPlaceHolder("Subject (optional)")
	p.subject.Hide()
	p.files = newOutFiles(p)
	p.send = widget.NewButtonWithIcon("", theme.MailSendIcon(), func() { p.submit() })
	p.send.Importance = widget.HighImportance
	p.offline = widget.NewLabel("")
	p.offline.Wrapping = fyne.TextWrapWord
	p.offline.Importance = widget.WarningImportance
	p.offline.Hide()
	bottom := container.NewVBox(widget.NewSeparator(), p.offline,
		container.New(layout.NewCustomPaddedLayout(4, 8, 10, 10),
			container.NewBorder(container.NewVBox(p.subject, p.files.box), nil, nil,
				container.NewVBox(layout.NewSpacer(), container.NewHBox(p.files.attach, p.send)), p.composer)))

	listBox := container.New(&widthWatch{onWidth: p.setWidth}, p.list)
	p.convView = container.NewBorder(container.NewVBox(header, p.request.root), bottom, nil, nil, listBox)
	p.welcome = p.welcomeView()
	pick := widget.NewLabel("Pick a conversation on the left, or press Ctrl+K to jump to one.")
	pick.Importance = widget.LowImportance
	p.pick = container.NewCenter(pick)
	p.root = container.NewStack(p.pick)
	return p
}

func (p *chatPane) welcomeView() fyne.CanvasObject {
	logo := canvas.NewImageFromResource(assets.AppIcon())
	logo.FillMode = canvas.ImageFillContain
	title := widget.NewLabelWithStyle("Welcome to Switchboard", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameHeadingText
	text := widget.NewLabel("All your chat accounts in one window. Add your first account — an IRC network, " +
		"an XMPP or e-mail address — and its conversations appear here, stored encrypted on this computer. " +
		"Brands can only reach you when you say so.")
	text.Wrapping = fyne.TextWrapWord
	text.Alignment = fyne.TextAlignCenter
	add := widget.NewButtonWithIcon("Add account", theme.ContentAddIcon(), func() { p.v.showAccountDialog(nil) })
	add.Importance = widget.HighImportance
	box := container.NewVBox(container.NewCenter(fixed(logo, fyne.NewSize(96, 96))), title, text, container.NewCenter(add))
	return container.NewCenter(container.New(&fixedWidth{w: 460}, box))
}

// widthWatch lays out one object and reports its width when it changes.
type widthWatch struct {
	onWidth func(float32)
	last    float32
}

func (w *widthWatch) MinSize(objs []fyne.CanvasObject) fyne.Size { return objs[0].MinSize() }
func (w *widthWatch) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	objs[0].Resize(s)
	if s.Width != w.last {
		w.last = s.Width
		w.onWidth(s.Width)
	}
}

func (p *chatPane) setWidth(w float32) {
	p.width = w
	p.remeasure(0)
}

// showing picks what the pane shows: welcome, the hint or a conversation.
func (p *chatPane) showing() {
	var o fyne.CanvasObject
	switch {
	case p.open != 0:
		o = p.convView
	case len(p.v.accounts) == 0:
		o = p.welcome
	default:
		o = p.pick
	}
	if len(p.root.Objects) != 1 || p.root.Objects[0] != o {
		p.root.Objects = []fyne.CanvasObject{o}
		p.root.Refresh()
	}
}

func (p *chatPane) openRow(row int64) { p.openRowAt(row, 0) }

// openRowAt loads a conversation; with msgRow it pages back until that
// message is loaded and scrolls to it.
func (p *chatPane) openRowAt(row, msgRow int64) {
	p.seq++
	seq := p.seq
	if row != p.open {
		p.open = row
		p.msgs, p.rows, p.heights = nil, nil, nil
		p.noMore, p.loading = false, false
		p.server = serverHistory{}
		p.subject.SetText("")  // a subject belongs to the conversation it was typed for
		p.files.take()         // and so do files
		p.drafts.switchTo(row) // and the composer's text: each conversation has its own draft
		p.list.Refresh()
	}
	p.highlight = msgRow
	p.v.async(func(ctx context.Context) func() {
		conv, err := p.v.be.Conversation(ctx, row)
		if err != nil {
			return func() {
				if seq == p.seq {
					p.open = 0
					p.showing()
				}
			}
		}
		msgs, err := p.v.be.Messages(ctx, row, 0, msgPage)
		for pages := 0; err == nil && msgRow != 0 && !containsRow(msgs, msgRow) && pages < 50; pages++ {
			var older []storage.Message
			older, err = p.v.be.Messages(ctx, row, msgs[0].Row, 200)
			if len(older) == 0 {
				break
			}
			msgs = append(older, msgs...)
		}
		if err != nil {
			p.v.log.Error("read conversation", "err", err)
		}
		return func() {
			if seq != p.seq {
				return
			}
			p.conv = conv
			p.msgs = msgs
			p.noMore = len(msgs) < msgPage
			p.rebuild()
			p.refreshHeader()
			p.showing()
			if i := p.indexOfRow(msgRow); msgRow != 0 && i >= 0 {
				p.list.ScrollTo(i)
			} else {
				p.list.ScrollToBottom()
			}
			p.markRead()
			p.v.win.Canvas().Focus(p.composer)
		}
	})
}

func containsRow(ms []storage.Message, row int64) bool {
	for _, m := range ms {
		if m.Row == row {
			return true
		}
	}
	return false
}

func (p *chatPane) indexOfRow(msgRow int64) int {
	for i, r := range p.rows {
		if r.day == "" && p.msgs[r.msg].Row == msgRow {
			return i
		}
	}
	return -1
}

// markRead clears the open conversation's unread count.
func (p *chatPane) markRead() {
	if p.open == 0 || p.conv.Unread == 0 || p.marking {
		return
	}
	p.marking = true
	row := p.open
	p.v.async(func(ctx context.Context) func() {
		err := p.v.be.MarkRead(ctx, row)
		return func() {
			p.marking = false
			if err != nil {
				p.v.log.Error("mark read", "err", err)
				return
			}
			if p.open == row {
				p.conv.Unread = 0
			}
		}
	})
}

// rebuild flattens the messages into rows with day separators and
// continuation flags, and measures them.
func (p *chatPane) rebuild() {
	p.rows = p.rows[:0]
	for i, m := range p.msgs {
		if i == 0 || !sameDay(p.msgs[i-1].Time, m.Time) {
			p.rows = append(p.rows, chatRow{day: dayLabel(m.Time, p.v.now()), msg: -1})
		}
		cont := false
		if i > 0 {
			prev := p.msgs[i-1]
			cont = prev.Sender == m.Sender && prev.Direction == m.Direction && sameDay(prev.Time, m.Time) &&
				m.Time.Sub(prev.Time) < 5*time.Minute && !m.Action && !prev.Action
		}
		p.rows = append(p.rows, chatRow{msg: i, cont: cont})
	}
	p.heights = make([]float32, len(p.rows))
	p.remeasure(0)
}

// remeasure computes row heights from index from on and tells the list.
func (p *chatPane) remeasure(from int) {
	if p.width <= 0 {
		p.list.Refresh()
		return
	}
	if len(p.heights) != len(p.rows) {
		p.heights = make([]float32, len(p.rows))
		from = 0
	}
	for i := from; i < len(p.rows); i++ {
		r := p.rows[i]
		var m storage.Message
		if r.day == "" {
			m = p.msgs[r.msg]
		}
		p.heights[i] = rowHeight(r, m, p.width, p.measure)
		p.list.SetItemHeight(i, p.heights[i])
	}
	p.list.Refresh()
}

func (p *chatPane) updateItem(id widget.ListItemID, it *msgItem) {
	if id < 0 || id >= len(p.rows) {
		return
	}
	r := p.rows[id]
	var m storage.Message
	if r.day == "" {
		m = p.msgs[r.msg]
	}
	it.set(r, m, r.day == "" && m.Row == p.highlight && p.highlight != 0)
	if id <= 1 && !p.loading && len(p.msgs) > 0 {
		if !p.noMore {
			p.loadOlder()
		} else {
			p.loadFromServer()
		}
	}
}

// loadOlder fetches the page before the oldest loaded message and keeps
// the view where it was.
func (p *chatPane) loadOlder() {
	p.loading = true
	row, before, seq := p.open, p.msgs[0].Row, p.seq
	p.v.async(func(ctx context.Context) func() {
		older, err := p.v.be.Messages(ctx, row, before, msgPage)
		return func() {
			if seq != p.seq {
				return
			}
			p.loading = false
			if err != nil {
				p.v.log.Error("load older messages", "err", err)
				return
			}
			p.noMore = len(older) < msgPage
			if len(older) == 0 {
				return
			}
			oldRows, off := len(p.rows), p.list.GetScrollOffset()
			before := p.totalHeight()
			p.msgs = append(older, p.msgs...)
			p.rebuild()
			if len(p.rows) > oldRows {
				p.list.ScrollToOffset(off + p.totalHeight() - before)
			}
		}
	})
}

func (p *chatPane) totalHeight() float32 {
	var h float32
	for _, x := range p.heights {
		h += x + theme.Padding()
	}
	return h
}

// atBottom says whether the list shows its last rows.
func (p *chatPane) atBottom() bool {
	return p.list.GetScrollOffset()+p.list.Size().Height >= p.totalHeight()-60
}

// messageUpdated merges a stored or changed message into the open conversation.
func (p *chatPane) messageUpdated(m storage.Message) {
	if p.open == 0 {
		return
	}
	for i := range p.msgs {
		if p.msgs[i].Row != m.Row {
			continue
		}
		if m.ConvRow == 0 && m.Text == "" {
			// The pending row was merged into the network's echo: drop it.
			p.msgs = append(p.msgs[:i], p.msgs[i+1:]...)
		} else if m.Text == "" && m.SendState != "" {
			p.msgs[i].SendState, p.msgs[i].SendError = m.SendState, m.SendError
		} else {
			p.msgs[i] = m
		}
		p.rebuild()
		return
	}
	if m.ConvRow != p.open || m.Text == "" && m.ConvRow == 0 {
		return
	}
	bottom := p.atBottom()
	p.msgs = append(p.msgs, m)
	sort.SliceStable(p.msgs, func(i, j int) bool { return p.msgs[i].Time.Before(p.msgs[j].Time) })
	p.rebuild()
	if bottom || m.Direction == storage.Out {
		p.list.ScrollToBottom()
	}
	if m.Direction == storage.In && m.Hold == storage.Delivered {
		p.conv.Unread++
		p.markRead()
	}
}

// conversationChanged refreshes the header when the open conversation changed.
func (p *chatPane) conversationChanged(row int64) {
	if p.open == 0 || row != p.open {
		return
	}
	seq := p.seq
	p.v.async(func(ctx context.Context) func() {
		conv, err := p.v.be.Conversation(ctx, row)
		if err != nil {
			return nil
		}
		return func() {
			if seq == p.seq {
				p.conv = conv
				p.refreshHeader()
			}
		}
	})
}

func (p *chatPane) refreshHeader() {
	c := p.conv
	p.icon.set(c, convIcon(p.v, c))
	p.title.SetText(convTitle(c))
	kind := "Direct message"
	if c.Group {
		kind = "Group"
	}
	p.subtitle.Text = fmt.Sprintf("%s · %s · %s", c.Account, p.v.networkName(c.Network), kind)
	p.subtitle.Refresh()
	if c.Muted {
		p.mute.SetIcon(theme.VolumeMuteIcon())
	} else {
		p.mute.SetIcon(theme.VolumeUpIcon())
	}
	handle, msgID := "", ""
	for _, m := range p.msgs {
		if m.Hold != storage.Delivered && m.Direction == storage.In {
			handle, msgID = m.Sender, m.RemoteID
			break
		}
	}
	p.request.show(c, handle, msgID)
	p.accountsChanged()
	p.relayout()
}

// relayout places the list again after the request panel or the offline
// note above or below it appeared or went: a widget shown or hidden does
// not move its neighbours by itself, so the panel was drawn over the
// messages until the window was resized.
func (p *chatPane) relayout() {
	if p.convView.Visible() && p.convView.Size().Height > 0 {
		p.convView.Layout.Layout(p.convView.Objects, p.convView.Size())
	}
}

// accountsChanged enables or disables the composer by the account's state.
func (p *chatPane) accountsChanged() {
	p.showing()
	if p.open == 0 {
		return
	}
	if p.v.hasCapability(p.conv.Account, connectors.CapSubject) {
		p.subject.Show()
	} else {
		p.subject.Hide()
	}
	p.files.show(p.v.hasCapability(p.conv.Account, connectors.CapSendFiles))
	p.refreshPendingFiles()
	st, ok := p.v.accountStatus(p.conv.Account)
	reason := ""
	queued := "" // offline: the user writes on, the outbox holds it
	switch {
	case !ok:
		reason = fmt.Sprintf("The account %q was removed; you can read this conversation but not answer.", p.conv.Account)
	case p.conv.PeerBlocked:
		reason = fmt.Sprintf("You blocked %s. Unblock it above to write to it.", p.conv.RemoteID)
	case st.Disabled:
		reason = fmt.Sprintf("%s is disabled.", st.Name)
	case st.State != connectors.StateOnline:
		queued = fmt.Sprintf("%s is %s", st.Name, strings.ToLower(stateLabel(st.State)))
		if st.Reason != "" {
			queued += ": " + st.Reason
		}
		queued += ". What you write waits in the outbox (shown as pending) and goes out when it is back online."
	}
	if reason == "" {
		if queued != "" {
			p.offline.SetText(queued)
			p.offline.Show()
		} else {
			p.offline.Hide()
		}
		p.subject.Enable()
		p.composer.Enable()
		p.send.Enable()
		p.composer.SetPlaceHolder("Message " + convTitle(p.conv) + " — Enter sends, Shift+Enter adds a line")
		p.relayout()
		return
	}
	p.offline.SetText(reason)
	p.offline.Show()
	p.subject.Disable()
	p.composer.Disable()
	p.send.Disable()
	if p.conv.PeerBlocked {
		p.composer.SetPlaceHolder("Blocked")
	} else {
		p.composer.SetPlaceHolder("Offline")
	}
	p.relayout()
}

func (p *chatPane) typing(row int64, t connectors.Typing) {
	if row != p.open {
		return
	}
	p.typingN++
	n := p.typingN
	if !t.Active {
		p.typingL.Text = ""
		p.typingL.Refresh()
		return
	}
	p.typingL.Text = "  " + t.Handle + " is typing…"
	p.typingL.Refresh()
	p.v.async(func(ctx context.Context) func() {
		select {
		case <-ctx.Done():
		case <-time.After(6 * time.Second):
		}
		return func() {
			if n == p.typingN {
				p.typingL.Text = ""
				p.typingL.Refresh()
			}
		}
	})
}

func (p *chatPane) toggleMute() {
	if p.open == 0 {
		return
	}
	row, muted := p.open, !p.conv.Muted
	p.v.async(func(ctx context.Context) func() {
		err := p.v.be.SetMuted(ctx, row, muted)
		return func() {
			if err != nil {
				p.v.showError("Mute", err)
			}
		}
	})
}

// retry re-queues a failed message through the outbox item the archive
// names for it (Message.OutboxID).
func (v *view) retry(m storage.Message) {
	if m.OutboxID == 0 {
		v.showError("Retry", errors.New("this message was not sent from here, so there is nothing to send again"))
		return
	}
	v.async(func(ctx context.Context) func() {
		err := v.be.Retry(ctx, m.OutboxID)
		return func() {
			if err != nil {
				v.showError("Retry", err)
			}
		}
	})
}

// hasCapability says whether an account's network offers an action.
func (v *view) hasCapability(account string, capability connectors.Capability) bool {
	for _, a := range v.accounts {
		if a.Name == account {
			return a.Has(capability)
		}
	}
	return false
}
