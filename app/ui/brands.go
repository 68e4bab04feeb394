package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"switchboard/app/core"
	"switchboard/connectors"
	"switchboard/storage"
)

// brandsView lists every contact classified as a brand with its consent,
// and shows one brand's consent controls and ledger history.
type brandsView struct {
	v      *view
	root   fyne.CanvasObject
	list   *widget.List
	empty  *widget.Label
	brands []core.BrandStatus
	sel    int

	detail   *fyne.Container
	name     *widget.Label
	info     *widget.Label
	consent  *widget.Select
	until    *widget.Entry
	apply    *widget.Button
	unsub    *widget.Button
	ledger   *widget.List
	entries  []storage.LedgerEntry
	ledgerSq int
}

func newBrandsView(v *view) *brandsView {
	b := &brandsView{v: v, sel: -1}
	b.list = widget.NewList(func() int { return len(b.brands) }, func() fyne.CanvasObject { return newInfoRow() },
		func(id widget.ListItemID, o fyne.CanvasObject) { b.updateRow(id, o.(*infoRow)) })
	b.list.HideSeparators = true
	b.empty = widget.NewLabel("No brands yet. Contacts that the networks, the bundled brand list or you mark as brands appear here.")
	b.empty.Wrapping = fyne.TextWrapWord
	b.empty.Importance = widget.LowImportance

	b.name = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	b.name.SizeName = theme.SizeNameSubHeadingText
	b.info = widget.NewLabel("")
	b.info.Wrapping = fyne.TextWrapWord
	b.consent = widget.NewSelect([]string{consentNone, consentReplies, consentSubscribed, consentBlocked}, func(s string) {
		if s == consentSubscribed {
			b.until.Enable()
		} else {
			b.until.Disable()
		}
	})
	b.until = widget.NewEntry()
	b.until.SetPlaceHolder("YYYY-MM-DD (optional)")
	b.apply = widget.NewButtonWithIcon("Save consent", theme.ConfirmIcon(), b.save)
	b.apply.Importance = widget.HighImportance
	b.unsub = widget.NewButtonWithIcon("Unsubscribe at the sender", theme.MailForwardIcon(), func() {
		if b.sel >= 0 && b.sel < len(b.brands) {
			br := b.brands[b.sel]
			b.v.confirmUnsubscribe(br.Account, br.Handle, br.Consent == consentBlocked)
		}
	})
	b.ledger = widget.NewList(func() int { return len(b.entries) }, func() fyne.CanvasObject {
		l := widget.NewLabel("")
		l.Truncation = fyne.TextTruncateEllipsis
		return l
	}, func(id widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(ledgerLine(b.entries[id])) })
	form := widget.NewForm(widget.NewFormItem("Consent", b.consent),
		widget.NewFormItem("Until", b.until))
	top := container.NewVBox(b.name, b.info, form, container.NewHBox(b.unsub, layout.NewSpacer(), b.apply),
		widget.NewSeparator(), widget.NewLabelWithStyle("Consent history", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	b.detail = container.NewBorder(top, nil, nil, nil, b.ledger)
	b.detail.Hide()

	title := widget.NewLabelWithStyle("Brands", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameSubHeadingText
	listBox := container.NewStack(b.list, container.NewVBox(b.empty))
	split := container.NewVSplit(listBox, container.New(layout.NewCustomPaddedLayout(8, 8, 12, 12), b.detail))
	split.Offset = 0.4
	b.root = container.NewBorder(container.NewVBox(paneHeader(container.New(layout.NewCustomPaddedLayout(0, 0, 12, 8), title)),
		widget.NewSeparator()), nil, nil, nil, split)
	return b
}

func ledgerLine(e storage.LedgerEntry) string {
	s := fmt.Sprintf("%s · %s → %s · %s", e.Time.Local().Format("2 Jan 2006 15:04"), firstNonEmpty(e.OldState, "none"), e.NewState, e.How)
	if len(e.Scopes) > 0 {
		s += " · " + strings.Join(e.Scopes, ", ")
	}
	if !e.Until.IsZero() {
		s += " · until " + e.Until.Local().Format("2 Jan 2006")
	}
	if e.Result != "" {
		s += " · " + e.Result
	}
	return s
}

func (b *brandsView) updateRow(id widget.ListItemID, r *infoRow) {
	br := b.brands[id]
	r.icon.Resource = b.v.networkIcon(br.Network)
	r.icon.Refresh()
	r.title.SetText(firstNonEmpty(br.Name, br.Handle))
	detail := br.Handle + " · " + br.Account
	if len(br.Evidence) > 0 {
		detail += " · " + br.Evidence[0]
	}
	r.setDetail(detail)
	note := br.Consent
	if br.Held > 0 {
		note += fmt.Sprintf(" · %d held", br.Held)
	}
	r.note.Text = note
	r.note.Refresh()
	r.relayout()
	r.tap.setSelected(id == b.sel)
	r.tap.OnTapped = func() { b.choose(id) }
}

func (b *brandsView) reload() {
	b.v.coalesce("brands", func(ctx context.Context) func() {
		brands, err := b.v.be.Brands(ctx)
		if err != nil {
			b.v.log.Error("list brands", "err", err)
			return nil
		}
		return func() {
			var keep core.BrandStatus
			if b.sel >= 0 && b.sel < len(b.brands) {
				keep = b.brands[b.sel]
			}
			b.brands = brands
			b.sel = -1
			for i, br := range brands {
				if br.Account == keep.Account && br.Handle == keep.Handle && keep.Handle != "" {
					b.sel = i
				}
			}
			if len(brands) == 0 {
				b.empty.Show()
			} else {
				b.empty.Hide()
			}
			b.list.Refresh()
			if b.sel >= 0 {
				b.choose(b.sel)
			} else {
				b.detail.Hide()
			}
		}
	})
}

// choose shows brand i's consent and loads its ledger.
func (b *brandsView) choose(i int) {
	if i < 0 || i >= len(b.brands) {
		return
	}
	b.sel = i
	br := b.brands[i]
	b.list.Refresh()
	b.name.SetText(firstNonEmpty(br.Name, br.Handle))
	info := fmt.Sprintf("%s on %s (%s). Classified as %s", br.Handle, b.v.networkName(br.Network), br.Account, br.Kind)
	if len(br.Evidence) > 0 {
		info += ": " + strings.Join(br.Evidence, "; ")
	}
	if br.Held > 0 {
		info += fmt.Sprintf(". %d message(s) held.", br.Held)
	}
	b.info.SetText(info)
	b.consent.SetSelected(firstNonEmpty(br.Consent, consentNone))
	b.until.SetText("")
	if !br.Until.IsZero() {
		b.until.SetText(br.Until.Local().Format("2006-01-02"))
	}
	if b.v.hasCapability(br.Account, connectors.CapUnsubscribe) {
		b.unsub.Show()
	} else {
		b.unsub.Hide()
	}
	b.detail.Show()
	b.detail.Refresh()
	b.ledgerSq++
	sq := b.ledgerSq
	b.v.async(func(ctx context.Context) func() {
		es, err := b.v.be.Ledger(ctx, br.Account, br.Handle)
		return func() {
			if sq != b.ledgerSq {
				return
			}
			if err != nil {
				b.v.log.Error("ledger", "err", err)
			}
			// Newest first.
			for l, r := 0, len(es)-1; l < r; l, r = l+1, r-1 {
				es[l], es[r] = es[r], es[l]
			}
			b.entries = es
			b.ledger.Refresh()
		}
	})
}

func (b *brandsView) save() {
	if b.sel < 0 {
		return
	}
	br := b.brands[b.sel]
	req := core.ConsentRequest{Account: br.Account, Handle: br.Handle, State: b.consent.Selected, How: "gui"}
	if req.State == consentSubscribed {
		if s := strings.TrimSpace(b.until.Text); s != "" {
			t, err := time.ParseInLocation("2006-01-02", s, time.Local)
			if err != nil {
				b.v.showError("Save consent", fmt.Errorf("%q is not a date like 2026-12-31", s))
				return
			}
			req.Until = t
		}
	}
	b.v.async(func(ctx context.Context) func() {
		err := b.v.be.SetConsent(ctx, req)
		return func() {
			if err != nil {
				b.v.showError("Save consent", err)
				return
			}
			b.v.afterConsentChange()
		}
	})
}
