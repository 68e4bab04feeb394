package prosody

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

func TestServerStartsRegistersUsersAndRestarts(t *testing.T) {
	s := Start(t, Config{})
	s.AddUser(t, "alice", "alicepass")
	for _, addr := range []string{s.Addr(), s.TLSAddr()} {
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			t.Fatalf("dial %s: %v", addr, err)
		}
		c.Close()
	}
	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("CA file holds no certificate")
	}
	c, err := tls.Dial("tcp", s.TLSAddr(), &tls.Config{ServerName: Domain, RootCAs: pool})
	if err != nil {
		t.Fatalf("direct TLS with the generated CA: %v", err)
	}
	c.Close()
	if err := s.Restart(); err != nil {
		t.Fatalf("restart: %v", err)
	}
	if err := s.Register("alice", "other"); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("re-registering alice after restart: got %v, want 'already exists' (data kept)", err)
	}
}
