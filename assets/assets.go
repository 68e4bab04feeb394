// Package assets holds Switchboard's icons, drawn as SVG in icons/ and
// embedded with `fyne bundle` (run `go generate ./assets` after editing
// them). brands.txt, the bundled brand list, is read by app/policy.
package assets

//go:generate fyne bundle -o bundled.go --pkg assets --prefix res icons
//go:generate fyne bundle -o bundled.go --pkg assets --prefix res -a Icon.png

import "fyne.io/fyne/v2"

// AppIcon is the application icon (SVG, scales to any size).
func AppIcon() fyne.Resource { return resAppSvg }

// AppIconPNG is the 512×512 raster icon used for packaging and the tray.
func AppIconPNG() fyne.Resource { return resIconPng }

// Network returns the icon of a network by its registry name ("irc",
// "xmpp", "email", …); networks without their own icon get the app icon.
func Network(name string) fyne.Resource {
	switch name {
	case "irc":
		return resIrcSvg
	case "xmpp":
		return resXmppSvg
	case "email":
		return resEmailSvg
	case "telegram":
		return resTelegramSvg
	case "slack":
		return resSlackSvg
	case "matrix":
		return resMatrixSvg
	case "discord":
		return resDiscordSvg
	case "whatsapp":
		return resWhatsappSvg
	}
	return resAppSvg
}

// Networks lists the networks that have their own icon.
func Networks() []string {
	return []string{"irc", "xmpp", "email", "telegram", "slack", "matrix", "discord", "whatsapp"}
}
