// Package cli is Switchboard without a window: the same core, driven by
// sub-commands, for scripts, servers and tests. Every listing has --json;
// secrets are read from stdin or a prompt, never from the command line.
package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"switchboard/app/core"
	"switchboard/storage"
)

// Env is what a command run sees of the world. Main fills it from the
// process; tests give their own.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// Keyring overrides the OS keyring (tests).
	Keyring storage.Keyring
	// Interactive says whether a passphrase may be asked on the terminal.
	Interactive bool
	// AskSecret asks for one secret (a password or token) without echo;
	// nil: on the terminal (/dev/tty) when Interactive. Tests give their own.
	AskSecret func(prompt string) (string, error)
}

// app is one invocation: global options and the environment.
type app struct {
	env            Env
	profile        string
	passphraseFile string
	verbose        bool
	stdin          *bufio.Reader // see stdinLines
}

const usage = `Switchboard: all your chat accounts in one place.

Usage: switchboard [--profile DIR] [--passphrase-file FILE] COMMAND [ARGS]
With no command, the window opens.

Accounts:
  account add NETWORK NAME [--KEY VALUE]... [--set KEY=VALUE]... [--secret-stdin]
                           one --KEY per setting of the network's form (see networks):
                           --server HOST:PORT --nick N --user U --smtp HOST:PORT --tls=true|false
                           --ca-file F --join '#a,#b' …; passwords and tokens from stdin
                           (--secret-stdin: one line per secret, in the form's order) or asked
                           on the terminal, never on the command line
  account list [--json]
  account remove NAME [--purge]
  account signin NAME [--secret-stdin]
                                     sign in again (a code, a two-step password, a QR code) where
                                     the network asks for more than a password
  networks [--json]                  the networks this build speaks, and their settings

Messages:
  run [--for DURATION]               connect every account and archive everything
  inbox [--json] [--filter all|unread|awaiting|requests|blocked] [--account NAME] [--network NAME] [--limit N]
  read CONVERSATION_ID [--json] [--limit N] [--before MESSAGE_ID] [--keep-unread]
  send ACCOUNT TARGET TEXT           TEXT '-' reads the message from stdin; --subject S, --file PATH (e-mail)
  original MESSAGE_ID                the whole original (an e-mail with quotes and signature)
  attachment list MESSAGE_ID [--json]
  attachment save MESSAGE_ID [N] [--out FILE|-] [--dir DIR]
                                     write a message's files (downloaded into the archive first if needed)
  search QUERY [--json] [--limit N] [--offset N]
  export --format jsonl [--out FILE]
  export --format html --out DIR [--account A] [--since D] [--until D]
  import --format jsonl FILE
  audit [--json]                     every export of the archive (and every refused one)

Brands (only you start a conversation with a brand):
  brand list [--json]
  brand mark ACCOUNT CONTACT person|brand
  brand consent ACCOUNT CONTACT none|replies|subscribed|blocked [--until DATE]
  brand unsubscribe ACCOUNT SENDER
  brand purge-blocked [ACCOUNT]
  consent export --format csv|json [--out FILE]

Archive:
  archive verify [--json]            check every sealed value, the consent ledger's chain and the
                                     counters; lists what was changed outside Switchboard

Settings:
  pref get KEY | pref set KEY VALUE  quiet_hours (22:00-07:00), replies_window (24h)

The profile directory is --profile, else $SWITCHBOARD_PROFILE, else the
system's per-user config directory. --passphrase-file (or
$SWITCHBOARD_PASSPHRASE_FILE) unlocks a profile that uses a passphrase
instead of the OS keyring.
`

// Main runs one command line (without the program name) and returns the
// process exit code. Errors are printed to Stderr in plain words.
func Main(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if !utf8Locale(env.Getenv) {
		env.Stdout = &asciiWriter{w: env.Stdout}
		env.Stderr = &asciiWriter{w: env.Stderr}
	}
	a := &app{env: env}
	fs := flag.NewFlagSet("switchboard", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&a.profile, "profile", env.Getenv("SWITCHBOARD_PROFILE"), "profile directory")
	fs.StringVar(&a.passphraseFile, "passphrase-file", env.Getenv("SWITCHBOARD_PASSPHRASE_FILE"), "file holding the passphrase")
	fs.BoolVar(&a.verbose, "verbose", false, "log more")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(env.Stdout, usage)
			return 0
		}
		fmt.Fprintf(env.Stderr, "switchboard: %v\n\n%s", err, usage)
		return 2
	}
	rest := fs.Args()
	if len(rest) == 0 || rest[0] == "help" {
		fmt.Fprint(env.Stdout, usage)
		return 0
	}
	if a.profile == "" {
		dir, err := core.DefaultProfileDir()
		if err != nil {
			fmt.Fprintf(env.Stderr, "switchboard: %v\n", err)
			return 1
		}
		a.profile = dir
	}
	err := a.dispatch(ctx, rest[0], rest[1:])
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(env.Stderr, "switchboard %s: %v\n", rest[0], err)
		return 2
	default:
		fmt.Fprintf(env.Stderr, "switchboard %s: %s\n", rest[0], plain(err))
		return 1
	}
}

