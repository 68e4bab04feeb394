package irc

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"switchboard/connectors"
)

// session is the IRC protocol state of one connection, with no I/O: the
// network adapter (link.go) feeds it parsed lines with handle and drains
// what it produced: lines to send (out), events for the core (events),
// finished sends (sends) and joins (joins). A fatal condition (refused
// credentials, ERROR from the server) is returned by handle.
type session struct {
	cfg sessionConfig

	state    regState
	nick     string // our current nick
	nickTry  int    // how many '_' the fallback nick has
	userhost string // "user@host" as others see us, once known
	passSent bool

	avail map[string]string // capabilities the server offers (CAP LS), with values
	caps  map[string]bool   // capabilities enabled (CAP ACK)
	sup   isupport
	ready bool // end of MOTD seen: joined, silenced, online

	channels map[string]*channel // joined channels by folded name
	batches  map[string]batchInfo
	labelSeq int
	labels   map[string]*pendingSend // in-flight labelled sends by label
	fifo     []*pendingSend          // echo-message without labeled-response
	confirms []*pendingSend          // without echo-message: sends awaiting their PONG (session_send.go)
	whoised  map[string]bool
	bots     map[string]bool
	idSeen   map[string]int
	ctcpLast time.Time
	ignored  map[string]bool // folded nicks ignored client-side (see Connector.Block)

	out    []Message
	events []connectors.Event
	sends  []sendDone
	joins  []joinDone
}

type sessionConfig struct {
	Account  string
	Nick     string
	User     string
	RealName string
	Password string // SASL PLAIN when offered, else server PASS
	SASLUser string // SASL authentication identity; the nick when empty
	Channels []string
	Blocked  []string // nicks to SILENCE after registration, when the server can
	Version  string   // CTCP VERSION answer
}

type regState int

const (
	regCapLS   regState = iota // CAP LS 302 sent, reading the list
	regCapReq                  // CAP REQ sent, waiting for ACK/NAK
	regSASL                    // AUTHENTICATE PLAIN in progress
	regWelcome                 // CAP END sent; waiting for 001
	regOnline                  // registered
)

type batchInfo struct {
	typ   string
	label string
	err   string // first error numeric seen inside a labelled batch
}

type pendingSend struct {
	token    int // 0 for the 2nd… chunk of a message: its echo is only suppressed
	target   string
	text     string // the chunk as sent (CTCP-wrapped for actions)
	resolved bool
}

type sendDone struct {
	token    int
	remoteID string
	err      error
}

type joinDone struct {
	channel string // folded
	err     error
}

// wantedCaps are requested when offered. batch comes with labeled-response
// (labelled replies arrive in a batch).
var wantedCaps = []string{"server-time", "message-tags", "echo-message", "labeled-response", "batch", "away-notify", "multi-prefix", "cap-notify"}

func newSession(cfg sessionConfig) *session {
	if cfg.User == "" {
		cfg.User = cfg.Nick
	}
	if cfg.RealName == "" {
		cfg.RealName = cfg.Nick
	}
	if cfg.Version == "" {
		cfg.Version = "Switchboard"
	}
	s := &session{
		cfg: cfg, nick: cfg.Nick, sup: defaultISupport(),
		avail: map[string]string{}, caps: map[string]bool{},
		channels: map[string]*channel{}, batches: map[string]batchInfo{},
		labels: map[string]*pendingSend{}, whoised: map[string]bool{}, bots: map[string]bool{},
		idSeen: map[string]int{}, ignored: map[string]bool{},
	}
	for _, nick := range cfg.Blocked {
		s.setIgnored(nick, true)
	}
	return s
}

func (s *session) send(cmd string, params ...string) { s.out = append(s.out, Msg(cmd, params...)) }
func (s *session) emit(ev connectors.Event)          { s.events = append(s.events, ev) }
func (s *session) registered() bool                  { return s.state == regOnline }
func (s *session) isSelf(nick string) bool           { return s.fold(nick) == s.fold(s.nick) }
func (s *session) fold(name string) string           { return s.sup.fold(name) }

