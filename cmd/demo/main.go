// Command demo starts a local ngIRCd with scripted peers (a colleague in
// a channel, a customer in a private query, a brand that writes
// unasked) and a local Dovecot with a customer's mail and a newsletter,
// prepares a demo profile with two IRC accounts, an e-mail account and
// some history, and opens Switchboard on it: a live unified inbox in one
// command (`make demo`).
//
// With --headless it only runs the server and the peers (until
// interrupted) and prints how to start the app; the screenshot test uses
// that mode with the real binary.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"switchboard/app/ui"
	_ "switchboard/connectors/all"
	"switchboard/internal/testenv/ircd"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

type options struct {
	dir      string
	headless bool
	theme    string
	open     string
}

func run(ctx context.Context, args []string, out io.Writer) error {
	var o options
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.StringVar(&o.dir, "dir", "", "data directory for the server and the profile (default: a temporary one, removed at exit)")
	fs.BoolVar(&o.headless, "headless", false, "run the server and the peers only; start the app yourself")
	fs.StringVar(&o.theme, "theme", "", "preset the window theme: light or dark")
	fs.StringVar(&o.open, "open", "#team", "conversation to show when the window opens")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.dir == "" {
		d, err := os.MkdirTemp("", "switchboard-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		o.dir = d
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	srv, err := ircd.Start(ctx, filepath.Join(o.dir, "ircd"), ircd.Options{Kind: ircd.Ngircd})
	if err != nil {
		return fmt.Errorf("start ngIRCd (Debian/Ubuntu: apt-get install ngircd): %w", err)
	}
	defer srv.Close()
	fmt.Fprintf(out, "demo: ngIRCd listening on %s\n", srv.Addr)

	mail, err := startMail(mailDir(o.dir))
	if err != nil {
		return err
	}
	defer mail.Close()
	fmt.Fprintf(out, "demo: Dovecot IMAP on %s, submission on %s\n", mail.IMAPAddr, mail.SubmitAddr)

	p, err := setupProfile(ctx, o.dir, srv.Addr, mail)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "demo: profile ready in %s\n", p.dir)
	if err := presetWindow(p, o); err != nil {
		return err
	}
	peers := startPeers(ctx, srv.Addr, out)
	defer peers.wait()
	defer cancel()

	if o.headless {
		fmt.Fprintf(out, "demo: ready; start the app with:\n  SWITCHBOARD_PASSPHRASE_FILE=%s switchboard --profile %s\n", p.passFile, p.dir)
		<-ctx.Done()
		return nil
	}
	return ui.Run(ctx, ui.Options{ProfileDir: p.dir, PassphraseFile: p.passFile})
}
