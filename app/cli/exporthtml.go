package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"switchboard/app/core"
	"switchboard/storage"
)

// htmlExport is one `export --format html` run: what to export and where.
type htmlExport struct {
	api          core.API
	dir          string
	account      string
	since, until time.Time // zero = open
	now          time.Time
}

// exportConv is one conversation of the archive, with its messages in the period.
type exportConv struct {
	Conv     storage.Conversation
	File     string // page, relative to the export directory
	Messages []exportMsg
	First    string
	Last     string
}

// exportMsg is one message as its page shows it.
type exportMsg struct {
	storage.Message
	When  string // ISO 8601 with the offset
	Files []exportFile
}

// exportFile is one attachment: saved beside the page (Href set) or not.
type exportFile struct {
	storage.Attachment
	Href string // relative to the conversation page; "" when not in the archive
	Size string
}

const (
	exportPage  = 500
	manifestTXT = "MANIFEST.sha256"
)

// exportHTML writes the browsable archive into dir (new or empty).
func (a *app) exportHTML(ctx context.Context, api core.API, x htmlExport) error {
	if err := api.AllowExport(ctx, "html"); err != nil {
		return err
	}
	if err := prepareExportDir(x.dir, true); err != nil {
		return err
	}
	convs, err := x.conversations(ctx)
	if err != nil {
		return err
	}
	var shown []*exportConv
	n := 0
	for _, c := range convs {
		ec, err := x.writeConversation(ctx, c)
		if err != nil {
			return err
		}
		if ec != nil {
			shown = append(shown, ec)
			n += len(ec.Messages)
		}
	}
	ledger, err := api.Ledger(ctx, x.account, "")
	if err != nil {
		return fmt.Errorf("export: consent ledger: %w", err)
	}
	if err := x.writePage("ledger.html", ledgerTmpl, ledgerData{Head: x.head("Consent ledger"), Entries: ledgerRows(ledger)}); err != nil {
		return err
	}
	if err := x.writePage("index.html", indexTmpl, indexData{Head: x.head("Switchboard archive"), Convs: shown, Messages: n,
		Account: x.account, Since: isoOrEmpty(x.since), Until: isoOrEmpty(x.until), Made: iso(x.now)}); err != nil {
		return err
	}
	if err := writeManifest(x.dir); err != nil {
		return err
	}
	fmt.Fprintf(a.env.Stderr, "Exported %d messages in %d conversations to %s (plain text: keep it safe; %s lists each file's SHA-256).\n",
		n, len(shown), x.dir, manifestTXT)
	return nil
}

