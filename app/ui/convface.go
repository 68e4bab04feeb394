package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"switchboard/assets"
	"switchboard/storage"
)

// convFace is a conversation's picture: the person's initials for a direct
// conversation, the channel sign for a group, each with a small badge of
// its network in the corner, so who it is reads first and where second.
type convFace struct {
	widget.BaseWidget
	face   *avatar
	badge  *canvas.Image
	ring   *canvas.Circle // the badge's backing disc
	size   float32
	isChan bool
}

func newConvFace(size float32) *convFace {
	i := &convFace{face: newAvatar(size), badge: canvas.NewImageFromResource(assets.AppIcon()),
		ring: canvas.NewCircle(color.White), size: size}
	i.badge.FillMode = canvas.ImageFillContain
	i.ExtendBaseWidget(i)
	return i
}

// set shows conversation c, with its network's icon as the badge.
func (i *convFace) set(c storage.Conversation, network fyne.Resource) {
	i.isChan = c.Group
	if c.Group {
		i.face.text.Text = "#"
		i.face.circle.FillColor = themeColor(colorMuted)
		i.face.circle.Refresh()
		i.face.text.Refresh()
	} else {
		i.face.set(convTitle(c), c.RemoteID) // the key the message list colours this person by
	}
	i.badge.Resource = network
	i.badge.Refresh()
	i.ring.FillColor = themeColor(theme.ColorNameBackground)
	i.ring.Refresh()
}

func (i *convFace) MinSize() fyne.Size { return fyne.NewSize(i.size, i.size) }

func (i *convFace) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.New(&badgeLayout{size: i.size}, i.face, i.ring, i.badge))
}

// badgeLayout puts the face full size and the badge (with its ring) small
// in the bottom-right corner.
type badgeLayout struct{ size float32 }

func (l *badgeLayout) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(l.size, l.size) }

func (l *badgeLayout) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	face, ring, badge := objs[0], objs[1], objs[2]
	face.Move(fyne.NewPos((s.Width-l.size)/2, (s.Height-l.size)/2))
	face.Resize(fyne.NewSize(l.size, l.size))
	b := l.size * 0.38
	at := fyne.NewPos((s.Width+l.size)/2-b+3, (s.Height+l.size)/2-b+3)
	ring.Move(at.Subtract(fyne.NewPos(1.5, 1.5)))
	ring.Resize(fyne.NewSize(b+3, b+3))
	badge.Move(at)
	badge.Resize(fyne.NewSize(b, b))
}
