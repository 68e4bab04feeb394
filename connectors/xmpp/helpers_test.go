package xmpp

import (
	"fmt"
	"strings"
	"testing"

	"switchboard/connectors"
	"switchboard/connectors/conformance"
	"switchboard/internal/testenv/prosody"
)

// testServer is a Prosody with users alice, bob and carol.
func testServer(t *testing.T, cfg prosody.Config) *prosody.Server {
	t.Helper()
	srv := prosody.Start(t, cfg)
	for _, u := range []string{"alice", "bob", "carol"} {
		srv.AddUser(t, u, u+"pass")
	}
	return srv
}

// account is an account for user on srv, trusting the server's CA.
func account(srv *prosody.Server, user string, extra ...string) connectors.Account {
	a := connectors.Account{ID: user, Network: "xmpp", Settings: map[string]string{
		keyUser:   prosody.JID(user),
		keyServer: srv.Addr(),
		keyCAFile: srv.CAFile,
	}}
	for i := 0; i+1 < len(extra); i += 2 {
		a.Settings[extra[i]] = extra[i+1]
	}
	return a
}

func secretsFor(user string) connectors.Secrets {
	return conformance.StaticSecrets{keyPassword: user + "pass"}
}

// online starts a connector for user and waits until it is online.
func online(t *testing.T, srv *prosody.Server, user string, extra ...string) (*Connector, *conformance.Client) {
	t.Helper()
	c := New()
	cl := conformance.Start(t, c, account(srv, user, extra...), secretsFor(user))
	cl.WaitOnline(t, 0)
	return c, cl
}

func direct(jid string) connectors.ConversationRef {
	return connectors.ConversationRef{ID: jid, Kind: connectors.Direct}
}

// waitText waits for a message with this text and returns it.
func waitText(t *testing.T, cl *conformance.Client, text string) connectors.MessageReceived {
	t.Helper()
	ev, _ := cl.Events.WaitFor(t, 0, fmt.Sprintf("message %q at %s", text, cl.Account.ID), func(ev connectors.Event) bool {
		m, ok := ev.(connectors.MessageReceived)
		return ok && m.Message.Text == text
	})
	return ev.(connectors.MessageReceived)
}

// withText returns all recorded messages whose text has prefix.
func withPrefix(cl *conformance.Client, prefix string) []connectors.MessageReceived {
	return cl.Events.Messages(func(m connectors.MessageReceived) bool {
		return strings.HasPrefix(m.Message.Text, prefix)
	})
}
