// Package sessionbus makes sure Switchboard never starts a D-Bus session
// bus of its own. With DBUS_SESSION_BUS_ADDRESS unset (cron, ssh, a
// service), the D-Bus library behind the keyring "autolaunches" a bus with
// dbus-launch, which leaves a dbus-daemon (and the gnome-keyring-daemon it
// activates) running after the command ends, one pair per run.
package sessionbus

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
)

// Disabled is the address set when no session bus exists: D-Bus clients
// refuse it at once ("unsupported transport") instead of launching a bus.
const Disabled = "disabled:"

// Env is what Prepare reads and changes of the process.
type Env struct {
	Getenv func(string) string
	Setenv func(string, string) error
	Stat   func(string) (fs.FileInfo, error)
	UID    int
}

// Prepare sets DBUS_SESSION_BUS_ADDRESS, for this process only, when it
// is unset or asks for autolaunch: to the user's bus socket if one runs
// (XDG_RUNTIME_DIR/bus, else /run/user/UID/bus), else to Disabled. It
// returns the address it set ("" when it left the variable alone).
func Prepare(e Env) (string, error) {
	if a := e.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return "", nil
	}
	addr := Disabled
	rt := e.Getenv("XDG_RUNTIME_DIR")
	if rt == "" {
		rt = fmt.Sprintf("/run/user/%d", e.UID)
	}
	sock := filepath.Join(rt, "bus")
	if fi, err := e.Stat(sock); err == nil && fi.Mode()&fs.ModeSocket != 0 {
		addr = "unix:path=" + escape(sock)
	}
	if err := e.Setenv("DBUS_SESSION_BUS_ADDRESS", addr); err != nil {
		return "", fmt.Errorf("set DBUS_SESSION_BUS_ADDRESS: %w", err)
	}
	return addr, nil
}

// IsDisabled reports whether addr is the address Prepare sets when there
// is no bus.
func IsDisabled(addr string) bool { return addr == Disabled }

// escape quotes a value for a D-Bus address (only [-0-9A-Za-z_/.\*] stay).
func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '-' || c == '_' || c == '/' || c == '.' || c == '\\' || c == '*' ||
			(c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02x", c)
	}
	return b.String()
}
