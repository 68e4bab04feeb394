// Package connectors defines the one interface every chat network implements,
// the typed events a connector emits, and the registry the core uses to find
// connectors by network name. It imports nothing else of Switchboard's.
//
// The shape follows database/sql/driver: a small required interface
// (Connector) plus optional capability interfaces (Historian, Blocker,
// Unsubscriber, Typer, AttachmentFetcher, …) that the core detects with a type assertion.
package connectors

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"
)

// FieldKind says how the account form renders and validates a field.
type FieldKind int

const (
	FieldText     FieldKind = iota // free text (nick, user name)
	FieldHostPort                  // HOST:PORT
	FieldBool                      // a check box; values "true" / "false"
	FieldFile                      // a path to a local file (CA bundle)
	FieldList                      // comma-separated list (channels to join)
	FieldSecret                    // a password or token: goes to the secret store, never to settings
)

// Field is one entry of a network's account form. The GUI builds its
// "Add account" dialog from these and the CLI maps its flags onto them, so
// neither needs per-protocol code.
type Field struct {
	Key         string    `json:"key"`         // settings key, e.g. "server"; for FieldSecret the secret's name
	Label       string    `json:"label"`       // "Server"
	Placeholder string    `json:"placeholder"` // "irc.libera.chat:6697"
	Help        string    `json:"help"`        // one line shown under the field
	Kind        FieldKind `json:"kind"`        // "text", "host-port", "bool", "file", "list", "secret"
	Required    bool      `json:"required"`
	Default     string    `json:"default"`
}

// NetworkInfo describes a network: its name, how to show it, its form,
// and the static answers about it that need no connection.
type NetworkInfo struct {
	Name        string  `json:"name"`         // registry key: "irc", "xmpp", "email"
	DisplayName string  `json:"display_name"` // "IRC"
	Icon        string  `json:"icon"`         // the UI's icon resource for the network ("irc"); "" = a generic one
	Fields      []Field `json:"fields"`
	// Validate checks an account's settings (by Field.Key, defaults
	// applied, secrets not included) and returns the network's own words
	// for the first problem, or nil. The core calls it before an account
	// is added, changed or tested; the window and the CLI show its error.
	// nil means any settings the form accepts are fine.
	Validate func(settings map[string]string) error `json:"-"`
	// Target normalises and checks a conversation handle the user typed
	// ("#Go-Nuts", "bob@example.org", "!room:server") and says whether it
	// is a group. A malformed handle is an error in the network's words.
	// nil means any non-empty handle names a direct conversation.
	Target func(ref string) (ConversationRef, error) `json:"-"`
}

// Account is one configured account as the connector sees it.
type Account struct {
	ID       string            // the user's name for the account; unique in a profile
	Network  string            // registry key
	Settings map[string]string // values of the non-secret Fields, by Key
	// SyncState is the last SyncState event's State the connector emitted
	// for this account (kept sealed by the core across restarts), or "".
	SyncState string
	// State is the account's own sealed store for what it must keep beyond
	// a password (a session, tokens, device keys). The core never passes
	// nil; a connection test before the account is saved gets a store in
	// memory that is dropped afterwards.
	State State
}

// Setting returns a setting, or def when it is unset or empty.
func (a Account) Setting(key, def string) string {
	if v, ok := a.Settings[key]; ok && v != "" {
		return v
	}
	return def
}

// ErrNoSecret is returned by Secrets.Get when the secret was never stored.
var ErrNoSecret = errors.New("no secret stored")

// Secrets gives a running connector its account's secrets (password,
// token) without the connector knowing where they are kept.
type Secrets interface {
	Get(ctx context.Context, key string) (string, error)
}

// State is an account's writable sealed state: named values the connector
// keeps across restarts (Matrix access token and device ID, a Telegram
// session, Signal identity keys). The core keeps them sealed in the
// archive (XChaCha20-Poly1305, like messages; the names as keyed hashes),
// never in clear on disk, and deletes them with the account (also when
// the account is removed without purging its messages).
//
// Limits: a name is 1 to MaxStateKey bytes; a value at most MaxStateValue
// bytes. Larger is refused with an error wrapping ErrStateTooLarge and
// nothing is written. A connector that needs more (a crypto store with
// thousands of sessions) splits it into several names.
//
// Atomicity: each Put, Delete and Update is one archive transaction,
// committed before it returns: after a crash either the whole call is
// there or none of it (on a power cut the newest commits may be lost —
// the archive runs SQLite's WAL with synchronous=NORMAL — never half of
// one). Update writes several values at once (an access
// token and its device ID must never be found apart). Calls from several
// goroutines are safe; the last committed write wins.
type State interface {
	// Get returns the value under name, or an error wrapping ErrNoState.
	Get(ctx context.Context, name string) ([]byte, error)
	// Put stores value under name, replacing what was there.
	Put(ctx context.Context, name string, value []byte) error
	// Delete removes name; a name never stored is not an error.
	Delete(ctx context.Context, name string) error
	// Update applies several changes in one transaction: a nil value
	// deletes its name.
	Update(ctx context.Context, changes map[string][]byte) error
}

