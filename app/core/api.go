package core

// This file is the core's command API: what the GUI (app/ui) and the CLI
// (app/cli) call. Both go through the API interface, so the CLI can talk to
// a running instance over the control socket (Client) or to a local Core
// with the same code.

import (
	"context"
	"io"
	"slices"
	"time"

	"switchboard/connectors"
	"switchboard/storage"
)

// API is the one command surface of Switchboard. *Core implements it in
// process; *Client implements it over the profile's control socket.
type API interface {
	// Networks lists the networks this build can connect to, with their account forms.
	Networks(ctx context.Context) ([]connectors.NetworkInfo, error)
	// Accounts lists configured accounts with their live connection state.
	Accounts(ctx context.Context) ([]AccountStatus, error)
	// AddAccount stores a new account (settings sealed, secrets to the secret
	// store) and, when the core is running, connects it.
	AddAccount(ctx context.Context, spec AccountSpec) error
	// UpdateAccount replaces an account's settings; secrets given replace the stored ones.
	UpdateAccount(ctx context.Context, spec AccountSpec) error
	// RemoveAccount disconnects and deletes an account and its secrets; its
	// archived messages stay unless purge is set.
	RemoveAccount(ctx context.Context, name string, purge bool) error
	// TestAccount connects with spec until online or failure (or timeout) and
	// disconnects; nil means the account works.
	TestAccount(ctx context.Context, spec AccountSpec, timeout time.Duration) error
	// SignIn runs the interactive sign-in of an account whose network has
	// one (capability "sign-in"), asking the user through p, and then
	// reconnects the account.
	SignIn(ctx context.Context, account string, p connectors.Prompter) error

	// Conversations lists the unified conversation list.
	Conversations(ctx context.Context, q storage.ConvQuery) ([]storage.Conversation, error)
	// Conversation returns one conversation row.
	Conversation(ctx context.Context, row int64) (storage.Conversation, error)
	// Messages pages a conversation: the limit newest before beforeRow (0 = newest), ascending.
	Messages(ctx context.Context, convRow, beforeRow int64, limit int) ([]storage.Message, error)
	// Original fetches the full original of a message from its network
	// (an e-mail with its quotes and signature), where the network keeps one.
	Original(ctx context.Context, msgRow int64) (string, error)
	// LoadOlder fetches messages older than the archive holds from the
	// conversation's network (where it keeps history) and archives them;
	// more says whether another call may find more.
	LoadOlder(ctx context.Context, convRow int64, want int) (added int, more bool, err error)
	// Attachments lists a message's files (also in Message.Attachments).
	Attachments(ctx context.Context, msgRow int64) ([]storage.Attachment, error)
	// SaveAttachment writes an attachment's bytes to w, downloading them
	// into the archive first when needed (its account must be online then).
	SaveAttachment(ctx context.Context, id int64, w io.Writer) (storage.Attachment, error)
	// MarkRead clears a conversation's unread count.
	MarkRead(ctx context.Context, convRow int64) error
	// SetMuted mutes or unmutes a conversation's notifications.
	SetMuted(ctx context.Context, convRow int64, muted bool) error
	// Send queues text for account → target (a conversation ID on the
	// network: "#chan", "bob"). It is written to the outbox first and sent
	// exactly once when the account is online.
	Send(ctx context.Context, req SendRequest) (storage.OutboxItem, error)
	// Retry re-queues a failed outbox item.
	Retry(ctx context.Context, outboxID int64) error
	// Search finds delivered messages across all accounts, newest first.
	Search(ctx context.Context, query string, limit, offset int) ([]storage.SearchHit, error)
	// UnreadTotal is the badge count (held brand messages never count).
	UnreadTotal(ctx context.Context) (int, error)
	// Counts is how many conversations each filter holds, without listing them.
	Counts(ctx context.Context) (storage.ConvCounts, error)

	// Export writes the whole archive as JSONL.
	Export(ctx context.Context, w io.Writer) (int, error)
	// AllowExport asks before an export built from the other calls (the
	// HTML archive): over the control socket it needs what Export needs
	// (the passphrase in passphrase mode); allowed or refused, it is
	// written to the audit log with the format.
	AllowExport(ctx context.Context, format string) error
	// Import reads a JSONL archive.
	Import(ctx context.Context, r io.Reader) (storage.ImportStats, error)
	// Audit is the archive's audit log: every export, and every refused one.
	Audit(ctx context.Context) ([]storage.AuditEntry, error)

	// Brands lists contacts classified as brands with consent and evidence.
	Brands(ctx context.Context) ([]BrandStatus, error)
	// MarkContact records the user's classification (person or brand).
	MarkContact(ctx context.Context, account, handle string, kind storage.ContactKind, how string) error
	// SetConsent changes a brand's consent and appends the ledger.
	SetConsent(ctx context.Context, req ConsentRequest) error
	// Ledger returns consent ledger entries ("" = all).
	Ledger(ctx context.Context, account, brand string) ([]storage.LedgerEntry, error)
	// PurgeBlocked deletes messages held from blocked brands ("" = all accounts).
	PurgeBlocked(ctx context.Context, account string) (int, error)
	// Unsubscribe asks the network to stop a sender (e-mail one-click etc.)
	// and records the result in the ledger.
	Unsubscribe(ctx context.Context, account, handle, how string) (string, error)
	// UnsubscribePlan says where Unsubscribe would send its request (the
	// one-click host, the mail's recipient), for the confirmation.
	UnsubscribePlan(ctx context.Context, account, handle string) (string, error)
}

