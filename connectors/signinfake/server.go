package signinfake

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// Server is the fake network's server, on 127.0.0.1.
type Server struct {
	ln        net.Listener
	qrRefresh time.Duration

	mu       sync.Mutex
	users    map[string]user        // phone → its code and password
	sessions map[string]string      // session token → phone
	live     map[*serverConn]string // signed-in connections → phone
	qrs      map[string]*serverConn // QR payload being shown → the connection waiting for its scan
	resumes  int                    // RESUME commands received
	closed   bool
	wg       sync.WaitGroup
}

type user struct{ code, password string }

type serverConn struct {
	c   net.Conn
	wmu sync.Mutex
}

func (sc *serverConn) send(verb string, fields ...string) error {
	sc.wmu.Lock()
	defer sc.wmu.Unlock()
	return writeLine(sc.c, verb, fields...)
}

// Start serves on a free loopback port; a QR code is replaced every
// qrRefresh.
func Start(qrRefresh time.Duration) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("signinfake: listen: %w", err)
	}
	s := &Server{ln: ln, qrRefresh: qrRefresh, users: map[string]user{}, sessions: map[string]string{},
		live: map[*serverConn]string{}, qrs: map[string]*serverConn{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr is HOST:PORT to put in the account's "server" setting.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server and ends every connection.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	for sc := range s.live {
		sc.c.Close()
	}
	for _, sc := range s.qrs {
		sc.c.Close()
	}
	s.mu.Unlock()
	s.ln.Close()
	s.wg.Wait()
}

// AddUser makes an account the connector can sign in to.
func (s *Server) AddUser(phone, code, password string) {
	s.mu.Lock()
	s.users[phone] = user{code, password}
	s.mu.Unlock()
}

// Revoke ends every session of phone (as "log out other devices" does):
// live connections are told so and closed.
func (s *Server) Revoke(phone string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok, p := range s.sessions {
		if p == phone {
			delete(s.sessions, tok)
		}
	}
	for sc, p := range s.live {
		if p == phone {
			sc.send("REVOKED", "the session was ended from another device")
			sc.c.Close()
			delete(s.live, sc)
		}
	}
}

// Push delivers a message to phone's live connections; origin is the
// network the conversation belongs to ("" = this one).
func (s *Server) Push(phone, id, conv, origin, from, text string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for sc, p := range s.live {
		if p == phone && sc.send("MSG", id, conv, origin, from, text) == nil {
			n++
		}
	}
	return n
}

// Bridge tells phone's live connections that conv is bridged from origin
// (as a bridge's state event would).
func (s *Server) Bridge(phone, conv, origin string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for sc, p := range s.live {
		if p == phone {
			sc.send("BRIDGE", conv, origin)
		}
	}
}

// Online says how many connections are signed in as phone.
func (s *Server) Online(phone string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, p := range s.live {
		if p == phone {
			n++
		}
	}
	return n
}

// Resumes counts the connections that presented a session (each Run).
func (s *Server) Resumes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resumes
}

// QRCodes lists the QR payloads shown right now.
func (s *Server) QRCodes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for p := range s.qrs {
		out = append(out, p)
	}
	return out
}

// Scan signs phone in on the connection showing payload, as a phone that
// scanned the code would; an expired payload is refused.
func (s *Server) Scan(payload, phone string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc, ok := s.qrs[payload]
	if !ok {
		return errors.New("signinfake: that QR code expired or was never shown")
	}
	delete(s.qrs, payload)
	return sc.send("SESSION", s.newSessionLocked(phone))
}

func (s *Server) newSessionLocked(phone string) string {
	b := make([]byte, 16)
	rand.Read(b)
	tok := hex.EncodeToString(b)
	s.sessions[tok] = phone
	return tok
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			s.serve(&serverConn{c: c})
		}()
	}
}

func (s *Server) serve(sc *serverConn) {
	r := bufio.NewReader(sc.c)
	verb, f, err := readLine(r)
	if err != nil {
		return
	}
	switch verb {
	case "SIGNIN":
		s.signIn(sc, r, field(f, 0))
	case "QR":
		s.showQR(sc, r)
	case "RESUME":
		s.resume(sc, r, field(f, 0))
	default:
		sc.send("ERR", "unknown command "+verb)
	}
}

// signIn: SIGNIN phone → CODE; CODE c → PASSWORD; PASSWORD p → SESSION tok.
func (s *Server) signIn(sc *serverConn, r *bufio.Reader, phone string) {
	s.mu.Lock()
	u, ok := s.users[phone]
	s.mu.Unlock()
	if !ok {
		sc.send("ERR", "no account has the number "+phone)
		return
	}
	sc.send("CODE")
	for _, step := range []struct{ verb, want, next, wrong string }{
		{"CODE", u.code, "PASSWORD", "the code is not the one we sent"},
		{"PASSWORD", u.password, "", "wrong two-step password"},
	} {
		verb, f, err := readLine(r)
		if err != nil {
			return
		}
		if verb != step.verb || field(f, 0) != step.want {
			sc.send("ERR", step.wrong)
			return
		}
		if step.next != "" {
			sc.send(step.next)
		}
	}
	s.mu.Lock()
	tok := s.newSessionLocked(phone)
	s.mu.Unlock()
	sc.send("SESSION", tok)
}

// showQR shows a new code every qrRefresh until one is scanned or the
// client goes away.
func (s *Server) showQR(sc *serverConn, r *bufio.Reader) {
	gone := make(chan struct{})
	go func() { // ends when the connection closes
		defer close(gone)
		r.ReadString('\n')
	}()
	t := time.NewTicker(s.qrRefresh)
	defer t.Stop()
	var shown string
	defer func() {
		s.mu.Lock()
		delete(s.qrs, shown)
		s.mu.Unlock()
		sc.c.Close()
		<-gone
	}()
	for n := 1; ; n++ {
		s.mu.Lock()
		if _, waiting := s.qrs[shown]; shown != "" && !waiting {
			s.mu.Unlock()
			return // scanned: SESSION was sent; the client hangs up
		}
		delete(s.qrs, shown)
		b := make([]byte, 12)
		rand.Read(b)
		shown = fmt.Sprintf("signinfake://login?n=%d&token=%s", n, hex.EncodeToString(b))
		s.qrs[shown] = sc
		s.mu.Unlock()
		if sc.send("QR", shown) != nil {
			return
		}
		select {
		case <-t.C:
		case <-gone:
			return
		}
	}
}

// resume: RESUME tok → OK phone, then MSG lines until revoked or closed.
func (s *Server) resume(sc *serverConn, r *bufio.Reader, tok string) {
	s.mu.Lock()
	s.resumes++
	phone, ok := s.sessions[tok]
	if ok && !s.closed {
		s.live[sc] = phone
	}
	s.mu.Unlock()
	if !ok {
		sc.send("REVOKED", "this session is not valid (signed out or revoked)")
		return
	}
	sc.send("OK", phone)
	for {
		if _, _, err := readLine(r); err != nil {
			break
		}
	}
	s.mu.Lock()
	delete(s.live, sc)
	s.mu.Unlock()
}