// Limits of State.
const (
	MaxStateKey   = 128     // bytes of a name
	MaxStateValue = 4 << 20 // bytes of one value (4 MiB)
)

var (
	// ErrNoState is wrapped by State.Get for a name never stored.
	ErrNoState = errors.New("no state stored under this name")
	// ErrStateTooLarge is wrapped by State writes over the limits.
	ErrStateTooLarge = errors.New("state value or name too large")
)

// CheckState reports whether name and value are within State's limits,
// with an error in plain words wrapping ErrStateTooLarge (or naming the
// empty name).
func CheckState(name string, value []byte) error {
	switch {
	case name == "":
		return errors.New("state: a value needs a name")
	case len(name) > MaxStateKey:
		return fmt.Errorf("state: name %.20q… is %d bytes, over the limit of %d: %w", name, len(name), MaxStateKey, ErrStateTooLarge)
	case len(value) > MaxStateValue:
		return fmt.Errorf("state: %q is %d bytes, over the limit of %d (split it into several names): %w", name, len(value), MaxStateValue, ErrStateTooLarge)
	}
	return nil
}

// Direction of a message relative to the user.
type Direction int

const (
	Inbound  Direction = iota // written by someone else
	Outbound                  // written by the user (here or on another device)
)

func (d Direction) String() string {
	if d == Outbound {
		return "out"
	}
	return "in"
}

// ConversationKind separates 1:1 chats from group chats.
type ConversationKind int

const (
	Direct ConversationKind = iota
	Group
)

// ConversationRef names a conversation on the network: "#go-nuts" for an
// IRC channel, "bob" for an IRC query, "bob@example.org" for XMPP. The ID
// is what Send targets; together with the account it is unique.
type ConversationRef struct {
	ID    string
	Kind  ConversationKind
	Title string // optional display title; the core falls back to ID
	// Joined marks a group the user entered by choice (an IRC channel, a
	// joined XMPP room). Only there does the brand opt-in step aside; a
	// group the sender made up (an e-mail with several recipients) is never
	// Joined, so its messages are judged by their sender like any other.
	Joined bool
	// Origin names the network a conversation really belongs to when this
	// network only carries it (a Matrix room bridged to WhatsApp:
	// "whatsapp"); "" means this network itself. It is a lower-case name
	// like a registry key ("whatsapp", "messenger", "instagram", "sms",
	// "linkedin", "signal", "telegram", "discord", "slack", "matrix").
	// Only the connector sets it, from what a sender cannot forge (the
	// bridge's own state event, sent by the bridge bot named in it) —
	// never from a message's text or a sender's claim. The core stores it
	// with the conversation, from a message or a ConversationUpdated (a
	// later non-empty value replaces it, "" keeps it), and ignores a value
	// that is not such a name.
	Origin string
}

// Message is one message as it crossed the network.
type Message struct {
	RemoteID     string // stable across reconnects and resyncs; storage dedups on (account, RemoteID)
	Conversation ConversationRef
	Sender       string // network handle of the author ("alice", "alice@example.org")
	SenderName   string // display name if known
	// Time is when the sender says the message was written (e-mail Date,
	// XMPP <delay>, IRC server-time): shown to the user, never trusted.
	Time      time.Time
	Direction Direction
	// Received is when the user's own server took the message in (IMAP
	// INTERNALDATE, the XMPP archive's stamp, a <delay> the user's own
	// server added), as far as the connector can tell from what the
	// sender cannot forge. The brand opt-in judges its windows on it.
	// Zero: the core uses its clock at arrival.
	Received time.Time
	Text     string
	Action   bool              // an emote ("/me waves"): render as "* alice waves"
	Notice   bool              // a notice / automated message
	ReplyTo  string            // the network's ID of the message this replies to (e-mail: its Message-ID), if any
	Headers  map[string]string // protocol evidence the policy may use (List-Unsubscribe, bot flags…)
	// Seen says the user already read the message elsewhere (IMAP \Seen):
	// it is archived as read — never unread, never notified.
	Seen bool
	// Attachments lists the files that came with the message, in the
	// message's order. Only their description travels with the event; the
	// bytes are fetched afterwards through AttachmentFetcher and saved
	// sealed by the core, so a mail with a 25 MB file never sits in memory.
	Attachments []Attachment
}

