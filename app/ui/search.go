package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"switchboard/assets"
	"switchboard/storage"
)

const searchLimit = 200

// searchDialog (Ctrl+F) searches every account; hits are grouped by
// conversation, and choosing one opens the conversation at that message.
type searchDialog struct {
	v      *view
	dlg    dialog.Dialog
	entry  *navEntry
	status *widget.Label
	list   *widget.List
	rows   []searchRow
	seq    int
	sel    int // the chosen hit's row (arrow keys), -1 for none
}

type searchRow struct {
	header bool
	hit    storage.SearchHit
	count  int
}

func (v *view) showSearch() {
	s := &searchDialog{v: v, entry: newNavEntry(), status: widget.NewLabel(""), sel: -1}
	s.entry.SetPlaceHolder("Search all conversations — ↑ ↓ pick, Enter opens, Esc closes")
	s.entry.OnSubmitted = func(string) {
		if s.sel >= 0 && s.sel < len(s.rows) {
			s.open(s.rows[s.sel].hit)
			return
		}
		s.run()
	}
	s.entry.onMove = func(d int) {
		s.sel = moveSel(s.sel, d, len(s.rows), func(i int) bool { return s.rows[i].header })
		s.list.Refresh()
		if s.sel >= 0 {
			s.list.ScrollTo(s.sel)
		}
	}
	s.entry.onEscape = func() { s.dlg.Hide() }
	s.entry.OnChanged = func(string) { s.debounce() }
	s.status.Importance = widget.LowImportance
	s.list = widget.NewList(func() int { return len(s.rows) }, s.newRow, s.updateRow)
	s.list.HideSeparators = true
	top := container.NewVBox(container.NewBorder(nil, nil, widget.NewIcon(theme.SearchIcon()), nil, s.entry), s.status)
	s.dlg = dialog.NewCustom("Search", "Close", container.NewBorder(top, nil, nil, nil, s.list), v.win)
	s.dlg.Resize(fyne.NewSize(620, 520))
	v.searchDlg = s
	s.dlg.Show()
	v.win.Canvas().Focus(s.entry)
}

func (s *searchDialog) debounce() {
	s.seq++
	seq := s.seq
	s.v.async(func(ctx context.Context) func() {
		select {
		case <-ctx.Done():
		case <-afterDebounce():
		}
		return func() {
			if seq == s.seq {
				s.run()
			}
		}
	})
}

func (s *searchDialog) run() {
	q := strings.TrimSpace(s.entry.Text)
	s.seq++
	seq := s.seq
	if q == "" {
		s.rows = nil
		s.status.SetText("")
		s.list.Refresh()
		return
	}
	s.status.SetText("Searching…")
	s.v.async(func(ctx context.Context) func() {
		hits, err := s.v.be.Search(ctx, q, searchLimit, 0)
		return func() {
			if seq != s.seq {
				return
			}
			if err != nil {
				s.status.SetText(err.Error())
				return
			}
			s.rows = groupHits(hits)
			s.sel = -1
			switch {
			case len(hits) == 0:
				s.status.SetText("No messages match “" + q + "”.")
			case len(hits) >= searchLimit:
				s.status.SetText(fmt.Sprintf("The newest %d matches", len(hits)))
			default:
				s.status.SetText(fmt.Sprintf("%d matches", len(hits)))
			}
			s.list.Refresh()
			s.list.ScrollToTop()
		}
	})
}

// groupHits orders hits by conversation (conversations by their newest
// hit), each conversation led by a header row.
func groupHits(hits []storage.SearchHit) []searchRow {
	var order []int64
	by := map[int64][]storage.SearchHit{}
	for _, h := range hits {
		if _, ok := by[h.ConvRow]; !ok {
			order = append(order, h.ConvRow)
		}
		by[h.ConvRow] = append(by[h.ConvRow], h)
	}
	var rows []searchRow
	for _, c := range order {
		hs := by[c]
		rows = append(rows, searchRow{header: true, hit: hs[0], count: len(hs)})
		for _, h := range hs {
			rows = append(rows, searchRow{hit: h})
		}
	}
	return rows
}

// infoRow is a tappable list row: icon, title, detail and a note on the right.
type infoRow struct {
	widget.BaseWidget
	tap    *tapRow
	icon   *canvas.Image
	title  *widget.Label
	detail *widget.Label
	note   *canvas.Text
	box    *fyne.Container
}

// relayout fits the row again after its texts changed.
func (r *infoRow) relayout() { r.box.Refresh() }

func newInfoRow() *infoRow {
	r := &infoRow{icon: canvas.NewImageFromResource(assets.AppIcon()), title: widget.NewLabel(""),
		detail: widget.NewLabel(""), note: mutedText("")}
	r.icon.FillMode = canvas.ImageFillContain
	r.title.Truncation = fyne.TextTruncateEllipsis
	r.detail.Truncation = fyne.TextTruncateEllipsis
	r.detail.SizeName = theme.SizeNameCaptionText
	r.box = container.NewBorder(nil, nil, fixed(r.icon, fyne.NewSize(22, 22)), r.note,
		container.NewVBox(r.title, container.New(layout.NewCustomPaddedLayout(-12, 0, 0, 0), r.detail)))
	r.tap = newTapRow(r.box, nil)
	r.ExtendBaseWidget(r)
	return r
}

