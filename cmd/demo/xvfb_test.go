package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/app/ui"
)

// needTools fails the test (never skips) when a program the Xvfb tests
// run is missing, naming the Debian package that provides it.
func needTools(t testing.TB) {
	t.Helper()
	var missing []string
	for bin, pkg := range map[string]string{"xvfb-run": "xvfb", "xdotool": "xdotool", "import": "imagemagick", "ps": "procps"} {
		if _, err := exec.LookPath(bin); err != nil {
			missing = append(missing, fmt.Sprintf("%s (apt-get install %s)", bin, pkg))
		}
	}
	if _, err := os.Stat("/usr/sbin/ngircd"); err != nil {
		missing = append(missing, "ngircd (apt-get install ngircd)")
	}
	if _, err := os.Stat("/usr/sbin/dovecot"); err != nil {
		missing = append(missing, "dovecot (apt-get install dovecot-imapd dovecot-lmtpd)")
	}
	if len(missing) > 0 {
		t.Fatalf("missing programs for the Xvfb test: %s", strings.Join(missing, ", "))
	}
}

// moduleRoot is the directory of go.mod.
func moduleRoot(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// buildBinaries builds the real switchboard binary and this demo.
func buildBinaries(t testing.TB) (app, demo string) {
	t.Helper()
	root := moduleRoot(t)
	dir := t.TempDir()
	app, demo = filepath.Join(dir, "switchboard"), filepath.Join(dir, "demo")
	for _, b := range [][2]string{{app, "."}, {demo, "./cmd/demo"}} {
		args := []string{"build", "-o", b[0]}
		if raceBuild {
			args = append(args, "-race")
		}
		cmd := exec.Command("go", append(args, b[1])...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", b[1], err, out)
		}
	}
	return app, demo
}

// testEnv is a clean environment: a private HOME (Fyne's preferences
// live there), a UTF-8 locale, no inherited D-Bus session.
func testEnv(home string, extra ...string) []string {
	env := []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "LANG=en_US.UTF-8", "XDG_CONFIG_HOME=" + filepath.Join(home, ".config")}
	return append(env, extra...)
}

// xvfbScript runs the app, waits for its window, waits until the inbox is
// shown (the app's trace line) and the file $READY exists, then takes a
// screenshot of the window and reports timings and resident memory.
const xvfbScript = `#!/bin/sh
set -u
T0=$(date +%s%N)
"$APP" --profile "$PROFILE" > "$LOG" 2>&1 &
PID=$!
WID=$(timeout 60 xdotool search --sync --onlyvisible --name "Switchboard" | head -1)
echo "mapped_ms=$(( ($(date +%s%N)-T0)/1000000 )) wid=$WID"
i=0
while [ $i -lt 600 ]; do
  if grep -q "inbox shown" "$LOG" && [ -e "$READY" ]; then break; fi
  sleep 0.1; i=$((i+1))
done
sleep "$SETTLE"
echo "rss_kb=$(ps -o rss= -p $PID | tr -d ' ')"
import -window "$WID" "$OUT"
kill $PID
wait $PID
echo "exit=$?"
`

type shotResult struct {
	mappedMS, inboxMS, rssKB int
	log                      string
}

var (
	reMapped = regexp.MustCompile(`mapped_ms=(\d+)`)
	reRSS    = regexp.MustCompile(`rss_kb=(\d+)`)
	reInbox  = regexp.MustCompile(`inbox shown (\d+) ms`)
)

