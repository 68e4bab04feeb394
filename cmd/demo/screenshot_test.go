package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestMainWindowScreenshotsUnderXvfb runs the real binary against the
// demo setup (ngIRCd, scripted peers, demo profile) under Xvfb, waits for
// its window and live messages, and takes light and dark screenshots —
// into docs/screenshots/ (the README shows them) with
// SWITCHBOARD_UPDATE_SCREENSHOTS=1.
func TestMainWindowScreenshotsUnderXvfb(t *testing.T) {
	needTools(t)
	app, demo := buildBinaries(t)
	home, data := t.TempDir(), t.TempDir()
	d := startDemo(t, demo, home, data, "light")
	d.waitLine(t, "demo: ready", time.Minute)

	ready := filepath.Join(t.TempDir(), "peers-spoke")
	go func() {
		// The screenshot waits until the customer and the brand have written.
		// (If they never do, the script gives up after 60 s and the
		// screenshot shows what is there.)
		if d.await("jordan wrote", 2*time.Minute) == nil && d.await("maria is chatting", 2*time.Minute) == nil {
			os.WriteFile(ready, nil, 0o600)
		}
	}()
	// The README's copies are rewritten only when asked, so that a test
	// run leaves the working tree as it was.
	shots := t.TempDir()
	if os.Getenv("SWITCHBOARD_UPDATE_SCREENSHOTS") == "1" {
		shots = filepath.Join(moduleRoot(t), "docs", "screenshots")
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	profile, pass := filepath.Join(data, "profile"), filepath.Join(data, "passphrase")
	for _, theme := range []string{"light", "dark"} {
		setTheme(t, home, theme)
		out := filepath.Join(shots, "main-"+theme+".png")
		r := shoot(t, app, home, profile, pass, ready, out, 3*time.Second)
		checkScreenshot(t, out)
		t.Logf("%s: window mapped %d ms after exec, inbox shown %d ms after start, RSS %d MB", theme, r.mappedMS, r.inboxMS, r.rssKB/1024)
	}
	if _, err := os.Stat(ready); err != nil {
		t.Fatal("the scripted peers never wrote, so the screenshots show no live messages")
	}
}
