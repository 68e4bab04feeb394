package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"switchboard/connectors"
)

// tapRow is a row that highlights on hover and when selected and calls
// OnTapped; OnHover (optional) learns when the pointer enters and leaves.
type tapRow struct {
	widget.BaseWidget
	content  fyne.CanvasObject
	bg       *canvas.Rectangle
	selected bool
	hovered  bool
	OnTapped func()
	OnHover  func(in bool, at fyne.Position)
	// OnSecondary (optional) is a right-click at an absolute position.
	OnSecondary func(at fyne.Position)
}

func newTapRow(content fyne.CanvasObject, tapped func()) *tapRow {
	r := &tapRow{content: content, OnTapped: tapped, bg: canvas.NewRectangle(color.Transparent)}
	r.bg.CornerRadius = 8
	r.ExtendBaseWidget(r)
	return r
}

func (r *tapRow) CreateRenderer() fyne.WidgetRenderer {
	pad := container.New(layout.NewCustomPaddedLayout(4, 4, 8, 8), r.content)
	return widget.NewSimpleRenderer(container.NewStack(r.bg, pad))
}

func (r *tapRow) setSelected(s bool) {
	if r.selected != s {
		r.selected = s
		r.paint()
	}
}

func (r *tapRow) paint() {
	switch {
	case r.selected:
		r.bg.FillColor = themeColor(colorSelected)
	case r.hovered:
		r.bg.FillColor = themeColor(theme.ColorNameHover)
	default:
		r.bg.FillColor = color.Transparent
	}
	r.bg.Refresh()
}

func (r *tapRow) Refresh() {
	r.paint()
	r.BaseWidget.Refresh()
}

func (r *tapRow) Tapped(*fyne.PointEvent) {
	if r.OnTapped != nil {
		r.OnTapped()
	}
}

// TappedSecondary opens the row's context menu, where it has one.
func (r *tapRow) TappedSecondary(e *fyne.PointEvent) {
	if r.OnSecondary != nil {
		r.OnSecondary(e.AbsolutePosition)
	}
}

func (r *tapRow) MouseIn(e *desktop.MouseEvent) {
	r.hovered = true
	r.paint()
	if r.OnHover != nil {
		r.OnHover(true, e.AbsolutePosition)
	}
}

func (r *tapRow) MouseMoved(*desktop.MouseEvent) {}

func (r *tapRow) MouseOut() {
	r.hovered = false
	r.paint()
	if r.OnHover != nil {
		r.OnHover(false, fyne.Position{})
	}
}

func (r *tapRow) Cursor() desktop.Cursor { return desktop.PointerCursor }

// badge is a small rounded count ("3"); hidden when its text is empty.
type badge struct {
	widget.BaseWidget
	text  *canvas.Text
	bg    *canvas.Rectangle
	muted bool
}

func newBadge() *badge {
	b := &badge{text: canvas.NewText("", color.White), bg: canvas.NewRectangle(color.Transparent)}
	b.text.TextSize = theme.CaptionTextSize()
	b.text.TextStyle.Bold = true
	b.text.Alignment = fyne.TextAlignCenter
	b.ExtendBaseWidget(b)
	return b
}

func (b *badge) set(text string, muted bool) {
	b.text.Text = text
	b.muted = muted
	if text == "" {
		b.Hide()
	} else {
		b.Show()
	}
	b.Refresh()
}

func (b *badge) MinSize() fyne.Size {
	s := fyne.MeasureText(b.text.Text, b.text.TextSize, b.text.TextStyle)
	h := s.Height + 2
	w := s.Width + 12
	if w < h {
		w = h
	}
	return fyne.NewSize(w, h)
}

func (b *badge) CreateRenderer() fyne.WidgetRenderer {
	return &badgeRenderer{b: b}
}

type badgeRenderer struct{ b *badge }