// usageError marks a mistake in the command line itself.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func (a *app) dispatch(ctx context.Context, cmd string, args []string) error {
	switch cmd {
	case "account":
		return a.account(ctx, args)
	case "networks":
		return a.networks(ctx, args)
	case "run":
		return a.run(ctx, args)
	case "inbox":
		return a.inbox(ctx, args)
	case "read":
		return a.read(ctx, args)
	case "send":
		return a.send(ctx, args)
	case "original":
		return a.original(ctx, args)
	case "attachment":
		return a.attachment(ctx, args)
	case "search":
		return a.search(ctx, args)
	case "export":
		return a.export(ctx, args)
	case "import":
		return a.importArchive(ctx, args)
	case "brand":
		return a.brand(ctx, args)
	case "consent":
		return a.consent(ctx, args)
	case "audit":
		return a.audit(ctx, args)
	case "pref":
		return a.pref(ctx, args)
	case "archive":
		return a.archive(ctx, args)
	}
	return usagef("unknown command %q (try: switchboard help)", cmd)
}

// plain turns well-known errors into advice.
func plain(err error) string {
	if p, ok := storage.KeyringProblemOf(err); ok {
		return keyringAdvice(err, p)
	}
	switch {
	case errors.Is(err, storage.ErrNoKeyring):
		return err.Error() + " (give --passphrase-file FILE to protect the new profile with a passphrase)"
	case errors.Is(err, storage.ErrKeyMissing):
		return err.Error() + ": if you moved the profile from another computer, restore that keyring entry; Switchboard will not create a new archive over it"
	}
	return err.Error()
}

func (a *app) logger() *slog.Logger {
	lvl := slog.LevelWarn
	if a.verbose {
		lvl = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(a.env.Stderr, &slog.HandlerOptions{Level: lvl}))
}

func (a *app) options() core.Options {
	o := core.Options{
		ProfileDir: a.profile,
		Keyring:    a.env.Keyring,
		Logger:     a.logger(),
		// At a terminal the user can answer the keyring's own unlock prompt.
		UnlockKeyring: a.env.Interactive,
	}
	if a.passphraseFile != "" || a.env.Interactive {
		o.Passphrase = a.passphrase
	}
	return o
}

// api returns the running Switchboard's API if one holds the profile, else
// opens the profile here (without connecting). close must be called.
func (a *app) api(ctx context.Context) (api core.API, local *core.Core, close func(), err error) {
	if cl, err := core.Dial(ctx, a.profile); err == nil {
		return cl, nil, func() {}, nil
	}
	c, err := a.open(ctx)
	for try := 0; errors.Is(err, core.ErrProfileBusy) && try < 100; try++ {
		// The holder is starting up (unlocking the archive takes a moment)
		// or shutting down: wait for its socket, or for the lock to free.
		select {
		case <-ctx.Done():
			return nil, nil, nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if cl, derr := core.Dial(ctx, a.profile); derr == nil {
			return cl, nil, func() {}, nil
		}
		c, err = a.open(ctx)
	}
	if err != nil {
		return nil, nil, nil, err
	}
	return c, c, func() { c.Close() }, nil
}

// open opens the profile here. A new profile whose keyring is locked is
// protected with the passphrase file the user gave, if they gave one.
func (a *app) open(ctx context.Context) (*core.Core, error) {
	isNew := !storage.Exists(a.profile)
	c, err := core.Open(ctx, a.options())
	if p, _ := storage.KeyringProblemOf(err); p == storage.KeyringLocked && isNew && a.passphraseFile != "" {
		o := a.options()
		o.PreferPassphrase = true
		return core.Open(ctx, o)
	}
	return c, err
}

func trimLine(s string) string { return strings.TrimRight(s, "\r\n") }
