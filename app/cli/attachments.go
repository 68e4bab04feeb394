package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"switchboard/app/core"
	"switchboard/connectors"
	"switchboard/internal/attach"
	"switchboard/storage"
)

// attachmentRow is one file in `attachment list --json` and `read --json`.
type attachmentRow struct {
	Index int    `json:"index"` // 1-based, as `attachment save` takes it
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Type  string `json:"type"`
	Size  int64  `json:"size"`
	State string `json:"state"` // pending, saved, failed
	Error string `json:"error,omitempty"`
}

func toAttachmentRows(atts []storage.Attachment) []attachmentRow {
	rows := make([]attachmentRow, 0, len(atts))
	for _, a := range atts {
		rows = append(rows, attachmentRow{Index: a.Index + 1, ID: a.ID, Name: a.Name, Type: a.Type, Size: a.Size,
			State: string(a.State), Error: a.Error})
	}
	return rows
}

func (a *app) attachment(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("usage: attachment list MESSAGE_ID | attachment save MESSAGE_ID [N] [--out FILE|-] [--dir DIR]")
	}
	switch args[0] {
	case "list":
		return a.attachmentList(ctx, args[1:])
	case "save":
		return a.attachmentSave(ctx, args[1:])
	}
	return usagef("unknown attachment command %q (list, save)", args[0])
}

func parseMessageID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, usagef("message ID %q is not a number (see the id field of `read --json`)", s)
	}
	return id, nil
}

func (a *app) attachmentList(ctx context.Context, args []string) error {
	fs := newFlags("attachment list")
	asJSON := fs.Bool("json", false, "JSON output")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: attachment list MESSAGE_ID [--json]")
	}
	id, err := parseMessageID(pos[0])
	if err != nil {
		return err
	}
	api, _, done, err := a.api(ctx)
	if err != nil {
		return err
	}
	defer done()
	atts, err := api.Attachments(ctx, id)
	if err != nil {
		return err
	}
	rows := toAttachmentRows(atts)
	if *asJSON {
		return writeJSON(a.env.Stdout, rows)
	}
	if len(rows) == 0 {
		fmt.Fprintln(a.env.Stdout, "This message has no attachments.")
		return nil
	}
	tw := tabwriter.NewWriter(a.env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "N\tNAME\tTYPE\tSIZE\tSTATE")
	for _, r := range rows {
		state := r.State
		if r.Error != "" {
			state += ": " + r.Error
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", r.Index, r.Name, r.Type, sizeText(r.Size), state)
	}
	return tw.Flush()
}

func (a *app) attachmentSave(ctx context.Context, args []string) error {
	fs := newFlags("attachment save")
	out := fs.String("out", "", "write to FILE ('-': standard output); only with one attachment")
	dir := fs.String("dir", ".", "directory to save into, under the files' own names")
	wait := fs.Duration("wait", 30*time.Second, "when no Switchboard is running and a file is not downloaded yet: how long to wait for its account to connect")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 1 || len(pos) > 2 {
		return usagef("usage: attachment save MESSAGE_ID [N] [--out FILE|-] [--dir DIR]")
	}
	id, err := parseMessageID(pos[0])
	if err != nil {
		return err
	}
	api, local, done, err := a.api(ctx)
	if err != nil {
		return err
	}
	defer done()
	atts, err := api.Attachments(ctx, id)
	if err != nil {
		return err
	}
	if len(atts) == 0 {
		return fmt.Errorf("message %d has no attachments", id)
	}
	if len(pos) == 2 {
		n, err := strconv.Atoi(pos[1])
		if err != nil || n < 1 || n > len(atts) {
			return usagef("attachment number %q: the message has %d (1 to %d)", pos[1], len(atts), len(atts))
		}
		atts = atts[n-1 : n]
	}
	if *out != "" && len(atts) != 1 {
		return usagef("--out takes one attachment: give its number (1 to %d)", len(atts))
	}
	if local != nil {
		if err := a.connectForFiles(ctx, local, id, atts, *wait); err != nil {
			return err
		}
	}
	for _, at := range atts {
		if err := a.saveOne(ctx, api, at, *out, *dir); err != nil {
			return err
		}
	}
	return nil
}

// connectForFiles connects the message's account when a file still has to
// be downloaded and no running Switchboard does it.
func (a *app) connectForFiles(ctx context.Context, c *core.Core, msgRow int64, atts []storage.Attachment, wait time.Duration) error {
	need := false
	for _, at := range atts {
		need = need || at.State != storage.AttachSaved
	}
	if !need {
		return nil
	}
	msgs, err := c.Message(ctx, msgRow)
	if err != nil {
		return err
	}
	if err := c.StartOnly(ctx, msgs.Account); err != nil {
		return err
	}
	deadline := time.Now().Add(wait)
	for {
		accts, err := c.Accounts(ctx)
		if err != nil {
			return err
		}
		for _, st := range accts {
			if st.Name != msgs.Account {
				continue
			}
			switch st.State {
			case connectors.StateOnline:
				return nil
			case connectors.StateAuthFailed, connectors.StateNeedsSignIn:
				return fmt.Errorf("account %s: authentication failed: %s", st.Name, st.Reason)
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("account %s did not connect within %s, so the file could not be downloaded", msgs.Account, wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// saveOne writes one attachment to out ("-" = stdout), or into dir under
// its own (cleaned, never overwriting) name.
func (a *app) saveOne(ctx context.Context, api core.API, at storage.Attachment, out, dir string) error {
	if out == "-" {
		_, err := api.SaveAttachment(ctx, at.ID, a.rawOut())
		return err
	}
	path := out
	if path == "" {
		path = filepath.Join(dir, attach.SafeName(at.Name))
	}
	f, path, err := createNew(path, out == "")
	if err != nil {
		return err
	}
	saved, err := api.SaveAttachment(ctx, at.ID, f)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("write %s: %w", path, cerr)
	}
	if err != nil {
		os.Remove(path)
		return err
	}
	fmt.Fprintf(a.env.Stdout, "Saved %s (%s) to %s\n", saved.Name, sizeText(saved.Size), path)
	return nil
}

// createNew creates path without replacing a file; with pick it tries
// "name (2).ext", "name (3).ext", … when path exists.
func createNew(path string, pick bool) (*os.File, string, error) {
	ext := filepath.Ext(path)
	stem := strings.TrimSuffix(path, ext)
	for i := 1; i < 1000; i++ {
		p := path
		if i > 1 {
			p = fmt.Sprintf("%s (%d)%s", stem, i, ext)
		}
		// 0600 less the umask: a message's attachment is the user's alone.
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			return f, p, nil
		}
		if !errors.Is(err, os.ErrExist) || !pick {
			if errors.Is(err, os.ErrExist) {
				return nil, p, fmt.Errorf("%s already exists; Switchboard does not overwrite files", p)
			}
			return nil, p, fmt.Errorf("create %s: %w", p, err)
		}
	}
	return nil, path, fmt.Errorf("create %s: too many files with that name", path)
}

// sizeText is a size for the listing ("size unknown" when it is).
func sizeText(n int64) string {
	if n < 0 {
		return "size unknown"
	}
	return attach.Size(n)
}
