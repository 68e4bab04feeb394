// Package conformance is the behaviour table every Switchboard connector
// passes against its real server, started by the connector's own test.
//
// # Binding a connector
//
// A connector's test implements Harness and calls Run:
//
//	func TestConformance(t *testing.T) { conformance.Run(t, myHarness{}) }
//
// Harness.Start starts a fresh server for one behaviour (each behaviour runs
// as a parallel subtest with its own server) and returns a Server, which
//
//   - makes connectors (New) and accounts for numbered users
//     (Account(t, n, Options)): user 0, 1, … exist on the server; Options
//     ask for a second login of the same user (another device), a wrong
//     password, an untrusted TLS certificate, or joining the shared group;
//   - says how user n is addressed (Handle: the Direct conversation ID
//     other users send to, and the Sender of n's messages), and which group
//     conversation accounts with Options.JoinGroup are in (Group);
//   - kills the server with SIGKILL and starts it again on the same address
//     with the same data (Restart).
//
// Harness.Capabilities declares, in code, what the network cannot do:
// each non-empty No… field skips the behaviours that need it with that
// reason (visible in `go test -v`), except NoOfflineDelivery, which makes
// the restart behaviour check the refusal instead. Nothing else skips.
// Peers are second instances of the same connector, so no raw protocol
// client is needed.
//
// Clients run connectors through the core's lifetime (connectors.Connector,
// "Lifetime"): one value per account, Run again on it after a failure with
// the last SyncState, never again after an *connectors.AuthError; a new
// value only for an app restart (the history behaviour).
//
// Conventions a connector must follow to pass: Run emits ConnectionState
// online once it can send; it returns nil or context.Canceled when its
// context ends; refused credentials make Run return *connectors.AuthError
// (with the server's words) and emit StateAuthFailed; a certificate that
// fails verification makes Run return an error wrapping the crypto/tls or
// crypto/x509 verification error; joining a group emits a
// ConversationUpdated for it; Send returns the RemoteID its own echo (if
// any) will carry.
//
// IRC binds in connectors/irc/conformance_test.go (against InspIRCd and
// ngIRCd), XMPP in connectors/xmpp/conformance_test.go, e-mail in
// connectors/email/conformance_test.go.
package conformance

import (
	"testing"

	"switchboard/connectors"
)

// Harness starts servers for the suite.
type Harness interface {
	// Start starts a fresh server for one behaviour; it is stopped when
	// the test ends (t.Cleanup). A missing server binary must t.Fatalf
	// with the package to install.
	Start(t *testing.T) Server
	// Capabilities declares what the network lacks.
	Capabilities() Capabilities
}

// Server is one running server with its users.
type Server interface {
	// New returns a fresh, unconnected connector.
	New() connectors.Connector
	// Account returns an account for user n (0, 1, …) and its secrets.
	Account(t *testing.T, user int, opt Options) (connectors.Account, connectors.Secrets)
	// Handle is user n's address: Direct conversation ID and Sender.
	Handle(user int) string
	// Group is the group conversation Options.JoinGroup accounts join.
	Group() connectors.ConversationRef
	// Restart kills the server (SIGKILL) and starts it again on the same
	// address with the same data.
	Restart(t *testing.T)
}

// Options shape an account.
type Options struct {
	JoinGroup     bool // join Server.Group() on connect
	SecondClient  bool // another login of the same user (a second device)
	WrongPassword bool // a secret the server refuses
	UntrustedTLS  bool // TLS required, the server's certificate not trusted
}

// Capabilities lists what a network lacks. Each non-empty field is the
// reason a behaviour is skipped, e.g. NoHistory: "ngircd keeps no history".
type Capabilities struct {
	NoEchoFromOtherClients string // own messages sent by another client are not seen
	NoGroups               string
	NoHistory              string // neither backfill on connect nor Historian
	NoAuth                 string // the network has no passwords to refuse
	NoTLS                  string
	// NoOfflineDelivery: the server refuses a message to a user who is not
	// connected instead of keeping it (IRC's 401). It skips nothing: the
	// restart behaviour then checks that such a Send fails loudly (not
	// "sent" and lost), and sends its in-between message only once the
	// recipient is back.
	NoOfflineDelivery string
	// AuthReason is a substring expected in the server's refusal of a
	// wrong password ("not-authorized"); empty accepts any non-empty reason.
	AuthReason string
}

// behaviour is one row of the table.
type behaviour struct {
	name string
	need func(Capabilities) string // the reason to skip, or ""
	run  func(t *testing.T, s Server, c Capabilities)
}

func always(Capabilities) string { return "" }

var table = []behaviour{
	{"ConnectAndDisconnect", always, testConnectDisconnect},
	{"DirectMessagesBothWays", always, testDirectMessages},
	{"EchoOfOwnMessagesFromAnotherClient", func(c Capabilities) string { return c.NoEchoFromOtherClients }, testEcho},
	{"GroupMessages", func(c Capabilities) string { return c.NoGroups }, testGroup},
	{"HistoryBackfillWithoutDuplicates", func(c Capabilities) string { return c.NoHistory }, testHistory},
	{"ReconnectAfterServerRestartLosesAndDoublesNothing", always, testRestart},
	{"WrongPasswordIsAuthFailureWithServerReason", func(c Capabilities) string { return c.NoAuth }, testWrongPassword},
	{"UnknownCertificateIsRejected", func(c Capabilities) string { return c.NoTLS }, testUntrustedTLS},
}

// Run runs every behaviour against h, each in a parallel subtest with its
// own server.
func Run(t *testing.T, h Harness) {
	caps := h.Capabilities()
	for _, b := range table {
		t.Run(b.name, func(t *testing.T) {
			if reason := b.need(caps); reason != "" {
				t.Skipf("capability declared absent by the harness: %s", reason)
			}
			t.Parallel()
			b.run(t, h.Start(t), caps)
		})
	}
}
