//go:build linux || freebsd || openbsd || netbsd || dragonfly

package storage

import (
	"context"
	"slices"

	dbus "github.com/godbus/dbus/v5"
)

const secretService = "org.freedesktop.secrets"

// probe asks the session bus, without autolaunching one and without
// touching any secret, whether a Secret Service runs and whether its
// default collection is locked.
func (osKeyring) probe(ctx context.Context) (KeyringProblem, bool) {
	conn, err := dbus.SessionBusPrivateNoAutoStartup(dbus.WithContext(ctx))
	if err != nil {
		return KeyringNoBus, true
	}
	defer conn.Close()
	if err := conn.Auth(nil); err != nil {
		return KeyringNoBus, true
	}
	if err := conn.Hello(); err != nil {
		return KeyringNoBus, true
	}
	bus := conn.BusObject()
	var running bool
	if err := bus.CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, secretService).Store(&running); err != nil {
		return 0, false
	}
	if !running {
		var names []string
		err := bus.CallWithContext(ctx, "org.freedesktop.DBus.ListActivatableNames", 0).Store(&names)
		if err == nil && !slices.Contains(names, secretService) {
			return KeyringAbsent, true
		}
	}
	var def dbus.ObjectPath
	svc := conn.Object(secretService, "/org/freedesktop/secrets")
	if err := svc.CallWithContext(ctx, "org.freedesktop.Secret.Service.ReadAlias", 0, "default").Store(&def); err != nil {
		return 0, false
	}
	if def == "/" {
		// No default keyring yet: creating it needs the keyring's own
		// password prompt, as unlocking does.
		return KeyringLocked, true
	}
	var v dbus.Variant
	err = conn.Object(secretService, def).CallWithContext(ctx,
		"org.freedesktop.DBus.Properties.Get", 0, "org.freedesktop.Secret.Collection", "Locked").Store(&v)
	if err != nil {
		return 0, false
	}
	if locked, _ := v.Value().(bool); locked {
		return KeyringLocked, true
	}
	return 0, false
}
