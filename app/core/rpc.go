package core

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"switchboard/connectors"
	"switchboard/storage"
)

// Parameters of the control socket methods that take more than one
// value. Their JSON names are the scripting interface (docs/CONTROL.md):
// change them only compatibly.
type (
	pRemove struct {
		Name  string `json:"name"`
		Purge bool   `json:"purge,omitempty"`
	}
	pTest struct {
		Spec      AccountSpec `json:"spec"`
		TimeoutMS int64       `json:"timeout_ms,omitempty"` // 0: the default (20 s)
	}
	pRow struct {
		Row int64 `json:"id"`
	}
	pMessages struct {
		Conv   int64 `json:"conversation"`
		Before int64 `json:"before,omitempty"`
		Limit  int   `json:"limit,omitempty"`
	}
	pMute struct {
		Row   int64 `json:"id"`
		Muted bool  `json:"muted"`
	}
	pSearch struct {
		Query  string `json:"query"`
		Limit  int    `json:"limit,omitempty"`
		Offset int    `json:"offset,omitempty"`
	}
	pMark struct {
		Account string              `json:"account"`
		Handle  string              `json:"handle"`
		Kind    storage.ContactKind `json:"kind"`
		How     string              `json:"how,omitempty"`
	}
	pLedger struct {
		Account string `json:"account,omitempty"`
		Brand   string `json:"brand,omitempty"`
	}
	pAccount struct {
		Account string `json:"account,omitempty"`
	}
	pUnsub struct {
		Account string `json:"account"`
		Handle  string `json:"handle"`
		How     string `json:"how,omitempty"`
	}
)

// dispatch runs one control request against the in-process core.
func dispatch(ctx context.Context, c *Core, method string, raw json.RawMessage) (any, error) {
	dec := func(v any) error {
		if len(raw) == 0 {
			return nil
		}
		if err := json.Unmarshal(raw, v); err != nil {
			return fmt.Errorf("bad parameters for %s: %w", method, err)
		}
		return nil
	}
	switch method {
	case "Running":
		return c.Running(), nil
	case "Networks":
		return c.Networks(ctx)
	case "Accounts":
		return c.Accounts(ctx)
	case "AddAccount", "UpdateAccount":
		var p AccountSpec
		if err := dec(&p); err != nil {
			return nil, err
		}
		if method == "AddAccount" {
			return nil, c.AddAccount(ctx, p)
		}
		return nil, c.UpdateAccount(ctx, p)
	case "RemoveAccount":
		var p pRemove
		if err := dec(&p); err != nil {
			return nil, err
		}
		return nil, c.RemoveAccount(ctx, p.Name, p.Purge)
	case "TestAccount":
		var p pTest
		if err := dec(&p); err != nil {
			return nil, err
		}
		return nil, c.TestAccount(ctx, p.Spec, time.Duration(p.TimeoutMS)*time.Millisecond)
	case "Conversations":
		var p storage.ConvQuery
		if err := dec(&p); err != nil {
			return nil, err
		}
		return c.Conversations(ctx, p)
	case "Conversation":
		var p pRow
		if err := dec(&p); err != nil {
			return nil, err
		}
		return c.Conversation(ctx, p.Row)
	case "Messages":
		var p pMessages
		if err := dec(&p); err != nil {
			return nil, err
		}
		return c.Messages(ctx, p.Conv, p.Before, p.Limit)
	case "Original":
		var p pRow
		if err := dec(&p); err != nil {
			return nil, err
		}
		return c.Original(ctx, p.Row)
	case "LoadOlder":
		var p pLoadOlder
		if err := dec(&p); err != nil {
			return nil, err
		}
		added, more, err := c.LoadOlder(ctx, p.Conv, p.Want)
		return rLoadOlder{added, more}, err
	case "Attachments":
		var p pRow
		if err := dec(&p); err != nil {
			return nil, err
		}
		return c.Attachments(ctx, p.Row)
	case "MarkRead":
		var p pRow
		if err := dec(&p); err != nil {
			return nil, err
		}
		return nil, c.MarkRead(ctx, p.Row)
	case "SetMuted":
		var p pMute
		if err := dec(&p); err != nil {
			return nil, err
		}
		return nil, c.SetMuted(ctx, p.Row, p.Muted)
	case "Send":
		var p SendRequest
		if err := dec(&p); err != nil {
			return nil, err
		}
		return c.Send(ctx, p)
	case "Retry":
		var p pRow
		if err := dec(&p); err != nil {
			return nil, err
		}
		return nil, c.Retry(ctx, p.Row)
	case "Search":
		var p pSearch
		if err := dec(&p); err != nil {
			return nil, err
		}
		return c.Search(ctx, p.Query, p.Limit, p.Offset)
	case "Audit":
		return c.Audit(ctx)
	case "UnreadTotal":
		return c.UnreadTotal(ctx)
	case "Counts":
		return c.Counts(ctx)
	case "Brands":
		return c.Brands(ctx)
	case "MarkContact":
		var p pMark
		if err := dec(&p); err != nil {
			return nil, err
		}
		return nil, c.MarkContact(ctx, p.Account, p.Handle, p.Kind, p.How)
	case "SetConsent":
		var p ConsentRequest
		if err := dec(&p); err != nil {
			return nil, err
		}
		return nil, c.SetConsent(ctx, p)
	case "Ledger":
		var p pLedger
		if err := dec(&p); err != nil {
			return nil, err
		}
		return c.Ledger(ctx, p.Account, p.Brand)
	case "PurgeBlocked":
		var p pAccount
		if err := dec(&p); err != nil {
			return nil, err
		}
		return c.PurgeBlocked(ctx, p.Account)
	case "Unsubscribe":
		var p pUnsub
		if err := dec(&p); err != nil {
			return nil, err
		}
		return c.Unsubscribe(ctx, p.Account, p.Handle, p.How)
	case "UnsubscribePlan":
		var p pUnsub
		if err := dec(&p); err != nil {
			return nil, err
		}
		return c.UnsubscribePlan(ctx, p.Account, p.Handle)
	}
	return nil, fmt.Errorf("unknown control method %q", method)
}