// Attachment describes one file of a message.
type Attachment struct {
	Name string // file name as the sender gave it; may be empty
	Type string // media type, "application/pdf"
	Size int64  // decoded size in bytes, or -1 when unknown
}

// ContactKind is the connector's evidence of who a contact is.
type ContactKind int

const (
	KindUnknown ContactKind = iota
	KindPerson
	KindBrand
	KindBot
)

func (k ContactKind) String() string {
	switch k {
	case KindPerson:
		return "person"
	case KindBrand:
		return "brand"
	case KindBot:
		return "bot"
	}
	return "unknown"
}

// Contact is a person or service the account can talk to.
type Contact struct {
	Handle   string
	Name     string
	Kind     ContactKind
	Evidence []string // why Kind was chosen: "irc: user mode +B (bot)", "email: List-Unsubscribe header"
	// Was is the handle this contact had until now, when the network
	// reports a rename (IRC NICK): the core carries a brand's status and
	// consent over, so a new name is no way around the opt-in.
	Was string
}

// ConnState is the connection state the user sees.
type ConnState int

const (
	StateOffline ConnState = iota
	StateConnecting
	StateOnline
	StateAuthFailed  // the server refused the credentials; Reason has its words
	StateNeedsSignIn // no valid session (never signed in, or revoked elsewhere): the user must sign in (SignInner)
)

func (s ConnState) String() string {
	switch s {
	case StateConnecting:
		return "connecting"
	case StateOnline:
		return "online"
	case StateAuthFailed:
		return "auth failed"
	case StateNeedsSignIn:
		return "needs sign-in"
	}
	return "offline"
}

// Event is the closed set of things a connector reports. Every event names
// its account. Only the types in this file implement it.
type Event interface {
	AccountID() string
	isEvent()
}

// MessageReceived: a message arrived, or the user's own message was echoed
// (Direction == Outbound), or history was backfilled (Backfill == true).
type MessageReceived struct {
	Account  string
	Message  Message
	Backfill bool
}

// ContactUpdated: a contact's name or kind became known or changed.
type ContactUpdated struct {
	Account string
	Contact Contact
}

// ConversationUpdated: a conversation was joined, renamed or left.
type ConversationUpdated struct {
	Account      string
	Conversation ConversationRef
	Topic        string
	Members      []string // handles, when known
	Left         bool
}

// Receipt: the peer received or read a message the user sent.
type Receipt struct {
	Account      string
	Conversation string
	RemoteID     string
	Read         bool // false: delivered; true: read
	Time         time.Time
}

// Typing: someone is typing (or stopped).
type Typing struct {
	Account      string
	Conversation string
	Handle       string
	Active       bool
}

// Presence: a contact went online, away or offline.
type Presence struct {
	Account string
	Handle  string
	Online  bool
	Away    bool
	Status  string
}

// ConnectionState: the account's connection changed state. Reason is the
// server's words for an auth failure or the error that dropped the link.
type ConnectionState struct {
	Account string
	State   ConnState
	Reason  string
	Self    string // the handle the network knows us by, once online
	// RetryAt is when the core's supervisor will connect again after a
	// failure (StateOffline only). Connectors leave it zero.
	RetryAt time.Time
}

// SyncState: an opaque position (e.g. the newest archive ID seen) that the
// core stores and hands back in Account.SyncState on later Runs, so a
// restarted app resumes history where it stopped. It is stored only after
// every event sent before it, so it never claims messages not yet stored.
type SyncState struct {
	Account string
	State   string
}

// ReadElsewhere: the user read this message (and so the ones before it in
// its conversation) in another client — IMAP \Seen set on a phone. The
// core clears the unread count up to it; it does not tell the network
// back.
type ReadElsewhere struct {
	Account  string
	RemoteID string
}

