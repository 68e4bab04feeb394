package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"switchboard/app/core"
	"switchboard/connectors"
)

func (a *app) account(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("account: say add, list or remove")
	}
	switch args[0] {
	case "add":
		return a.accountAdd(ctx, args[1:])
	case "list":
		return a.accountList(ctx, args[1:])
	case "remove", "rm":
		return a.accountRemove(ctx, args[1:])
	case "signin", "sign-in":
		return a.accountSignIn(ctx, args[1:])
	}
	return usagef("account: unknown sub-command %q (add, list, remove, signin)", args[0])
}

func networkInfo(ctx context.Context, api core.API, name string) (connectors.NetworkInfo, error) {
	nets, err := api.Networks(ctx)
	if err != nil {
		return connectors.NetworkInfo{}, err
	}
	var names []string
	for _, n := range nets {
		if n.Name == name {
			return n, nil
		}
		names = append(names, n.Name)
	}
	return connectors.NetworkInfo{}, fmt.Errorf("unknown network %q (this build speaks: %s)", name, strings.Join(names, ", "))
}

func (a *app) accountList(ctx context.Context, args []string) error {
	fs := newFlags("account list")
	asJSON := fs.Bool("json", false, "JSON output")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	api, _, done, err := a.api(ctx)
	if err != nil {
		return err
	}
	defer done()
	accts, err := api.Accounts(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		if accts == nil {
			accts = []core.AccountStatus{}
		}
		return writeJSON(a.env.Stdout, accts)
	}
	if len(accts) == 0 {
		fmt.Fprintln(a.env.Stdout, "No accounts yet. Add one with: switchboard account add NETWORK NAME …")
		return nil
	}
	tw := tabwriter.NewWriter(a.env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tNETWORK\tSTATE\tUNREAD\tSERVER")
	for _, ac := range accts {
		state := stateLine(ac)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", ac.Name, ac.Network, state, ac.Unread, ac.Settings["server"])
	}
	return tw.Flush()
}

func (a *app) accountRemove(ctx context.Context, args []string) error {
	fs := newFlags("account remove")
	purge := fs.Bool("purge", false, "also delete the account's archived messages")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: account remove NAME [--purge]")
	}
	api, _, done, err := a.api(ctx)
	if err != nil {
		return err
	}
	defer done()
	if err := api.RemoveAccount(ctx, pos[0], *purge); err != nil {
		return err
	}
	fmt.Fprintf(a.env.Stdout, "Removed account %q.\n", pos[0])
	return nil
}

func (a *app) networks(ctx context.Context, args []string) error {
	fs := newFlags("networks")
	asJSON := fs.Bool("json", false, "JSON output")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	api, _, done, err := a.api(ctx)
	if err != nil {
		return err
	}
	defer done()
	nets, err := api.Networks(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(a.env.Stdout, nets)
	}
	for _, n := range nets {
		fmt.Fprintf(a.env.Stdout, "%s (%s)\n", n.DisplayName, n.Name)
		for _, f := range n.Fields {
			req := ""
			if f.Required {
				req = ", required"
			}
			def := ""
			if f.Default != "" {
				def = ", default " + strconv.Quote(f.Default)
			}
			fmt.Fprintf(a.env.Stdout, "  %-10s %s%s%s\n", f.Key, f.Label, req, def)
		}
	}
	return nil
}

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
