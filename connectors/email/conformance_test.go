package email

import (
	"strconv"
	"testing"
	"time"

	"switchboard/connectors"
	"switchboard/connectors/conformance"
	"switchboard/internal/testenv/dovecot"
)

// mailHarness binds the connector to the shared conformance suite: each
// behaviour gets its own Dovecot (IMAP with STARTTLS) and SMTP submission
// bridge (STARTTLS, AUTH PLAIN, delivery over LMTP), with users
// user0…user2@localhost and the self-signed certificate as the account's
// CA file.
type mailHarness struct{}

type mailServer struct {
	srv *dovecot.Server
}

// conformanceSentPoll is how often a harness connector looks into Sent for
// mail other clients filed there. In production that is every
// defaultPollInterval (2 minutes) while IDLE waits on INBOX; the suite
// waits 30 s, so the echo behaviour would only measure that interval.
const conformanceSentPoll = time.Second

// conformanceAnswerWait bounds how long a harness connector waits on a
// server that leaves a command unanswered (45 s in production), so a
// connection stuck across the server restart is given up well within the
// suite's 30 s wait.
const conformanceAnswerWait = 8 * time.Second

func (mailHarness) Capabilities() conformance.Capabilities {
	return conformance.Capabilities{
		NoGroups: "e-mail has no group to join: group mail is a thread among a participant set, named for each " +
			"member by the other members' addresses (so no two members share a conversation ID), and it appears " +
			"with its first mail rather than on a join (TestGroupMailIsOneConversationPerParticipantSet)",
		AuthReason: "Authentication failed", // Dovecot: NO [AUTHENTICATIONFAILED] Authentication failed.
	}
}

func (mailHarness) Start(t *testing.T) conformance.Server {
	var users []dovecot.User
	for n := range 3 {
		users = append(users, dovecot.User{Name: mailUser(n), Password: mailPassword(n)})
	}
	srv := dovecot.New(t, users...)
	t.Cleanup(func() {
		if t.Failed() { // what the server saw, for a failure that depends on timing
			t.Logf("dovecot log (end):\n%s", srv.Log())
		}
	})
	return &mailServer{srv: srv}
}

func mailUser(n int) string     { return "user" + strconv.Itoa(n) + "@localhost" }
func mailPassword(n int) string { return "user" + strconv.Itoa(n) + "-secret" }

func (s *mailServer) New() connectors.Connector {
	c := New()
	c.pollInterval = conformanceSentPoll
	c.answerWait = conformanceAnswerWait
	return c
}

func (s *mailServer) Handle(n int) string { return mailUser(n) }

func (s *mailServer) Group() connectors.ConversationRef {
	return connectors.ConversationRef{} // NoGroups
}

func (s *mailServer) Account(t *testing.T, n int, opt conformance.Options) (connectors.Account, connectors.Secrets) {
	acct := connectors.Account{ID: "user" + strconv.Itoa(n), Network: "email", Settings: map[string]string{
		"user": mailUser(n), "server": s.srv.IMAPAddr, "smtp": s.srv.SubmitAddr, "ca_file": s.srv.CAFile,
	}}
	pass := mailPassword(n)
	if opt.SecondClient {
		acct.ID += "-second"
	}
	if opt.WrongPassword {
		pass = "not-the-password"
	}
	if opt.UntrustedTLS {
		delete(acct.Settings, "ca_file")
	}
	return acct, conformance.StaticSecrets{"password": pass}
}

func (s *mailServer) Restart(t *testing.T) {
	start := time.Now()
	if err := s.srv.Restart(); err != nil {
		t.Fatalf("restart dovecot: %v", err)
	}
	t.Logf("dovecot restarted in %s", time.Since(start).Round(time.Millisecond))
}

func TestConformance(t *testing.T) { conformance.Run(t, mailHarness{}) }
