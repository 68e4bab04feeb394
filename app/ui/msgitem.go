package ui

import (
	"context"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"switchboard/connectors"
	"switchboard/storage"
)

// chatRow is one row of the message list: a day separator or a message.
type chatRow struct {
	day  string // set for a separator
	msg  int    // index into chatPane.msgs
	cont bool   // a continuation: same sender shortly after, no header
}

// Geometry of a message row, shared by layout and height measurement.
const (
	msgSideInset = 12
	avatarSize   = 34
	msgGap       = 10
	msgTopPad    = 6
	msgBottomPad = 4
	headerHeight = 20
	daySepHeight = 34
)

func bodyLeft() float32 { return msgSideInset + avatarSize + msgGap }

// bodyWidth is the width given to a message's text for a row width w.
func bodyWidth(w float32) float32 {
	bw := w - bodyLeft() - msgSideInset + 2*theme.InnerPadding()
	if bw < 60 {
		bw = 60
	}
	return bw
}

// msgSegments renders a message's text: links clickable, actions as
// "* nick waves", notices dimmed.
func msgSegments(m storage.Message) []widget.RichTextSegment {
	style := widget.RichTextStyleInline
	style.Inline = false
	text := visibleText(m)
	switch {
	case m.Action:
		style.TextStyle.Italic = true
		text = "* " + firstNonEmpty(m.SenderName, m.Sender, "You") + " " + text
		if m.Direction == storage.Out {
			text = "* you " + visibleText(m)
		}
	case m.Notice:
		style.TextStyle.Italic = true
		style.ColorName = theme.ColorNamePlaceHolder
	}
	return linkify(text, style)
}

// msgItem draws one chat row; widget.List recycles it between rows.
type msgItem struct {
	widget.BaseWidget
	p      *chatPane
	bg     *canvas.Rectangle
	accent *canvas.Rectangle
	avatar *avatar
	name   *canvas.Text
	when   *canvas.Text
	state  *widget.Icon
	retry  *widget.Button
	orig   *widget.Button
	body   *widget.RichText
	day    *canvas.Text
	dayL   *canvas.Line
	dayR   *canvas.Line
	row    chatRow
	msg    storage.Message
	// atts are the attachment lines, the first nAtt of them in use.
	atts    []*attachLine
	nAtt    int
	hasText bool // the text is shown (not only attachment lines)
}

func newMsgItem(p *chatPane) *msgItem {
	it := &msgItem{
		p:      p,
		bg:     canvas.NewRectangle(color.Transparent),
		accent: canvas.NewRectangle(color.Transparent),
		avatar: newAvatar(avatarSize),
		name:   canvas.NewText("", color.Black),
		when:   mutedText(""),
		state:  widget.NewIcon(nil),
		body:   widget.NewRichText(),
		day:    mutedText(""),
		dayL:   canvas.NewLine(color.Transparent),
		dayR:   canvas.NewLine(color.Transparent),
	}
	it.name.TextStyle.Bold = true
	it.day.TextStyle.Bold = true
	it.body.Wrapping = fyne.TextWrapWord
	it.retry = widget.NewButtonWithIcon("Retry", theme.ViewRefreshIcon(), func() { p.v.retry(it.msg) })
	it.retry.Importance = widget.DangerImportance
	it.orig = widget.NewButtonWithIcon("Original", theme.DocumentIcon(), func() { p.v.showOriginal(it.msg) })
	it.orig.Importance = widget.LowImportance
	it.ExtendBaseWidget(it)
	return it
}

func (it *msgItem) CreateRenderer() fyne.WidgetRenderer { return &msgRenderer{it: it} }

