package ui

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
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

// notifierAvailable says whether a desktop notification service runs (or
// can be started) on the session bus. Without one, Fyne logs an error for
// every notification sent; asking once at start keeps stderr quiet.
func notifierAvailable(ctx context.Context) bool {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
		ok, err := busHasOwner(ctx, os.Getenv("DBUS_SESSION_BUS_ADDRESS"), notificationsName)
		return ok && err == nil
	}
	return true
}

// notificationsName is the freedesktop notification service's bus name.
const notificationsName = "org.freedesktop.Notifications"

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
	if has || name != notificationsName {
		return has, nil
	}
	// A notification daemon is usually started by the bus on first use.
	var names []string
	err = conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.ListActivatableNames", 0).Store(&names)
	if err != nil {
		return false, fmt.Errorf("ask the session bus what it can start: %w", err)
	}
	return slices.Contains(names, name), nil
}
