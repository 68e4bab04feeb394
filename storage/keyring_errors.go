package storage

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// KeyringProblem says why the OS keyring could not be used, in the terms a
// user can act on.
type KeyringProblem int

const (
	// KeyringFailed: the keyring answered with an error.
	KeyringFailed KeyringProblem = iota
	// KeyringNoBus: no D-Bus session bus is reachable (cron, ssh, a service).
	KeyringNoBus
	// KeyringAbsent: a session bus answers, but no Secret Service runs on it.
	KeyringAbsent
	// KeyringLocked: the keyring runs but is locked.
	KeyringLocked
	// KeyringTimeout: the keyring did not answer in time.
	KeyringTimeout
)

// KeyringError is a keyring call that could not be made or did not answer.
type KeyringError struct {
	Problem KeyringProblem
	After   time.Duration // KeyringTimeout: how long it was given
	Err     error         // what the keyring library said, if anything
}

func (e *KeyringError) Error() string {
	switch e.Problem {
	case KeyringNoBus:
		return "no D-Bus session bus is reachable, so the OS keyring cannot be asked"
	case KeyringAbsent:
		return "no OS keyring (Secret Service) runs on the D-Bus session bus"
	case KeyringLocked:
		return "the OS keyring is locked (or its default keyring is not created yet): it opens with your login password, in its own prompt"
	case KeyringTimeout:
		return fmt.Sprintf("the OS keyring did not answer within %s", e.After)
	}
	return fmt.Sprintf("the OS keyring failed: %v", e.Err)
}

func (e *KeyringError) Unwrap() error { return e.Err }

// KeyringProblemOf returns the keyring problem behind err, if any.
func KeyringProblemOf(err error) (KeyringProblem, bool) {
	var ke *KeyringError
	if errors.As(err, &ke) {
		return ke.Problem, true
	}
	return 0, false
}

// DefaultKeyringTimeout bounds one keyring call. A keyring that does not
// answer (no bus and an activation that never completes, a prompt nobody
// sees) is given up after it, and the archive takes the passphrase path
// or says so.
const DefaultKeyringTimeout = 5 * time.Second

// unlockTimeout bounds a call the user asked for by choosing to unlock:
// the keyring's own prompt may be on screen.
const unlockTimeout = 2 * time.Minute

// prober is implemented by keyrings that can say, without changing
// anything or showing a prompt, whether they can be used.
type prober interface {
	probe(ctx context.Context) (KeyringProblem, bool)
}

// deadlineKeyring gives every call of the keyring it wraps a deadline and
// turns failures into a KeyringError.
type deadlineKeyring struct {
	kr Keyring
	d  time.Duration
}

// withDeadline wraps kr; wrapping twice keeps the outer deadline.
func withDeadline(kr Keyring, d time.Duration) deadlineKeyring {
	if dk, ok := kr.(deadlineKeyring); ok {
		kr = dk.kr
	}
	return deadlineKeyring{kr: kr, d: d}
}

func (k deadlineKeyring) Get(service, user string) (string, error) {
	var s string
	err := k.call(func() (err error) { s, err = k.kr.Get(service, user); return err })
	return s, err
}

func (k deadlineKeyring) Set(service, user, secret string) error {
	return k.call(func() error { return k.kr.Set(service, user, secret) })
}

func (k deadlineKeyring) Delete(service, user string) error {
	return k.call(func() error { return k.kr.Delete(service, user) })
}

// call runs f with the deadline. The keyring libraries cannot be
// cancelled, so on a timeout f's goroutine is left to finish on its own
// (it ends when the keyring answers or the process exits); its result is
// dropped.
func (k deadlineKeyring) call(f func() error) error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	t := time.NewTimer(k.d)
	defer t.Stop()
	var err error
	select {
	case err = <-done:
		if err == nil || errors.Is(err, ErrKeyringNotFound) {
			return err
		}
		var ke *KeyringError
		if errors.As(err, &ke) {
			return err
		}
		err = &KeyringError{Problem: KeyringFailed, Err: err}
	case <-t.C:
		err = &KeyringError{Problem: KeyringTimeout, After: k.d}
	}
	if p, ok := k.probe(context.Background()); ok {
		err.(*KeyringError).Problem = p
	}
	return err
}

// probe asks the wrapped keyring, within a few seconds, what is wrong
// with it; ok is false when it cannot tell or nothing is.
func (k deadlineKeyring) probe(ctx context.Context) (KeyringProblem, bool) {
	p, ok := k.kr.(prober)
	if !ok {
		return 0, false
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	type answer struct {
		p  KeyringProblem
		ok bool
	}
	done := make(chan answer, 1)
	go func() {
		pr, ok := p.probe(ctx)
		done <- answer{pr, ok}
	}()
	select {
	case a := <-done:
		return a.p, a.ok
	case <-ctx.Done():
		return KeyringTimeout, false
	}
}