func (e MessageReceived) AccountID() string     { return e.Account }
func (e ContactUpdated) AccountID() string      { return e.Account }
func (e ConversationUpdated) AccountID() string { return e.Account }
func (e Receipt) AccountID() string             { return e.Account }
func (e Typing) AccountID() string              { return e.Account }
func (e Presence) AccountID() string            { return e.Account }
func (e ConnectionState) AccountID() string     { return e.Account }
func (e SyncState) AccountID() string           { return e.Account }
func (e ReadElsewhere) AccountID() string       { return e.Account }

func (MessageReceived) isEvent()     {}
func (ContactUpdated) isEvent()      {}
func (ConversationUpdated) isEvent() {}
func (Receipt) isEvent()             {}
func (Typing) isEvent()              {}
func (Presence) isEvent()            {}
func (ConnectionState) isEvent()     {}
func (SyncState) isEvent()           {}
func (ReadElsewhere) isEvent()       {}

// Outgoing is a message the user wants sent.
type Outgoing struct {
	LocalID      string // the outbox ID; connectors that can carry a client ID (IRCv3 label, XMPP id, Message-ID) use it so a retry is recognisable
	Conversation ConversationRef
	Text         string
	Action       bool
	ReplyTo      string
	// Subject is the subject line the user gave, for a network that has
	// them (a Subjecter); "" lets the connector choose. Others ignore it.
	Subject string
	// Files go with the message; only a FileSender is given any.
	Files []OutFile
}

// OutFile is a file the user sends. Open may be called more than once
// (a retry); each reader is closed by the connector.
type OutFile struct {
	Name string // file name shown to the recipient
	Type string // media type, "application/pdf"
	Size int64
	Open func() (io.ReadCloser, error)
}

// FileSender is a network that can send files with a message (e-mail
// attachments). MaxFileBytes is the most one message's files may add up
// to; the core refuses more before anything is queued.
type FileSender interface {
	MaxFileBytes() int64
}

// AuthError is returned from Run (wrapped or not) when the server refused
// the credentials. The core shows Reason and stops retrying until the user
// changes the account.
type AuthError struct {
	Reason string // the server's words
}

func (e *AuthError) Error() string { return "authentication failed: " + e.Reason }

// ErrNotConnected is returned by Send when the account is not online.
var ErrNotConnected = errors.New("not connected")

// Connector is one account's link to a network.
//
// # Lifetime
//
// The core makes one Connector value per account with the registered
// Factory when the account starts (the app starts, the account is added or
// enabled) and keeps that value for the account's life: every Run and
// every reconnect after a failure uses it. The value is replaced only when
// the account's settings change (a new value for the new settings) and
// dropped when the account is removed or the app stops. So:
//
//   - Run is called again on the same value after it returns (the core
//     waits with backoff after a failure). Runs never overlap on one value.
//     What the value learnt in one Run — stream-management state and
//     unacknowledged stanzas, channels joined or left, blocks, pending
//     copies — is the connector's to carry into the next Run; nothing of it
//     is lost because the link dropped.
//   - The other methods (Send and the capability methods) may be called at
//     any time, also while no Run is active: they return ErrNotConnected
//     when they need the link, or keep the request and apply it on the
//     next connect where the connector documents that (IRC's Block).
//   - What a network can do is a property of its connector type: the core
//     reads it (Info and the optional interfaces below) once per network
//     from a value of its own, never from an account's live link, so an
//     account that is reconnecting still offers what its network can.
//   - Nothing is kept across values: an app restart starts from
//     Account.SyncState and the archive.
//
// The conformance suite (connectors/conformance) drives connectors through
// this same lifetime.
type Connector interface {
	Info() NetworkInfo
	// Run connects, syncs and blocks until ctx ends (returns nil or
	// ctx.Err()) or the connection fails (returns the error; an *AuthError
	// for refused credentials). It sends events on sink and never closes it.
	// The core calls Run again on the same value, with backoff, after a
	// failure (see Lifetime).
	Run(ctx context.Context, acct Account, secrets Secrets, sink chan<- Event) error
	// Send delivers one message while Run is connected; ErrNotConnected
	// otherwise, when nothing was handed to the network. It returns
	// success only once the message is the network's (or, where the
	// protocol gives no acknowledgement, written to it): a message reported
	// sent is never lost with the connection. Any other error means it may
	// or may not have arrived; the outbox then shows it failed.
	Send(ctx context.Context, msg Outgoing) (remoteID string, err error)
}

