package irc

import (
	"strings"
	"testing"

	"switchboard/connectors"
)

// A password in clear must never cross a network: tls=false only for a
// server on this computer.
func TestPlainTextOnlyToAServerOnThisComputer(t *testing.T) {
	for _, host := range []string{"irc.example.org:6667", "192.0.2.7:6667", "[2001:db8::1]:6667", "localhost.evil.example:6667"} {
		_, err := parseSettings(connectors.Account{ID: "x", Settings: map[string]string{KeyServer: host, KeyNick: "a", KeyTLS: "false"}})
		if err == nil || !strings.Contains(err.Error(), "only allowed for a server on this computer") {
			t.Errorf("tls=false to %s: err = %v", host, err)
		}
	}
	for _, host := range []string{"127.0.0.1:6667", "[::1]:6667", "localhost:6667", "LOCALHOST:6667", "127.0.0.2:6667"} {
		cfg, err := parseSettings(connectors.Account{ID: "x", Settings: map[string]string{KeyServer: host, KeyNick: "a", KeyTLS: "false"}})
		if err != nil || cfg.tls {
			t.Errorf("tls=false to %s: %v, tls %v", host, err, cfg.tls)
		}
	}
}
