package irc

import (
	"strings"
	"testing"

	"switchboard/connectors"
)

func TestRegisteredAsIRCWithItsAccountForm(t *testing.T) {
	c, err := connectors.New("irc")
	if err != nil {
		t.Fatal(err)
	}
	info := c.Info()
	if info.Name != "irc" || info.DisplayName != "IRC" {
		t.Fatalf("info %+v", info)
	}
	want := map[string]connectors.FieldKind{
		KeyServer: connectors.FieldHostPort, KeyNick: connectors.FieldText, KeyUser: connectors.FieldText,
		KeyRealName: connectors.FieldText, KeyTLS: connectors.FieldBool, KeyCAFile: connectors.FieldFile,
		KeyJoin: connectors.FieldList, KeySASLUser: connectors.FieldText, KeyPassword: connectors.FieldSecret,
	}
	for _, f := range info.Fields {
		kind, ok := want[f.Key]
		if !ok || kind != f.Kind {
			t.Errorf("field %q kind %v unexpected", f.Key, f.Kind)
		}
		delete(want, f.Key)
		if req := f.Key == KeyServer || f.Key == KeyNick; f.Required != req {
			t.Errorf("field %q required = %v", f.Key, f.Required)
		}
		if f.Key == KeyTLS && f.Default != "true" {
			t.Errorf("tls default %q, want true", f.Default)
		}
	}
	if len(want) > 0 {
		t.Errorf("fields missing: %v", want)
	}
}

func TestBadSettingsAreRefusedInPlainWords(t *testing.T) {
	cases := []struct {
		settings map[string]string
		want     string
	}{
		{map[string]string{KeyNick: "a"}, "server setting is empty"},
		{map[string]string{KeyServer: "irc.example.org", KeyNick: "a"}, "not HOST:PORT"},
		{map[string]string{KeyServer: "irc.example.org:99999", KeyNick: "a"}, "no valid port"},
		{map[string]string{KeyServer: "irc.example.org:6697"}, "not a valid nickname"},
		{map[string]string{KeyServer: "irc.example.org:6697", KeyNick: "has space"}, "not a valid nickname"},
		{map[string]string{KeyServer: "irc.example.org:6697", KeyNick: "a", KeyTLS: "maybe"}, "neither true nor false"},
	}
	for _, c := range cases {
		_, err := parseSettings(connectors.Account{ID: "x", Settings: c.settings})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want %q", c.settings, err, c.want)
		}
	}
	cfg, err := parseSettings(connectors.Account{ID: "x", Settings: map[string]string{KeyServer: "irc.example.org:6697", KeyNick: "a", KeyJoin: " #a, #b ,,"}})
	if err != nil || !cfg.tls || strings.Join(cfg.channels, "|") != "#a|#b" || cfg.host != "irc.example.org" {
		t.Fatalf("cfg %+v err %v", cfg, err)
	}
}

func TestFormattingCodesAreStripped(t *testing.T) {
	cases := map[string]string{
		"\x02bold\x02 \x1ditalic\x1d \x1funder\x1f\x0f": "bold italic under",
		"\x0304red\x03 \x0304,12on blue\x03":            "red on blue",
		"\x03,x \x0312,x":                               ",x ,x",
		"\x04FF0000hex\x04 \x04ff0000,00ff00two":        "hex two",
		"plain 50% off":                                 "plain 50% off",
		"score 3\x03":                                   "score 3",
	}
	for in, want := range cases {
		if got := stripFormatting(in); got != want {
			t.Errorf("stripFormatting(%q) = %q, want %q", in, got, want)
		}
	}
}
