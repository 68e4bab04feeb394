package irc

import (
	"strconv"
	"testing"

	"switchboard/connectors"
	"switchboard/connectors/conformance"
	"switchboard/internal/testenv/ircd"
)

// ircHarness binds the connector to the shared conformance suite: each
// behaviour gets its own server, reached over TLS with its self-signed
// certificate as the account's CA file, and protected by a server password
// (connection PASS) so a wrong secret is refused. The suite runs against
// InspIRCd (the IRCv3 path: echo-message, labeled-response, msgid,
// server-time) and ngIRCd (the plain RFC 2812 path: no echo, hashed IDs).
type ircHarness struct{ kind ircd.Kind }

type ircServer struct {
	srv *ircd.Server
}

// serverPassword is every user's secret: InspIRCd without services has no
// per-user accounts, only the connect block's password.
const serverPassword = "conformance-secret"

func (h ircHarness) Capabilities() conformance.Capabilities {
	return conformance.Capabilities{
		NoEchoFromOtherClients: "IRC has one connection per nick: a second login of the same user gets another nick " +
			"(user0_), and echo-message echoes only to the connection that sent; own messages from other devices " +
			"need a bouncer, which the test servers are not (the connector's handling of such relayed lines is " +
			"TestEchoMessageFromAnotherClientIsOutbound)",
		NoHistory: "IRC servers keep no private-message history (a PRIVMSG to an offline nick is refused with 401), " +
			"InspIRCd 3 has no CHATHISTORY so the connector has no Historian, and chanhistory only replays channel " +
			"lines on join (their msgid dedup is TestServerTimeAndHistoryReplayKeepRemoteIDs)",
		NoOfflineDelivery: "a PRIVMSG to a nick that is not connected is refused with 401 No such nick; nothing is kept for later",
		AuthReason:        h.authReason(),
	}
}

// authReason is the server's refusal of a wrong PASS.
func (h ircHarness) authReason() string {
	if h.kind == ircd.InspIRCd {
		return "Access denied by configuration" // the PASS matches no connect block; no numeric says more
	}
	return "Bad password"
}

func (h ircHarness) Start(t *testing.T) conformance.Server {
	if h.kind == ircd.InspIRCd {
		return &ircServer{srv: ircd.StartInspircd(t, ircd.Options{Password: serverPassword})}
	}
	return &ircServer{srv: ircd.StartNgircd(t, ircd.Options{Password: serverPassword})}
}

func (s *ircServer) New() connectors.Connector { return New() }

func (s *ircServer) Handle(n int) string { return "user" + strconv.Itoa(n) }

func (s *ircServer) Group() connectors.ConversationRef {
	return connectors.ConversationRef{ID: "#conformance", Kind: connectors.Group}
}

func (s *ircServer) Account(t *testing.T, n int, opt conformance.Options) (connectors.Account, connectors.Secrets) {
	nick := s.Handle(n)
	acct := connectors.Account{ID: nick, Network: "irc", Settings: map[string]string{
		KeyServer: s.srv.TLSAddr, KeyNick: nick, KeyTLS: "true", KeyCAFile: s.srv.CAFile,
	}}
	pass := serverPassword
	if opt.SecondClient {
		acct.ID += "-second" // the server gives it the nick user0_
	}
	if opt.JoinGroup {
		acct.Settings[KeyJoin] = s.Group().ID
	}
	if opt.WrongPassword {
		pass = "not-the-password"
	}
	if opt.UntrustedTLS {
		delete(acct.Settings, KeyCAFile)
	}
	return acct, conformance.StaticSecrets{KeyPassword: pass}
}

func (s *ircServer) Restart(t *testing.T) {
	if err := s.srv.Restart(); err != nil {
		t.Fatalf("restart %s: %v", s.srv.Kind, err)
	}
}

func TestConformanceInspIRCd(t *testing.T) { conformance.Run(t, ircHarness{kind: ircd.InspIRCd}) }

func TestConformanceNgircd(t *testing.T) { conformance.Run(t, ircHarness{kind: ircd.Ngircd}) }