func (r *infoRow) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(r.tap) }

func (r *infoRow) setDetail(s string) {
	r.detail.SetText(s)
	if s == "" {
		r.detail.Hide()
	} else {
		r.detail.Show()
	}
}

func (s *searchDialog) newRow() fyne.CanvasObject { return newInfoRow() }

// open shows a hit in its conversation.
func (s *searchDialog) open(h storage.SearchHit) {
	s.dlg.Hide()
	s.v.openAt(h.ConvRow, h.Row)
}

func (s *searchDialog) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	it := o.(*infoRow)
	r := s.rows[id]
	h := r.hit
	it.tap.OnTapped = func() { s.open(h) }
	it.tap.setSelected(id == s.sel)
	if r.header {
		it.icon.Resource = s.v.networkIcon(h.Network)
		it.title.TextStyle.Bold = true
		it.title.SetText(firstNonEmpty(h.ConvTitle, h.ConvRemoteID))
		it.setDetail(h.Account)
		it.note.Text = fmt.Sprintf("%d found", r.count)
	} else {
		it.icon.Resource = nil
		it.title.TextStyle.Bold = false
		it.title.SetText(oneLine(h.Text))
		it.setDetail(senderName(h.Message))
		it.note.Text = h.Time.Local().Format("2 Jan 2006 15:04")
	}
	it.icon.Refresh()
	it.note.Refresh()
	it.title.Refresh()
	it.relayout()
}

// switcher (Ctrl+K) opens any conversation by typing part of its name.
type switcher struct {
	v       *view
	dlg     dialog.Dialog
	entry   *navEntry
	list    *widget.List
	all     []storage.Conversation
	matches []storage.Conversation
	sel     int // the highlighted match (arrow keys; Enter opens it)
}

func (v *view) showSwitcher() {
	s := &switcher{v: v, entry: newNavEntry()}
	s.entry.SetPlaceHolder("Jump to a conversation — ↑ ↓ pick, Enter opens, Esc closes")
	s.entry.OnChanged = func(string) { s.filter() }
	s.entry.OnSubmitted = func(string) {
		if s.sel >= 0 && s.sel < len(s.matches) {
			s.choose(s.matches[s.sel])
		}
	}
	s.entry.onMove = func(d int) {
		s.sel = moveSel(s.sel, d, len(s.matches), nil)
		s.list.Refresh()
		s.list.ScrollTo(s.sel)
	}
	s.entry.onEscape = func() { s.dlg.Hide() }
	s.list = widget.NewList(func() int { return len(s.matches) }, func() fyne.CanvasObject { return newInfoRow() },
		func(id widget.ListItemID, o fyne.CanvasObject) {
			r := o.(*infoRow)
			c := s.matches[id]
			r.icon.Resource = s.v.networkIcon(c.Network)
			r.icon.Refresh()
			r.title.SetText(convTitle(c))
			r.setDetail("")
			r.note.Text = c.Account + " · " + listTime(c.LastTime, v.now())
			r.note.Refresh()
			r.relayout()
			r.tap.OnTapped = func() { s.choose(c) }
			r.tap.setSelected(id == s.sel)
		})
	s.list.HideSeparators = true
	s.dlg = dialog.NewCustom("Go to conversation", "Close", container.NewBorder(s.entry, nil, nil, nil, s.list), v.win)
	s.dlg.Resize(fyne.NewSize(480, 420))
	v.switchDlg = s
	s.dlg.Show()
	v.win.Canvas().Focus(s.entry)
	v.async(func(ctx context.Context) func() {
		all, err := v.be.Conversations(ctx, storage.ConvQuery{Filter: storage.FilterAll})
		if err != nil {
			v.log.Error("switcher: list conversations", "err", err)
		}
		return func() {
			s.all = all
			s.filter()
		}
	})
}

func (s *switcher) filter() {
	q := strings.ToLower(strings.TrimSpace(s.entry.Text))
	s.matches = s.matches[:0]
	for _, c := range s.all {
		if q == "" || strings.Contains(strings.ToLower(convTitle(c)), q) || strings.Contains(strings.ToLower(c.RemoteID), q) {
			s.matches = append(s.matches, c)
			if len(s.matches) >= 200 {
				break
			}
		}
	}
	s.sel = 0 // Enter opens the best match unless the arrows pick another
	if len(s.matches) == 0 {
		s.sel = -1
	}
	s.list.Refresh()
}

func (s *switcher) choose(c storage.Conversation) {
	s.dlg.Hide()
	s.v.openConversation(c.Row)
}

func afterDebounce() <-chan time.Time { return time.After(250 * time.Millisecond) }
