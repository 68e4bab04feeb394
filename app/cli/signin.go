package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
	"golang.org/x/term"

	"switchboard/app/core"
	"switchboard/connectors"
)

// stdinLines is the one buffered reader of stdin for the whole command:
// the password of --secret-stdin and then the sign-in answers are
// consecutive lines of it.
func (a *app) stdinLines() *bufio.Reader {
	if a.stdin == nil {
		r := a.env.Stdin
		if r == nil {
			r = strings.NewReader("")
		}
		a.stdin = bufio.NewReader(r)
	}
	return a.stdin
}

// termPrompter is the command line's connectors.Prompter: questions on
// the terminal (secrets without echo), or — with --secret-stdin — the
// next line of stdin for each question, in the order asked. QR codes are
// drawn with block characters; web pages are printed to open by hand.
type termPrompter struct {
	a         *app
	fromStdin bool
}

func (p *termPrompter) Ask(ctx context.Context, q connectors.Question) (string, error) {
	out := p.a.env.Stdout
	if p.fromStdin {
		fmt.Fprintf(out, "%s: (read from stdin)\n", q.Label)
		line, err := p.a.stdinLines().ReadString('\n')
		line = trimLine(line)
		if line == "" {
			if err != nil && err != io.EOF {
				return "", fmt.Errorf("--secret-stdin: %w", err)
			}
			return "", fmt.Errorf("--secret-stdin: no line on stdin answers %q", q.Label)
		}
		return line, nil
	}
	if !p.a.env.Interactive {
		return "", fmt.Errorf("this account signs in with questions (%s): run the command on a terminal, or give the answers on stdin, one a line, with --secret-stdin", q.Label)
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return "", fmt.Errorf("no terminal to ask %q: %w", q.Label, err)
	}
	defer tty.Close()
	stop := context.AfterFunc(ctx, func() { tty.Close() })
	defer stop()
	if q.Help != "" {
		fmt.Fprintln(tty, q.Help)
	}
	fmt.Fprintf(tty, "%s: ", q.Label)
	if q.Secret {
		b, err := term.ReadPassword(int(tty.Fd()))
		fmt.Fprintln(tty)
		return string(b), err
	}
	line, err := bufio.NewReader(tty).ReadString('\n')
	if line = trimLine(line); line == "" && err != nil {
		return "", fmt.Errorf("read %q: %w", q.Label, err)
	}
	return line, nil
}

func (p *termPrompter) ShowQR(ctx context.Context, qr connectors.QRCode) error {
	code, err := qrcode.New(qr.Payload, qrcode.Low)
	if err != nil {
		return fmt.Errorf("draw the QR code: %w", err)
	}
	out := p.a.env.Stdout
	fmt.Fprint(out, code.ToSmallString(false))
	fmt.Fprintln(out, qr.Caption)
	if !qr.Expires.IsZero() {
		fmt.Fprintln(out, "(The code is replaced every few seconds; the newest one below is the one to scan.)")
	}
	return nil
}

func (p *termPrompter) OpenURL(ctx context.Context, url, note string) error {
	fmt.Fprintf(p.a.env.Stdout, "%s\nOpen this address in your browser:\n  %s\n", note, url)
	return nil
}

// needsSignIn says whether the account's network signs in interactively.
func needsSignIn(ctx context.Context, api core.API, name string) (bool, error) {
	accts, err := api.Accounts(ctx)
	if err != nil {
		return false, err
	}
	for _, ac := range accts {
		if ac.Name == name {
			for _, c := range ac.Capabilities {
				if c == connectors.CapSignIn {
					return true, nil
				}
			}
			return false, nil
		}
	}
	return false, fmt.Errorf("no account named %q", name)
}

// signIn runs an account's sign-in through the terminal.
func (a *app) signIn(ctx context.Context, api core.API, name string, fromStdin bool) error {
	err := api.SignIn(ctx, name, &termPrompter{a: a, fromStdin: fromStdin})
	if err != nil {
		return fmt.Errorf("%w\nTry again with: switchboard account signin %s", err, name)
	}
	fmt.Fprintf(a.env.Stdout, "Signed in to %q.\n", name)
	return nil
}

// accountSignIn is `account signin NAME [--secret-stdin]`.
func (a *app) accountSignIn(ctx context.Context, args []string) error {
	fs := newFlags("account signin")
	fromStdin := fs.Bool("secret-stdin", false, "read the answers from stdin, one a line, in the order asked")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: account signin NAME [--secret-stdin]")
	}
	api, _, done, err := a.api(ctx)
	if err != nil {
		return err
	}
	defer done()
	ok, err := needsSignIn(ctx, api, pos[0])
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("this account's network has no sign-in step; its password is all it needs (account add … --secret-stdin)")
	}
	return a.signIn(ctx, api, pos[0], *fromStdin)
}
