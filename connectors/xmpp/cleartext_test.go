package xmpp

import (
	"bufio"
	"crypto/tls"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/connectors"
	"switchboard/connectors/conformance"
	"switchboard/internal/testenv/prosody"
)

func TestPlainTextOnlyToAServerOnThisComputer(t *testing.T) {
	for _, host := range []string{"xmpp.example.org:5222", "192.0.2.7:5222"} {
		_, err := parseConfig(connectors.Account{ID: "x", Settings: map[string]string{keyUser: "a@example.org", keyServer: host, keyTLS: "false"}}, "r")
		if err == nil || !strings.Contains(err.Error(), "only allowed for a server on this computer") {
			t.Errorf("tls=false to %s: err = %v", host, err)
		}
	}
	for _, host := range []string{"127.0.0.1:5222", "[::1]:5222", "localhost:5222"} {
		c, err := parseConfig(connectors.Account{ID: "x", Settings: map[string]string{keyUser: "a@example.org", keyServer: host, keyTLS: "false"}}, "r")
		if err != nil || c.requireTLS {
			t.Errorf("tls=false to %s: %v", host, err)
		}
	}
}

// redirector answers every connection with a stream that sends the client
// to target with see-other-host; over TLS when cfg is set. It counts the
// connections it got.
func redirector(t *testing.T, target string, cfg *tls.Config) (string, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if cfg != nil {
		l = tls.NewListener(l, cfg)
	}
	t.Cleanup(func() { l.Close() })
	go func() { // owner: this test; ends when the listener closes
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			_, _ = bufio.NewReader(c).ReadString('>') // the client's XML declaration
			_, _ = c.Write([]byte(`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0' from='localhost' id='x'>` +
				`<stream:error><see-other-host xmlns='urn:ietf:params:xml:ns:xmpp-streams'>` + target + `</see-other-host></stream:error></stream:stream>`))
			time.Sleep(100 * time.Millisecond)
			c.Close()
		}
	}()
	return l.Addr().String(), &n
}

// A see-other-host before TLS could come from anyone on the path: it is
// reported in plain words and not followed (the next run goes back to the
// configured server).
func TestSeeOtherHostBeforeTLSIsNotFollowed(t *testing.T) {
	t.Parallel()
	srv := testServer(t, prosody.Config{})
	addr, conns := redirector(t, srv.Addr(), nil)
	cl := conformance.Start(t, New(), account(srv, "alice", keyServer, addr), secretsFor("alice"))
	cl.Events.WaitFor(t, 0, "see-other-host reported as not followed", func(ev connectors.Event) bool {
		st, ok := ev.(connectors.ConnectionState)
		return ok && st.State == connectors.StateOffline && strings.Contains(st.Reason, "not followed")
	})
	deadline := time.Now().Add(conformance.Wait)
	for conns.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the connector never came back to the configured server")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cl.Stop()
}

// Over TLS (certificate verified for the account's domain) the server's
// see-other-host is followed.
func TestSeeOtherHostOverTLSIsFollowed(t *testing.T) {
	t.Parallel()
	srv := testServer(t, prosody.Config{})
	cert, err := tls.LoadX509KeyPair(srv.CAFile, filepath.Join(filepath.Dir(srv.CAFile), "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := redirector(t, srv.TLSAddr(), &tls.Config{Certificates: []tls.Certificate{cert}})
	cl := conformance.Start(t, New(), account(srv, "alice", keyServer, addr, keyDirectTLS, "true"), secretsFor("alice"))
	cl.Events.WaitFor(t, 0, "see-other-host in plain words", func(ev connectors.Event) bool {
		st, ok := ev.(connectors.ConnectionState)
		return ok && st.State == connectors.StateOffline && strings.Contains(st.Reason, "we will connect there next time")
	})
	cl.WaitOnline(t, 0)
}
