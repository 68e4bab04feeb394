package ui

import (
	"strings"
	"testing"

	"switchboard/app/core"
)

// The core's archive status (UpdArchive) shows across the window's top
// while the archive refuses new messages, and goes away when it writes.
func TestArchiveErrorShowsInTheBannerUntilCleared(t *testing.T) {
	h := newHarness(t, "work")
	if h.v.banner.Visible() {
		t.Fatal("the banner shows with nothing to report")
	}
	msg := "The archive cannot store new messages (disk I/O error). 3 received messages are held in memory"
	h.v.apply([]core.Update{{Kind: core.UpdArchive, ArchiveError: msg}})
	if !h.v.banner.Visible() || !strings.Contains(h.v.banner.Text, "disk I/O error") {
		t.Fatalf("banner visible=%v text %q; want the archive's error", h.v.banner.Visible(), h.v.banner.Text)
	}
	h.v.apply([]core.Update{{Kind: core.UpdArchive}})
	if h.v.banner.Visible() {
		t.Fatal("the banner stays after the archive writes again")
	}
	h.settle()
}
