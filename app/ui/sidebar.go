package ui

import (
	"fmt"
	"sort"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"switchboard/app/core"
	"switchboard/assets"
	"switchboard/connectors"
	"switchboard/storage"
)

// sidebar is the left pane: the filters and the accounts by network.
type sidebar struct {
	v        *view
	root     fyne.CanvasObject
	filters  map[string]*navItem
	accounts *fyne.Container
	rows     map[string]*accountRow
	bridged  *fyne.Container     // the BRIDGED section: origin networks as filters
	origins  map[string]*navItem // its rows by network name
	hover    *widget.PopUp
}

type navItem struct {
	row   *tapRow
	right *fyne.Container
	label *widget.Label
	note  *canvas.Text
	badge *badge
}

func newNavItem(icon fyne.Resource, title string, tap func()) *navItem {
	n := &navItem{label: widget.NewLabel(title), note: mutedText(""), badge: newBadge()}
	n.label.Truncation = fyne.TextTruncateEllipsis
	n.badge.Hide()
	ic := widget.NewIcon(icon)
	right := container.NewHBox(n.note, container.NewCenter(n.badge))
	n.right = container.NewBorder(nil, nil, ic, container.NewCenter(right), n.label)
	n.row = newTapRow(n.right, tap)
	return n
}

func newSidebar(v *view) *sidebar {
	s := &sidebar{v: v, filters: map[string]*navItem{}, rows: map[string]*accountRow{}, origins: map[string]*navItem{}}
	add := widget.NewButtonWithIcon("", theme.ContentAddIcon(), func() { v.showAccountDialog(nil) })
	add.Importance = widget.LowImportance
	settings := widget.NewButtonWithIcon("", theme.SettingsIcon(), nil)
	settings.Importance = widget.LowImportance
	settings.OnTapped = func() { v.showSettingsMenu(settings) }
	logo := canvas.NewImageFromResource(assets.AppIcon())
	logo.FillMode = canvas.ImageFillContain
	name := widget.NewLabelWithStyle("Switchboard", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	name.Truncation = fyne.TextTruncateEllipsis // a narrow window narrows the sidebar first
	header := container.NewBorder(nil, nil, fixed(logo, fyne.NewSize(26, 26)), container.NewHBox(add, settings), name)

	type def struct {
		key   string
		icon  fyne.Resource
		title string
		tap   func()
	}
	defs := []def{
		{"all", theme.HomeIcon(), "All", func() { v.setFilter(storage.FilterAll, "") }},
		{"unread", theme.MailComposeIcon(), "Unread", func() { v.setFilter(storage.FilterUnread, "") }},
		{"awaiting", theme.HistoryIcon(), "Awaiting reply", func() { v.setFilter(storage.FilterAwaiting, "") }},
		{"requests", theme.QuestionIcon(), "Requests", func() { v.setFilter(storage.FilterRequests, "") }},
		{"blocked", theme.VisibilityOffIcon(), "Blocked", func() { v.setFilter(storage.FilterBlocked, "") }},
		{"brands", theme.StorageIcon(), "Brands", func() { v.showBrands(true) }},
	}
	list := container.NewVBox(sectionTitle("INBOX"))
	for _, d := range defs {
		n := newNavItem(d.icon, d.title, d.tap)
		s.filters[d.key] = n
		list.Add(n.row)
	}
	s.bridged = container.NewVBox()
	list.Add(s.bridged)
	s.accounts = container.NewVBox()
	list.Add(sectionTitle("ACCOUNTS"))
	list.Add(s.accounts)

	bg := canvas.NewRectangle(themeColor(colorSidebar))
	body := container.NewBorder(paneHeader(container.New(layout.NewCustomPaddedLayout(0, 0, 8, 4), header)), nil, nil, nil,
		container.NewVScroll(container.New(layout.NewCustomPaddedLayout(0, 8, 6, 6), list)))
	s.root = container.NewStack(bg, body)
	s.refreshFilters()
	return s
}

// refreshFilters updates the highlight and the counts of the filters.
func (s *sidebar) refreshFilters() {
	v := s.v
	c := v.counts
	set := func(key string, n int, muted bool) {
		txt := ""
		if n > 0 {
			txt = fmt.Sprint(n)
		}
		s.filters[key].badge.set(txt, muted)
		s.filters[key].right.Refresh()
	}
	set("all", 0, false)
	set("unread", c.unread, false)
	set("awaiting", c.awaiting, true)
	set("requests", c.requests, true)
	set("blocked", c.blocked, true)
	aw := s.filters["awaiting"].note
	aw.Text = ""
	if c.awaiting > 0 && !c.oldestWait.IsZero() {
		aw.Text = waited(c.oldestWait, v.now())
	}
	aw.Refresh()
	s.filters["awaiting"].right.Refresh()
	for key, n := range s.filters {
		sel := false
		switch {
		case v.brandsOpen:
			sel = key == "brands"
		case v.account == "" && v.network == "":
			sel = key == string(v.filter)
		}
		n.row.setSelected(sel)
	}
	s.refreshBridged()
}

// refreshBridged lists the networks conversations are bridged from (a
// WhatsApp chat carried by a Matrix account), each a filter.
func (s *sidebar) refreshBridged() {
	v := s.v
	var objs []fyne.CanvasObject
	if len(v.counts.origins) > 0 {
		objs = append(objs, sectionTitle("BRIDGED"))
	}
	for _, o := range v.counts.origins {
		n := s.origins[o]
		if n == nil {
			o := o
			n = newNavItem(assets.Icon(o), networkLabel(v, o), func() { v.setNetwork(o) })
			s.origins[o] = n
		}
		n.row.setSelected(v.network == o && !v.brandsOpen)
		objs = append(objs, n.row)
	}
	s.bridged.Objects = objs
	s.bridged.Refresh()
}

// accountRow is one account in the sidebar.
type accountRow struct {
	row    *tapRow
	dot    *canvas.Circle
	name   *widget.Label
	status *canvas.Text
	badge  *badge
	signIn *widget.Button // shown while the account needs sign-in
	st     core.AccountStatus
}

func (s *sidebar) newAccountRow(name string) *accountRow {
	r := &accountRow{dot: newStatusDot(), name: widget.NewLabel(name), status: mutedText(""), badge: newBadge()}
	r.name.Truncation = fyne.TextTruncateEllipsis
	edit := widget.NewButtonWithIcon("", theme.DocumentCreateIcon(), func() {
		st := r.st
		s.v.showAccountDialog(&st)
	})
	edit.Importance = widget.LowImportance
	r.signIn = widget.NewButtonWithIcon("Sign in…", theme.LoginIcon(), func() { s.v.startSignIn(r.st.Name) })
	r.signIn.Importance = widget.HighImportance
	r.signIn.Hide()
	text := container.New(layout.NewCustomPaddedLayout(0, 0, 0, 0),
		container.NewVBox(r.name, container.New(layout.NewCustomPaddedLayout(-10, 0, 8, 0), r.status)))
	right := container.NewHBox(container.NewCenter(r.badge), container.NewCenter(r.signIn), edit)
	r.row = newTapRow(container.NewBorder(nil, nil, fixed(r.dot, fyne.NewSize(10, 10)), right, text), func() {
		if s.v.account == r.st.Name {
			s.v.setFilter(storage.FilterAll, "")
		} else {
			s.v.setFilter(storage.FilterAll, r.st.Name)
		}
	})
	r.row.OnHover = func(in bool, at fyne.Position) { s.hoverAccount(r, in, at) }
	return r
}

func (r *accountRow) update(st core.AccountStatus, selected bool) {
	r.st = st
	r.name.SetText(st.Name)
	r.dot.FillColor = dotColor(st.State)
	r.dot.Refresh()
	r.status.Text = ""
	if st.Disabled {
		r.status.Text = "Disabled"
	} else if st.State != connectors.StateOnline {
		r.status.Text = stateLabel(st.State)
		if st.Reason != "" {
			r.status.Text += ": " + oneLine(st.Reason)
		}
	}
	if len(r.status.Text) > 40 {
		r.status.Text = r.status.Text[:39] + "…"
	}
	if r.status.Text == "" {
		r.status.Hide()
	} else {
		r.status.Show()
	}
	r.status.Refresh()
	n := ""
	if st.Unread > 0 {
		n = fmt.Sprint(st.Unread)
	}
	r.badge.set(n, false)
	if st.State == connectors.StateNeedsSignIn && hasCapability(st, connectors.CapSignIn) {
		r.signIn.Show()
	} else {
		r.signIn.Hide()
	}
	r.row.setSelected(selected)
}

// hoverAccount shows the account's full state and the server's words.
func (s *sidebar) hoverAccount(r *accountRow, in bool, at fyne.Position) {
	if s.hover != nil {
		s.hover.Hide()
		s.hover = nil
	}
	if !in {
		return
	}
	st := r.st
	text := fmt.Sprintf("%s · %s\n%s", st.Name, s.v.networkName(st.Network), stateLabel(st.State))
	if !st.Since.IsZero() {
		text += " since " + st.Since.Local().Format("15:04")
	}
	if st.Self != "" {
		text += "\nSigned in as " + st.Self
	}
	if st.Reason != "" {
		text += "\n" + st.Reason
	}
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	pop := widget.NewPopUp(container.New(&fixedWidth{w: 280}, l), s.v.win.Canvas())
	pop.ShowAtPosition(at.Add(fyne.NewPos(16, 16)))
	s.hover = pop
}

type fixedWidth struct{ w float32 }

func (f *fixedWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	h := float32(0)
	for _, o := range objs {
		o.Resize(fyne.NewSize(f.w, o.MinSize().Height))
		if m := o.MinSize().Height; m > h {
			h = m
		}
	}
	return fyne.NewSize(f.w, h)
}

func (f *fixedWidth) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	for _, o := range objs {
		o.Resize(s)
	}
}

