package irc

import (
	"fmt"
	"strings"

	"switchboard/connectors"
)

// Validate checks an IRC account's settings without connecting (the
// NetworkInfo.Validate of this network).
func Validate(settings map[string]string) error {
	_, err := parseSettings(connectors.Account{Settings: settings})
	return err
}

// channelPrefixes are the channel types of RFC 2811 that servers use
// (CHANTYPES in ISUPPORT; "#&" on nearly every network). A target that
// starts with one is a channel, anything else a nick.
const channelPrefixes = "#&!+"

// Target checks a nick or channel the user typed and says which it is.
func Target(ref string) (connectors.ConversationRef, error) {
	ref = strings.TrimSpace(ref)
	if !validTarget(ref) {
		return connectors.ConversationRef{}, fmt.Errorf("irc: %q is neither a nick nor a channel (no spaces, commas or control characters)", ref)
	}
	if strings.ContainsRune(channelPrefixes, rune(ref[0])) {
		if len(ref) == 1 {
			return connectors.ConversationRef{}, fmt.Errorf("irc: %q is not a channel name", ref)
		}
		return connectors.ConversationRef{ID: ref, Kind: connectors.Group}, nil
	}
	if strings.ContainsAny(ref, "@!*?") {
		return connectors.ConversationRef{}, fmt.Errorf("irc: %q is not a nick (no @, !, * or ?)", ref)
	}
	return connectors.ConversationRef{ID: ref, Kind: connectors.Direct}, nil
}