func (r *badgeRenderer) Layout(s fyne.Size) {
	r.b.bg.Resize(s)
	r.b.bg.CornerRadius = s.Height / 2
	r.b.text.Resize(s)
}
func (r *badgeRenderer) MinSize() fyne.Size { return r.b.MinSize() }
func (r *badgeRenderer) Refresh() {
	if r.b.muted {
		r.b.bg.FillColor = themeColor(colorBadgeLow)
	} else {
		r.b.bg.FillColor = themeColor(colorBadge)
	}
	r.b.text.Color = color.White
	r.b.bg.Refresh()
	r.b.text.Refresh()
}
func (r *badgeRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.b.bg, r.b.text}
}
func (r *badgeRenderer) Destroy() {}

// statusDot is the coloured circle of an account's connection state.
func newStatusDot() *canvas.Circle {
	c := canvas.NewCircle(color.Transparent)
	return c
}

func dotColor(state connectors.ConnState) color.Color {
	switch state {
	case connectors.StateOnline:
		return themeColor(colorOnline)
	case connectors.StateConnecting:
		return themeColor(colorAway)
	case connectors.StateAuthFailed, connectors.StateNeedsSignIn:
		return themeColor(colorFailed)
	}
	return themeColor(theme.ColorNameDisabled)
}

// fixed wraps o so that it is always exactly size big.
func fixed(o fyne.CanvasObject, size fyne.Size) fyne.CanvasObject {
	return container.New(&fixedLayout{size: size}, o)
}

type fixedLayout struct{ size fyne.Size }

func (l *fixedLayout) MinSize([]fyne.CanvasObject) fyne.Size { return l.size }
func (l *fixedLayout) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos((s.Width-l.size.Width)/2, (s.Height-l.size.Height)/2))
		o.Resize(l.size)
	}
}

// avatar is a round coloured disc with a name's initials.
type avatar struct {
	widget.BaseWidget
	circle *canvas.Circle
	text   *canvas.Text
	size   float32
}

func newAvatar(size float32) *avatar {
	a := &avatar{circle: canvas.NewCircle(color.Transparent), text: canvas.NewText("", color.White), size: size}
	a.text.Alignment = fyne.TextAlignCenter
	a.text.TextStyle.Bold = true
	a.text.TextSize = size * 0.4
	a.ExtendBaseWidget(a)
	return a
}

// set shows name's initials on a colour chosen by key (the handle, so a
// person keeps one colour whatever name is shown).
func (a *avatar) set(name, key string) {
	a.text.Text = initials(name)
	a.circle.FillColor = nameColor(key)
	a.circle.Refresh()
	a.text.Refresh()
}

func (a *avatar) MinSize() fyne.Size { return fyne.NewSize(a.size, a.size) }

func (a *avatar) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.New(&fixedLayout{size: fyne.NewSize(a.size, a.size)},
		container.NewStack(a.circle, container.NewCenter(a.text))))
}

// mutedText is a small secondary-colour label.
func mutedText(s string) *canvas.Text {
	t := canvas.NewText(s, themeColor(colorMuted))
	t.TextSize = theme.CaptionTextSize()
	return t
}

// sectionTitle is the small upper-case heading of a sidebar section.
func sectionTitle(s string) fyne.CanvasObject {
	t := canvas.NewText(s, themeColor(colorMuted))
	t.TextSize = theme.CaptionTextSize()
	t.TextStyle.Bold = true
	return container.New(layout.NewCustomPaddedLayout(10, 2, 12, 8), t)
}

// fixedHeight lays its objects out at least h tall.
type fixedHeight struct{ h float32 }

func (f *fixedHeight) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var w float32
	for _, o := range objs {
		if m := o.MinSize(); m.Width > w {
			w = m.Width
		}
	}
	return fyne.NewSize(w, f.h)
}

func (f *fixedHeight) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	for _, o := range objs {
		h := o.MinSize().Height
		o.Move(fyne.NewPos(0, (s.Height-h)/2))
		o.Resize(fyne.NewSize(s.Width, h))
	}
}

// headerHeightPx is the height shared by the panes' headers, so their
// separators line up.
const headerHeightPx = 60

func paneHeader(content fyne.CanvasObject) fyne.CanvasObject {
	return container.New(&fixedHeight{h: headerHeightPx}, content)
}
