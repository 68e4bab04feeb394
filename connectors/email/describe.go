package email

import (
	"fmt"
	"strings"

	"switchboard/connectors"
)

// Validate checks an e-mail account's settings without connecting (this
// network's NetworkInfo.Validate).
func Validate(settings map[string]string) error {
	_, err := parseConfig(connectors.Account{Settings: settings})
	return err
}

// Target checks the address(es) the user typed: one address is a direct
// conversation; several, comma-separated, a group (a mail to all of them).
func Target(ref string) (connectors.ConversationRef, error) {
	var addrs []string
	for _, a := range strings.Split(ref, ",") {
		a = strings.TrimSpace(a)
		if err := checkAddress(a); err != nil {
			return connectors.ConversationRef{}, fmt.Errorf("email: %w", err)
		}
		addrs = append(addrs, a)
	}
	ref = strings.Join(addrs, ",")
	if len(addrs) > 1 {
		return connectors.ConversationRef{ID: ref, Kind: connectors.Group}, nil
	}
	return connectors.ConversationRef{ID: ref, Kind: connectors.Direct}, nil
}
