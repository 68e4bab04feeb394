package xmpp

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"golang.org/x/text/secure/precis"
	"hash"
	"strconv"
	"strings"
)

// mechanism is one SASL mechanism's client side.
type mechanism interface {
	Name() string
	// Start returns the initial response.
	Start() ([]byte, error)
	// Next answers a server challenge.
	Next(challenge []byte) ([]byte, error)
	// Verify checks the additional data of <success/> (SCRAM's server
	// signature); an empty success is only acceptable for PLAIN.
	Verify(success []byte) error
}

// mechanismPreference is the order we pick from what the server offers.
// PLAIN is last and only ever used over TLS (chooseMechanism).
var mechanismPreference = []string{"SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"}

// chooseMechanism picks the strongest offered mechanism. prefer, when set,
// restricts the choice to that one mechanism (tests use it).
func chooseMechanism(offered []string, user, pass string, overTLS bool, prefer string) (mechanism, error) {
	have := map[string]bool{}
	for _, m := range offered {
		have[strings.ToUpper(trimmed(m))] = true
	}
	for _, name := range mechanismPreference {
		if !have[name] || (prefer != "" && prefer != name) {
			continue
		}
		switch name {
		case "SCRAM-SHA-256":
			return newSCRAM(name, sha256.New, user, pass)
		case "SCRAM-SHA-1":
			return newSCRAM(name, sha1.New, user, pass)
		case "PLAIN":
			if !overTLS {
				continue
			}
			return &plainMech{user: user, pass: pass}, nil
		}
	}
	return nil, fmt.Errorf("xmpp: no usable SASL mechanism (server offers %s; we support SCRAM-SHA-256, SCRAM-SHA-1, and PLAIN over TLS only)", strings.Join(offered, ", "))
}

type plainMech struct{ user, pass string }

func (p *plainMech) Name() string { return "PLAIN" }
func (p *plainMech) Start() ([]byte, error) {
	return []byte("\x00" + p.user + "\x00" + p.pass), nil
}
func (p *plainMech) Next([]byte) ([]byte, error) {
	return nil, errors.New("xmpp: unexpected SASL challenge for PLAIN")
}
func (p *plainMech) Verify([]byte) error { return nil }

// scramMech is a SCRAM client (RFC 5802, RFC 7677) without channel binding.
type scramMech struct {
	name      string
	h         func() hash.Hash
	user      string
	pass      string
	nonce     string
	firstBare string
	serverSig []byte
}

func newSCRAM(name string, h func() hash.Hash, user, pass string) (*scramMech, error) {
	var raw [24]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, fmt.Errorf("xmpp: scram nonce: %w", err)
	}
	return &scramMech{name: name, h: h, user: user, pass: pass, nonce: base64.RawStdEncoding.EncodeToString(raw[:])}, nil
}

func (s *scramMech) Name() string { return s.name }

// scramName escapes a user name for SCRAM (RFC 5802 §5.1).
func scramName(u string) string {
	return strings.NewReplacer("=", "=3D", ",", "=2C").Replace(u)
}

func (s *scramMech) Start() ([]byte, error) {
	s.firstBare = "n=" + scramName(s.user) + ",r=" + s.nonce
	return []byte("n,," + s.firstBare), nil
}

func parseSCRAM(msg string) map[byte]string {
	out := map[byte]string{}
	for _, part := range strings.Split(msg, ",") {
		if len(part) >= 2 && part[1] == '=' {
			if _, dup := out[part[0]]; !dup {
				out[part[0]] = part[2:]
			}
		}
	}
	return out
}

// maxIterations bounds the PBKDF2 work a server can make us do.
const maxIterations = 1 << 20

func (s *scramMech) Next(challenge []byte) ([]byte, error) {
	if s.serverSig != nil {
		return nil, errors.New("xmpp: scram: unexpected second challenge")
	}
	f := parseSCRAM(string(challenge))
	if e, ok := f['e']; ok {
		return nil, fmt.Errorf("xmpp: scram: server error %q", e)
	}
	if _, ok := f['m']; ok {
		return nil, errors.New("xmpp: scram: server requires an unsupported extension")
	}
	nonce, saltB64, iterS := f['r'], f['s'], f['i']
	if !strings.HasPrefix(nonce, s.nonce) || len(nonce) == len(s.nonce) {
		return nil, errors.New("xmpp: scram: server nonce does not extend ours")
	}
	salt, err := base64.StdEncoding.DecodeString(saltB64)
	if err != nil || len(salt) == 0 {
		return nil, errors.New("xmpp: scram: bad salt")
	}
	iter, err := strconv.Atoi(iterS)
	if err != nil || iter < 1 || iter > maxIterations {
		return nil, fmt.Errorf("xmpp: scram: iteration count %q out of range", iterS)
	}
	pass := s.pass
	if p, err := precis.OpaqueString.String(pass); err == nil {
		pass = p
	}
	salted, err := pbkdf2.Key(s.h, pass, salt, iter, s.h().Size())
	if err != nil {
		return nil, fmt.Errorf("xmpp: scram: derive key: %w", err)
	}
	clientKey := s.mac(salted, "Client Key")
	storedKey := s.sum(clientKey)
	finalBare := "c=biws,r=" + nonce
	authMsg := s.firstBare + "," + string(challenge) + "," + finalBare
	clientSig := s.mac(storedKey, authMsg)
	proof := make([]byte, len(clientKey))
	for i := range clientKey {
		proof[i] = clientKey[i] ^ clientSig[i]
	}
	serverKey := s.mac(salted, "Server Key")
	s.serverSig = s.mac(serverKey, authMsg)
	return []byte(finalBare + ",p=" + base64.StdEncoding.EncodeToString(proof)), nil
}

func (s *scramMech) Verify(success []byte) error {
	if s.serverSig == nil {
		return errors.New("xmpp: scram: success before the exchange finished")
	}
	f := parseSCRAM(string(success))
	if e, ok := f['e']; ok {
		return fmt.Errorf("xmpp: scram: server error %q", e)
	}
	v, err := base64.StdEncoding.DecodeString(f['v'])
	if err != nil || subtle.ConstantTimeCompare(v, s.serverSig) != 1 {
		return errors.New("xmpp: scram: the server's signature is wrong (not the server that knows our password)")
	}
	return nil
}

func (s *scramMech) mac(key []byte, msg string) []byte {
	m := hmac.New(s.h, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func (s *scramMech) sum(b []byte) []byte {
	h := s.h()
	h.Write(b)
	return h.Sum(nil)
}
