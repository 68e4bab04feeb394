package connectors

import (
	"fmt"
	"strings"
)

// TLSHelp is the help line of every network's "tls" field: the setting
// means the same thing on every network.
const TLSHelp = "On: encrypted, certificate verified. Off: no encryption, only for a server on this computer"

// TLSSetting reads a "tls" setting the one way every connector does:
// "true" (or yes/on/1, and empty) encrypts with a verified certificate;
// "false" (no/off/0) sends in the clear and is refused unless every host
// the account talks to is this computer, where no one else can listen.
func TLSSetting(value string, hosts ...string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(value)) {
	case "", "true", "yes", "on", "1":
		return true, nil
	case "false", "no", "off", "0":
		for _, h := range hosts {
			if !IsLoopbackHost(h) {
				return false, fmt.Errorf("tls=false is only allowed for a server on this computer (127.0.0.1/localhost), not %s: the password would cross the network in clear", h)
			}
		}
		return false, nil
	}
	return false, fmt.Errorf("tls: %q is neither true nor false", value)
}