// Client is the API of a Switchboard process that holds the profile,
// reached over its control socket.
type Client struct {
	path       string
	exportPass func() ([]byte, error) // see SetExportPassphrase
}

// SetExportPassphrase gives Export the archive's passphrase (asked only
// when Export is called): the running process needs it to export a
// passphrase-protected archive to another process.
func (cl *Client) SetExportPassphrase(f func() ([]byte, error)) { cl.exportPass = f }

// ErrNotRunning means no Switchboard process answers on the profile's socket.
var ErrNotRunning = errors.New("no running Switchboard holds this profile")

// Dial connects to the Switchboard process holding profileDir.
func Dial(ctx context.Context, profileDir string) (*Client, error) {
	path, err := socketPath(profileDir, osSockEnv(), false)
	if err != nil {
		return nil, ErrNotRunning
	}
	cl := &Client{path: path}
	conn, err := cl.dial(ctx)
	if err != nil {
		return nil, ErrNotRunning
	}
	conn.Close()
	return cl, nil
}

func (cl *Client) dial(ctx context.Context) (net.Conn, error) { return dialControl(ctx, cl.path) }

func (cl *Client) call(ctx context.Context, method string, params, result any) error {
	conn, err := cl.dial(ctx)
	if err != nil {
		return fmt.Errorf("reach the running Switchboard: %w", err)
	}
	defer conn.Close()
	if err := writeRequest(conn, method, params); err != nil {
		return err
	}
	return readResponse(bufio.NewReader(conn), result)
}

func writeRequest(w io.Writer, method string, params any) error {
	req := ctlRequest{Method: method}
	if params != nil {
		b, err := json.Marshal(params)
		if err != nil {
			return fmt.Errorf("encode %s request: %w", method, err)
		}
		req.Params = b
	}
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("send %s request: %w", method, err)
	}
	return nil
}

func readResponse(r *bufio.Reader, result any) error {
	line, err := r.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("read answer from the running Switchboard: %w", err)
	}
	var resp ctlResponse
	if err := json.Unmarshal(line, &resp); err != nil {
		return fmt.Errorf("bad answer from the running Switchboard: %w", err)
	}
	if resp.Error != "" {
		return errors.New(resp.Error)
	}
	if result != nil && len(resp.Result) > 0 {
		if err := json.Unmarshal(resp.Result, result); err != nil {
			return fmt.Errorf("decode answer: %w", err)
		}
	}
	return nil
}

