// Package all registers every network this build speaks. Import it for
// its side effect: import _ "switchboard/connectors/all".
package all

import (
	_ "switchboard/connectors/email"
	_ "switchboard/connectors/irc"
	_ "switchboard/connectors/xmpp"
)
