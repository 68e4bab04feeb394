package ui

import (
	"testing"
	"time"

	"fyne.io/fyne/v2/widget"

	"switchboard/storage"
)

func TestOnlyHTTPAndHTTPSLinksBecomeHyperlinks(t *testing.T) {
	segs := linkify("see https://example.org/a?b=1, and http://x.test. Not javascript:alert(1) nor ftp://f.test nor xhttps://no.test", widget.RichTextStyleInline)
	var links []string
	for _, s := range segs {
		if h, ok := s.(*widget.HyperlinkSegment); ok {
			links = append(links, h.URL.String())
		}
	}
	if len(links) != 2 || links[0] != "https://example.org/a?b=1" || links[1] != "http://x.test" {
		t.Fatalf("links %q", links)
	}
	var text string
	for _, s := range segs {
		text += s.Textual()
	}
	if text != "see https://example.org/a?b=1, and http://x.test. Not javascript:alert(1) nor ftp://f.test nor xhttps://no.test" {
		t.Fatalf("text changed: %q", text)
	}
}

func TestDayLabelsAndListTimes(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.Local)
	cases := map[time.Time]string{
		now.Add(-time.Hour):                           "Today",
		now.AddDate(0, 0, -1):                         "Yesterday",
		now.AddDate(0, 0, -3):                         "Thursday",
		time.Date(2026, 3, 5, 9, 0, 0, 0, time.Local): "Thursday, 5 March",
		time.Date(2024, 3, 5, 9, 0, 0, 0, time.Local): "5 March 2024",
	}
	for at, want := range cases {
		if got := dayLabel(at, now); got != want {
			t.Errorf("dayLabel(%v) = %q, want %q", at, got, want)
		}
	}
	if got := listTime(now.Add(-time.Hour), now); got != "09:00" {
		t.Errorf("listTime today = %q", got)
	}
	if got := waited(now.Add(-3*time.Hour), now); got != "3 h" {
		t.Errorf("waited = %q", got)
	}
}

func TestSnippetsSayWhoWrote(t *testing.T) {
	for _, c := range []struct {
		conv storage.Conversation
		want string
	}{
		{storage.Conversation{LastText: "hi\nthere", LastDirection: storage.Out}, "You: hi there"},
		{storage.Conversation{LastText: "waves", LastAction: true, LastSender: "ann"}, "* ann waves"},
		{storage.Conversation{LastText: "yo", Group: true, LastSender: "bob"}, "bob: yo"},
		{storage.Conversation{LastText: "direct"}, "direct"},
	} {
		if got := snippet(c.conv); got != c.want {
			t.Errorf("snippet = %q, want %q", got, c.want)
		}
	}
	if initials("#go-nuts") != "GN" || initials("Maria Lindqvist") != "ML" || initials("") != "?" {
		t.Error("initials wrong")
	}
}
