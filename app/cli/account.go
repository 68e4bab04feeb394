package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"path/filepath"
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
	}
	return usagef("account: unknown sub-command %q (add, list, remove)", args[0])
}

// flagSettings maps the CLI's account flags onto connector setting keys.
var flagSettings = []struct{ flag, key, help string }{
	{"server", "server", "HOST:PORT of the server"},
	{"nick", "nick", "nickname"},
	{"user", "user", "user name or address"},
	{"smtp", "smtp", "HOST:PORT of the SMTP submission server"},
	{"tls", "tls", "use TLS (true|false)"},
	{"ca-file", "ca_file", "PEM file of a private certificate authority to trust"},
	{"join", "join", "comma-separated conversations to join"},
	{"realname", "realname", "real name"},
}

func (a *app) accountAdd(ctx context.Context, args []string) error {
	fs := newFlags("account add")
	vals := map[string]*string{}
	for _, f := range flagSettings {
		vals[f.key] = fs.String(f.flag, "", f.help)
	}
	var sets multiFlag
	fs.Var(&sets, "set", "KEY=VALUE for any other setting the network declares")
	secretStdin := fs.Bool("secret-stdin", false, "read the password or token from stdin")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("usage: account add NETWORK NAME [flags]")
	}
	spec := core.AccountSpec{Network: pos[0], Name: pos[1], Settings: map[string]string{}, Secrets: map[string]string{}}
	for _, f := range flagSettings {
		if v := *vals[f.key]; v != "" {
			if f.key == "ca_file" {
				if abs, err := filepath.Abs(v); err == nil {
					v = abs
				}
			}
			spec.Settings[f.key] = v
		}
	}
	for _, kv := range sets {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return usagef("--set wants KEY=VALUE, got %q", kv)
		}
		spec.Settings[k] = v
	}
	api, _, done, err := a.api(ctx)
	if err != nil {
		return err
	}
	defer done()
	info, err := networkInfo(ctx, api, spec.Network)
	if err != nil {
		return err
	}
	// Drop flags the network does not declare only if they were not given.
	for k := range spec.Settings {
		if !declares(info, k) {
			return fmt.Errorf("%s accounts have no setting %q", info.DisplayName, k)
		}
	}
	if *secretStdin {
		key := secretKey(info)
		if key == "" {
			return fmt.Errorf("%s accounts take no password or token", info.DisplayName)
		}
		s, err := readSecret(a.env.Stdin)
		if err != nil {
			return err
		}
		spec.Secrets[key] = s
	}
	if err := api.AddAccount(ctx, spec); err != nil {
		return err
	}
	fmt.Fprintf(a.env.Stdout, "Added %s account %q.\n", info.DisplayName, spec.Name)
	return nil
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

func declares(info connectors.NetworkInfo, key string) bool {
	for _, f := range info.Fields {
		if f.Key == key && f.Kind != connectors.FieldSecret {
			return true
		}
	}
	return false
}

func secretKey(info connectors.NetworkInfo) string {
	for _, f := range info.Fields {
		if f.Kind == connectors.FieldSecret {
			return f.Key
		}
	}
	return ""
}

// readSecret reads the first line of stdin.
func readSecret(r io.Reader) (string, error) {
	if r == nil {
		return "", fmt.Errorf("--secret-stdin: nothing on stdin")
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	line = trimLine(line)
	if line == "" {
		if err != nil && err != io.EOF {
			return "", fmt.Errorf("--secret-stdin: %w", err)
		}
		return "", fmt.Errorf("--secret-stdin: stdin was empty")
	}
	return line, nil
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
