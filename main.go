// Switchboard: all of a person's chat accounts in one window, with an
// encrypted local archive and brand opt-in.
//
// With no arguments it opens the window; with a sub-command it runs
// headless (see `switchboard help`).
package main

import (
	_ "earlylocale" // first: before Fyne reads the locale

	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	"switchboard/app/cli"
	"switchboard/app/ui"
	_ "switchboard/connectors/all"
	"switchboard/internal/sessionbus"
)

func main() {
	// Never autolaunch a D-Bus session bus (it would outlive the command).
	if _, err := sessionbus.Prepare(sessionbus.Env{Getenv: os.Getenv, Setenv: os.Setenv, Stat: os.Stat, UID: os.Getuid()}); err != nil {
		fmt.Fprintf(os.Stderr, "switchboard: %v\n", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:]))
}

func run(ctx context.Context, args []string) int {
	if len(args) == 0 || (len(args) == 2 && args[0] == "--profile") {
		opts := ui.Options{}
		if len(args) == 2 {
			opts.ProfileDir = args[1]
		} else {
			opts.ProfileDir = os.Getenv("SWITCHBOARD_PROFILE")
		}
		if err := ui.Run(ctx, opts); err != nil {
			fmt.Fprintf(os.Stderr, "switchboard: %v\n", err)
			return 1
		}
		return 0
	}
	return cli.Main(ctx, args, cli.Env{
		Stdin:       os.Stdin,
		Stdout:      os.Stdout,
		Stderr:      os.Stderr,
		Interactive: term.IsTerminal(int(os.Stdin.Fd())),
	})
}
