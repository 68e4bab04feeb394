package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"switchboard/app/core"
)

// archive runs `archive verify`: every sealed value opened, the consent
// ledger's chain checked, counters recounted. It needs the archive to
// itself (the running app holds it).
func (a *app) archive(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "verify" {
		return usagef("usage: archive verify [--json]")
	}
	fs := newFlags("archive verify")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if _, err := parse(fs, args[1:]); err != nil {
		return err
	}
	c, err := core.Open(ctx, a.options())
	if err != nil {
		if err == core.ErrProfileBusy {
			return fmt.Errorf("%w: verify reads the whole archive; stop the running app first", err)
		}
		return err
	}
	defer c.Close()
	rep, err := c.VerifyArchive(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(a.env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			Checked  map[string]int `json:"checked"`
			Problems []string       `json:"problems"`
			More     int            `json:"more_problems,omitempty"`
		}{rep.Checked, rep.Problems, rep.More}); err != nil {
			return err
		}
	} else {
		tables := make([]string, 0, len(rep.Checked))
		for t := range rep.Checked {
			tables = append(tables, t)
		}
		slices.Sort(tables)
		for _, t := range tables {
			fmt.Fprintf(a.env.Stdout, "%-14s %d checked\n", t, rep.Checked[t])
		}
		for _, p := range rep.Problems {
			fmt.Fprintf(a.env.Stdout, "PROBLEM: %s\n", p)
		}
		if rep.More > 0 {
			fmt.Fprintf(a.env.Stdout, "… and %d more problems\n", rep.More)
		}
	}
	if n := len(rep.Problems) + rep.More; n == 1 {
		return fmt.Errorf("the archive failed verification: 1 problem (it was changed outside Switchboard)")
	} else if n > 1 {
		return fmt.Errorf("the archive failed verification: %d problems (it was changed outside Switchboard)", n)
	}
	fmt.Fprintln(a.env.Stdout, "The archive passed verification.")
	return nil
}
