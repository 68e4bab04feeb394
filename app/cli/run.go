package cli

import (
	"context"
	"errors"
	"fmt"
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
				if u.Kind == core.UpdAccount && u.State != nil {
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