func (cl *Client) Networks(ctx context.Context) (out []connectors.NetworkInfo, err error) {
	return out, cl.call(ctx, "Networks", nil, &out)
}
func (cl *Client) Accounts(ctx context.Context) (out []AccountStatus, err error) {
	return out, cl.call(ctx, "Accounts", nil, &out)
}
func (cl *Client) AddAccount(ctx context.Context, spec AccountSpec) error {
	return cl.call(ctx, "AddAccount", spec, nil)
}
func (cl *Client) UpdateAccount(ctx context.Context, spec AccountSpec) error {
	return cl.call(ctx, "UpdateAccount", spec, nil)
}
func (cl *Client) RemoveAccount(ctx context.Context, name string, purge bool) error {
	return cl.call(ctx, "RemoveAccount", pRemove{name, purge}, nil)
}
func (cl *Client) TestAccount(ctx context.Context, spec AccountSpec, timeout time.Duration) error {
	return cl.call(ctx, "TestAccount", pTest{spec, timeout.Milliseconds()}, nil)
}
func (cl *Client) Conversations(ctx context.Context, q storage.ConvQuery) (out []storage.Conversation, err error) {
	return out, cl.call(ctx, "Conversations", q, &out)
}
func (cl *Client) Conversation(ctx context.Context, row int64) (out storage.Conversation, err error) {
	return out, cl.call(ctx, "Conversation", pRow{row}, &out)
}
func (cl *Client) Messages(ctx context.Context, conv, before int64, limit int) (out []storage.Message, err error) {
	return out, cl.call(ctx, "Messages", pMessages{conv, before, limit}, &out)
}
func (cl *Client) Original(ctx context.Context, row int64) (text string, err error) {
	return text, cl.call(ctx, "Original", pRow{row}, &text)
}
func (cl *Client) LoadOlder(ctx context.Context, conv int64, want int) (int, bool, error) {
	var r rLoadOlder
	err := cl.call(ctx, "LoadOlder", pLoadOlder{conv, want}, &r)
	return r.Added, r.More, err
}

type pLoadOlder struct {
	Conv int64 `json:"conversation"`
	Want int   `json:"want"`
}

type rLoadOlder struct {
	Added int  `json:"added"`
	More  bool `json:"more"`
}

func (cl *Client) MarkRead(ctx context.Context, row int64) error {
	return cl.call(ctx, "MarkRead", pRow{row}, nil)
}
func (cl *Client) SetMuted(ctx context.Context, row int64, muted bool) error {
	return cl.call(ctx, "SetMuted", pMute{row, muted}, nil)
}
func (cl *Client) Send(ctx context.Context, req SendRequest) (out storage.OutboxItem, err error) {
	return out, cl.call(ctx, "Send", req, &out)
}
func (cl *Client) Retry(ctx context.Context, id int64) error {
	return cl.call(ctx, "Retry", pRow{id}, nil)
}
func (cl *Client) Search(ctx context.Context, q string, limit, offset int) (out []storage.SearchHit, err error) {
	return out, cl.call(ctx, "Search", pSearch{q, limit, offset}, &out)
}

// Running says whether the process behind the socket has started its
// accounts (a window or `switchboard run`), rather than being a one-shot
// command that holds the profile for a moment.
func (cl *Client) Running(ctx context.Context) (running bool, err error) {
	return running, cl.call(ctx, "Running", nil, &running)
}
func (cl *Client) Audit(ctx context.Context) (out []storage.AuditEntry, err error) {
	return out, cl.call(ctx, "Audit", nil, &out)
}
func (cl *Client) UnreadTotal(ctx context.Context) (n int, err error) {
	return n, cl.call(ctx, "UnreadTotal", nil, &n)
}
func (cl *Client) Counts(ctx context.Context) (n storage.ConvCounts, err error) {
	return n, cl.call(ctx, "Counts", nil, &n)
}
func (cl *Client) Brands(ctx context.Context) (out []BrandStatus, err error) {
	return out, cl.call(ctx, "Brands", nil, &out)
}
func (cl *Client) MarkContact(ctx context.Context, account, handle string, kind storage.ContactKind, how string) error {
	return cl.call(ctx, "MarkContact", pMark{account, handle, kind, how}, nil)
}
func (cl *Client) SetConsent(ctx context.Context, req ConsentRequest) error {
	return cl.call(ctx, "SetConsent", req, nil)
}
func (cl *Client) Ledger(ctx context.Context, account, brand string) (out []storage.LedgerEntry, err error) {
	return out, cl.call(ctx, "Ledger", pLedger{account, brand}, &out)
}
func (cl *Client) PurgeBlocked(ctx context.Context, account string) (n int, err error) {
	return n, cl.call(ctx, "PurgeBlocked", pAccount{account}, &n)
}
func (cl *Client) Unsubscribe(ctx context.Context, account, handle, how string) (res string, err error) {
	return res, cl.call(ctx, "Unsubscribe", pUnsub{account, handle, how}, &res)
}
func (cl *Client) UnsubscribePlan(ctx context.Context, account, handle string) (res string, err error) {
	return res, cl.call(ctx, "UnsubscribePlan", pUnsub{Account: account, Handle: handle}, &res)
}