// start returns the session's opening: capability negotiation first, so we
// know whether the password goes through SASL or PASS.
func (s *session) start() { s.send("CAP", "LS", "302") }

// handle processes one line from the server.
func (s *session) handle(m Message, now time.Time) error {
	if err := s.trackBatch(m); err != nil {
		return err
	}
	switch m.Command {
	case "PING":
		s.out = append(s.out, Message{Command: "PONG", Params: m.Params})
	case "PONG":
		s.onPong(m)
	case "ERROR":
		return s.onError(m)
	case "CAP":
		s.onCap(m)
	case "AUTHENTICATE":
		s.onAuthenticate(m)
	case "001":
		s.onWelcome(m, now)
	case "005":
		s.sup.parse(m.Params)
	case "376", "422": // end of MOTD, or no MOTD: the server has sent its ISUPPORT
		s.onReady()
	case "433", "437":
		return s.onNickInUse(m)
	case "432":
		return s.onNickRefused(m)
	case "ACK": // a labelled command that had no other answer: sent, but no echo to take an ID from
		if p, ok := s.labels[m.Tags["label"]]; ok {
			delete(s.labels, m.Tags["label"])
			if p.token != 0 && !p.resolved {
				p.resolved = true
				s.sends = append(s.sends, sendDone{token: p.token})
			}
		}
	case "464":
		return &connectors.AuthError{Reason: m.Last()}
	case "902", "904", "905", "906":
		return &connectors.AuthError{Reason: m.Last()}
	case "903":
		s.endCap()
	case "421", "451":
		if s.state == regCapLS && (m.Param(1) == "CAP" || m.Command == "451") {
			s.register(false) // a server without CAP: plain registration
			s.state = regWelcome
		}
	case "PRIVMSG", "NOTICE":
		s.onMessage(m, now)
	case "TAGMSG":
		s.onTagMsg(m)
	default:
		s.handleState(m, now)
	}
	s.labelledError(m)
	return nil
}

// handleState covers channel, user and presence bookkeeping (session_chan.go).
func (s *session) handleState(m Message, now time.Time) {
	switch m.Command {
	case "JOIN":
		s.onJoin(m)
	case "PART":
		s.onPart(m)
	case "KICK":
		s.onKick(m)
	case "QUIT":
		s.onQuit(m)
	case "NICK":
		s.onNick(m)
	case "TOPIC":
		s.onTopic(m.Param(0), m.Param(1))
	case "332":
		s.onTopic(m.Param(1), m.Param(2))
	case "353":
		s.onNames(m)
	case "366":
		s.onNamesEnd(m)
	case "AWAY":
		s.onAway(m)
	case "301":
		s.emit(connectors.Presence{Account: s.cfg.Account, Handle: m.Param(1), Online: true, Away: true, Status: m.Last()})
	case "335":
		s.markBot(m.Param(1), "irc: RPL_WHOISBOT (335)")
	case "352":
		s.onWhoReply(m)
	case "396":
		if host := m.Param(1); host != "" {
			s.setHost(host)
		}
	case "CHGHOST":
		if s.isSelf(m.Source().Name) && len(m.Params) >= 2 {
			s.userhost = m.Param(0) + "@" + m.Param(1)
		}
	case "401", "403", "404", "405", "471", "473", "474", "475", "476", "477":
		s.onTargetError(m)
	}
}

func (s *session) onError(m Message) error {
	reason := m.Last()
	if !s.registered() && refusesAccess(reason) {
		return &connectors.AuthError{Reason: reason}
	}
	return fmt.Errorf("irc: server closed the link: %s", reason)
}

