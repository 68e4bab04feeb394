package storage

// This file is the storage package's public contract: the types the core
// reads and writes. The methods on *Store are implemented in the files
// named after their table (accounts.go, messages.go, …).

import (
	"errors"
	"time"
)

// Errors with plain-words meanings. Callers test them with errors.Is.
var (
	// ErrWrongPassphrase: the passphrase does not unwrap this archive's key.
	ErrWrongPassphrase = errors.New("wrong passphrase: the archive's key could not be unlocked")
	// ErrKeyMissing: the archive exists but its key is not in the OS keyring
	// (deleted, or a different user/keyring). Nothing is created over it.
	ErrKeyMissing = errors.New("the archive's key is missing from the OS keyring; the archive was left untouched")
	// ErrCorrupt: the database file is damaged or is not a Switchboard archive.
	ErrCorrupt = errors.New("the archive database is corrupt or not a Switchboard archive")
	// ErrTampered: a sealed value failed authentication (changed on disk or moved between rows).
	ErrTampered = errors.New("a sealed value failed its integrity check (the archive was modified outside Switchboard)")
	// ErrNoKeyring: no OS keyring answered and no passphrase was supplied.
	ErrNoKeyring = errors.New("the OS keyring cannot keep the new archive's key and no passphrase was given")
	// ErrNotFound: the row asked for does not exist.
	ErrNotFound = errors.New("not found")
)

// KeyMode records how a profile's data key is protected.
type KeyMode string

const (
	ModeKeyring    KeyMode = "keyring"    // random key stored in the OS keyring
	ModePassphrase KeyMode = "passphrase" // random key wrapped with Argon2id(passphrase)
)

// Direction of a stored message.
type Direction string

const (
	In  Direction = "in"
	Out Direction = "out"
)

// Hold says where a message is filed by the brand policy.
type Hold int

const (
	Delivered   Hold = iota // in the inbox
	HeldRequest             // held in Requests (brand without consent)
	HeldBlocked             // from a blocked brand: kept in Blocked
)

// SendState of an outbound message written here first.
type SendState string

const (
	SendNone    SendState = ""        // inbound, or outbound echoed from another client
	SendPending SendState = "pending" // in the outbox, not yet confirmed
	SendSent    SendState = "sent"
	SendFailed  SendState = "failed"
)

// Account is a configured chat account. Name and Settings are sealed.
type Account struct {
	Name     string            // the user's name for it, unique in the profile
	Network  string            // connector registry key
	Settings map[string]string // non-secret connector settings (server, nick…)
	Created  time.Time
	Disabled bool
}

// MessageIn is a message to archive (from a connector, an import or the outbox).
type MessageIn struct {
	Account   string
	Network   string
	ConvID    string // remote conversation ID ("#go", "bob", "bob@example.org")
	ConvGroup bool   // group chat (channel, MUC) vs 1:1
	ConvTitle string // optional; "" keeps the stored title (or the ConvID)
	// ConvOrigin is the network a bridged conversation belongs to
	// ("whatsapp" for a Matrix room bridged to WhatsApp); "" keeps the
	// stored one. Set from the connector only, never from a sender.
	ConvOrigin string
	RemoteID   string // dedup key with Account; required
	Sender     string
	SenderName string
	Time       time.Time
	Direction  Direction
	Text       string
	Action     bool
	Notice     bool
	Hold       Hold
	HoldReason string // plain words for Requests ("AcmeDeals started a conversation; you have not subscribed"); sealed
	SendState  SendState
	// Seen marks a message read before it reached the archive (history
	// imported from an export, mail read in another client): it never
	// counts as unread.
	Seen bool
	// Mention marks a group message that names the user: it awaits a
	// reply as a direct message does (the core decides, by the user's
	// handle on the network).
	Mention bool
	// Attachments lists the message's files; their bytes are saved later
	// with SaveAttachment.
	Attachments []AttachmentIn
}

// AttachmentIn describes a file of a message being stored.
type AttachmentIn struct {
	Name string `json:"name"`
	Type string `json:"type"`
	Size int64  `json:"size"` // -1 when unknown
}

// AttachState says whether an attachment's bytes are in the archive.
type AttachState string

const (
	AttachPending AttachState = "pending" // listed; bytes not fetched yet
	AttachSaved   AttachState = "saved"   // bytes sealed in the archive
	AttachFailed  AttachState = "failed"  // the network could not give them; Error says why
)

// Attachment is a stored file of a message, decrypted (not its bytes:
// OpenAttachment reads those).
type Attachment struct {
	ID     int64       `json:"id"`
	MsgRow int64       `json:"message"`
	Index  int         `json:"index"` // position in the message's list
	Name   string      `json:"name"`
	Type   string      `json:"type"`
	Size   int64       `json:"size"` // bytes (the listed size until saved; -1 unknown)
	State  AttachState `json:"state"`
	Error  string      `json:"error,omitempty"`
}

// PendingAttachment is an attachment still to fetch, with what names its
// message on the network.
type PendingAttachment struct {
	Attachment
	Account  string
	RemoteID string
}

