package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"golang.org/x/term"
)

// passphrase unlocks (or, create=true, protects) a passphrase-mode
// profile: from --passphrase-file / $SWITCHBOARD_PASSPHRASE_FILE, else by
// asking on the terminal. It is never taken from the command line.
func (a *app) passphrase(create bool) ([]byte, error) {
	if a.passphraseFile != "" {
		b, err := os.ReadFile(a.passphraseFile)
		if err != nil {
			return nil, fmt.Errorf("read passphrase file: %w", err)
		}
		b = bytes.TrimRight(b, "\r\n")
		if len(b) == 0 {
			return nil, errors.New("the passphrase file is empty")
		}
		return b, nil
	}
	if !a.env.Interactive {
		return nil, errors.New("this profile needs a passphrase: give --passphrase-file FILE or set SWITCHBOARD_PASSPHRASE_FILE")
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("no terminal to ask for the passphrase: %w", err)
	}
	defer tty.Close()
	ask := func(prompt string) ([]byte, error) {
		fmt.Fprint(tty, prompt)
		b, err := term.ReadPassword(int(tty.Fd()))
		fmt.Fprintln(tty)
		return b, err
	}
	if !create {
		return ask("Passphrase for the Switchboard archive: ")
	}
	fmt.Fprintln(tty, "No OS keyring answered. Choose a passphrase to protect your archive.")
	p1, err := ask("New passphrase: ")
	if err != nil {
		return nil, err
	}
	if len(p1) < 8 {
		return nil, errors.New("the passphrase must have at least 8 characters")
	}
	p2, err := ask("Repeat it: ")
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(p1, p2) {
		return nil, errors.New("the two passphrases differ")
	}
	return p1, nil
}
