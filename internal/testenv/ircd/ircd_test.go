package ircd

import (
	"strings"
	"testing"
	"time"
)

func exchange(t *testing.T, s *Server, tlsOn bool) {
	addr := s.Addr
	if tlsOn {
		addr = s.TLSAddr
	}
	opts := ClientOptions{TLS: tlsOn, CertPEM: s.CertPEM}
	a := Connect(t, addr, "alice", opts)
	b := Connect(t, addr, "bob", opts)
	for _, c := range []*Client{a, b} {
		if err := c.Join("#test", 20*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Privmsg("#test", "hello bob"); err != nil {
		t.Fatal(err)
	}
	l, err := b.WaitFor(20*time.Second, func(l Line) bool { return l.Command == "PRIVMSG" })
	if err != nil {
		t.Fatal(err)
	}
	if l.Nick() != "alice" || l.Param(0) != "#test" || l.Param(1) != "hello bob" {
		t.Fatalf("bob got %q", l.Raw)
	}
}

func TestNgircdPlainAndTLSExchangeMessages(t *testing.T) {
	t.Parallel()
	s := StartNgircd(t, Options{})
	exchange(t, s, false)
	exchange2 := StartNgircd(t, Options{})
	exchange(t, exchange2, true)
}

func TestInspircdExchangesMessagesOverTLS(t *testing.T) {
	t.Parallel()
	s := StartInspircd(t, Options{})
	exchange(t, s, true)
}

func TestRestartKeepsPorts(t *testing.T) {
	t.Parallel()
	s := StartNgircd(t, Options{})
	addr, tlsAddr := s.Addr, s.TLSAddr
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if s.Addr != addr || s.TLSAddr != tlsAddr {
		t.Fatalf("ports changed: %s %s → %s %s", addr, tlsAddr, s.Addr, s.TLSAddr)
	}
	Connect(t, s.Addr, "carol", ClientOptions{})
}

func TestMissingBinaryNamesDebianPackage(t *testing.T) {
	_, err := Start(t.Context(), t.TempDir(), Options{Kind: InspIRCd, Binary: "/nonexistent/inspircd"})
	if err == nil || !strings.Contains(err.Error(), `Debian package "inspircd"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestSplitParsesTagsPrefixAndTrailing(t *testing.T) {
	l := Split("@time=2024-01-01T00:00:00.000Z;msgid=x :a!b@c PRIVMSG #ch :hello world")
	if l.Tags["msgid"] != "x" || l.Nick() != "a" || l.Command != "PRIVMSG" || l.Param(0) != "#ch" || l.Param(1) != "hello world" {
		t.Fatalf("%+v", l)
	}
}