// AllowExport asks the running process to allow (and audit) an export
// this process builds from the other calls; it sends the passphrase
// SetExportPassphrase gives.
func (cl *Client) AllowExport(ctx context.Context, format string) error {
	p := pExport{Format: format}
	if cl.exportPass != nil {
		pass, err := cl.exportPass()
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		p.Passphrase = string(pass)
	}
	return cl.call(ctx, "AllowExport", p, nil)
}

// Export streams the running process's archive as JSONL into w.
func (cl *Client) Export(ctx context.Context, w io.Writer) (int, error) {
	conn, err := cl.dial(ctx)
	if err != nil {
		return 0, fmt.Errorf("reach the running Switchboard: %w", err)
	}
	defer conn.Close()
	var params any
	if cl.exportPass != nil {
		pass, err := cl.exportPass()
		if err != nil {
			return 0, fmt.Errorf("export: %w", err)
		}
		params = pExport{Passphrase: string(pass)}
	}
	if err := writeRequest(conn, "Export", params); err != nil {
		return 0, err
	}
	br := bufio.NewReader(conn)
	if err := readResponse(br, nil); err != nil {
		return 0, err
	}
	n := 0
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			if line[len(line)-1] != '\n' {
				return n, errors.New("export: the running Switchboard stopped mid-record")
			}
			if _, werr := w.Write(line); werr != nil {
				return n, fmt.Errorf("export: write: %w", werr)
			}
			if !bytes.HasPrefix(line, []byte(`{"attachment_data":`)) {
				n++ // a message, not a piece of an attachment
			}
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("export: read: %w", err)
		}
	}
}

func (cl *Client) Attachments(ctx context.Context, row int64) (out []storage.Attachment, err error) {
	return out, cl.call(ctx, "Attachments", pRow{row}, &out)
}

// SaveAttachment has the running process download the attachment if
// needed and streams its bytes into w: the answer line carries the
// attachment (with its size), then exactly that many bytes follow.
func (cl *Client) SaveAttachment(ctx context.Context, id int64, w io.Writer) (a storage.Attachment, err error) {
	conn, err := cl.dial(ctx)
	if err != nil {
		return a, fmt.Errorf("reach the running Switchboard: %w", err)
	}
	defer conn.Close()
	if err := writeRequest(conn, "SaveAttachment", pRow{id}); err != nil {
		return a, err
	}
	br := bufio.NewReader(conn)
	if err := readResponse(br, &a); err != nil {
		return a, err
	}
	n, err := io.Copy(w, br)
	if err != nil {
		return a, fmt.Errorf("save attachment: %w", err)
	}
	if n != a.Size {
		return a, fmt.Errorf("save attachment: the running Switchboard stopped after %d of %d bytes", n, a.Size)
	}
	return a, nil
}

// Import streams r to the running process.
func (cl *Client) Import(ctx context.Context, r io.Reader) (st storage.ImportStats, err error) {
	conn, err := cl.dial(ctx)
	if err != nil {
		return st, fmt.Errorf("reach the running Switchboard: %w", err)
	}
	defer conn.Close()
	if err := writeRequest(conn, "Import", nil); err != nil {
		return st, err
	}
	if _, err := io.Copy(conn, r); err != nil {
		return st, fmt.Errorf("import: send: %w", err)
	}
	if uc, ok := conn.(*net.UnixConn); ok {
		uc.CloseWrite()
	}
	return st, readResponse(bufio.NewReader(conn), &st)
}

var (
	_ API = (*Core)(nil)
	_ API = (*Client)(nil)
)
