package cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"switchboard/app/core"
	"switchboard/app/policy"
	"switchboard/storage"
)

func (a *app) brand(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("brand: say list, mark, consent, unsubscribe or purge-blocked")
	}
	switch args[0] {
	case "list":
		return a.brandList(ctx, args[1:])
	case "mark":
		return a.brandMark(ctx, args[1:])
	case "consent":
		return a.brandConsent(ctx, args[1:])
	case "unsubscribe":
		return a.brandUnsubscribe(ctx, args[1:])
	case "purge-blocked":
		return a.brandPurge(ctx, args[1:])
	}
	return usagef("brand: unknown sub-command %q", args[0])
}

func (a *app) brandList(ctx context.Context, args []string) error {
	fs := newFlags("brand list")
	asJSON := fs.Bool("json", false, "JSON output")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	api, _, done, err := a.api(ctx)
	if err != nil {
		return err
	}
	defer done()
	bs, err := api.Brands(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		if bs == nil {
			bs = []core.BrandStatus{}
		}
		return writeJSON(a.env.Stdout, bs)
	}
	if len(bs) == 0 {
		fmt.Fprintln(a.env.Stdout, "No brands known yet.")
		return nil
	}
	tw := tabwriter.NewWriter(a.env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tBRAND\tCONSENT\tHELD\tEVIDENCE")
	for _, b := range bs {
		cons := b.Consent
		if len(b.Scopes) > 0 {
			cons += " (" + strings.Join(b.Scopes, ",") + ")"
		}
		if !b.Until.IsZero() {
			cons += " until " + b.Until.Local().Format(time.DateOnly)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", b.Account, b.Handle, cons, b.Held, strings.Join(b.Evidence, "; "))
	}
	return tw.Flush()
}

func (a *app) brandMark(ctx context.Context, args []string) error {
	pos, err := parse(newFlags("brand mark"), args)
	if err != nil {
		return err
	}
	if len(pos) != 3 || (pos[2] != "person" && pos[2] != "brand") {
		return usagef("usage: brand mark ACCOUNT CONTACT person|brand")
	}
	api, _, done, err := a.api(ctx)
	if err != nil {
		return err
	}
	defer done()
	if err := api.MarkContact(ctx, pos[0], pos[1], storage.ContactKind(pos[2]), policy.HowCLI); err != nil {
		return err
	}
	fmt.Fprintf(a.env.Stdout, "%s on %s is now a %s.\n", pos[1], pos[0], pos[2])
	return nil
}

func (a *app) brandConsent(ctx context.Context, args []string) error {
	fs := newFlags("brand consent")
	scope := fs.String("scope", "", "not offered: Switchboard cannot tell one kind of message from another")
	until := fs.String("until", "", "for subscribed: last day (2026-12-31) or an RFC 3339 time")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 3 {
		return usagef("usage: brand consent ACCOUNT CONTACT none|replies|subscribed|blocked [--until DATE]")
	}
	req := core.ConsentRequest{Account: pos[0], Handle: pos[1], State: pos[2], How: policy.HowCLI}
	if *scope != "" {
		for _, s := range strings.Split(*scope, ",") {
			if s = strings.TrimSpace(s); s != "" {
				req.Scopes = append(req.Scopes, s)
			}
		}
	}
	if *until != "" {
		t, err := parseUntil(*until)
		if err != nil {
			return usagef("--until: %v", err)
		}
		req.Until = t
	}
	api, _, done, err := a.api(ctx)
	if err != nil {
		return err
	}
	defer done()
	if err := api.SetConsent(ctx, req); err != nil {
		return err
	}
	fmt.Fprintf(a.env.Stdout, "Consent for %s on %s: %s.\n", pos[1], pos[0], pos[2])
	return nil
}

// parseUntil reads a date (the whole day counts) or an RFC 3339 time.
func parseUntil(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := time.ParseInLocation(time.DateOnly, s, time.Local)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a date (2026-12-31) nor an RFC 3339 time", s)
	}
	return d.Add(24*time.Hour - time.Nanosecond), nil
}

func (a *app) brandUnsubscribe(ctx context.Context, args []string) error {
	pos, err := parse(newFlags("brand unsubscribe"), args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("usage: brand unsubscribe ACCOUNT SENDER")
	}
	api, _, done, err := a.api(ctx)
	if err != nil {
		return err
	}
	defer done()
	res, err := api.Unsubscribe(ctx, pos[0], pos[1], policy.HowCLI)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.env.Stdout, "Unsubscribed from %s: %s.\n", pos[1], res)
	return nil
}

func (a *app) brandPurge(ctx context.Context, args []string) error {
	pos, err := parse(newFlags("brand purge-blocked"), args)
	if err != nil {
		return err
	}
	account := ""
	if len(pos) == 1 {
		account = pos[0]
	}
	api, _, done, err := a.api(ctx)
	if err != nil {
		return err
	}
	defer done()
	n, err := api.PurgeBlocked(ctx, account)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.env.Stdout, "Deleted %d messages from blocked brands.\n", n)
	return nil
}

func (a *app) consent(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "export" {
		return usagef("usage: consent export --format csv|json [--out FILE]")
	}
	fs := newFlags("consent export")
	format := fs.String("format", "csv", "csv or json")
	out := fs.String("out", "", "write to FILE instead of stdout")
	account := fs.String("account", "", "only this account")
	brand := fs.String("brand", "", "only this brand")
	if _, err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *format != "csv" && *format != "json" {
		return usagef("consent export: --format csv or json")
	}
	api, _, done, err := a.api(ctx)
	if err != nil {
		return err
	}
	defer done()
	es, err := api.Ledger(ctx, *account, *brand)
	if err != nil {
		return err
	}
	w := a.env.Stdout
	if *out != "" {
		f, err := os.OpenFile(*out, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			return fmt.Errorf("consent export: %w", err)
		}
		defer f.Close()
		w = f
	}
	recs := core.LedgerRecords(es)
	if *format == "json" {
		return policy.WriteLedgerJSON(w, recs)
	}
	return policy.WriteLedgerCSV(w, recs)
}

func (a *app) pref(ctx context.Context, args []string) error {
	if len(args) < 2 || (args[0] == "set" && len(args) != 3) || (args[0] != "get" && args[0] != "set") {
		return usagef("usage: pref get KEY | pref set KEY VALUE")
	}
	c, err := core.Open(ctx, a.options())
	if err != nil {
		if err == core.ErrProfileBusy {
			return fmt.Errorf("%w: change preferences in the running app, or stop it first", err)
		}
		return err
	}
	defer c.Close()
	if args[0] == "get" {
		v, err := c.Pref(ctx, args[1])
		if err != nil {
			return err
		}
		fmt.Fprintln(a.env.Stdout, v)
		return nil
	}
	return c.SetPref(ctx, args[1], args[2])
}