// refusesAccess: an ERROR before registration that refuses the connection
// itself, which reconnecting will not change: a bad server password
// (ngIRCd "Access denied: Bad password?"), or no connect block that
// admits us, which is how InspIRCd answers a wrong or missing PASS
// ("Access denied by configuration").
func refusesAccess(reason string) bool {
	r := strings.ToLower(reason)
	for _, w := range []string{"password", "access denied", "not authorised", "not authorized"} {
		if strings.Contains(r, w) {
			return true
		}
	}
	return false
}

func (s *session) onCap(m Message) {
	sub := strings.ToUpper(m.Param(1))
	switch sub {
	case "LS", "NEW":
		more := m.Param(2) == "*" && len(m.Params) >= 4
		for _, c := range strings.Fields(m.Last()) {
			k, v, _ := strings.Cut(c, "=")
			s.avail[k] = v
		}
		if more {
			return
		}
		if sub == "NEW" {
			if req := s.capsToRequest(); len(req) > 0 && s.registered() {
				s.send("CAP", "REQ", strings.Join(req, " "))
			}
			return
		}
		if s.state == regCapLS {
			s.afterLS()
		}
	case "ACK":
		for _, c := range strings.Fields(m.Last()) {
			if strings.HasPrefix(c, "-") {
				delete(s.caps, c[1:])
			} else {
				s.caps[c] = true
			}
		}
		if s.state == regCapReq {
			if s.caps["sasl"] {
				s.state = regSASL
				s.send("AUTHENTICATE", "PLAIN")
				return
			}
			s.endCap()
		}
	case "NAK":
		if s.state == regCapReq {
			s.endCap()
		}
	case "DEL":
		for _, c := range strings.Fields(m.Last()) {
			delete(s.caps, c)
			delete(s.avail, c)
		}
	}
}

// useSASL: a password is set and the server offers SASL PLAIN.
func (s *session) useSASL() bool {
	v, ok := s.avail["sasl"]
	if !ok || s.cfg.Password == "" {
		return false
	}
	if v == "" {
		return true
	}
	for _, mech := range strings.Split(v, ",") {
		if strings.EqualFold(mech, "PLAIN") {
			return true
		}
	}
	return false
}

func (s *session) capsToRequest() []string {
	var req []string
	for _, c := range wantedCaps {
		if _, ok := s.avail[c]; ok && !s.caps[c] {
			req = append(req, c)
		}
	}
	if s.useSASL() && !s.caps["sasl"] && !s.registered() {
		req = append(req, "sasl")
	}
	return req
}

func (s *session) afterLS() {
	req := s.capsToRequest()
	s.register(s.useSASL())
	if len(req) == 0 {
		s.endCap()
		return
	}
	s.state = regCapReq
	s.send("CAP", "REQ", strings.Join(req, " "))
}

// register sends PASS (unless SASL carries the password), NICK and USER.
func (s *session) register(sasl bool) {
	if s.cfg.Password != "" && !sasl && !s.passSent {
		s.passSent = true
		s.send("PASS", s.cfg.Password)
	}
	s.send("NICK", s.nick)
	s.send("USER", s.cfg.User, "0", "*", s.cfg.RealName)
}

func (s *session) endCap() {
	if s.state < regWelcome {
		s.state = regWelcome
		s.send("CAP", "END")
	}
}

func (s *session) onAuthenticate(m Message) {
	if s.state != regSASL || m.Param(0) != "+" {
		return
	}
	authcid := s.cfg.SASLUser
	if authcid == "" {
		authcid = s.cfg.Nick
	}
	payload := base64.StdEncoding.EncodeToString([]byte("\x00" + authcid + "\x00" + s.cfg.Password))
	for len(payload) >= 400 {
		s.send("AUTHENTICATE", payload[:400])
		payload = payload[400:]
	}
	if payload == "" {
		payload = "+"
	}
	s.send("AUTHENTICATE", payload)
}

func (s *session) onNickInUse(m Message) error {
	if s.registered() {
		return nil // a NICK change failed; we keep the nick we have
	}
	s.nickTry++
	if s.nickTry > 8 {
		return fmt.Errorf("irc: nick %s and its fallbacks are in use", s.cfg.Nick)
	}
	s.nick = s.cfg.Nick + strings.Repeat("_", s.nickTry)
	s.send("NICK", s.nick)
	return nil
}

