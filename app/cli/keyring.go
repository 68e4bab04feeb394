package cli

import (
	"errors"
	"strings"

	"switchboard/storage"
)

// keyringAdvice says which keyring problem it is and what works instead.
func keyringAdvice(err error, p storage.KeyringProblem) string {
	var b strings.Builder
	b.WriteString(err.Error())
	b.WriteString(".\n")
	switch p {
	case storage.KeyringNoBus:
		b.WriteString("There is no D-Bus session here (as under cron or ssh), so the keyring cannot be reached. What works:\n" +
			"  - run the command while Switchboard runs (the window or `switchboard run`): it answers over its control socket and needs no keyring;\n" +
			"  - or point DBUS_SESSION_BUS_ADDRESS at your desktop session's bus, e.g. DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/$(id -u)/bus")
	case storage.KeyringLocked:
		b.WriteString("What works:\n" +
			"  - unlock the keyring (log in to your desktop session; at a terminal Switchboard lets the keyring ask for its password);\n" +
			"  - or run the command while Switchboard runs: it answers over its control socket and needs no keyring")
	case storage.KeyringAbsent:
		b.WriteString("What works:\n" +
			"  - start a Secret Service keyring (gnome-keyring, KeePassXC) in this session;\n" +
			"  - or run the command while Switchboard runs: it answers over its control socket and needs no keyring")
	default:
		b.WriteString("Run the command while Switchboard runs: it answers over its control socket and needs no keyring")
	}
	if errors.Is(err, storage.ErrNoKeyring) {
		b.WriteString(";\n  - or, for a new profile, protect it with a passphrase instead: --passphrase-file FILE")
	}
	b.WriteString(".")
	return b.String()
}
