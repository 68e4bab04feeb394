package ui

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/godbus/dbus/v5"
)

// statusNotifierWatcher is the D-Bus name of the tray host on Linux and
// the BSDs (KDE's StatusNotifierItem protocol, which Fyne's systray speaks).
const statusNotifierWatcher = "org.kde.StatusNotifierWatcher"

// trayAvailable says whether a system tray can be used. On Linux and the
// BSDs the tray is a D-Bus service: without a session bus, or on a bus
// where no tray host owns the StatusNotifierWatcher name (stock GNOME),
// Fyne's systray crashes when the app quits (a nil D-Bus connection in
// its close), so the tray is left out there.
func trayAvailable(ctx context.Context) bool {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
		ok, err := busHasOwner(ctx, os.Getenv("DBUS_SESSION_BUS_ADDRESS"), statusNotifierWatcher)
		return ok && err == nil
	}
	return true
}

// busHasOwner asks the session bus at addr whether name has an owner. It
// never starts a bus (no autolaunch): an empty address is "no".
func busHasOwner(ctx context.Context, addr, name string) (bool, error) {
	if addr == "" {
		return false, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	conn, err := dbus.Connect(addr, dbus.WithContext(ctx))
	if err != nil {
		return false, fmt.Errorf("connect to the session bus: %w", err)
	}
	defer conn.Close()
	var has bool
	err = conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, name).Store(&has)
	if err != nil {
		return false, fmt.Errorf("ask the session bus for %s: %w", name, err)
	}
	return has, nil
}
