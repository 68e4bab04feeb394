package storage

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"sync"

	"golang.org/x/crypto/chacha20poly1305"
)

// Key purposes: every use of the data key gets its own derived key, so a
// blind-index tag can never be compared with another index's tags.
const (
	purposeSeal     = "seal"
	purposeAccount  = "index account name"
	purposeConv     = "index conversation id"
	purposeRemote   = "index remote message id"
	purposeSender   = "index sender"
	purposeHandle   = "index contact handle"
	purposeMsgWords = "index message words"
	purposeContact  = "index contact words"
	purposeKey      = "index key name"
	purposeCheck    = "key check"
)

// deriveKey derives a 256-bit sub-key for one purpose from the data key.
func deriveKey(dataKey []byte, purpose string) []byte {
	m := hmac.New(sha256.New, dataKey)
	m.Write([]byte("switchboard storage v1: " + purpose))
	return m.Sum(nil)
}

// sealer encrypts fields with XChaCha20-Poly1305. The associated data is
// the identity of the row and column the value belongs to, so a sealed value
// copied to another row fails to open.
type sealer struct {
	aead interface {
		Seal(dst, nonce, plaintext, additionalData []byte) []byte
		Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error)
	}
}

const sealVersion = 1

func newSealer(dataKey []byte) (*sealer, error) {
	a, err := chacha20poly1305.NewX(deriveKey(dataKey, purposeSeal))
	if err != nil {
		return nil, fmt.Errorf("storage: init cipher: %w", err)
	}
	return &sealer{aead: a}, nil
}

// seal returns version byte || nonce || ciphertext+tag.
func (s *sealer) seal(plain, ad []byte) []byte {
	out := make([]byte, 1+chacha20poly1305.NonceSizeX, 1+chacha20poly1305.NonceSizeX+len(plain)+chacha20poly1305.Overhead)
	out[0] = sealVersion
	if _, err := rand.Read(out[1:]); err != nil {
		// crypto/rand.Read never fails on supported platforms (Go ≥1.24 panics instead).
		panic("storage: crypto/rand failed: " + err.Error())
	}
	return s.aead.Seal(out, out[1:1+chacha20poly1305.NonceSizeX], plain, ad)
}

// open authenticates and decrypts; any mismatch is ErrTampered.
func (s *sealer) open(sealed, ad []byte) ([]byte, error) {
	const hdr = 1 + chacha20poly1305.NonceSizeX
	if len(sealed) < hdr+chacha20poly1305.Overhead || sealed[0] != sealVersion {
		return nil, ErrTampered
	}
	plain, err := s.aead.Open(nil, sealed[1:hdr], sealed[hdr:], ad)
	if err != nil {
		return nil, ErrTampered
	}
	return plain, nil
}

// ad builds associated data "table|column|id".
func ad(table string, id int64) []byte {
	b := make([]byte, 0, len(table)+21)
	b = append(b, table...)
	b = append(b, '|')
	return strconv.AppendInt(b, id, 10)
}

// adKey builds associated data for rows identified by two tags.
func adKey(table string, a, b int64) []byte {
	out := ad(table, a)
	out = append(out, '|')
	return strconv.AppendInt(out, b, 10)
}

// prf computes truncated keyed HMAC-SHA256 tags (blind indexes).
type prf struct {
	key  []byte
	pool sync.Pool
}

func newPRF(dataKey []byte, purpose string) *prf {
	p := &prf{key: deriveKey(dataKey, purpose)}
	p.pool.New = func() any { return hmac.New(sha256.New, p.key) }
	return p
}

// tag returns the first 8 bytes of HMAC(key, parts joined by 0x00) as int64.
func (p *prf) tag(parts ...string) int64 {
	h := p.pool.Get().(hash.Hash)
	h.Reset()
	for i, s := range parts {
		if i > 0 {
			h.Write([]byte{0})
		}
		h.Write([]byte(s))
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	p.pool.Put(h)
	return int64(binary.BigEndian.Uint64(sum[:8]))
}

// tagID tags a string scoped to a numeric owner (account row).
func (p *prf) tagID(owner int64, s string) int64 {
	return p.tag(strconv.FormatInt(owner, 10), s)
}

// fields is the tiny length-prefixed encoding used inside sealed values.
type fields struct{ b []byte }

func (f *fields) str(s string) *fields {
	f.b = binary.AppendUvarint(f.b, uint64(len(s)))
	f.b = append(f.b, s...)
	return f
}

var errFields = errors.New("sealed value has a malformed layout")

type fieldReader struct {
	b   []byte
	err error
}

func (r *fieldReader) str() string {
	if r.err != nil {
		return ""
	}
	n, k := binary.Uvarint(r.b)
	if k <= 0 || uint64(len(r.b)-k) < n {
		r.err = errFields
		return ""
	}
	s := string(r.b[k : k+int(n)])
	r.b = r.b[k+int(n):]
	return s
}

// opt reads a trailing optional field ("" when absent).
func (r *fieldReader) opt() string {
	if r.err == nil && len(r.b) == 0 {
		return ""
	}
	return r.str()
}