func (it *msgItem) set(r chatRow, m storage.Message, highlight bool) {
	it.row, it.msg = r, m
	if r.day != "" {
		it.day.Text = r.day
		sep := themeColor(theme.ColorNameSeparator)
		it.dayL.StrokeColor, it.dayR.StrokeColor = sep, sep
		it.bg.FillColor = color.Transparent
		it.accent.FillColor = color.Transparent
		it.Refresh()
		return
	}
	name := senderName(m)
	it.avatar.set(firstNonEmpty(m.SenderName, m.Sender, name), firstNonEmpty(m.Sender, name))
	it.name.Text = name
	if m.Direction == storage.Out {
		it.name.Color = themeColor(theme.ColorNamePrimary)
	} else {
		it.name.Color = nameColor(firstNonEmpty(m.Sender, name))
	}
	it.when.Text = m.Time.Local().Format("15:04")
	switch m.SendState {
	case storage.SendPending:
		it.state.SetResource(theme.HistoryIcon())
		it.when.Text += " · sending…"
	case storage.SendSent:
		it.state.SetResource(theme.ConfirmIcon())
	case storage.SendFailed:
		it.state.SetResource(theme.ErrorIcon())
		it.when.Text += " · not sent"
		if m.SendError != "" {
			it.when.Text += ": " + oneLine(m.SendError)
		}
	default:
		it.state.SetResource(nil)
	}
	switch {
	case highlight:
		it.bg.FillColor = themeColor(colorSelected)
	case m.Direction == storage.Out:
		it.bg.FillColor = themeColor(colorOwnMsg)
	case m.Mention:
		it.bg.FillColor = themeColor(colorMention)
	default:
		it.bg.FillColor = color.Transparent
	}
	if m.Direction == storage.Out {
		it.accent.FillColor = themeColor(theme.ColorNamePrimary)
	} else if m.Mention {
		it.accent.FillColor = themeColor(colorAway)
	} else {
		it.accent.FillColor = color.Transparent
	}
	it.body.Segments = msgSegments(m)
	it.hasText = showsText(m)
	it.setAttachments(m)
	it.Refresh()
}

type msgRenderer struct{ it *msgItem }

func (r *msgRenderer) Destroy() {}

func (r *msgRenderer) MinSize() fyne.Size { return fyne.NewSize(200, headerHeight) }

func (r *msgRenderer) Objects() []fyne.CanvasObject {
	it := r.it
	if it.row.day != "" {
		return []fyne.CanvasObject{it.dayL, it.dayR, it.day}
	}
	objs := []fyne.CanvasObject{it.bg, it.accent}
	if it.hasText {
		objs = append(objs, it.body)
	}
	for _, l := range it.atts[:it.nAtt] {
		objs = append(objs, l)
	}
	if !it.row.cont {
		objs = append(objs, it.avatar, it.name, it.when, it.state)
	}
	if it.msg.SendState == storage.SendFailed {
		objs = append(objs, it.retry)
	} else if it.showsOriginal() {
		objs = append(objs, it.orig)
	}
	return objs
}

