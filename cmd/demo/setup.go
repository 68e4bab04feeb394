package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"switchboard/app/core"
	"switchboard/app/ui"
	"switchboard/internal/testenv/dovecot"
	"switchboard/storage"
)

// Nicks of the demo's own accounts on the local server.
const (
	workNick      = "alex"
	communityNick = "alexk"
)

type profile struct {
	dir      string
	passFile string
	convRows map[string]int64 // "#team" → conversation row (Work account)
}

// setupProfile creates (or reuses) the demo profile: passphrase mode with
// a passphrase file, so it works with or without a desktop keyring; two
// IRC accounts on the local server and an e-mail account on the local
// Dovecot; a user brand list naming AcmeDeals; a few days of history.
func setupProfile(ctx context.Context, dir, addr string, mail *dovecot.Server) (*profile, error) {
	p := &profile{dir: filepath.Join(dir, "profile"), passFile: filepath.Join(dir, "passphrase"), convRows: map[string]int64{}}
	if err := os.WriteFile(p.passFile, []byte("switchboard demo passphrase\n"), 0o600); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(p.dir, 0o700); err != nil {
		return nil, err
	}
	brands := "# The demo's brand: it writes unasked and waits in Requests.\nhandle:irc:AcmeDeals\n"
	if err := os.WriteFile(filepath.Join(p.dir, "brands.txt"), []byte(brands), 0o600); err != nil {
		return nil, err
	}
	c, err := core.Open(ctx, core.Options{
		ProfileDir:       p.dir,
		PreferPassphrase: true,
		Passphrase:       func(bool) ([]byte, error) { return []byte("switchboard demo passphrase"), nil },
		NoControlSocket:  true,
	})
	if err != nil {
		return nil, fmt.Errorf("open the demo profile: %w", err)
	}
	defer c.Close()
	accounts := []core.AccountSpec{
		{Name: "Work", Network: "irc", Settings: map[string]string{"server": addr, "nick": workNick, "tls": "false", "join": "#team"}},
		{Name: "Community", Network: "irc", Settings: map[string]string{"server": addr, "nick": communityNick, "tls": "false", "join": "#go-nuts"}},
		{Name: "Mail", Network: "email", Settings: map[string]string{"user": mailUser, "server": mail.IMAPAddr, "smtp": mail.SubmitAddr,
			"tls": "true", "ca_file": mail.CAFile}, Secrets: map[string]string{"password": mailPass}},
	}
	for _, a := range accounts {
		err := c.AddAccount(ctx, a)
		if err == nil {
			continue
		}
		// A reused --dir: the account exists; point it at this run's server.
		if err := c.UpdateAccount(ctx, a); err != nil {
			return nil, fmt.Errorf("demo account %s: %w", a.Name, err)
		}
	}
	if _, err := c.Import(ctx, bytes.NewReader(history(time.Now()))); err != nil {
		return nil, fmt.Errorf("import the demo history: %w", err)
	}
	convs, err := c.Conversations(ctx, storage.ConvQuery{Filter: storage.FilterAll})
	if err != nil {
		return nil, err
	}
	for _, cv := range convs {
		if cv.Account == "Work" {
			p.convRows[cv.RemoteID] = cv.Row
		}
	}
	return p, nil
}

// history is a few days of past conversation as JSONL (the archive's
// import format).
func history(now time.Time) []byte {
	day := func(daysAgo int, hh, mm int) time.Time {
		d := now.AddDate(0, 0, -daysAgo)
		return time.Date(d.Year(), d.Month(), d.Day(), hh, mm, 0, 0, time.Local)
	}
	type line struct {
		acct, conv, title string
		group             bool
		from, name        string
		at                time.Time
		text              string
	}
	lines := []line{
		{"Work", "#team", "#team", true, "sam", "Sam Okafor", day(2, 9, 12), "Morning all. Retro at 11 in the big room."},
		{"Work", "#team", "#team", true, "maria", "Maria Lindqvist", day(2, 9, 14), "I'll bring the sticky notes."},
		{"Work", "#team", "#team", true, workNick, "", day(2, 9, 20), "Sounds good. I'll share the metrics deck before."},
		{"Work", "#team", "#team", true, "sam", "Sam Okafor", day(1, 16, 2), "Release 2.4 is tagged. Changelog: https://example.org/changelog/2.4"},
		{"Work", "#team", "#team", true, "maria", "Maria Lindqvist", day(1, 16, 5), "Nice work everyone!"},
		{"Work", "#team", "#team", true, workNick, "", day(1, 16, 7), "Thanks Sam. I'll write the release notes tonight."},
		{"Work", "jordan", "jordan", false, "jordan", "Jordan Reyes", day(3, 14, 30), "Hello! Could you send me the quote for the 50-seat plan?"},
		{"Work", "jordan", "jordan", false, workNick, "", day(3, 14, 41), "Of course, it's in your inbox now. Let me know if anything is unclear."},
		{"Work", "sam", "sam", false, "sam", "Sam Okafor", day(1, 17, 40), "Could you review my pull request for the export fix when you have a minute?"},
		{"Community", "#go-nuts", "#go-nuts", true, "gopher", "", day(4, 20, 1), "Has anyone benchmarked the new iterator functions?"},
		{"Community", "#go-nuts", "#go-nuts", true, communityNick, "", day(4, 20, 9), "A little: range-over-func is within a few percent of a plain loop for me."},
		{"Community", "rob", "rob", false, "rob", "", day(6, 11, 15), "Thanks for the talk yesterday, the slides were great."},
		{"Community", "rob", "rob", false, communityNick, "", day(6, 11, 30), "Glad you liked it! Slides are at https://example.org/talks/fyne"},
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for i, l := range lines {
		dir := storage.In
		if l.from == workNick || l.from == communityNick {
			dir = storage.Out
		}
		_ = enc.Encode(storage.ExportRecord{
			Network: "irc", Account: l.acct, Conversation: l.conv, ConversationTitle: l.title, Group: l.group,
			Sender: l.from, SenderName: l.name, RemoteID: fmt.Sprintf("demo-history-%d", i),
			Time: l.at.UTC(), Direction: dir, Text: l.text,
		})
	}
	return b.Bytes()
}

// presetWindow writes the window preferences the demo starts with: the
// conversation to open, and the theme when asked. Fyne keeps them in
// <user config dir>/fyne/<app ID>/preferences.json.
func presetWindow(p *profile, o options) error {
	cfg, err := os.UserConfigDir()
	if err != nil {
		return err
	}
	dir := filepath.Join(cfg, "fyne", ui.AppID)
	path := filepath.Join(dir, "preferences.json")
	prefs := map[string]any{}
	if b, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(b, &prefs)
	}
	if row, ok := p.convRows[o.open]; ok {
		prefs[ui.LastConversationKey(p.dir)] = row
	}
	if o.theme != "" {
		prefs[ui.PrefTheme] = o.theme
	}
	b, err := json.Marshal(prefs)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}