// PutResult reports what PutMessages did with one MessageIn, in order.
type PutResult struct {
	ConvRow  int64 // conversation row ID
	MsgRow   int64 // message row ID (existing row when a duplicate)
	Inserted bool  // false: (account, remote ID) was already stored
}

// Message is a stored message, decrypted.
type Message struct {
	Row        int64     `json:"id"`
	ConvRow    int64     `json:"conversation"`
	Account    string    `json:"account"`
	Network    string    `json:"network"`
	RemoteID   string    `json:"remote_id"`
	Sender     string    `json:"sender"`
	SenderName string    `json:"sender_name"`
	Time       time.Time `json:"time"`
	Direction  Direction `json:"direction"`
	Text       string    `json:"text"`
	Action     bool      `json:"action,omitempty"`
	Notice     bool      `json:"notice,omitempty"`
	Mention    bool      `json:"mention,omitempty"` // a group message that names the user
	Hold       Hold      `json:"held,omitempty"`    // absent when delivered; "request" or "blocked"
	HoldReason string    `json:"reason,omitempty"`  // why it is held, in plain words
	SendState  SendState `json:"state,omitempty"`   // your own messages sent from here: pending, sent, failed
	SendError  string    `json:"error,omitempty"`
	// OutboxID is the outbox item behind a message written here (its
	// SendState is set): what Retry takes. 0 for everything else.
	OutboxID    int64        `json:"outbox_id,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"` // the message's files, if any
}

// Filter selects conversations for the unified list.
type Filter string

const (
	FilterAll      Filter = "all"      // every conversation with a delivered message
	FilterUnread   Filter = "unread"   // with unread delivered inbound messages
	FilterAwaiting Filter = "awaiting" // a direct message, or a group message naming the user, unanswered and not marked done; oldest wait first
	FilterRequests Filter = "requests" // with messages held as requests
	FilterBlocked  Filter = "blocked"  // with messages held from blocked brands, or with a blocked contact
)

// ConvQuery selects and pages conversations.
type ConvQuery struct {
	Filter  Filter `json:"filter"`
	Account string `json:"account,omitempty"` // "" = all accounts
	// Network keeps the conversations that belong to that network: those
	// bridged from it (Origin) and its own accounts' unbridged ones.
	// "" = every network.
	Network string `json:"network,omitempty"`
	Limit   int    `json:"limit,omitempty"` // 0 = no limit
	Offset  int    `json:"offset,omitempty"`
}

// Conversation is one row of the unified list, decrypted. For
// FilterRequests/FilterBlocked the Last*/Unread fields describe the held
// messages; otherwise the delivered ones.
type Conversation struct {
	Row      int64  `json:"id"`
	Account  string `json:"account"`
	Network  string `json:"network"`
	RemoteID string `json:"conversation"` // ConvID on the network
	// Origin is the network the conversation really belongs to when its
	// account's network only carries it (a bridge); "" = Network itself.
	Origin        string    `json:"origin,omitempty"`
	Group         bool      `json:"group"`
	Title         string    `json:"title"`
	Unread        int       `json:"unread"`
	Held          int       `json:"held,omitempty"`    // messages held as requests
	Blocked       int       `json:"blocked,omitempty"` // messages held from blocked brands
	HoldReason    string    `json:"reason,omitempty"`
	LastTime      time.Time `json:"last_time"`
	LastText      string    `json:"last_text"`
	LastSender    string    `json:"last_sender"`
	LastDirection Direction `json:"last_direction"`
	LastAction    bool      `json:"last_action,omitempty"`
	Muted         bool      `json:"muted,omitempty"`
	// Awaiting is when the oldest unanswered message the user owes a reply
	// to arrived (zero: nothing awaits); see FilterAwaiting.
	Awaiting time.Time `json:"awaiting,omitzero"`
	// PeerBlocked: the other side of this direct conversation is blocked;
	// it is left out of All, Unread and Awaiting and listed in Blocked.
	PeerBlocked bool `json:"peer_blocked,omitempty"`
}

// ConvCounts is how many conversations each filter holds, for the filter
// list and badges, counted without decrypting anything.
type ConvCounts struct {
	Unread     int       `json:"unread"`               // unread messages in unmuted conversations (the badge)
	Awaiting   int       `json:"awaiting"`             // conversations in FilterAwaiting
	OldestWait time.Time `json:"oldest_wait,omitzero"` // when the longest-waiting one started waiting (zero if none)
	Requests   int       `json:"requests"`             // conversations with messages held as requests
	Blocked    int       `json:"blocked"`              // conversations with messages held from blocked brands
	// Origins lists the networks conversations are bridged from
	// (ConvQuery.Network groups by them), sorted.
	Origins []string `json:"origins,omitempty"`
}

// SearchHit is one message found by Search, newest first.
type SearchHit struct {
	Message
	ConvTitle    string `json:"conversation_title"`
	ConvRemoteID string `json:"remote_conversation"`
}