// refreshAccounts rebuilds the accounts section grouped by network.
func (s *sidebar) refreshAccounts() {
	v := s.v
	byNet := map[string][]core.AccountStatus{}
	var nets []string
	for _, a := range v.accounts {
		if _, ok := byNet[a.Network]; !ok {
			nets = append(nets, a.Network)
		}
		byNet[a.Network] = append(byNet[a.Network], a)
	}
	sort.Strings(nets)
	var objs []fyne.CanvasObject
	seen := map[string]bool{}
	for _, n := range nets {
		ic := canvas.NewImageFromResource(v.networkIcon(n))
		ic.FillMode = canvas.ImageFillContain
		title := widget.NewLabelWithStyle(v.networkName(n), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		objs = append(objs, container.New(layout.NewCustomPaddedLayout(4, 0, 10, 0),
			container.NewBorder(nil, nil, fixed(ic, fyne.NewSize(18, 18)), nil, title)))
		for _, a := range byNet[n] {
			r := s.rows[a.Name]
			if r == nil {
				r = s.newAccountRow(a.Name)
				s.rows[a.Name] = r
			}
			seen[a.Name] = true
			r.update(a, v.account == a.Name && !v.brandsOpen)
			objs = append(objs, r.row)
		}
	}
	for name := range s.rows {
		if !seen[name] {
			delete(s.rows, name)
		}
	}
	if len(objs) == 0 {
		hint := widget.NewLabel("No accounts yet.")
		hint.Importance = widget.LowImportance
		btn := widget.NewButtonWithIcon("Add account", theme.ContentAddIcon(), func() { v.showAccountDialog(nil) })
		objs = append(objs, container.New(layout.NewCustomPaddedLayout(0, 0, 8, 8), container.NewVBox(hint, btn)))
	}
	s.accounts.Objects = objs
	s.accounts.Refresh()
}