// Cursor is an opaque paging position for History.
type Cursor string

// Historian fetches older messages from the server (IRC chathistory, XMPP MAM, IMAP).
type Historian interface {
	History(ctx context.Context, conv ConversationRef, before Cursor, limit int) ([]Message, Cursor, error)
}

// Blocker blocks or unblocks a contact on the network (XMPP XEP-0191, IRC SILENCE/ignore).
type Blocker interface {
	Block(ctx context.Context, handle string, block bool) error
}

// Unsubscriber unsubscribes from a sender on the network (e-mail RFC 8058 /
// RFC 2369). Result is a short human/ledger-readable outcome ("HTTP 200",
// "mail <id> sent").
type Unsubscriber interface {
	Unsubscribe(ctx context.Context, handle string) (result string, err error)
}

// UnsubscribePlanner says, before anything is sent, what Unsubscribe
// would do for a sender, naming where the request goes ("a one-click
// request to list.acme.example", "a mail from you to unsub@acme.example"),
// so the user confirms knowing it.
type UnsubscribePlanner interface {
	UnsubscribePlan(ctx context.Context, handle string) (string, error)
}

// Typer sends typing notifications.
type Typer interface {
	SetTyping(ctx context.Context, conv ConversationRef, active bool) error
}

// Marker tells the network the user has read a conversation (XMPP XEP-0333
// "displayed"), so the other side can show it. remoteID is the newest
// message the user has seen; a connector may only know how to mark the
// newest live message it received, and then marks that.
type Marker interface {
	MarkRead(ctx context.Context, conv ConversationRef, remoteID string) error
}

// Acknowledger confirms receipt to a sender (XMPP XEP-0184 delivery
// receipts) only once the core has delivered the message: the core calls
// Acknowledge for each live inbound message it put in the inbox, never for
// one it held. A receipt tells the sender the address is live, so a brand
// the user has not accepted gets none. remoteID is Message.RemoteID; a
// message that asked for no receipt is not an error.
type Acknowledger interface {
	Acknowledge(ctx context.Context, remoteID string) error
}

// Subjecter marks a network whose messages carry a subject line (e-mail):
// it uses Outgoing.Subject, and the window offers a subject field.
type Subjecter interface {
	Subjects()
}

// Originaler returns the whole original of a message whose chat text is a
// condensed view (an e-mail without its folded quotes and signature).
type Originaler interface {
	Original(ctx context.Context, remoteID string) (string, error)
}

// AttachmentFetcher streams the bytes of a message's attachments. save is
// called once per attachment, in the order of Message.Attachments, with
// its index there; the reader is only valid during the call and yields
// the decoded bytes. A message the network no longer has is reported as
// an error wrapping ErrGone, so the core stops asking.
type AttachmentFetcher interface {
	FetchAttachments(ctx context.Context, remoteID string, save func(index int, a Attachment, r io.Reader) error) error
}

// ErrGone is wrapped by capability calls about a message the network no
// longer has (deleted or expunged from the server).
var ErrGone = errors.New("no longer on the server")

// Joiner joins or leaves group conversations at the user's request.
type Joiner interface {
	Join(ctx context.Context, conv string) error
	Leave(ctx context.Context, conv string) error
}

// Factory makes a new, unconnected connector: one per account, kept for
// the account's life (see Connector).
type Factory func() Connector

type registry struct {
	mu sync.RWMutex
	m  map[string]Factory
}

// The registry mirrors database/sql's driver registry: written only from
// init functions, read afterwards.
var drivers = &registry{m: map[string]Factory{}}

// Register makes a network available under name. It panics on a duplicate,
// like sql.Register, because that is a programming error.
func Register(name string, f Factory) {
	drivers.mu.Lock()
	defer drivers.mu.Unlock()
	if f == nil {
		panic("connectors: Register factory is nil")
	}
	if _, dup := drivers.m[name]; dup {
		panic("connectors: Register called twice for " + name)
	}
	drivers.m[name] = f
}

// New returns a fresh connector for a registered network.
func New(name string) (Connector, error) {
	drivers.mu.RLock()
	f, ok := drivers.m[name]
	drivers.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("unknown network %q (known: %v)", name, Networks())
	}
	return f(), nil
}

// Networks lists the registered network names, sorted.
func Networks() []string {
	drivers.mu.RLock()
	defer drivers.mu.RUnlock()
	out := make([]string, 0, len(drivers.m))
	for k := range drivers.m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
