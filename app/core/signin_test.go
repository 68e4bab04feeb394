package core

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/connectors"
	"switchboard/connectors/signinfake"
	"switchboard/storage"
)

// The sign-in test network is registered in this test binary only.
func init() { connectors.Register("signinfake", signinfake.New) }

// scripted answers questions by key and records what was asked.
type scripted struct {
	mu      sync.Mutex
	answers map[string]string
	asked   []string
	qrs     []string
}

func (s *scripted) Ask(ctx context.Context, q connectors.Question) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asked = append(s.asked, q.Key)
	a, ok := s.answers[q.Key]
	if !ok {
		return "", errors.New("no answer for " + q.Key)
	}
	return a, nil
}

func (s *scripted) ShowQR(ctx context.Context, qr connectors.QRCode) error {
	s.mu.Lock()
	s.qrs = append(s.qrs, qr.Payload)
	s.mu.Unlock()
	return nil
}

func (s *scripted) OpenURL(ctx context.Context, url, note string) error { return nil }

func startSignInServer(t *testing.T) *signinfake.Server {
	t.Helper()
	srv, err := signinfake.Start(50 * time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	srv.AddUser("+15550100", "24680", "two-step pw")
	return srv
}

func (e *env) state(name string) AccountStatus {
	e.t.Helper()
	accts, err := e.core.Accounts(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	for _, a := range accts {
		if a.Name == name {
			return a
		}
	}
	e.t.Fatalf("no account %q", name)
	return AccountStatus{}
}

func (e *env) waitState(name string, want connectors.ConnState) {
	e.t.Helper()
	eventually(e.t, name+" "+want.String(), func() bool { return e.state(name).State == want })
}

func TestSignInWithCodeAndPasswordKeepsASessionAcrossRestarts(t *testing.T) {
	srv := startSignInServer(t)
	e := newEnv(t)
	e.start()
	ctx := context.Background()
	spec := AccountSpec{Name: "fake", Network: "signinfake", Settings: map[string]string{"server": srv.Addr(), "phone": "+15550100"}}
	if err := e.core.AddAccount(ctx, spec); err != nil {
		t.Fatal(err)
	}
	e.waitState("fake", connectors.StateNeedsSignIn)
	if caps := e.state("fake").Capabilities; !slices.Contains(caps, connectors.CapSignIn) {
		t.Fatalf("capabilities %v lack sign-in", caps)
	}
	wrong := &scripted{answers: map[string]string{"code": "11111", "password": "x"}}
	err := e.core.SignIn(ctx, "fake", wrong)
	var auth *connectors.AuthError
	if !errors.As(err, &auth) || !strings.Contains(err.Error(), "not the one we sent") {
		t.Fatalf("wrong code: %v; want the server's words as an auth error", err)
	}
	e.waitState("fake", connectors.StateNeedsSignIn)

	p := &scripted{answers: map[string]string{"code": "24680", "password": "two-step pw"}}
	if err := e.core.SignIn(ctx, "fake", p); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	if got := strings.Join(p.asked, ","); got != "code,password" {
		t.Fatalf("asked %s; want code,password", got)
	}
	e.waitState("fake", connectors.StateOnline)

	// The session is sealed in the archive, not in clear on disk.
	tok, err := e.core.store.AccountState(ctx, "fake", "session")
	if err != nil || len(tok) == 0 {
		t.Fatalf("session state: %q %v", tok, err)
	}
	e.reopen()
	assertNotOnDisk(t, e.dir, tok)
	e.start()
	e.waitState("fake", connectors.StateOnline) // no sign-in after a restart
	if n := srv.Online("+15550100"); n != 1 {
		t.Fatalf("%d live sessions on the server; want 1", n)
	}
}

func TestRevokedSessionNeedsSignInWithoutRetrying(t *testing.T) {
	srv := startSignInServer(t)
	e := newEnv(t)
	e.start()
	ctx := context.Background()
	spec := AccountSpec{Name: "fake", Network: "signinfake", Settings: map[string]string{"server": srv.Addr(), "phone": "+15550100"}}
	if err := e.core.AddAccount(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if err := e.core.SignIn(ctx, "fake", &scripted{answers: map[string]string{"code": "24680", "password": "two-step pw"}}); err != nil {
		t.Fatal(err)
	}
	e.waitState("fake", connectors.StateOnline)
	srv.Revoke("+15550100")
	e.waitState("fake", connectors.StateNeedsSignIn)
	if r := e.state("fake").Reason; !strings.Contains(r, "ended from another device") {
		t.Fatalf("reason %q; want the server's words", r)
	}
	// Backoff here is 10–50 ms: a retry loop would have presented the
	// dead session again many times in this while.
	resumes := srv.Resumes()
	time.Sleep(500 * time.Millisecond)
	if st := e.state("fake"); st.State != connectors.StateNeedsSignIn || srv.Resumes() != resumes {
		t.Fatalf("after a while: state %q (%s), %d more connection attempts; want needs sign-in and none",
			st.State, st.Reason, srv.Resumes()-resumes)
	}
	// Signing in again wakes the same account: online at once.
	if err := e.core.SignIn(ctx, "fake", &scripted{answers: map[string]string{"code": "24680", "password": "two-step pw"}}); err != nil {
		t.Fatal(err)
	}
	e.waitState("fake", connectors.StateOnline)
}

func TestSignInWithARefreshingQRCode(t *testing.T) {
	srv := startSignInServer(t)
	e := newEnv(t)
	e.start()
	ctx := context.Background()
	spec := AccountSpec{Name: "qr", Network: "signinfake", Settings: map[string]string{"server": srv.Addr(), "phone": "+15550100", "method": "qr"}}
	if err := e.core.AddAccount(ctx, spec); err != nil {
		t.Fatal(err)
	}
	p := &scripted{}
	done := make(chan error, 1)
	go func() { done <- e.core.SignIn(ctx, "qr", p) }()
	var shown []string
	eventually(t, "the QR code refreshed twice", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		shown = append([]string(nil), p.qrs...)
		return len(shown) >= 3
	})
	if err := srv.Scan(shown[0], "+15550100"); err == nil {
		t.Fatal("an expired QR code was accepted")
	}
	var current []string
	eventually(t, "a QR code on show", func() bool { current = srv.QRCodes(); return len(current) == 1 })
	if err := srv.Scan(current[0], "+15550100"); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("QR sign-in: %v", err)
	}
	e.waitState("qr", connectors.StateOnline)
}

func TestConnectorStateIsRefusedOverItsLimitAndGoesWithTheAccount(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, id := newFakeNet(t)
	e.addAccount("work", id)
	st := e.core.stateFor("work")
	if err := st.Put(ctx, "keys", bytes.Repeat([]byte{1}, connectors.MaxStateValue+1)); !errors.Is(err, connectors.ErrStateTooLarge) ||
		!strings.Contains(err.Error(), "over the limit") {
		t.Fatalf("over-limit value: %v; want ErrStateTooLarge in plain words", err)
	}
	if err := st.Update(ctx, map[string][]byte{"ok": []byte("1"), strings.Repeat("n", connectors.MaxStateKey+1): []byte("2")}); !errors.Is(err, connectors.ErrStateTooLarge) {
		t.Fatalf("over-limit name: %v; want ErrStateTooLarge", err)
	}
	if _, err := st.Get(ctx, "ok"); !errors.Is(err, connectors.ErrNoState) {
		t.Fatalf("a refused Update wrote part of itself: %v", err)
	}
	if err := st.Put(ctx, "keys", bytes.Repeat([]byte{1}, connectors.MaxStateValue)); err != nil {
		t.Fatalf("a value at the limit: %v", err)
	}
	if err := e.core.RemoveAccount(ctx, "work", false); err != nil {
		t.Fatal(err)
	}
	e.addAccount("work", id)
	if _, err := st.Get(ctx, "keys"); !errors.Is(err, connectors.ErrNoState) {
		t.Fatalf("state of a removed account came back: %v", err)
	}
}

func TestBridgedConversationShowsItsOriginNetwork(t *testing.T) {
	srv := startSignInServer(t)
	e := newEnv(t)
	e.start()
	ctx := context.Background()
	spec := AccountSpec{Name: "fake", Network: "signinfake", Settings: map[string]string{"server": srv.Addr(), "phone": "+15550100"}}
	if err := e.core.AddAccount(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if err := e.core.SignIn(ctx, "fake", &scripted{answers: map[string]string{"code": "24680", "password": "two-step pw"}}); err != nil {
		t.Fatal(err)
	}
	e.waitState("fake", connectors.StateOnline)
	srv.Push("+15550100", "m1", "room-wa", "whatsapp", "bob", "hi from WhatsApp")
	srv.Push("+15550100", "m2", "room-odd", "Evil Net!", "eve", "a made-up origin")
	var convs map[string]string
	eventually(t, "both conversations stored", func() bool {
		cs, err := e.core.Conversations(ctx, storage.ConvQuery{})
		if err != nil {
			t.Fatal(err)
		}
		convs = map[string]string{}
		for _, c := range cs {
			convs[c.RemoteID] = c.Origin
		}
		return len(convs) == 2
	})
	if convs["room-wa"] != "whatsapp" || convs["room-odd"] != "" {
		t.Fatalf("origins %v; want whatsapp for the bridged room and none for a name that is not one", convs)
	}
	// The bridge makes itself known after the first message: the stored
	// conversation takes its origin.
	srv.Bridge("+15550100", "room-odd", "signal")
	eventually(t, "the origin from the bridge's state", func() bool {
		c, err := e.core.store.FindConversation(ctx, "fake", "room-odd")
		return err == nil && c.Origin == "signal"
	})
}

// assertNotOnDisk looks for secret in every file of the profile.
func assertNotOnDisk(t *testing.T, dir string, secret []byte) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err == nil && bytes.Contains(b, secret) {
			t.Errorf("%s holds the session token in clear", p)
		}
		return nil
	})
}
