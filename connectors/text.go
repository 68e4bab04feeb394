package connectors

import "fmt"

// The enums that travel over the control socket and in `--json` output
// marshal as stable lower-case words, never as numbers or display text.

var connStateWords = []string{
	StateOffline:     "offline",
	StateConnecting:  "connecting",
	StateOnline:      "online",
	StateAuthFailed:  "auth-failed",
	StateNeedsSignIn: "needs-sign-in",
}

// MarshalText gives the state's stable word: offline, connecting, online,
// auth-failed, needs-sign-in.
func (s ConnState) MarshalText() ([]byte, error) {
	if int(s) < 0 || int(s) >= len(connStateWords) {
		return nil, fmt.Errorf("connection state %d has no name", int(s))
	}
	return []byte(connStateWords[s]), nil
}

// UnmarshalText reads a word MarshalText wrote.
func (s *ConnState) UnmarshalText(b []byte) error {
	for i, w := range connStateWords {
		if w == string(b) {
			*s = ConnState(i)
			return nil
		}
	}
	return fmt.Errorf("unknown connection state %q", b)
}

var fieldKindWords = []string{
	FieldText:     "text",
	FieldHostPort: "host-port",
	FieldBool:     "bool",
	FieldFile:     "file",
	FieldList:     "list",
	FieldSecret:   "secret",
}

// MarshalText gives the field kind's stable word: text, host-port, bool,
// file, list, secret.
func (k FieldKind) MarshalText() ([]byte, error) {
	if int(k) < 0 || int(k) >= len(fieldKindWords) {
		return nil, fmt.Errorf("field kind %d has no name", int(k))
	}
	return []byte(fieldKindWords[k]), nil
}

// UnmarshalText reads a word MarshalText wrote.
func (k *FieldKind) UnmarshalText(b []byte) error {
	for i, w := range fieldKindWords {
		if w == string(b) {
			*k = FieldKind(i)
			return nil
		}
	}
	return fmt.Errorf("unknown field kind %q", b)
}
