package email

import (
	"strings"
	"testing"

	"switchboard/connectors"
)

func TestSettingsAreValidatedThroughTheNetworkInfo(t *testing.T) {
	info := New().Info()
	if info.Validate == nil || info.Target == nil || info.Icon != "email" {
		t.Fatalf("e-mail's description lacks Validate/Target/Icon: %+v", info)
	}
	base := func(kv ...string) map[string]string {
		m := map[string]string{"user": "ada@example.org", "server": "imap.example.org:993", "smtp": "smtp.example.org:587"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, c := range []struct {
		settings map[string]string
		want     string // "" = valid
	}{
		{base(), ""},
		// The form the server field's own help recommends.
		{base("server", "imaps://imap.example.org:1993"), ""},
		{base("smtp", "smtps://smtp.example.org:2465"), ""},
		{base("server", "127.0.0.1:143", "smtp", "127.0.0.1:25", "tls", "false"), ""},
		{base("server", "imap.example.org:143", "tls", "false"), "only allowed for a server on this computer (127.0.0.1/localhost), not imap.example.org"},
		{base("server", "imaps://127.0.0.1:1993", "smtp", "127.0.0.1:25", "tls", "false"), "uses TLS from the start"},
		{base("server", "pop3://imap.example.org:110"), `unknown scheme "pop3"`},
		{base("server", "imap.example.org"), "not HOST:PORT"},
		{base("user", "ada"), "not an e-mail address"},
		{base("tls", "maybe"), "neither true nor false"},
	} {
		err := info.Validate(c.settings)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%v: %v, want %q", c.settings, err, c.want)
		}
	}
}

func TestTargetIsOneAddressOrSeveral(t *testing.T) {
	if got, err := Target(" bob@example.org "); err != nil || got.ID != "bob@example.org" || got.Kind != connectors.Direct {
		t.Errorf("one address: %+v, %v", got, err)
	}
	if got, err := Target("bob@example.org, kim@example.org"); err != nil || got.ID != "bob@example.org,kim@example.org" || got.Kind != connectors.Group {
		t.Errorf("two addresses: %+v, %v", got, err)
	}
	for _, bad := range []string{"", "bob", "#go-nuts", "bob@example.org\r\nBcc: x@y", "!room:matrix.org"} {
		if got, err := Target(bad); err == nil || !strings.HasPrefix(err.Error(), "email: ") {
			t.Errorf("Target(%q) = %+v, %v; want an email error", bad, got, err)
		}
	}
}
