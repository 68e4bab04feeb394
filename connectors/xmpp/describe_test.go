package xmpp

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"switchboard/connectors"
)

func TestSettingsAreValidatedThroughTheNetworkInfo(t *testing.T) {
	info := New().Info()
	if info.Validate == nil || info.Target == nil || info.Icon != "xmpp" {
		t.Fatalf("XMPP's description lacks Validate/Target/Icon: %+v", info)
	}
	empty := filepath.Join(t.TempDir(), "empty.pem")
	os.WriteFile(empty, nil, 0o600)
	for _, c := range []struct {
		settings map[string]string
		want     string // "" = valid
	}{
		{map[string]string{keyUser: "ada@example.org"}, ""},
		{map[string]string{keyUser: "ada@localhost", keyServer: "127.0.0.1:5222", keyTLS: "false"}, ""},
		{map[string]string{keyUser: "ada@example.org", keyTLS: "false"}, "only allowed for a server on this computer (127.0.0.1/localhost), not example.org"},
		{map[string]string{keyUser: "ada@localhost", keyServer: "127.0.0.1:5223", keyTLS: "false"}, "needs tls on"},
		{map[string]string{keyUser: "ada@example.org", keyDirectTLS: "sometimes"}, "neither true nor false"},
		{map[string]string{keyUser: "ada"}, "not an XMPP address"},
		{map[string]string{keyUser: "ada@example.org", keyServer: "example.org"}, "not HOST:PORT"},
		{map[string]string{keyUser: "ada@example.org", keyCAFile: empty}, "no PEM certificate"},
		{map[string]string{keyUser: "ada@example.org", keyJoin: "lobby"}, "not room@service"},
	} {
		err := info.Validate(c.settings)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%v: %v, want %q", c.settings, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "account new") {
			t.Errorf("%v: %v names a made-up account", c.settings, err)
		}
	}
}

func TestTargetNormalisesAddressesAndKnowsGroupServices(t *testing.T) {
	for ref, want := range map[string]connectors.ConversationRef{
		"Bob@Example.org/phone":        {ID: "bob@example.org", Kind: connectors.Direct},
		"xmpp:kim@example.org":         {ID: "kim@example.org", Kind: connectors.Direct},
		"lobby@conference.example.org": {ID: "lobby@conference.example.org", Kind: connectors.Group},
		" team@muc.example.org ":       {ID: "team@muc.example.org", Kind: connectors.Group},
		"conference@example.org":       {ID: "conference@example.org", Kind: connectors.Direct},
	} {
		if got, err := target(ref); err != nil || got != want {
			t.Errorf("target(%q) = %+v, %v; want %+v", ref, got, err, want)
		}
	}
	for _, bad := range []string{"", "bob", "@example.org", "#go-nuts", "!room:matrix.org", "a b@example.org", "a@b@c"} {
		if got, err := target(bad); err == nil || !strings.HasPrefix(err.Error(), "xmpp: ") {
			t.Errorf("target(%q) = %+v, %v; want an xmpp error", bad, got, err)
		}
	}
}
