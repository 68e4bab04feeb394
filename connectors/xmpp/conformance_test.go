package xmpp

import (
	"testing"

	"switchboard/connectors"
	"switchboard/connectors/conformance"
	"switchboard/internal/testenv/prosody"
)

// xmppHarness binds the connector to the shared conformance suite: each
// behaviour gets its own Prosody with users user0…user2.
type xmppHarness struct{}

type xmppServer struct {
	srv *prosody.Server
}

func (xmppHarness) Capabilities() conformance.Capabilities {
	return conformance.Capabilities{AuthReason: "not-authorized"} // XMPP can do everything in the table
}

func (xmppHarness) Start(t *testing.T) conformance.Server {
	srv := prosody.Start(t, prosody.Config{})
	for _, u := range []string{"user0", "user1", "user2"} {
		srv.AddUser(t, u, u+"-secret")
	}
	return &xmppServer{srv: srv}
}

func (s *xmppServer) New() connectors.Connector { return New() }

func (s *xmppServer) user(n int) string { return "user" + string(rune('0'+n)) }

func (s *xmppServer) Handle(n int) string { return prosody.JID(s.user(n)) }

func (s *xmppServer) Group() connectors.ConversationRef {
	return connectors.ConversationRef{ID: "lobby@" + prosody.MUC, Kind: connectors.Group}
}

func (s *xmppServer) Account(t *testing.T, n int, opt conformance.Options) (connectors.Account, connectors.Secrets) {
	u := s.user(n)
	acct := connectors.Account{ID: u, Network: "xmpp", Settings: map[string]string{
		keyUser: prosody.JID(u), keyServer: s.srv.Addr(), keyCAFile: s.srv.CAFile,
	}}
	pass := u + "-secret"
	if opt.SecondClient {
		acct.ID += "-second"
		acct.Settings[keyResource] = "second-device"
	}
	if opt.JoinGroup {
		acct.Settings[keyJoin] = s.Group().ID
	}
	if opt.WrongPassword {
		pass = "not-the-password"
	}
	if opt.UntrustedTLS {
		delete(acct.Settings, keyCAFile)
	}
	return acct, conformance.StaticSecrets{keyPassword: pass}
}

func (s *xmppServer) Restart(t *testing.T) {
	if err := s.srv.Restart(); err != nil {
		t.Fatalf("restart prosody: %v", err)
	}
}

func TestConformance(t *testing.T) { conformance.Run(t, xmppHarness{}) }
