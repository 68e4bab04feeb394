package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"switchboard/app/core"
	"switchboard/storage"
)

func (a *app) export(ctx context.Context, args []string) error {
	fs := newFlags("export")
	format := fs.String("format", "jsonl", "jsonl or html")
	out := fs.String("out", "", "write to FILE instead of stdout (html: a new or empty directory)")
	account := fs.String("account", "", "html: only this account")
	since := fs.String("since", "", "html: only messages from this date or time on")
	until := fs.String("until", "", "html: only messages before this time (a date: to the end of that day)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	var x htmlExport
	switch *format {
	case "jsonl":
		if *account != "" || *since != "" || *until != "" {
			return usagef("export: --account, --since and --until are for --format html; jsonl exports the whole archive")
		}
	case "html":
		var err error
		if x.since, err = parseExportTime("since", *since, false); err != nil {
			return err
		}
		if x.until, err = parseExportTime("until", *until, true); err != nil {
			return err
		}
		if !x.since.IsZero() && !x.until.IsZero() && !x.since.Before(x.until) {
			return usagef("export: --since must be before --until")
		}
		if err := prepareExportDir(*out, false); err != nil {
			return err
		}
	default:
		return usagef("export: the formats are jsonl and html")
	}
	api, _, done, err := a.api(ctx)
	if err != nil {
		return err
	}
	defer done()
	if cl, ok := api.(*core.Client); ok {
		if mode, _ := storage.ReadKeyMode(a.profile); mode == storage.ModePassphrase {
			// The running Switchboard exports a passphrase archive only
			// to a process that knows the passphrase.
			cl.SetExportPassphrase(func() ([]byte, error) { return a.passphrase(false) })
		}
	}
	if *format == "html" {
		x.api, x.dir, x.account, x.now = api, *out, *account, time.Now()
		return a.exportHTML(ctx, api, x)
	}
	if *out == "" {
		bw := bufio.NewWriterSize(a.rawOut(), 1<<16)
		if _, err := api.Export(ctx, bw); err != nil {
			return err
		}
		return bw.Flush()
	}
	// Write to a temporary file and rename, so a failed export never
	// leaves a truncated file under the name the user asked for.
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".switchboard-export-*")
	if err != nil {
		return fmt.Errorf("create %s: %w", *out, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	bw := bufio.NewWriterSize(tmp, 1<<16)
	n, err := api.Export(ctx, bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("export to %s: %w", *out, err)
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	fmt.Fprintf(a.env.Stderr, "Exported %d messages to %s (plain text: keep it safe).\n", n, *out)
	return nil
}

func (a *app) importArchive(ctx context.Context, args []string) error {
	fs := newFlags("import")
	format := fs.String("format", "jsonl", "jsonl")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *format != "jsonl" {
		return usagef("import: the only format is jsonl")
	}
	if len(pos) != 1 {
		return usagef("usage: import --format jsonl FILE ('-' for stdin)")
	}
	var r io.Reader = a.env.Stdin
	if pos[0] != "-" {
		f, err := os.Open(pos[0])
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		defer f.Close()
		r = f
	}
	api, _, done, err := a.api(ctx)
	if err != nil {
		return err
	}
	defer done()
	st, err := api.Import(ctx, bufio.NewReaderSize(r, 1<<16))
	if err != nil {
		return err
	}
	fmt.Fprintf(a.env.Stdout, "Imported %d new messages (%d already present, %d lines read).\n", st.Inserted, st.Duplicates, st.Read)
	return nil
}

func (a *app) audit(ctx context.Context, args []string) error {
	fs := newFlags("audit")
	asJSON := fs.Bool("json", false, "JSON output")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	api, _, done, err := a.api(ctx)
	if err != nil {
		return err
	}
	defer done()
	log, err := api.Audit(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		if log == nil {
			log = []storage.AuditEntry{}
		}
		return writeJSON(a.env.Stdout, log)
	}
	if len(log) == 0 {
		fmt.Fprintln(a.env.Stdout, "The archive has not been exported.")
		return nil
	}
	for _, e := range log {
		fmt.Fprintf(a.env.Stdout, "%s  %-15s %s\n", e.Time.Local().Format("2006-01-02 15:04:05"), e.Kind, e.Detail)
	}
	return nil
}
