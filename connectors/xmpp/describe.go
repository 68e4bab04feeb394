package xmpp

import (
	"fmt"
	"strings"

	"switchboard/connectors"
)

// validate checks an XMPP account's settings without connecting (this
// network's NetworkInfo.Validate). The CA file is read, so a missing or
// empty one is reported before the account is saved.
func validate(settings map[string]string) error {
	_, err := parseConfig(connectors.Account{ID: "new", Settings: settings}, "")
	if err != nil {
		return fmt.Errorf("%s", strings.Replace(err.Error(), "account new: ", "", 1))
	}
	return nil
}

// mucHostPrefixes are the host names services conventionally give their
// group-chat (XEP-0045) component. Without a connection that is all there
// is to tell a room from a person; a conversation already in the archive
// keeps what the server said it is.
var mucHostPrefixes = []string{"conference.", "muc.", "chat.", "rooms.", "groupchat."}

// target checks an address the user typed: local@domain (a person, or a
// room on a group-chat service), with any resource dropped.
func target(ref string) (connectors.ConversationRef, error) {
	ref = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(ref), "xmpp:"))
	local, domain, _ := splitJID(ref)
	if local == "" || domain == "" || strings.ContainsAny(local+domain, " \t\r\n\"&'/:<>@") || strings.Contains(domain, "..") {
		return connectors.ConversationRef{}, fmt.Errorf("xmpp: %q is not an XMPP address (want name@example.org)", ref)
	}
	kind := connectors.Direct
	for _, p := range mucHostPrefixes {
		if strings.HasPrefix(domain, p) {
			kind = connectors.Group
		}
	}
	return connectors.ConversationRef{ID: local + "@" + domain, Kind: kind}, nil
}