// AccountSpec is what the user fills in to add or edit an account.
type AccountSpec struct {
	Name     string            `json:"name"`
	Network  string            `json:"network"`
	Settings map[string]string `json:"settings"` // by connectors.Field.Key (non-secret fields)
	Secrets  map[string]string `json:"secrets"`  // by connectors.Field.Key (FieldSecret fields); never logged or stored in the database in keyring mode
}

// AccountStatus is an account with its live state.
type AccountStatus struct {
	Name     string            `json:"name"`
	Network  string            `json:"network"`
	Settings map[string]string `json:"settings"`
	// State is typed; on the socket a word: online, connecting, offline,
	// auth-failed, needs-sign-in. State.String() is the display text.
	State  connectors.ConnState `json:"state"`
	Reason string               `json:"reason"` // the server's words for a failure, or why the link dropped
	// RetryAt is when the core connects again after a failure (offline
	// only); zero (absent in JSON) when no retry is scheduled.
	RetryAt  time.Time `json:"retry_at,omitzero"`
	Self     string    `json:"self"`           // our handle on the network, once online
	Since    time.Time `json:"since,omitzero"` // when State was entered
	Unread   int       `json:"unread"`
	Disabled bool      `json:"disabled"`
	// Capabilities the account's network offers, for the UI to show the
	// matching actions.
	Capabilities []connectors.Capability `json:"capabilities"`
}

// Has says whether the account's network offers a capability.
func (a AccountStatus) Has(c connectors.Capability) bool {
	return slices.Contains(a.Capabilities, c)
}

// SendRequest is one message the user sends.
type SendRequest struct {
	Account string `json:"account"`
	Target  string `json:"target"` // conversation ID on the network
	Text    string `json:"text"`
	Subject string `json:"subject,omitempty"` // where the network has subject lines (e-mail)
	// Files are paths of files to send with the message, where the network
	// can (e-mail); they are read and sealed into the archive at once.
	Files   []string `json:"files,omitempty"`
	Action  bool     `json:"action,omitempty"`
	ConvRow int64    `json:"conv_row,omitempty"` // alternative to Account+Target: an existing conversation
}

// BrandStatus is one brand contact with its consent.
type BrandStatus struct {
	Account  string    `json:"account"`
	Network  string    `json:"network"`
	Handle   string    `json:"handle"`
	Name     string    `json:"name"`
	Kind     string    `json:"kind"` // the effective kind (user's word wins)
	Evidence []string  `json:"evidence"`
	Consent  string    `json:"consent"`
	Scopes   []string  `json:"scopes,omitempty"`
	Until    time.Time `json:"until,omitempty"`
	Held     int       `json:"held"`
}

// ConsentRequest changes a brand's consent.
type ConsentRequest struct {
	Account   string    `json:"account"`
	Handle    string    `json:"handle"`
	State     string    `json:"state"` // none, replies, subscribed, blocked
	Scopes    []string  `json:"scopes,omitempty"`
	Until     time.Time `json:"until,omitempty"`
	How       string    `json:"how"`        // "gui", "cli"
	MessageID string    `json:"message_id"` // the message that prompted it, if any
}

// UpdateKind says what changed.
type UpdateKind int

const (
	UpdMessage      UpdateKind = iota // a message was stored or changed (send state)
	UpdConversation                   // a conversation's counters/title changed (read, hold moved)
	UpdAccount                        // an account was added/removed or changed connection state
	UpdBrands                         // consent or classification changed
	UpdTyping                         // someone is typing in a conversation
	UpdArchive                        // the archive stopped or resumed storing received messages (ArchiveError)
)

// Update is one change the core reports to subscribers (the GUI). Updates
// arrive in batches; a subscriber applies a batch at once.
type Update struct {
	Kind    UpdateKind
	Account string
	ConvRow int64
	Message *storage.Message // for UpdMessage
	// Notify is set when this message deserves a desktop notification:
	// inbound, delivered (not held), live (not backfill), conversation not
	// muted, outside quiet hours. The GUI adds "not the open conversation".
	Notify bool
	Title  string // conversation title, for notifications
	State  *AccountStatus
	Typing *connectors.Typing
	// ArchiveError, for UpdArchive: why the archive refuses new messages
	// (they are held, nothing is dropped); "" when it stores them again.
	ArchiveError string
}
