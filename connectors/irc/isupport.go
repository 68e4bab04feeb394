package irc

import (
	"strings"
)

// isupport is what the server told us in RPL_ISUPPORT (005).
type isupport struct {
	chanTypes string // "#&"
	prefixes  string // member prefixes, "@+"
	statusMsg string // STATUSMSG prefixes, "@+"
	casemap   string // "rfc1459", "ascii", "strict-rfc1459"
	silence   bool   // SILENCE is supported
	botMode   string // the user mode that marks bots (BOT=B)
	userLen   int
	hostLen   int
}

func defaultISupport() isupport {
	return isupport{chanTypes: "#&", prefixes: "~&@%+", casemap: "rfc1459", userLen: 10, hostLen: 63}
}

func (s *isupport) parse(params []string) {
	if len(params) < 2 {
		return
	}
	for _, tok := range params[1 : len(params)-1] { // skip our nick and the trailing text
		k, v, _ := strings.Cut(tok, "=")
		switch strings.ToUpper(k) {
		case "CHANTYPES":
			s.chanTypes = v
		case "PREFIX": // (ov)@+
			if i := strings.IndexByte(v, ')'); i >= 0 {
				s.prefixes = v[i+1:]
			}
		case "STATUSMSG":
			s.statusMsg = v
		case "CASEMAPPING":
			s.casemap = strings.ToLower(v)
		case "SILENCE":
			s.silence = true
		case "-SILENCE":
			s.silence = false
		case "BOT":
			s.botMode = v
		case "USERLEN":
			s.userLen = atoiOr(v, s.userLen)
		case "HOSTLEN":
			s.hostLen = atoiOr(v, s.hostLen)
		}
	}
}

func atoiOr(v string, def int) int {
	n := 0
	for _, c := range v {
		if c < '0' || c > '9' || n > 1<<20 {
			return def
		}
		n = n*10 + int(c-'0')
	}
	if v == "" {
		return def
	}
	return n
}

// fold case-folds a nick or channel name by the server's CASEMAPPING.
func (s isupport) fold(name string) string {
	b := []byte(name)
	for i, c := range b {
		switch {
		case c >= 'A' && c <= 'Z':
			b[i] = c + 32
		case s.casemap == "ascii":
		case c == '[' || c == ']' || c == '\\':
			b[i] = c + 32 // { } |
		case c == '~' && s.casemap == "rfc1459":
			b[i] = '^'
		}
	}
	return string(b)
}

// isChannel says whether a target names a channel.
func (s isupport) isChannel(target string) bool {
	return target != "" && strings.IndexByte(s.chanTypes, target[0]) >= 0
}

// stripStatus removes a STATUSMSG prefix ("@#chan" → "#chan").
func (s isupport) stripStatus(target string) string {
	for len(target) > 1 && strings.IndexByte(s.statusMsg, target[0]) >= 0 && !s.isChannel(target) {
		target = target[1:]
	}
	return target
}

// stripPrefixes removes membership prefixes from a NAMES entry ("@+nick").
func (s isupport) stripPrefixes(name string) string {
	for name != "" && strings.IndexByte(s.prefixes, name[0]) >= 0 {
		name = name[1:]
	}
	return name
}
