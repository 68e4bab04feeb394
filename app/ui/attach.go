package ui

import (
	"image/color"
	"strings"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"switchboard/connectors"
	"switchboard/internal/attach"
	"switchboard/storage"
)

// Geometry of an attachment line under a message's text, shared by
// layout and height measurement.
const (
	attachGap    = 6   // between the text and a line, and between lines
	attachChipH  = 40  // the line without a failure reason
	attachMaxW   = 460 // widest a line gets
	attachPad    = 8   // inside the line
	attachIconSz = 20
	attachNameX  = attachPad + attachIconSz + 8
)

// attachChipWidth is the width of attachment lines for a row width w.
func attachChipWidth(w float32) float32 {
	return min(bodyWidth(w)-2*theme.InnerPadding(), attachMaxW)
}

// reasonSegments is the failure reason shown under a failed attachment.
func reasonSegments(a storage.Attachment) []widget.RichTextSegment {
	if a.State != storage.AttachFailed {
		return nil
	}
	reason := strings.TrimSpace(a.Error)
	if reason == "" {
		reason = "it could not be downloaded"
	}
	r, n := utf8.DecodeRuneInString(reason)
	reason = string(unicode.ToUpper(r)) + reason[n:]
	style := widget.RichTextStyle{ColorName: theme.ColorNameError, SizeName: theme.SizeNameCaptionText}
	return []widget.RichTextSegment{&widget.TextSegment{Text: reason, Style: style}}
}

// attachLineHeight is the height of a's line at width chipW; rt is a
// RichText used to lay out a failure reason.
func attachLineHeight(a storage.Attachment, chipW float32, rt *widget.RichText) float32 {
	segs := reasonSegments(a)
	if segs == nil {
		return attachChipH
	}
	p := theme.InnerPadding()
	rt.Segments = segs
	rt.Wrapping = fyne.TextWrapWord
	rt.Resize(fyne.NewSize(chipW-attachNameX-attachPad+2*p, 10))
	rt.Refresh()
	return attachChipH + rt.MinSize().Height - 2*p
}

// attachBlockHeight is the height of a message's attachment lines below
// its text (withText) or alone.
func attachBlockHeight(atts []storage.Attachment, chipW float32, rt *widget.RichText, withText bool) float32 {
	var h float32
	for i, a := range atts {
		if i > 0 || withText {
			h += attachGap
		}
		h += attachLineHeight(a, chipW, rt)
	}
	return h
}

// attachLine shows one file of a message: its icon, name, size and state,
// and a button that saves it (downloading it first if need be) or tries
// again after a failure.
type attachLine struct {
	widget.BaseWidget
	bg     *canvas.Rectangle
	icon   *widget.Icon
	name   *canvas.Text
	detail *canvas.Text
	reason *widget.RichText
	btn    *widget.Button
	att    storage.Attachment
	full   string // the untruncated name
}

func newAttachLine(save func(storage.Attachment)) *attachLine {
	l := &attachLine{
		bg:     canvas.NewRectangle(color.Transparent),
		icon:   widget.NewIcon(theme.FileIcon()),
		name:   canvas.NewText("", color.Black),
		detail: mutedText(""),
		reason: widget.NewRichText(),
	}
	l.bg.CornerRadius = 6
	l.bg.StrokeWidth = 1
	l.name.TextStyle.Bold = true
	l.reason.Wrapping = fyne.TextWrapWord
	l.btn = widget.NewButtonWithIcon("Save…", theme.DownloadIcon(), func() { save(l.att) })
	l.ExtendBaseWidget(l)
	return l
}

// set shows a; note says how a pending file is getting on; saving: a
// save of it is under way.
func (l *attachLine) set(a storage.Attachment, note string, saving bool) {
	l.att = a
	l.full = attachmentName(a)
	l.icon.SetResource(fileIcon(a.Type))
	l.bg.FillColor = themeColor(theme.ColorNameInputBackground)
	l.bg.StrokeColor = themeColor(theme.ColorNameSeparator)
	l.name.Color = themeColor(theme.ColorNameForeground)
	l.detail.Color = themeColor(colorMuted)
	detail := attach.Size(a.Size)
	label, icon := "Save…", theme.DownloadIcon()
	switch a.State {
	case storage.AttachPending:
		detail = joinDetail(detail, note)
	case storage.AttachFailed:
		detail = joinDetail(detail, "failed")
		l.detail.Color = themeColor(theme.ColorNameError)
		label, icon = "Try again", theme.ViewRefreshIcon()
	}
	l.detail.Text = detail
	l.reason.Segments = reasonSegments(a)
	if saving {
		label = "Saving…"
		l.btn.Disable()
	} else {
		l.btn.Enable()
	}
	l.btn.SetText(label)
	l.btn.SetIcon(icon)
	l.Refresh()
}

func joinDetail(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + " · " + b
}