// onNickRefused: an erroneous nick (432). A fallback nick may only be too
// long, so shorten it; a refused configured nick is fatal.
func (s *session) onNickRefused(m Message) error {
	if s.registered() {
		return nil
	}
	if s.nickTry == 0 || len(s.cfg.Nick) <= s.nickTry {
		return fmt.Errorf("irc: the server refused the nick: %s", m.Last())
	}
	s.nick = s.cfg.Nick[:len(s.cfg.Nick)-s.nickTry] + strings.Repeat("_", s.nickTry)
	s.send("NICK", s.nick)
	return nil
}

func (s *session) onWelcome(m Message, now time.Time) {
	s.state = regOnline
	if n := m.Param(0); n != "" && n != "*" {
		s.nick = n
	}
	// "Welcome to the … Network nick!user@host"
	if f := strings.Fields(m.Last()); len(f) > 0 {
		if src := ParseSource(f[len(f)-1]); s.isSelf(src.Name) && src.User != "" && src.Host != "" {
			s.userhost = src.User + "@" + src.Host
		}
	}
}

// onReady finishes registration once the server has told us what it
// supports (ISUPPORT comes after 001, before the end of the MOTD): only
// then are channel types and SILENCE known, so joining, re-applying
// server-side ignores and saying "online" wait for it.
func (s *session) onReady() {
	if s.state != regOnline || s.ready {
		return
	}
	s.ready = true
	s.emit(connectors.ConnectionState{Account: s.cfg.Account, State: connectors.StateOnline, Self: s.nick})
	s.joinChannels(s.cfg.Channels)
	s.silenceAll()
}

func (s *session) setHost(host string) {
	user := s.cfg.User
	if u, _, ok := strings.Cut(s.userhost, "@"); ok {
		user = u
	}
	s.userhost = user + "@" + host
}

// trackBatch records BATCH starts and ends; a labelled batch that ends
// without the echo of our message fails that send.
func (s *session) trackBatch(m Message) error {
	if m.Command != "BATCH" || len(m.Params) == 0 || len(m.Params[0]) < 2 {
		return nil
	}
	ref := m.Params[0]
	switch ref[0] {
	case '+':
		s.batches[ref[1:]] = batchInfo{typ: m.Param(1), label: m.Tags["label"]}
	case '-':
		b, ok := s.batches[ref[1:]]
		delete(s.batches, ref[1:])
		if ok && b.label != "" {
			reason := b.err
			if reason == "" {
				reason = "the server did not relay it"
			}
			s.failLabel(b.label, errors.New("irc: message refused: "+reason))
		}
	}
	return nil
}

// labelOf returns the label a line answers, directly or through its batch.
func (s *session) labelOf(m Message) string {
	if l := m.Tags["label"]; l != "" {
		return l
	}
	if ref := m.Tags["batch"]; ref != "" {
		return s.batches[ref].label
	}
	return ""
}

// labelledError fails a labelled send answered by an error numeric.
func (s *session) labelledError(m Message) {
	if len(m.Command) != 3 || m.Command[0] < '4' || m.Command[0] > '5' {
		return
	}
	if ref := m.Tags["batch"]; ref != "" {
		if b, ok := s.batches[ref]; ok && b.err == "" {
			b.err = m.Last()
			s.batches[ref] = b
		}
		return
	}
	if l := m.Tags["label"]; l != "" {
		s.failLabel(l, errors.New("irc: message refused: "+m.Last()))
	}
}

func (s *session) failLabel(label string, err error) {
	p, ok := s.labels[label]
	if !ok {
		return
	}
	delete(s.labels, label)
	if p.token != 0 && !p.resolved {
		p.resolved = true
		s.sends = append(s.sends, sendDone{token: p.token, err: err})
	}
}
