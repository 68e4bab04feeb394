package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"switchboard/app/core"
	"switchboard/connectors"
	"switchboard/storage"
)

func writeJSON(w io.Writer, v any) error {
	aw, ascii := w.(*asciiWriter)
	if !ascii {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := aw.w.Write(escapeJSON(buf.Bytes()))
	return err
}

// inboxRow is one conversation in `inbox --json`.
type inboxRow struct {
	ID         int64     `json:"id"`
	Account    string    `json:"account"`
	Network    string    `json:"network"`
	Origin     string    `json:"origin,omitempty"` // the network a bridged conversation belongs to
	Conv       string    `json:"conversation"`
	Title      string    `json:"title"`
	Group      bool      `json:"group"`
	Unread     int       `json:"unread"`
	LastTime   time.Time `json:"last_time"`
	LastText   string    `json:"last_text"`
	LastSender string    `json:"last_sender"`
	Direction  string    `json:"last_direction"`
	Waiting    string    `json:"waiting,omitempty"` // awaiting: how long the last inbound message has waited
	Held       int       `json:"held,omitempty"`
	Blocked    int       `json:"blocked,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	Muted      bool      `json:"muted,omitempty"`
}

func (a *app) inbox(ctx context.Context, args []string) error {
	fs := newFlags("inbox")
	asJSON := fs.Bool("json", false, "JSON output")
	filter := fs.String("filter", "all", "all, unread, awaiting, requests or blocked")
	account := fs.String("account", "", "only this account")
	network := fs.String("network", "", "only conversations of this network, bridged ones included (whatsapp, irc…)")
	limit := fs.Int("limit", 0, "at most N conversations")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	api, _, done, err := a.api(ctx)
	if err != nil {
		return err
	}
	defer done()
	convs, err := api.Conversations(ctx, storage.ConvQuery{Filter: storage.Filter(*filter), Account: *account, Network: *network, Limit: *limit})
	if err != nil {
		return err
	}
	now := time.Now()
	rows := make([]inboxRow, 0, len(convs))
	for _, c := range convs {
		r := inboxRow{ID: c.Row, Account: c.Account, Network: c.Network, Origin: c.Origin, Conv: c.RemoteID, Title: c.Title, Group: c.Group,
			Unread: c.Unread, LastTime: c.LastTime, LastText: c.LastText, LastSender: c.LastSender,
			Direction: string(c.LastDirection), Held: c.Held, Blocked: c.Blocked, Reason: c.HoldReason, Muted: c.Muted}
		if *filter == string(storage.FilterAwaiting) {
			r.Waiting = now.Sub(c.LastTime).Round(time.Second).String()
		}
		rows = append(rows, r)
	}
	if *asJSON {
		return writeJSON(a.env.Stdout, rows)
	}
	if len(rows) == 0 {
		fmt.Fprintf(a.env.Stdout, "Nothing here (%s).\n", *filter)
		return nil
	}
	tw := tabwriter.NewWriter(a.env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tACCOUNT\tCONVERSATION\tUNREAD\tLAST\tMESSAGE")
	for _, r := range rows {
		last := r.LastTime.Local().Format("Jan 2 15:04")
		if r.Waiting != "" {
			last = "waiting " + r.Waiting
		}
		text := r.LastSender + ": " + r.LastText
		if r.Reason != "" {
			text = r.Reason + " — " + text
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\t%s\n", r.ID, r.Account, r.Title, r.Unread, last, snippet(text, 70))
	}
	return tw.Flush()
}

func snippet(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// messageRow is one message in `read --json`.
type messageRow struct {
	ID         int64     `json:"id"`
	RemoteID   string    `json:"remote_id"`
	Time       time.Time `json:"time"`
	Sender     string    `json:"sender"`
	SenderName string    `json:"sender_name"`
	Direction  string    `json:"direction"`
	Text       string    `json:"text"`
	Action     bool      `json:"action,omitempty"`
	Notice     bool      `json:"notice,omitempty"`
	State      string    `json:"state,omitempty"` // pending, sent, failed for your own messages
	Error      string    `json:"error,omitempty"`
	Held       string    `json:"held,omitempty"` // request or blocked
	Reason     string    `json:"reason,omitempty"`
	OutboxID   int64     `json:"outbox_id,omitempty"` // your own messages sent from here: what Retry takes
	// Attachments are the message's files (`attachment save ID N`).
	Attachments []attachmentRow `json:"attachments,omitempty"`
}

func toRow(m storage.Message) messageRow {
	r := messageRow{ID: m.Row, RemoteID: m.RemoteID, Time: m.Time, Sender: m.Sender, SenderName: m.SenderName,
		Direction: string(m.Direction), Text: m.Text, Action: m.Action, Notice: m.Notice,
		State: string(m.SendState), Error: m.SendError, Reason: m.HoldReason, OutboxID: m.OutboxID}
	if len(m.Attachments) > 0 {
		r.Attachments = toAttachmentRows(m.Attachments)
	}
	switch m.Hold {
	case storage.HeldRequest:
		r.Held = "request"
	case storage.HeldBlocked:
		r.Held = "blocked"
	}
	return r
}

func (a *app) read(ctx context.Context, args []string) error {
	fs := newFlags("read")
	asJSON := fs.Bool("json", false, "JSON output")
	limit := fs.Int("limit", 50, "the N newest messages")
	before := fs.Int64("before", 0, "only messages older than this message ID (paging)")
	keep := fs.Bool("keep-unread", false, "do not mark the conversation read")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: read CONVERSATION_ID [--json] [--limit N]")
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil {
		return usagef("conversation ID %q is not a number (see the ID column of `switchboard inbox`)", pos[0])
	}
	api, _, done, err := a.api(ctx)
	if err != nil {
		return err
	}
	defer done()
	conv, err := api.Conversation(ctx, id)
	if err != nil {
		return err
	}
	msgs, err := api.Messages(ctx, id, *before, *limit)
	if err != nil {
		return err
	}
	if !*keep && conv.Unread > 0 {
		if err := api.MarkRead(ctx, id); err != nil {
			return err
		}
	}
	rows := make([]messageRow, 0, len(msgs))
	for _, m := range msgs {
		rows = append(rows, toRow(m))
	}
	if *asJSON {
		return writeJSON(a.env.Stdout, rows)
	}
	fmt.Fprintf(a.env.Stdout, "%s — %s (%s)\n", conv.Title, conv.Account, conv.Network)
	day := ""
	for _, r := range rows {
		t := r.Time.Local()
		if d := t.Format("Monday, 2 January 2006"); d != day {
			day = d
			fmt.Fprintf(a.env.Stdout, "\n— %s —\n", d)
		}
		who := r.Sender
		if r.Direction == "out" {
			who = "you"
		}
		line := fmt.Sprintf("<%s> %s", who, r.Text)
		if r.Action {
			line = fmt.Sprintf("* %s %s", who, r.Text)
		}
		extra := ""
		if r.State == "pending" || r.State == "failed" {
			extra = "  [" + r.State + "]"
		}
		if r.Held != "" {
			extra += "  [held: " + r.Reason + "]"
		}
		if n := len(r.Attachments); n > 0 {
			extra += fmt.Sprintf("  [%d file(s): switchboard attachment save %d]", n, r.ID)
		}
		fmt.Fprintf(a.env.Stdout, "%s %s%s\n", t.Format("15:04"), line, extra)
	}
	return nil
}

func (a *app) send(ctx context.Context, args []string) error {
	fs := newFlags("send")
	action := fs.Bool("action", false, "send as an action (/me)")
	subject := fs.String("subject", "", "the subject line, where the network has them (e-mail); default: \"Re: …\" in a thread, else the first line")
	var files []string
	fs.Func("file", "a file to send with the message, where the network can (e-mail); repeat for more", func(path string) error {
		abs, err := filepath.Abs(path)
		if err != nil {
			return err
		}
		files = append(files, abs) // the running Switchboard may have another working directory
		return nil
	})
	wait := fs.Duration("wait", 30*time.Second, "when no Switchboard is running: how long to wait for the message to leave")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 3 {
		return usagef("usage: send [--subject S] [--file PATH]... ACCOUNT TARGET TEXT (TEXT '-' reads stdin)")
	}
	text := pos[2]
	if text == "-" {
		b, err := io.ReadAll(io.LimitReader(a.env.Stdin, 1<<20))
		if err != nil {
			return fmt.Errorf("read the message from stdin: %w", err)
		}
		text = strings.TrimRight(string(b), "\r\n")
	}
	api, local, done, err := a.api(ctx)
	if err != nil {
		return err
	}
	defer done()
	req := core.SendRequest{Account: pos[0], Target: pos[1], Text: text, Subject: *subject, Files: files, Action: *action}
	if local == nil {
		it, err := api.Send(ctx, req)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.env.Stdout, "Queued as message %d; the running Switchboard sends it.\n", it.MsgRow)
		return nil
	}
	return a.sendNow(ctx, local, req, *wait)
}

// sendNow connects just the sending account, sends, and waits for the
// outcome: the one-shot path when no Switchboard is running.
func (a *app) sendNow(ctx context.Context, c *core.Core, req core.SendRequest, wait time.Duration) error {
	updates, cancel := c.Subscribe()
	defer cancel()
	if err := c.StartOnly(ctx, req.Account); err != nil {
		return err
	}
	it, err := c.Send(ctx, req)
	if err != nil {
		return err
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case batch, ok := <-updates:
			if !ok {
				return errors.New("Switchboard stopped before the message left")
			}
			for _, u := range batch {
				if u.Kind == core.UpdAccount && u.Account == req.Account && u.State != nil && (u.State.State == connectors.StateAuthFailed || u.State.State == connectors.StateNeedsSignIn) {
					return fmt.Errorf("account %s: authentication failed: %s (the message stays queued)", req.Account, u.State.Reason)
				}
				if u.Kind != core.UpdMessage || u.Message == nil || u.Message.Row != it.MsgRow {
					continue
				}
				switch u.Message.SendState {
				case storage.SendSent:
					fmt.Fprintf(a.env.Stdout, "Sent to %s.\n", req.Target)
					return nil
				case storage.SendFailed:
					return fmt.Errorf("not sent: %s", u.Message.SendError)
				}
			}
		case <-timer.C:
			return fmt.Errorf("the message is queued but %s did not connect within %s; it will be sent the next time Switchboard runs", req.Account, wait)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// searchRow is one hit in `search --json`.
type searchRow struct {
	Conversation int64     `json:"conversation"`
	ConvTitle    string    `json:"conversation_title"`
	Account      string    `json:"account"`
	Network      string    `json:"network"`
	ID           int64     `json:"id"`
	Time         time.Time `json:"time"`
	Sender       string    `json:"sender"`
	Direction    string    `json:"direction"`
	Text         string    `json:"text"`
}

func (a *app) search(ctx context.Context, args []string) error {
	fs := newFlags("search")
	asJSON := fs.Bool("json", false, "JSON output")
	limit := fs.Int("limit", 50, "at most N results")
	offset := fs.Int("offset", 0, "skip the first N results")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("usage: search QUERY [--json] [--limit N]")
	}
	api, _, done, err := a.api(ctx)
	if err != nil {
		return err
	}
	defer done()
	hits, err := api.Search(ctx, strings.Join(pos, " "), *limit, *offset)
	if err != nil {
		return err
	}
	rows := make([]searchRow, 0, len(hits))
	for _, h := range hits {
		rows = append(rows, searchRow{Conversation: h.ConvRow, ConvTitle: h.ConvTitle, Account: h.Account, Network: h.Network,
			ID: h.Row, Time: h.Time, Sender: h.Sender, Direction: string(h.Direction), Text: h.Text})
	}
	if *asJSON {
		return writeJSON(a.env.Stdout, rows)
	}
	if len(rows) == 0 {
		fmt.Fprintln(a.env.Stdout, "No messages found.")
		return nil
	}
	tw := tabwriter.NewWriter(a.env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CONV\tWHEN\tWHERE\tWHO\tMESSAGE")
	for _, r := range rows {
		fmt.Fprintf(tw, "%d\t%s\t%s/%s\t%s\t%s\n", r.Conversation, r.Time.Local().Format("Jan 2 15:04"), r.Account, r.ConvTitle, r.Sender, snippet(r.Text, 70))
	}
	return tw.Flush()
}

func (a *app) original(ctx context.Context, args []string) error {
	pos, err := parse(newFlags("original"), args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: original MESSAGE_ID (the id of `read --json`)")
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil {
		return usagef("message ID %q is not a number", pos[0])
	}
	api, _, done, err := a.api(ctx)
	if err != nil {
		return err
	}
	defer done()
	text, err := api.Original(ctx, id)
	if err != nil {
		return err
	}
	fmt.Fprintln(a.env.Stdout, text)
	return nil
}
