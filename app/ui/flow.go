package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// flowLayout places objects in a row and wraps them onto the next row
// when the width runs out, so a row of buttons never makes a pane (and
// the window) wider than it is: its minimum width is its widest object.
type flowLayout struct{}

func (flowLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var w, h float32
	for _, o := range objs {
		if !o.Visible() {
			continue
		}
		m := o.MinSize()
		w = max(w, m.Width)
		h = max(h, m.Height)
	}
	return fyne.NewSize(w, h)
}

// rows lays the visible objects out for width w and returns the height used.
func (flowLayout) place(objs []fyne.CanvasObject, w float32, move bool) float32 {
	pad := theme.Padding()
	var x, y, rowH float32
	for _, o := range objs {
		if !o.Visible() {
			continue
		}
		m := o.MinSize()
		if x > 0 && x+m.Width > w {
			x, y, rowH = 0, y+rowH+pad, 0
		}
		if move {
			o.Move(fyne.NewPos(x, y))
			o.Resize(m)
		}
		x += m.Width + pad
		rowH = max(rowH, m.Height)
	}
	return y + rowH
}

func (f flowLayout) Layout(objs []fyne.CanvasObject, s fyne.Size) { f.place(objs, s.Width, true) }

// flowBox is a container whose height follows how many rows its objects
// need at its current width.
type flowBox struct {
	flowLayout
	width float32
}

func (f *flowBox) MinSize(objs []fyne.CanvasObject) fyne.Size {
	m := f.flowLayout.MinSize(objs)
	if f.width > 0 {
		m.Height = f.place(objs, f.width, false)
	}
	return m
}

func (f *flowBox) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	f.width = s.Width
	f.flowLayout.Layout(objs, s)
}