// shoot runs the app once under Xvfb and saves a screenshot to out.
func shoot(t testing.TB, app, home, profile, passFile, ready, out string, settle time.Duration) shotResult {
	t.Helper()
	dir := t.TempDir()
	script := filepath.Join(dir, "shot.sh")
	if err := os.WriteFile(script, []byte(xvfbScript), 0o755); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "app.log")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "xvfb-run", "-a", "-s", "-screen 0 1280x800x24", "sh", script)
	cmd.Env = testEnv(home, "APP="+app, "PROFILE="+profile, "LOG="+logPath, "READY="+ready, "OUT="+out,
		"SETTLE="+strconv.FormatFloat(settle.Seconds(), 'f', 1, 64),
		"SWITCHBOARD_PASSPHRASE_FILE="+passFile, "SWITCHBOARD_UI_TRACE=1")
	res, err := cmd.CombinedOutput()
	logB, _ := os.ReadFile(logPath)
	r := shotResult{log: string(logB)}
	if err != nil {
		t.Fatalf("xvfb-run: %v\n%s\napp log:\n%s", err, res, logB)
	}
	atoi := func(re *regexp.Regexp, s string) int {
		if m := re.FindStringSubmatch(s); m != nil {
			n, _ := strconv.Atoi(m[1])
			return n
		}
		return -1
	}
	r.mappedMS, r.rssKB, r.inboxMS = atoi(reMapped, string(res)), atoi(reRSS, string(res)), atoi(reInbox, r.log)
	if r.inboxMS < 0 {
		t.Fatalf("the app never showed its inbox\nscript:\n%s\napp log:\n%s", res, logB)
	}
	return r
}

// checkScreenshot decodes a PNG and checks it shows a real window (sane
// size, many colours), not a black or blank frame.
func checkScreenshot(t testing.TB, path string) image.Image {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("screenshot %s is not a PNG: %v", path, err)
	}
	bounds := img.Bounds()
	if bounds.Dx() < 800 || bounds.Dy() < 500 {
		t.Fatalf("screenshot %s is only %v", path, bounds)
	}
	colors := map[uint32]bool{}
	for y := bounds.Min.Y; y < bounds.Max.Y; y += 3 {
		for x := bounds.Min.X; x < bounds.Max.X; x += 3 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colors[(r>>11)<<10|(g>>11)<<5|bl>>11] = true
		}
	}
	if len(colors) < 40 {
		t.Fatalf("screenshot %s has only %d colours: not a rendered window", path, len(colors))
	}
	return img
}

// demoProcess is a running `demo --headless`.
type demoProcess struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	seen  chan struct{}
}

func startDemo(t testing.TB, demo, home, data, theme string) *demoProcess {
	t.Helper()
	d := &demoProcess{seen: make(chan struct{}, 64)}
	d.cmd = exec.Command(demo, "--headless", "--dir", data, "--theme", theme)
	d.cmd.Env = testEnv(home)
	out, err := d.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	d.cmd.Stderr = io.Discard
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("start demo: %v", err)
	}
	t.Cleanup(func() {
		d.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { d.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			d.cmd.Process.Kill()
			<-done
		}
	})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			d.mu.Lock()
			d.lines = append(d.lines, sc.Text())
			d.mu.Unlock()
			select {
			case d.seen <- struct{}{}:
			default:
			}
		}
	}()
	return d
}

// waitLine waits until the demo printed a line containing s.
func (d *demoProcess) waitLine(t testing.TB, s string, timeout time.Duration) {
	t.Helper()
	if err := d.await(s, timeout); err != nil {
		t.Fatal(err)
	}
}

// await waits until the demo printed a line containing s (usable from any goroutine).
func (d *demoProcess) await(s string, timeout time.Duration) error {
	deadline := time.After(timeout)
	for {
		d.mu.Lock()
		for _, l := range d.lines {
			if strings.Contains(l, s) {
				d.mu.Unlock()
				return nil
			}
		}
		all := strings.Join(d.lines, "\n")
		d.mu.Unlock()
		select {
		case <-d.seen:
		case <-time.After(200 * time.Millisecond):
		case <-deadline:
			return fmt.Errorf("the demo did not print %q within %s; it printed:\n%s", s, timeout, all)
		}
	}
}

// setTheme rewrites the theme in the app's Fyne preferences under home.
func setTheme(t testing.TB, home, theme string) {
	t.Helper()
	path := filepath.Join(home, ".config", "fyne", ui.AppID, "preferences.json")
	prefs := map[string]any{}
	if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, &prefs); err != nil {
			t.Fatalf("preferences %s: %v", path, err)
		}
	}
	prefs[ui.PrefTheme] = theme
	b, _ := json.Marshal(prefs)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
