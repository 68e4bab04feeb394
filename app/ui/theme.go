package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Theme preference values.
const (
	themeSystem = "system"
	themeLight  = "light"
	themeDark   = "dark"
)

// appTheme is Switchboard's look: Fyne's default theme with our accent
// colours and slightly roomier sizes. Fyne 2.7 has no setting to force a
// variant, so forced is the variant to use whatever the system says
// (nil: follow the system).
type appTheme struct {
	forced *fyne.ThemeVariant
}

func newAppTheme(pref string) *appTheme {
	t := &appTheme{}
	switch pref {
	case themeLight:
		v := theme.VariantLight
		t.forced = &v
	case themeDark:
		v := theme.VariantDark
		t.forced = &v
	}
	return t
}

var _ fyne.Theme = (*appTheme)(nil)

// Custom colour names used by our widgets.
const (
	colorSidebar  fyne.ThemeColorName = "switchboardSidebar"
	colorOwnMsg   fyne.ThemeColorName = "switchboardOwnMessage"
	colorSelected fyne.ThemeColorName = "switchboardSelectedRow"
	colorBadge    fyne.ThemeColorName = "switchboardBadge"
	colorBadgeLow fyne.ThemeColorName = "switchboardBadgeMuted"
	colorOnline   fyne.ThemeColorName = "switchboardOnline"
	colorAway     fyne.ThemeColorName = "switchboardConnecting"
	colorFailed   fyne.ThemeColorName = "switchboardFailed"
	colorMuted    fyne.ThemeColorName = "switchboardMutedText"
	colorMention  fyne.ThemeColorName = "switchboardMention" // a message naming the user
)

func rgb(hex uint32) color.NRGBA {
	return color.NRGBA{uint8(hex >> 16), uint8(hex >> 8), uint8(hex), 0xff}
}

func (t *appTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if t.forced != nil {
		v = *t.forced
	}
	dark := v == theme.VariantDark
	pick := func(light, darkC uint32) color.Color {
		if dark {
			return rgb(darkC)
		}
		return rgb(light)
	}
	switch n {
	case theme.ColorNamePrimary, theme.ColorNameHyperlink:
		return pick(0x4F46E5, 0x818CF8)
	case theme.ColorNameFocus:
		return color.NRGBA{0x63, 0x66, 0xF1, 0x66}
	case theme.ColorNameSelection:
		return color.NRGBA{0x63, 0x66, 0xF1, 0x40}
	case theme.ColorNameBackground:
		return pick(0xFFFFFF, 0x17181C)
	case theme.ColorNameInputBackground:
		return pick(0xF3F4F6, 0x24262D)
	case theme.ColorNameMenuBackground, theme.ColorNameOverlayBackground:
		return pick(0xFFFFFF, 0x1F2127)
	case theme.ColorNameSeparator:
		return pick(0xE5E7EB, 0x2A2C33)
	case theme.ColorNameHover:
		return pick(0xEEF0F4, 0x262830)
	case theme.ColorNameForeground:
		return pick(0x111827, 0xE5E7EB)
	case theme.ColorNamePlaceHolder:
		return pick(0x9CA3AF, 0x6B7280)
	case colorSidebar:
		return pick(0xF5F6F8, 0x111216)
	case colorOwnMsg:
		return pick(0xEEF2FF, 0x1E2035)
	case colorSelected:
		return pick(0xE0E7FF, 0x2A2D4A)
	case colorBadge:
		return pick(0x4F46E5, 0x6366F1)
	case colorBadgeLow:
		return pick(0x8B93A1, 0x4B5563)
	case colorOnline:
		return rgb(0x22C55E)
	case colorAway:
		return rgb(0xF59E0B)
	case colorFailed:
		return rgb(0xEF4444)
	case colorMuted:
		return pick(0x6B7280, 0x9CA3AF)
	case colorMention:
		return pick(0xFEF3C7, 0x3A2F12)
	}
	return theme.DefaultTheme().Color(n, v)
}

func (t *appTheme) Font(s fyne.TextStyle) fyne.Resource { return theme.DefaultTheme().Font(s) }

func (t *appTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }

func (t *appTheme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameInputRadius, theme.SizeNameSelectionRadius:
		return 8
	case theme.SizeNameScrollBarSmall:
		return 4
	}
	return theme.DefaultTheme().Size(n)
}

// themeColor resolves one of our colour names with the app's current theme.
func themeColor(n fyne.ThemeColorName) color.Color {
	app := fyne.CurrentApp()
	return app.Settings().Theme().Color(n, app.Settings().ThemeVariant())
}
