// Package assets holds Switchboard's icons, drawn as SVG in icons/ and
// embedded with `fyne bundle` (run `go generate ./assets` after editing
// them). brands.txt, the bundled brand list, is read by app/policy.
package assets

//go:generate fyne bundle -o bundled.go --pkg assets --prefix res icons
//go:generate fyne bundle -o bundled.go --pkg assets --prefix res -a Icon.png

import (
	"sort"
	"strings"

	"fyne.io/fyne/v2"
)

// AppIcon is the application icon (SVG, scales to any size).
func AppIcon() fyne.Resource { return resAppSvg }

// AppIconPNG is the 512×512 raster icon used for packaging and the tray.
func AppIconPNG() fyne.Resource { return resIconPng }

// icons are the bundled network icons by name: "irc" is icons/irc.svg.
var icons = func() map[string]fyne.Resource {
	m := map[string]fyne.Resource{}
	for _, r := range []*fyne.StaticResource{resIrcSvg, resXmppSvg, resEmailSvg, resTelegramSvg,
		resSlackSvg, resMatrixSvg, resDiscordSvg, resWhatsappSvg,
		// Networks conversations may be bridged from (ConversationRef.Origin).
		resMessengerSvg, resInstagramSvg, resSmsSvg, resLinkedinSvg, resSignalSvg} {
		m[strings.TrimSuffix(r.StaticName, ".svg")] = r
	}
	return m
}()

// Icon returns the bundled icon a network names in its description
// (connectors.NetworkInfo.Icon: "irc" for icons/irc.svg), or the icon of
// a bridged conversation's origin network ("whatsapp", "signal"…); "" or
// a name with no icon gives the app icon.
func Icon(name string) fyne.Resource {
	if r, ok := icons[name]; ok {
		return r
	}
	return resAppSvg
}

// Icons lists the names of the bundled network icons, sorted.
func Icons() []string {
	out := make([]string, 0, len(icons))
	for n := range icons {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
