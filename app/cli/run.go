package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"switchboard/app/core"
	"switchboard/connectors"
)

// run connects every account and archives everything until the context
// ends (a signal, from main) or --for passes. State changes are reported
// on stderr.
func (a *app) run(ctx context.Context, args []string) error {
	fs := newFlags("run")
	dur := fs.Duration("for", 0, "stop after this long (0: until interrupted)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	c, err := core.Open(ctx, a.options())
	for try := 0; errors.Is(err, core.ErrProfileBusy) && try < 300; try++ {
		// Another command (inbox, send…) may have the profile open for a
		// moment; it lets go when done. Its socket answers too, but only
		// a running Switchboard (window or run) has started its accounts,
		// and then there is nothing to wait for.
		if cl, derr := core.Dial(ctx, a.profile); derr == nil {
			if running, rerr := cl.Running(ctx); rerr == nil && running {
				break
			}
		}
		if try == 10 {
			fmt.Fprintln(a.env.Stderr, "Waiting for another Switchboard command to finish with this profile…")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		c, err = core.Open(ctx, a.options())
	}
	if errors.Is(err, core.ErrProfileBusy) {
		return fmt.Errorf("%w: it already holds the connections", err)
	}
	if err != nil {
		return err
	}
	defer c.Close()
	if *dur > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *dur)
		defer cancel()
	}
	updates, cancel := c.Subscribe()
	defer cancel()
	if err := c.Start(ctx); err != nil {
		return err
	}
	shown := stateLog{}
	fmt.Fprintf(a.env.Stderr, "Switchboard is running (profile %s, key in %s). Stop with Ctrl+C.\n", a.profile, c.KeyMode())
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintln(a.env.Stderr, "Stopping…")
			return nil
		case batch, ok := <-updates:
			if !ok {
				return nil
			}
			for _, u := range batch {
				if u.Kind == core.UpdArchive {
					msg := u.ArchiveError
					if msg == "" {
						msg = "the archive stores messages again"
					}
					fmt.Fprintf(a.env.Stderr, "%s  archive: %s\n", time.Now().Format("15:04:05"), msg)
				}
				if u.Kind == core.UpdAccount && u.State != nil && shown.differs(u.Account, u.State) {
					fmt.Fprintf(a.env.Stderr, "%s  %s: %s\n", time.Now().Format("15:04:05"), u.Account, stateLine(*u.State))
				}
			}
		}
	}
}

// stateLog keeps `run`'s account log to one line per change: a connector
// may note a failure (offline, with a reason) just before the core's
// supervisor reports the same failure with its retry time, and that
// second report is the one to show.
type stateLog map[string]string

func (l stateLog) differs(account string, st *core.AccountStatus) bool {
	if st.State == connectors.StateOffline && st.Reason != "" && st.RetryAt.IsZero() {
		return false
	}
	key := fmt.Sprint(st.State, "\x00", st.Reason, "\x00", st.RetryAt.UnixNano())
	if l[account] == key {
		return false
	}
	l[account] = key
	return true
}

// stateLine is an account's state for people: "offline (connection
// refused; reconnecting in 4s)".
func stateLine(st core.AccountStatus) string {
	line := st.State.String()
	var why []string
	if st.Reason != "" {
		why = append(why, st.Reason)
	}
	if !st.RetryAt.IsZero() {
		why = append(why, "reconnecting in "+max(time.Until(st.RetryAt), 0).Round(time.Second).String())
	}
	if len(why) > 0 {
		line += " (" + strings.Join(why, "; ") + ")"
	}
	return line
}
