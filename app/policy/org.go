package policy

import (
	"strings"

	"golang.org/x/net/publicsuffix"
)

// OrgDomain returns the organisation domain of an address-like handle
// ("offers@mail.acme.example" → "acme.example": the registrable domain
// under the public suffix list), or "" when the handle has no domain, the
// domain is not registrable, or it belongs to a public mail provider —
// where one address says nothing about the others (gmail.com).
//
// A brand the user marked at an organisation's domain makes the other
// addresses there brands too (a new address is the easiest way round a
// block), but only where the domain is the organisation's own.
func OrgDomain(handle string) string {
	at := strings.LastIndexByte(handle, '@')
	if at < 0 || at == len(handle)-1 {
		return ""
	}
	host := strings.TrimSuffix(strings.ToLower(handle[at+1:]), ".")
	if host == "" || strings.ContainsAny(host, "/:[] ") {
		return ""
	}
	org, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil || isPublicMailProvider(org) {
		return ""
	}
	return org
}

// isPublicMailProvider says whether anyone can have an address at the
// registrable domain d, so that a brand there says nothing about its
// neighbours.
func isPublicMailProvider(d string) bool {
	switch d {
	case "gmail.com", "googlemail.com", "outlook.com", "hotmail.com",
		"live.com", "msn.com", "yahoo.com", "ymail.com",
		"aol.com", "icloud.com", "me.com", "mac.com",
		"proton.me", "protonmail.com", "pm.me", "tutanota.com",
		"tuta.io", "gmx.com", "gmx.net", "gmx.de", "web.de",
		"mail.com", "zoho.com", "fastmail.com", "yandex.ru",
		"yandex.com", "mail.ru", "qq.com", "163.com",
		"126.com", "naver.com", "hey.com", "posteo.de",
		"mailbox.org", "orange.fr", "free.fr", "libero.it",
		"t-online.de", "comcast.net", "btinternet.com",
		// Chat servers where anyone signs up: an XMPP or Matrix ID there
		// is a person's as often as a brand's.
		"jabber.org", "matrix.org", "xmpp.jp":
		return true
	}
	return false
}