// prepareExportDir accepts dir when it is new or an empty directory (and
// with create makes it): an export never mixes with or replaces files
// already there.
func prepareExportDir(dir string, create bool) error {
	if dir == "" {
		return usagef("export --format html needs --out DIR (a new or empty directory)")
	}
	ents, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if !create {
			return nil
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("export: create %s: %w", dir, err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("export: %s: %w", dir, err)
	case len(ents) > 0:
		return fmt.Errorf("%s is not empty; Switchboard does not overwrite files: give a new or empty directory", dir)
	}
	return nil
}

// conversations lists every conversation of the account (all accounts
// when ""), held and blocked ones too, once each.
func (x htmlExport) conversations(ctx context.Context) ([]storage.Conversation, error) {
	seen := map[int64]bool{}
	var out []storage.Conversation
	for _, f := range []storage.Filter{storage.FilterAll, storage.FilterRequests, storage.FilterBlocked} {
		cs, err := x.api.Conversations(ctx, storage.ConvQuery{Filter: f, Account: x.account})
		if err != nil {
			return nil, fmt.Errorf("export: list conversations: %w", err)
		}
		for _, c := range cs {
			if !seen[c.Row] {
				seen[c.Row] = true
				out = append(out, c)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Account != out[j].Account {
			return out[i].Account < out[j].Account
		}
		return out[i].Row < out[j].Row
	})
	return out, nil
}

// messages reads a conversation's messages in the period, in time order.
func (x htmlExport) messages(ctx context.Context, conv int64) ([]storage.Message, error) {
	var all []storage.Message
	var before int64
	for {
		page, err := x.api.Messages(ctx, conv, before, exportPage)
		if err != nil {
			return nil, fmt.Errorf("export: %w", err)
		}
		for _, m := range page {
			if x.inPeriod(m.Time) {
				all = append(all, m)
			}
		}
		if len(page) < exportPage {
			break
		}
		before = page[0].Row
	}
	sort.SliceStable(all, func(i, j int) bool {
		if !all[i].Time.Equal(all[j].Time) {
			return all[i].Time.Before(all[j].Time)
		}
		return all[i].Row < all[j].Row
	})
	return all, nil
}

func (x htmlExport) inPeriod(t time.Time) bool {
	return (x.since.IsZero() || !t.Before(x.since)) && (x.until.IsZero() || t.Before(x.until))
}

// writeConversation writes one conversation's page and its files; nil
// when it has no message in the period.
func (x htmlExport) writeConversation(ctx context.Context, c storage.Conversation) (*exportConv, error) {
	msgs, err := x.messages(ctx, c.Row)
	if err != nil || len(msgs) == 0 {
		return nil, err
	}
	base := fmt.Sprintf("%d-%s", c.Row, safeFileName(c.Title, "conversation"))
	ec := &exportConv{Conv: c, File: "conversations/" + base + ".html"}
	filesDir := filepath.Join(x.dir, "conversations", base+"-files")
	for _, m := range msgs {
		em := exportMsg{Message: m, When: iso(m.Time)}
		for _, at := range m.Attachments {
			f, err := x.saveFile(ctx, filesDir, base+"-files", m, at)
			if err != nil {
				return nil, err
			}
			em.Files = append(em.Files, f)
		}
		ec.Messages = append(ec.Messages, em)
	}
	ec.First, ec.Last = ec.Messages[0].When, ec.Messages[len(ec.Messages)-1].When
	title := c.Title + " — " + c.Account
	err = x.writePage(ec.File, convTmpl, convData{Head: x.head(title), Conv: ec, Up: "../index.html"})
	return ec, err
}

// saveFile writes a saved attachment into dir under "MSG-N-name"; one not
// in the archive (never downloaded, failed) is listed without a link.
func (x htmlExport) saveFile(ctx context.Context, dir, rel string, m storage.Message, at storage.Attachment) (exportFile, error) {
	f := exportFile{Attachment: at, Size: sizeText(at.Size)}
	if at.State != storage.AttachSaved {
		return f, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return f, fmt.Errorf("export: %w", err)
	}
	name := fmt.Sprintf("%d-%d-%s", m.Row, at.Index+1, inertName(safeFileName(at.Name, "file")))
	path := filepath.Join(dir, name)
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return f, fmt.Errorf("export: %w", err)
	}
	_, err = x.api.SaveAttachment(ctx, at.ID, out)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return f, fmt.Errorf("export: attachment %q of message %d: %w", at.Name, m.Row, err)
	}
	f.Href = rel + "/" + name
	return f, nil
}

// writePage executes a page template into rel (under the export directory).
func (x htmlExport) writePage(rel string, t pageTemplate, data any) error {
	path := filepath.Join(x.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	err = t.Execute(f, data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("export: write %s: %w", rel, err)
	}
	return nil
}

// safeFileName turns a name a sender chose into one path element that
// cannot leave its directory or hide: letters, digits, '-', '_' and '.',
// no leading dot, at most 60 bytes; fallback when nothing is left.
func safeFileName(name, fallback string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 60 {
			break
		}
	}
	s := strings.TrimLeft(b.String(), "._")
	s = strings.ReplaceAll(s, "..", "_")
	if strings.Trim(s, "_") == "" {
		return fallback
	}
	return s
}

// activeExt are the kinds of file a browser runs as a page (script and
// all) when opened from the archive: saved with ".txt" added, they open
// as text; the page shows the sender's name.
var activeExt = []string{".htm", ".html", ".shtml", ".xht", ".xhtml", ".xml", ".xsl", ".xslt", ".svg", ".svgz", ".mht", ".mhtml", ".hta"}

func inertName(name string) string {
	if slices.Contains(activeExt, strings.ToLower(filepath.Ext(name))) {
		return name + ".txt"
	}
	return name
}

// writeManifest lists the SHA-256 of every file of the export, in the
// format `sha256sum -c` checks, sorted by path.
func writeManifest(dir string) error {
	var lines []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		sum, err := fileSHA256(path)
		if err != nil {
			return err
		}
		lines = append(lines, sum+"  "+filepath.ToSlash(rel)+"\n")
		return nil
	})
	if err != nil {
		return fmt.Errorf("export: manifest: %w", err)
	}
	slices.Sort(lines)
	return os.WriteFile(filepath.Join(dir, manifestTXT), []byte(strings.Join(lines, "")), 0o600)
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// iso is a time as ISO 8601 with the local offset.
func iso(t time.Time) string { return t.Local().Format("2006-01-02T15:04:05-07:00") }

func isoOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return iso(t)
}

// parseExportTime reads --since/--until: a date (local midnight; for
// --until the end of that day) or a date and time, with or without offset.
func parseExportTime(flagName, s string, endOfDay bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	if t, err := time.ParseInLocation("2006-01-02", s, time.Local); err == nil {
		if endOfDay {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	return time.Time{}, usagef("--%s %q is not a date: use 2026-12-24, 2026-12-24T09:00 or 2026-12-24T09:00:00+01:00", flagName, s)
}
