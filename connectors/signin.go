package connectors

import (
	"context"
	"time"
)

// SignInner is a network whose accounts need more than a stored password
// to connect: a code sent by SMS or app, a two-factor password, a QR code
// scanned with a phone, a page opened in the browser (SSO, OAuth with a
// loopback redirect). The window and the CLI offer "Sign in" for it.
//
// SignIn walks the user through the network's steps with p and keeps what
// it earns (a session, tokens, device keys) in acct.State, then returns
// nil; the core then starts (or restarts) Run, which connects with the
// kept session. The core calls SignIn while Run is not running for the
// account. When ctx ends (the user closed the dialog), SignIn returns
// ctx.Err() promptly. A refused answer (wrong code, wrong password) is an
// error in the server's words, wrapped in *AuthError; the user may try
// again.
//
// Run, for such a network, returns a *SignInError when it has no valid
// session (never signed in, or revoked from another device): the core then
// shows the account as needing sign-in (StateNeedsSignIn) and does not
// retry until the user signs in again.
type SignInner interface {
	SignIn(ctx context.Context, acct Account, secrets Secrets, p Prompter) error
}

// SignInError is returned from Run (wrapped or not) when the account has
// no valid session and only the user can make one (SignInner).
type SignInError struct {
	Reason string // the server's words, or why no session is there
}

func (e *SignInError) Error() string { return "sign-in needed: " + e.Reason }

// Prompter is how a connector's SignIn talks to the user. The window
// implements it with dialogs, the CLI with terminal prompts (or lines of
// stdin, in order, with --secret-stdin). Every method may be called from
// any goroutine; calls come one at a time.
type Prompter interface {
	// Ask shows one question and waits for the answer (ctx ending, or the
	// user cancelling, returns an error).
	Ask(ctx context.Context, q Question) (string, error)
	// ShowQR shows a code for the user to scan with another device and
	// returns at once; the connector waits for the scan on the network.
	// Call it again with the refreshed payload when the network replaces
	// the code (every ~20 s for some); the new code replaces the old one.
	// What is shown stays until the next call or until SignIn returns.
	ShowQR(ctx context.Context, qr QRCode) error
	// OpenURL opens url in the user's browser (an SSO or OAuth page) and
	// shows it, so the user can open it by hand, with note in plain words;
	// it returns at once. The connector waits for the redirect on its own
	// loopback listener.
	OpenURL(ctx context.Context, url, note string) error
}

// Question is one thing SignIn asks the user.
type Question struct {
	// Key names the question ("code", "password"); answers read from
	// stdin come in the order the questions are asked.
	Key    string `json:"key"`
	Label  string `json:"label"`            // "Code sent to +1 555 0100"
	Help   string `json:"help,omitempty"`   // one line under the field; may be empty
	Secret bool   `json:"secret,omitempty"` // a password: typing is hidden, the answer never shown or logged
}

// QRCode is a code to scan.
type QRCode struct {
	Payload string    `json:"payload"`          // what the code encodes ("tg://login?token=…")
	Caption string    `json:"caption"`          // what to do with it ("Scan with Telegram on your phone: Settings → Devices → Link desktop device")
	Expires time.Time `json:"expires,omitzero"` // when the network will replace it; zero if unknown
}
