package sessionbus

import (
	"net"
	"os"
	"path/filepath"
	"testing"
)

func env(vars map[string]string) Env {
	return Env{
		Getenv: func(k string) string { return vars[k] },
		Setenv: func(k, v string) error { vars[k] = v; return nil },
		Stat:   os.Stat,
		UID:    4242424,
	}
}

func TestNoBusMeansNoAutolaunch(t *testing.T) {
	for _, start := range []string{"", "autolaunch:"} {
		vars := map[string]string{"DBUS_SESSION_BUS_ADDRESS": start, "XDG_RUNTIME_DIR": t.TempDir()}
		if _, err := Prepare(env(vars)); err != nil {
			t.Fatal(err)
		}
		if got := vars["DBUS_SESSION_BUS_ADDRESS"]; got != Disabled {
			t.Fatalf("with %q and no bus socket: address %q, want %q", start, got, Disabled)
		}
	}
}

func TestTheUsersBusIsFoundInTheRuntimeDir(t *testing.T) {
	rt, err := os.MkdirTemp("", "sb rt")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(rt)
	ln, err := net.Listen("unix", filepath.Join(rt, "bus"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	vars := map[string]string{"XDG_RUNTIME_DIR": rt}
	if _, err := Prepare(env(vars)); err != nil {
		t.Fatal(err)
	}
	if got, want := vars["DBUS_SESSION_BUS_ADDRESS"], "unix:path="+escape(filepath.Join(rt, "bus")); got != want {
		t.Fatalf("address %q, want %q", got, want)
	}
	// A plain file named bus is not a bus.
	os.Remove(filepath.Join(rt, "bus"))
	os.WriteFile(filepath.Join(rt, "bus"), nil, 0o600)
	vars = map[string]string{"XDG_RUNTIME_DIR": rt}
	Prepare(env(vars))
	if vars["DBUS_SESSION_BUS_ADDRESS"] != Disabled {
		t.Fatalf("a file called bus: %q", vars["DBUS_SESSION_BUS_ADDRESS"])
	}
}

func TestAGivenAddressIsKept(t *testing.T) {
	vars := map[string]string{"DBUS_SESSION_BUS_ADDRESS": "unix:path=/x"}
	if set, _ := Prepare(env(vars)); set != "" || vars["DBUS_SESSION_BUS_ADDRESS"] != "unix:path=/x" {
		t.Fatalf("changed a given address: %q", vars["DBUS_SESSION_BUS_ADDRESS"])
	}
}