func (l *attachLine) CreateRenderer() fyne.WidgetRenderer { return &attachRenderer{l: l} }

type attachRenderer struct{ l *attachLine }

func (r *attachRenderer) Destroy() {}

func (r *attachRenderer) MinSize() fyne.Size { return fyne.NewSize(attachMaxW/2, attachChipH) }

func (r *attachRenderer) Objects() []fyne.CanvasObject {
	l := r.l
	objs := []fyne.CanvasObject{l.bg, l.icon, l.name, l.detail, l.btn}
	if l.reason.Segments != nil {
		objs = append(objs, l.reason)
	}
	return objs
}

func (r *attachRenderer) Layout(s fyne.Size) {
	l := r.l
	l.bg.Resize(s)
	l.icon.Move(fyne.NewPos(attachPad, (attachChipH-attachIconSz)/2))
	l.icon.Resize(fyne.NewSize(attachIconSz, attachIconSz))
	bs := l.btn.MinSize()
	bx := s.Width - attachPad/2 - bs.Width
	l.btn.Move(fyne.NewPos(bx, (attachChipH-bs.Height)/2))
	l.btn.Resize(bs)

	avail := bx - 8 - attachNameX
	ds := fyne.MeasureText(l.detail.Text, l.detail.TextSize, l.detail.TextStyle)
	nameW := max(avail-ds.Width-10, min(avail, 60))
	l.name.Text = fitText(l.full, l.name.TextSize, l.name.TextStyle, nameW)
	ns := fyne.MeasureText(l.name.Text, l.name.TextSize, l.name.TextStyle)
	l.name.Move(fyne.NewPos(attachNameX, (attachChipH-ns.Height)/2))
	l.name.Resize(ns)
	dx := attachNameX + ns.Width + 10
	detail := fitText(l.detail.Text, l.detail.TextSize, l.detail.TextStyle, max(bx-8-dx, 0))
	ds = fyne.MeasureText(detail, l.detail.TextSize, l.detail.TextStyle)
	l.detail.Move(fyne.NewPos(dx, (attachChipH-ds.Height)/2+1))
	l.detail.Resize(ds)

	if l.reason.Segments != nil {
		p := theme.InnerPadding()
		l.reason.Move(fyne.NewPos(attachNameX-p, attachChipH-attachPad-p))
		l.reason.Resize(fyne.NewSize(s.Width-attachNameX-attachPad+2*p, s.Height-attachChipH+attachPad+p))
	}
}

func (r *attachRenderer) Refresh() {
	r.Layout(r.l.Size())
	for _, o := range r.Objects() {
		o.Refresh()
	}
}

// showsText: a message row shows text, not only attachment lines (an
// e-mail with nothing but files has only their lines as text).
func showsText(m storage.Message) bool {
	return len(m.Attachments) == 0 || m.Action || visibleText(m) != ""
}

// refreshPendingFiles redraws the rows when a loaded message has files
// still to download, whose note follows the account's state.
func (p *chatPane) refreshPendingFiles() {
	for _, m := range p.msgs {
		for _, a := range m.Attachments {
			if a.State == storage.AttachPending {
				p.list.Refresh()
				return
			}
		}
	}
}

// setAttachments fills the row's attachment lines from m, reusing the
// lines of the messages shown in this row before.
func (it *msgItem) setAttachments(m storage.Message) {
	it.nAtt = len(m.Attachments)
	for i, a := range m.Attachments {
		if i == len(it.atts) {
			it.atts = append(it.atts, newAttachLine(it.p.v.saveAttachment))
		}
		it.atts[i].set(a, it.p.v.pendingNote(m.Account), it.p.v.saving[a.ID])
	}
}

// layoutAttachments places the row's attachment lines at the bottom of a
// row of size s and returns where they start.
func (it *msgItem) layoutAttachments(s fyne.Size) float32 {
	chipW := attachChipWidth(s.Width)
	lines := it.atts[:it.nAtt]
	hs := make([]float32, len(lines))
	var h float32
	for i, l := range lines {
		if i > 0 || it.hasText {
			h += attachGap
		}
		hs[i] = attachLineHeight(l.att, chipW, l.reason)
		h += hs[i]
	}
	top := s.Height - msgBottomPad - h
	y := top
	for i, l := range lines {
		if i > 0 || it.hasText {
			y += attachGap
		}
		l.Move(fyne.NewPos(bodyLeft(), y))
		l.Resize(fyne.NewSize(chipW, hs[i]))
		y += hs[i]
	}
	return top
}

// pendingNote says how a file not yet downloaded is getting on, by its
// account's state.
func (v *view) pendingNote(account string) string {
	st, ok := v.accountStatus(account)
	switch {
	case !ok || st.Disabled:
		return "not downloaded"
	case st.State != connectors.StateOnline:
		return "not downloaded yet (offline)"
	}
	return "downloading…"
}
