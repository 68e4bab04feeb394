package xmpp

import (
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"hash"
	"testing"

	"switchboard/connectors"
)

// The exchanges of RFC 5802 §5 (SCRAM-SHA-1) and RFC 7677 §3 (SCRAM-SHA-256).
func TestSCRAMMatchesTheRFCExamples(t *testing.T) {
	cases := []struct {
		name                            string
		h                               func() hash.Hash
		nonce, server, final, signature string
	}{
		{"SCRAM-SHA-1", sha1.New, "fyko+d2lbbFgONRv9qkxdawL",
			"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
			"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
			"v=rmF9pqV8S7suAoZWja4dJRkFsKQ="},
		{"SCRAM-SHA-256", sha256.New, "rOprNGfwEbeRWgbNEkqO",
			"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
			"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
			"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := &scramMech{name: tc.name, h: tc.h, user: "user", pass: "pencil", nonce: tc.nonce}
			first, _ := m.Start()
			if string(first) != "n,,n=user,r="+tc.nonce {
				t.Fatalf("client-first %q", first)
			}
			final, err := m.Next([]byte(tc.server))
			if err != nil {
				t.Fatal(err)
			}
			if string(final) != tc.final {
				t.Fatalf("client-final\n got %s\nwant %s", final, tc.final)
			}
			if err := m.Verify([]byte(tc.signature)); err != nil {
				t.Fatalf("server signature refused: %v", err)
			}
		})
	}
}

func TestSCRAMRefusesAForgedServer(t *testing.T) {
	m := &scramMech{name: "SCRAM-SHA-1", h: sha1.New, user: "user", pass: "pencil", nonce: "abc"}
	m.Start()
	if _, err := m.Next([]byte("r=xyz123,s=QSXCR+Q6sek8bf92,i=4096")); err == nil {
		t.Error("accepted a server nonce that does not extend ours")
	}
	m = &scramMech{name: "SCRAM-SHA-1", h: sha1.New, user: "user", pass: "pencil", nonce: "abc"}
	m.Start()
	if _, err := m.Next([]byte("r=abcdef,s=QSXCR+Q6sek8bf92,i=99999999")); err == nil {
		t.Error("accepted an absurd iteration count")
	}
	m = &scramMech{name: "SCRAM-SHA-1", h: sha1.New, user: "user", pass: "pencil", nonce: "abc"}
	m.Start()
	if _, err := m.Next([]byte("r=abcdef,s=QSXCR+Q6sek8bf92,i=4096")); err != nil {
		t.Fatal(err)
	}
	if err := m.Verify([]byte("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=")); err == nil {
		t.Error("accepted a wrong server signature")
	}
}

func TestPlainIsNeverChosenWithoutTLS(t *testing.T) {
	if _, err := chooseMechanism([]string{"PLAIN"}, "u", "p", false, ""); err == nil {
		t.Error("PLAIN chosen on an unencrypted stream")
	}
	m, err := chooseMechanism([]string{"PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256"}, "u", "p", true, "")
	if err != nil || m.Name() != "SCRAM-SHA-256" {
		t.Errorf("got %v, %v; want SCRAM-SHA-256 preferred", m, err)
	}
}

func TestSASLFailureBecomesAuthErrorWithServerWords(t *testing.T) {
	el := E(nsSASL, "failure").Add(E(nsSASL, "not-authorized"), E(nsSASL, "text").SetText("Wrong password, friend"))
	var ae *connectors.AuthError
	if err := saslFailure(el); !errors.As(err, &ae) || ae.Reason != "not-authorized: Wrong password, friend" {
		t.Errorf("got %v", err)
	}
	tmp := E(nsSASL, "failure").Add(E(nsSASL, "temporary-auth-failure"))
	if err := saslFailure(tmp); errors.As(err, &ae) {
		t.Errorf("a temporary failure is not a credentials problem: %v", err)
	}
}