// ContactKind as stored: the connector's/list's evidence and the user's word.
type ContactKind string

const (
	ContactUnknown ContactKind = "unknown"
	ContactPerson  ContactKind = "person"
	ContactBrand   ContactKind = "brand"
	ContactBot     ContactKind = "bot"
)

// Contact is a sealed contact record.
type Contact struct {
	Account  string
	Handle   string
	Name     string
	Kind     ContactKind // evidence-based classification
	UserKind ContactKind // the user's classification; "" when the user has not said; wins over Kind
	Evidence []string
	Updated  time.Time
}

// OutboxItem is a message the user asked to send.
type OutboxItem struct {
	ID        int64  `json:"id"` // also the LocalID given to the connector
	Account   string `json:"account"`
	Network   string `json:"network"`
	ConvID    string `json:"conversation"`
	ConvGroup bool   `json:"group"`
	Text      string `json:"text"`
	Subject   string `json:"subject,omitempty"` // where the network has subject lines (e-mail); sealed
	// Files lists what goes with the message (Enqueue only): they become
	// the pending message's attachments, whose bytes the caller saves
	// with SaveAttachment before the item is sent.
	Files    []AttachmentIn `json:"files,omitempty"`
	Action   bool           `json:"action,omitempty"`
	State    SendState      `json:"state"`
	Attempts int            `json:"attempts"`
	Sending  bool           `json:"sending,omitempty"` // handed to the connector (MarkSending) with no outcome recorded yet
	Error    string         `json:"error,omitempty"`
	Created  time.Time      `json:"created"`
	MsgRow   int64          `json:"message"` // the archive row shown as pending in the conversation
	RemoteID string         `json:"remote_id,omitempty"`
}

// Consent is the current consent state of one brand on one account.
type Consent struct {
	Account     string
	Handle      string
	State       string   // "none", "replies", "subscribed", "blocked"
	Scopes      []string // for "subscribed": updates, offers, service
	Until       time.Time
	LastUserMsg time.Time // the user's last message to the brand (starts the replies window)
	Updated     time.Time
}

// LedgerEntry is one append-only consent ledger record.
type LedgerEntry struct {
	Seq       int64     `json:"seq"`
	Time      time.Time `json:"time"`
	Account   string    `json:"account"`
	Network   string    `json:"network"`
	Brand     string    `json:"brand"` // handle
	OldState  string    `json:"old_state"`
	NewState  string    `json:"new_state"`
	Scopes    []string  `json:"scopes,omitempty"`
	Until     time.Time `json:"until,omitzero"`
	How       string    `json:"how"`                  // "gui", "cli", "automatic expiry", "user sent first", "import"
	MessageID string    `json:"message_id,omitempty"` // remote ID of the message that prompted it, if any
	Result    string    `json:"result,omitempty"`     // network-side outcome of a revoke ("HTTP 200", "ignored on server")
}

// ImportStats is what Import did.
type ImportStats struct {
	Read       int `json:"read"`       // lines read
	Inserted   int `json:"inserted"`   // new messages
	Duplicates int `json:"duplicates"` // already present
	Batches    int `json:"batches"`    // committed batches
}

// ExportRecord is one JSONL line of an export.
type ExportRecord struct {
	Network           string    `json:"network"`
	Account           string    `json:"account"`
	Conversation      string    `json:"conversation"`
	ConversationTitle string    `json:"conversation_title"`
	Group             bool      `json:"group,omitempty"`
	Sender            string    `json:"sender"`
	SenderName        string    `json:"sender_name"`
	RemoteID          string    `json:"remote_id"`
	Time              time.Time `json:"time"`
	Direction         Direction `json:"direction"`
	Text              string    `json:"text"`
	Action            bool      `json:"action,omitempty"`
	Notice            bool      `json:"notice,omitempty"`
	Hold              Hold      `json:"hold,omitempty"`
	HoldReason        string    `json:"hold_reason,omitempty"` // why a held message was held, in plain words
	// Attachments lists the message's files; the bytes of each saved one
	// follow the record on AttachmentData lines.
	Attachments []ExportAttachment `json:"attachments,omitempty"`
	// AttachmentData, when set, makes the line a piece of an attachment's
	// bytes rather than a message (the other fields are empty).
	AttachmentData *ExportAttachmentData `json:"attachment_data,omitempty"`
}

// ExportAttachment is a file listed with an exported message.
type ExportAttachment struct {
	Name string `json:"name"`
	Type string `json:"type"`
	Size int64  `json:"size"`
}

// ExportAttachmentData is one piece of an attachment's bytes, after the
// record of its message; pieces come in order and the last says so.
type ExportAttachmentData struct {
	Account  string `json:"account"`
	RemoteID string `json:"remote_id"` // of the message
	Index    int    `json:"index"`     // in the message's Attachments
	Seq      int64  `json:"seq"`       // 0, 1, 2… per attachment
	Data     []byte `json:"data"`      // base64 in JSON
	Last     bool   `json:"last,omitempty"`
}
