package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// quitScript starts the demo (servers, peers and the window) in a D-Bus
// session with no tray host — stock GNOME's situation — waits for its
// window and the inbox, then ends it the way $HOW says and prints its
// exit status.
const quitScript = `#!/bin/sh
set -u
"$DEMO" --dir "$DIR" --theme light > "$LOG" 2>&1 &
PID=$!
WID=$(timeout 120 xdotool search --sync --onlyvisible --name "Switchboard" | head -1)
i=0
while [ $i -lt 600 ]; do
  if grep -q "inbox shown" "$LOG"; then break; fi
  sleep 0.1; i=$((i+1))
done
sleep 2
case "$HOW" in
  TERM|INT) kill -$HOW $PID ;;
  ctrl+q) xdotool windowfocus --sync "$WID"; xdotool key --clearmodifiers ctrl+q ;;
esac
i=0
while kill -0 $PID 2>/dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
if kill -0 $PID 2>/dev/null; then echo "still running"; kill -KILL $PID; fi
wait $PID
echo "exit=$?"
`

// The demo quits cleanly (status 0, no panic) on SIGTERM, Ctrl+C and
// Ctrl+Q where the session bus has no StatusNotifierWatcher: the system
// tray code crashed in its D-Bus close on every quit there. Nor does it
// log an error for every notification when no notification service runs.
func TestDemoQuitsCleanlyWithoutATrayHost(t *testing.T) {
	needTools(t)
	if _, err := exec.LookPath("dbus-run-session"); err != nil {
		t.Fatal("dbus-run-session is missing (apt-get install dbus)")
	}
	_, demo := buildBinaries(t)
	for _, how := range []string{"TERM", "INT", "ctrl+q"} {
		t.Run(how, func(t *testing.T) {
			dir := t.TempDir()
			script := filepath.Join(dir, "quit.sh")
			if err := os.WriteFile(script, []byte(quitScript), 0o755); err != nil {
				t.Fatal(err)
			}
			logPath := filepath.Join(dir, "demo.log")
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "xvfb-run", "-a", "-s", "-screen 0 1280x800x24", "dbus-run-session", "--", "sh", script)
			cmd.Env = testEnv(filepath.Join(dir, "home"), "DEMO="+demo, "DIR="+filepath.Join(dir, "data"), "LOG="+logPath,
				"HOW="+how, "SWITCHBOARD_UI_TRACE=1")
			out, err := cmd.CombinedOutput()
			logB, _ := os.ReadFile(logPath)
			if err != nil {
				t.Fatalf("xvfb-run: %v\n%s\ndemo log:\n%s", err, out, logB)
			}
			if !strings.Contains(string(logB), "inbox shown") {
				t.Fatalf("the demo never showed its inbox\n%s\ndemo log:\n%s", out, logB)
			}
			if strings.Contains(string(logB), "panic:") || !strings.Contains(string(out), "exit=0") {
				t.Fatalf("quitting with %s: %s\ndemo log:\n%s", how, lastLine(string(out)), logB)
			}
			// No notification service on this bus either: asked once, not an error line per message.
			if strings.Contains(string(logB), "org.freedesktop.Notifications") {
				t.Fatalf("the demo logged a notification error per message:\n%s", logB)
			}
		})
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return fmt.Sprint(lines[len(lines)-1])
}
