package irc

import (
	"strings"
	"testing"

	"switchboard/connectors"
)

func TestSettingsAreValidatedThroughTheNetworkInfo(t *testing.T) {
	info := New().Info()
	if info.Validate == nil || info.Target == nil || info.Icon != "irc" {
		t.Fatalf("IRC's description lacks Validate/Target/Icon: %+v", info)
	}
	for _, c := range []struct {
		settings map[string]string
		want     string // "" = valid
	}{
		{map[string]string{KeyServer: "irc.example.org:6697", KeyNick: "ada"}, ""},
		{map[string]string{KeyServer: "127.0.0.1:6667", KeyNick: "ada", KeyTLS: "false"}, ""},
		{map[string]string{KeyServer: "localhost:6667", KeyNick: "ada", KeyTLS: "false"}, ""},
		{map[string]string{KeyServer: "irc.example.org:6667", KeyNick: "ada", KeyTLS: "false"}, "only allowed for a server on this computer (127.0.0.1/localhost), not irc.example.org"},
		{map[string]string{KeyServer: "irc.example.org", KeyNick: "ada"}, "not HOST:PORT"},
		{map[string]string{KeyServer: "irc.example.org:6697", KeyNick: "has space"}, "not a valid nickname"},
		{map[string]string{KeyServer: "irc.example.org:6697", KeyNick: "ada", KeyTLS: "maybe"}, "neither true nor false"},
	} {
		err := info.Validate(c.settings)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%v: %v, want %q", c.settings, err, c.want)
		}
	}
}

func TestTargetSaysChannelOrNickAndRefusesMalformedOnes(t *testing.T) {
	for ref, kind := range map[string]connectors.ConversationKind{"#go-nuts": connectors.Group, "&local": connectors.Group, " bob ": connectors.Direct} {
		got, err := Target(ref)
		if err != nil || got.Kind != kind || got.ID != strings.TrimSpace(ref) {
			t.Errorf("Target(%q) = %+v, %v", ref, got, err)
		}
	}
	for _, bad := range []string{"", "#", "two words", "a,b", ":x", "bob@host", "!room:matrix.org x"} {
		if got, err := Target(bad); err == nil || !strings.HasPrefix(err.Error(), "irc: ") {
			t.Errorf("Target(%q) = %+v, %v; want an irc error", bad, got, err)
		}
	}
}
