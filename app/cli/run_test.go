package cli

import (
	"strings"
	"testing"
	"time"

	"switchboard/app/core"
	"switchboard/connectors"
)

// `run` logs one line per state change from the typed fields: the
// connector's own note of a failure (no retry time) is left to the
// supervisor's report, which carries the retry time; nothing parses prose.
func TestRunLogsStateChangesFromTypedFields(t *testing.T) {
	l := stateLog{}
	connecting := &core.AccountStatus{State: connectors.StateConnecting}
	noted := &core.AccountStatus{State: connectors.StateOffline, Reason: "read: connection reset"}
	retry := &core.AccountStatus{State: connectors.StateOffline, Reason: "read: connection reset", RetryAt: time.Now().Add(4 * time.Second)}
	again := &core.AccountStatus{State: connectors.StateOffline, Reason: "read: connection reset", RetryAt: time.Now().Add(8 * time.Second)}
	refused := &core.AccountStatus{State: connectors.StateAuthFailed, Reason: "Password incorrect"}
	var shown []bool
	for _, st := range []*core.AccountStatus{connecting, connecting, noted, retry, retry, again, refused} {
		shown = append(shown, l.differs("work", st))
	}
	want := []bool{true, false, false, true, false, true, true}
	for i := range want {
		if shown[i] != want[i] {
			t.Fatalf("shown %v, want %v", shown, want)
		}
	}
	line := stateLine(*retry)
	if !strings.HasPrefix(line, "offline (read: connection reset; reconnecting in ") {
		t.Fatalf("line %q", line)
	}
	if got := stateLine(*refused); got != "auth failed (Password incorrect)" {
		t.Fatalf("line %q", got)
	}
}