func (r *msgRenderer) Layout(s fyne.Size) {
	it := r.it
	if it.row.day != "" {
		ts := fyne.MeasureText(it.day.Text, it.day.TextSize, it.day.TextStyle)
		x := (s.Width - ts.Width) / 2
		y := (s.Height - ts.Height) / 2
		it.day.Move(fyne.NewPos(x, y))
		it.day.Resize(ts)
		mid := s.Height / 2
		it.dayL.Position1, it.dayL.Position2 = fyne.NewPos(msgSideInset, mid), fyne.NewPos(x-12, mid)
		it.dayR.Position1, it.dayR.Position2 = fyne.NewPos(x+ts.Width+12, mid), fyne.NewPos(s.Width-msgSideInset, mid)
		return
	}
	it.bg.Move(fyne.NewPos(4, 0))
	it.bg.Resize(fyne.NewSize(s.Width-8, s.Height))
	it.bg.CornerRadius = 6
	it.accent.Move(fyne.NewPos(4, 0))
	it.accent.Resize(fyne.NewSize(3, s.Height))
	left := bodyLeft()
	y := float32(msgTopPad)
	if !it.row.cont {
		it.avatar.Move(fyne.NewPos(msgSideInset, msgTopPad))
		it.avatar.Resize(fyne.NewSize(avatarSize, avatarSize))
		ns := fyne.MeasureText(it.name.Text, it.name.TextSize, it.name.TextStyle)
		it.name.Move(fyne.NewPos(left, y))
		it.name.Resize(ns)
		ws := fyne.MeasureText(it.when.Text, it.when.TextSize, it.when.TextStyle)
		wx := left + ns.Width + 8
		it.when.Move(fyne.NewPos(wx, y+(ns.Height-ws.Height)/2+1))
		it.when.Resize(ws)
		it.state.Move(fyne.NewPos(wx+ws.Width+4, y+2))
		it.state.Resize(fyne.NewSize(14, 14))
		y += headerHeight
	}
	p := theme.InnerPadding()
	bw := bodyWidth(s.Width)
	it.body.Move(fyne.NewPos(left-p, y-p))
	if it.nAtt == 0 {
		it.body.Resize(fyne.NewSize(bw, s.Height-y+p))
	} else {
		it.body.Resize(fyne.NewSize(bw, it.layoutAttachments(s)-y+2*p))
	}
	if it.msg.SendState == storage.SendFailed {
		bs := it.retry.MinSize()
		it.retry.Move(fyne.NewPos(s.Width-msgSideInset-bs.Width, msgTopPad-4))
		it.retry.Resize(bs)
	} else if it.showsOriginal() {
		bs := it.orig.MinSize()
		it.orig.Move(fyne.NewPos(s.Width-msgSideInset-bs.Width, msgTopPad-4))
		it.orig.Resize(bs)
	}
}

// showsOriginal: a message heading whose network keeps a fuller original
// (an e-mail's quotes and signature) gets a button for it.
func (it *msgItem) showsOriginal() bool {
	return !it.row.cont && it.msg.Direction == storage.In && it.p.v.hasCapability(it.msg.Account, connectors.CapOriginal)
}

// showOriginal fetches a message's full original from its network and
// shows it in a dialog.
func (v *view) showOriginal(m storage.Message) {
	v.async(func(ctx context.Context) func() {
		text, err := v.be.Original(ctx, m.Row)
		return func() {
			if err != nil {
				v.showError("Original", err)
				return
			}
			body := widget.NewLabel(text)
			body.Wrapping = fyne.TextWrapWord
			body.Selectable = true
			scroll := container.NewVScroll(body)
			scroll.SetMinSize(fyne.NewSize(560, 420))
			dialog.ShowCustom("Original from "+firstNonEmpty(m.SenderName, m.Sender), "Close", scroll, v.win)
		}
	})
}

func (r *msgRenderer) Refresh() {
	it := r.it
	r.Layout(it.Size())
	for _, o := range r.Objects() {
		o.Refresh()
	}
}

// rowHeight is the height a chat row needs at list width w. measure is a
// spare RichText used to lay the text out.
func rowHeight(r chatRow, m storage.Message, w float32, measure *widget.RichText) float32 {
	if r.day != "" {
		return daySepHeight
	}
	var h float32
	withText := showsText(m)
	if withText {
		measure.Segments = msgSegments(m)
		measure.Wrapping = fyne.TextWrapWord
		measure.Resize(fyne.NewSize(bodyWidth(w), 10))
		measure.Refresh()
		h = measure.MinSize().Height - 2*theme.InnerPadding()
	}
	h += attachBlockHeight(m.Attachments, attachChipWidth(w), measure, withText)
	h += msgTopPad + msgBottomPad
	if !r.cont {
		h += headerHeight
		if h < msgTopPad+avatarSize+msgBottomPad {
			h = msgTopPad + avatarSize + msgBottomPad
		}
	}
	return h
}
