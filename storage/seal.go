package storage

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"math/bits"
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

// Sealed value layouts, told apart by their first byte:
//
//	1: version || nonce || AEAD(plaintext)              (exact length)
//	2: version || nonce || AEAD(plaintext || 0x80 || 0…) (length padded to a bucket)
//
// Attachment chunks are sealed in layout 1 (their sizes are clear columns
// anyway); everything else in layout 2. Rows whose clear columns are
// bound into the associated data (boundAD) open only in layout 2: a value
// of the older layout there predates the binding and is re-sealed once by
// bindClearColumns, never trusted afterwards.
const (
	sealExact  = 1
	sealPadded = 2
)

func newSealer(dataKey []byte) (*sealer, error) {
	a, err := chacha20poly1305.NewX(deriveKey(dataKey, purposeSeal))
	if err != nil {
		return nil, fmt.Errorf("storage: init cipher: %w", err)
	}
	return &sealer{aead: a}, nil
}

// padBucket is the padded size of n bytes: a multiple of 32 up to 512
// bytes, then of a sixteenth to an eighth of the size (at most 12.5% more).
func padBucket(n int) int {
	step := 32
	if n >= 512 {
		step = 1 << (bits.Len(uint(n)) - 4)
	}
	return (n + step - 1) / step * step
}

// seal returns layout 2: the plaintext padded to its bucket, so the
// stored length says only which bucket the value's length falls in.
func (s *sealer) seal(plain, ad []byte) []byte {
	n := padBucket(len(plain) + 1)
	p := make([]byte, n)
	copy(p, plain)
	p[len(plain)] = 0x80
	return s.sealAs(sealPadded, p, ad)
}

// sealRaw returns layout 1 (no padding).
func (s *sealer) sealRaw(plain, ad []byte) []byte { return s.sealAs(sealExact, plain, ad) }

func (s *sealer) sealAs(version byte, plain, ad []byte) []byte {
	out := make([]byte, 1+chacha20poly1305.NonceSizeX, 1+chacha20poly1305.NonceSizeX+len(plain)+chacha20poly1305.Overhead)
	out[0] = version
	if _, err := rand.Read(out[1:]); err != nil {
		// crypto/rand.Read never fails on supported platforms (Go ≥1.24 panics instead).
		panic("storage: crypto/rand failed: " + err.Error())
	}
	return s.aead.Seal(out, out[1:1+chacha20poly1305.NonceSizeX], plain, ad)
}

// open authenticates and decrypts either layout; any mismatch is ErrTampered.
func (s *sealer) open(sealed, ad []byte) ([]byte, error) {
	return s.openAs(sealed, ad, true)
}

// openBound opens a value of a row whose clear columns are in ad: only
// layout 2, which is what binding wrote.
func (s *sealer) openBound(sealed, ad []byte) ([]byte, error) {
	return s.openAs(sealed, ad, false)
}

func (s *sealer) openAs(sealed, ad []byte, exactOK bool) ([]byte, error) {
	const hdr = 1 + chacha20poly1305.NonceSizeX
	if len(sealed) < hdr+chacha20poly1305.Overhead || (sealed[0] != sealPadded && (sealed[0] != sealExact || !exactOK)) {
		return nil, ErrTampered
	}
	plain, err := s.aead.Open(nil, sealed[1:hdr], sealed[hdr:], ad)
	if err != nil {
		return nil, ErrTampered
	}
	if sealed[0] == sealExact {
		return plain, nil
	}
	i := len(plain) - 1
	for i >= 0 && plain[i] == 0 {
		i--
	}
	if i < 0 || plain[i] != 0x80 {
		return nil, ErrTampered
	}
	return plain[:i], nil
}

// tagOf is the AEAD tag of a sealed value: what the next consent ledger
// entry's associated data carries to chain the entries.
func tagOf(sealed []byte) []byte {
	if len(sealed) < chacha20poly1305.Overhead {
		return nil
	}
	return sealed[len(sealed)-chacha20poly1305.Overhead:]
}

// boundAD is the associated data of a row whose security-relevant clear
// columns are bound to its sealed value: "table|v|v|…" with integers in
// decimal and strings as length-prefixed bytes, so no two column lists
// encode alike.
func boundAD(table string, cols ...any) []byte {
	b := append(make([]byte, 0, 64), table...)
	b = append(b, "|bound"...)
	for _, c := range cols {
		b = append(b, '|')
		switch v := c.(type) {
		case int64:
			b = strconv.AppendInt(b, v, 10)
		case int:
			b = strconv.AppendInt(b, int64(v), 10)
		case string:
			b = strconv.AppendInt(b, int64(len(v)), 10)
			b = append(b, ':')
			b = append(b, v...)
		case []byte:
			b = strconv.AppendInt(b, int64(len(v)), 10)
			b = append(b, ':')
			b = append(b, v...)
		default:
			panic(fmt.Sprintf("storage: boundAD: unsupported %T", c))
		}
	}
	return b
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
	bits uint // tag width; 64 for look-ups that must not collide
	pool sync.Pool
}

// wordTagBits is the width of search-index tags. Look-ups by them only
// yield candidates, whose decrypted text is checked, so a collision costs
// time and loses nothing. At 20 bits the storage benchmark's word search
// p95 was 4.8 ms against 0.38 ms at 64 (a query word's tag shared with a
// frequent word's: about 6% of tags at 100k messages); 24 bits keeps that
// rare while the index stores 3 bytes a tag instead of 8. Tags this wide
// stand for one token each at desktop scale: truncation saves space, it
// does not hide words.
const wordTagBits = 24

func newPRF(dataKey []byte, purpose string) *prf {
	return newPRFBits(dataKey, purpose, 64)
}

func newPRFBits(dataKey []byte, purpose string, bits uint) *prf {
	p := &prf{key: deriveKey(dataKey, purpose), bits: bits}
	p.pool.New = func() any { return hmac.New(sha256.New, p.key) }
	return p
}

// tag returns the first p.bits bits of HMAC(key, parts joined by 0x00).
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
	v := binary.BigEndian.Uint64(sum[:8])
	if p.bits < 64 {
		v >>= 64 - p.bits
	}
	return int64(v)
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
