package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"switchboard/app/core"
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
		// moment; it lets go when done. A running Switchboard answers on
		// the control socket, and then there is nothing to wait for.
		if _, derr := core.Dial(ctx, a.profile); derr == nil {
			break
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
				if u.Kind == core.UpdAccount && u.State != nil && shown.differs(u.Account, u.State) {
					line := fmt.Sprintf("%s  %s: %s", time.Now().Format("15:04:05"), u.Account, u.State.State)
					if u.State.Reason != "" {
						line += " (" + u.State.Reason + ")"
					}
					fmt.Fprintln(a.env.Stderr, line)
				}
			}
		}
	}
}

// stateLog keeps `run`'s account log to one line per change: the
// connector and its supervisor may both report the same state, and the
// supervisor's offline line (with "reconnecting in …") is the one to show.
type stateLog map[string]string

func (l stateLog) differs(account string, st *core.AccountStatus) bool {
	if st.State == "offline" && st.Reason != "" && !strings.Contains(st.Reason, "reconnecting in") && st.Reason != "disconnected" {
		return false
	}
	key := st.State + "\x00" + st.Reason
	if l[account] == key {
		return false
	}
	l[account] = key
	return true
}
