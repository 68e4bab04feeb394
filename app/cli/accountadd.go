package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/term"

	"switchboard/app/core"
	"switchboard/connectors"
)

// settingFlags maps every flag `account add` accepts onto a setting key:
// one --KEY per field of every network's form (underscores may be written
// as dashes: --ca-file for ca_file). The forms come from the connectors
// this binary was built with, so a new network's settings are flags
// without a line here. A secret's flag exists only to refuse it in plain
// words: secrets never go on a command line.
func settingFlags() map[string]string {
	out := map[string]string{}
	for _, n := range connectors.Networks() {
		c, err := connectors.New(n)
		if err != nil {
			continue
		}
		for _, f := range c.Info().Fields {
			out[f.Key] = f.Key
			out[strings.ReplaceAll(f.Key, "_", "-")] = f.Key
		}
	}
	return out
}

func (a *app) accountAdd(ctx context.Context, args []string) error {
	fs := newFlags("account add")
	flags := settingFlags()
	vals := map[string]*string{}
	names := make([]string, 0, len(flags))
	for name := range flags {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		vals[name] = fs.String(name, "", "the "+flags[name]+" setting")
	}
	var sets multiFlag
	fs.Var(&sets, "set", "KEY=VALUE for any setting the network declares")
	secretStdin := fs.Bool("secret-stdin", false, "read the passwords and tokens from stdin, one line each, in the form's order, then the sign-in answers")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("usage: account add NETWORK NAME [--KEY VALUE]... [--set KEY=VALUE]... [--secret-stdin]")
	}
	spec := core.AccountSpec{Network: pos[0], Name: pos[1], Settings: map[string]string{}, Secrets: map[string]string{}}
	for name, v := range vals {
		if *v != "" {
			spec.Settings[flags[name]] = *v
		}
	}
	for _, kv := range sets {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
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
	if err := formSettings(info, spec.Settings); err != nil {
		return err
	}
	signIn := signsIn(spec.Network)
	if spec.Secrets, err = a.secrets(info, *secretStdin, signIn); err != nil {
		return err
	}
	if err := api.AddAccount(ctx, spec); err != nil {
		return err
	}
	fmt.Fprintf(a.env.Stdout, "Added %s account %q.\n", info.DisplayName, spec.Name)
	if !signIn {
		return nil
	}
	if !*secretStdin && !a.env.Interactive {
		return fmt.Errorf("%s accounts sign in with questions: run this on a terminal, give the answers on stdin with --secret-stdin, or later: switchboard account signin %s", info.DisplayName, spec.Name)
	}
	return a.signIn(ctx, api, spec.Name, *secretStdin)
}

// signsIn says whether a network of this build has a sign-in step (the
// capability is a property of the connector's type).
func signsIn(network string) bool {
	c, err := connectors.New(network)
	if err != nil {
		return false
	}
	_, ok := c.(connectors.SignInner)
	return ok
}

// formSettings checks the given settings against the network's form (a
// secret is never a setting) and makes file paths absolute: the running
// Switchboard may have another working directory.
func formSettings(info connectors.NetworkInfo, settings map[string]string) error {
	for k, v := range settings {
		f, ok := field(info, k)
		switch {
		case !ok:
			return fmt.Errorf("%s accounts have no setting %q (see `switchboard networks`)", info.DisplayName, k)
		case f.Kind == connectors.FieldSecret:
			return fmt.Errorf("%s is a secret: it is read from stdin (--secret-stdin) or asked on the terminal, never taken from the command line", f.Label)
		case f.Kind == connectors.FieldFile && v != "":
			if abs, err := filepath.Abs(v); err == nil {
				settings[k] = abs
			}
		}
	}
	return nil
}

func field(info connectors.NetworkInfo, key string) (connectors.Field, bool) {
	for _, f := range info.Fields {
		if f.Key == key {
			return f, true
		}
	}
	return connectors.Field{}, false
}

func secretFields(info connectors.NetworkInfo) []connectors.Field {
	var out []connectors.Field
	for _, f := range info.Fields {
		if f.Kind == connectors.FieldSecret {
			out = append(out, f)
		}
	}
	return out
}

// secrets gathers the network's passwords and tokens: with --secret-stdin
// one line per secret field, in the form's order; otherwise asked on the
// terminal, one prompt each. Without a terminal a required one missing is
// an error that says how to give it. For a network with a sign-in step,
// stdin's further lines are its answers (read later, from the same reader).
func (a *app) secrets(info connectors.NetworkInfo, fromStdin, signIn bool) (map[string]string, error) {
	fields := secretFields(info)
	out := map[string]string{}
	if fromStdin {
		if len(fields) == 0 {
			if signIn {
				return out, nil
			}
			return nil, fmt.Errorf("%s accounts take no password or token", info.DisplayName)
		}
		lines, err := readSecretLines(a.stdinLines(), len(fields))
		if err != nil {
			return nil, err
		}
		for i, f := range fields {
			if i < len(lines) && lines[i] != "" {
				out[f.Key] = lines[i]
			} else if f.Required {
				return nil, fmt.Errorf("--secret-stdin: no line for %s (%s accounts read %s from stdin, one line each, in this order)",
					f.Label, info.DisplayName, labels(fields))
			}
		}
		return out, nil
	}
	ask := a.env.AskSecret
	if ask == nil && a.env.Interactive {
		ask = askOnTerminal
	}
	for _, f := range fields {
		if ask == nil {
			if f.Required {
				return nil, fmt.Errorf("%s accounts need %s: give it on stdin with --secret-stdin (one line each: %s)",
					info.DisplayName, f.Label, labels(fields))
			}
			continue
		}
		prompt := f.Label + ": "
		if !f.Required {
			prompt = f.Label + " (Enter for none): "
		}
		v, err := ask(prompt)
		if err != nil {
			return nil, fmt.Errorf("ask for %s: %w", f.Label, err)
		}
		if v == "" && f.Required {
			return nil, fmt.Errorf("%s accounts need %s", info.DisplayName, f.Label)
		}
		if v != "" {
			out[f.Key] = v
		}
	}
	return out, nil
}

func labels(fields []connectors.Field) string {
	var l []string
	for _, f := range fields {
		l = append(l, f.Label)
	}
	return strings.Join(l, ", ")
}

// readSecretLines reads up to n lines of stdin (without their line ends).
func readSecretLines(br *bufio.Reader, n int) ([]string, error) {
	var lines []string
	for len(lines) < n {
		line, err := br.ReadString('\n')
		if line != "" || err == nil {
			lines = append(lines, trimLine(line))
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("--secret-stdin: %w", err)
		}
	}
	if len(lines) == 0 || len(lines) == 1 && lines[0] == "" {
		return nil, errors.New("--secret-stdin: stdin was empty")
	}
	return lines, nil
}

// askOnTerminal asks for a secret on the controlling terminal, without echo.
func askOnTerminal(prompt string) (string, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return "", fmt.Errorf("no terminal: %w", err)
	}
	defer tty.Close()
	fmt.Fprint(tty, prompt)
	b, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(tty)
	return string(b), err
}
