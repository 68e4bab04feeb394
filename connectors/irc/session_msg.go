package irc

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"switchboard/connectors"
)

// onMessage turns PRIVMSG and NOTICE into MessageReceived events.
func (s *session) onMessage(m Message, now time.Time) {
	if len(m.Params) < 2 {
		return
	}
	src := m.Source()
	target := s.sup.stripStatus(m.Params[0])
	raw := m.Params[1]
	notice := m.Command == "NOTICE"
	if src.Name == "" || (src.User == "" && src.Host == "" && strings.Contains(src.Name, ".")) || !s.registered() {
		return // a server notice, not a conversation
	}
	self := s.isSelf(src.Name)
	text, action := raw, false
	if cmd, arg, ok := parseCTCP(raw); ok {
		if cmd != "ACTION" || notice {
			if !notice && !self {
				s.answerCTCP(src.Name, cmd, arg, now)
			}
			return
		}
		text, action = arg, true
	}
	conv := connectors.ConversationRef{ID: src.Name, Kind: connectors.Direct}
	switch {
	case s.sup.isChannel(target):
		conv = connectors.ConversationRef{ID: s.convID(target), Kind: connectors.Group, Joined: true}
	case self:
		conv.ID = target // our own message to someone, echoed
	}
	dir := connectors.Inbound
	if self {
		dir = connectors.Outbound
		if s.consumeEcho(m, target, raw, now) {
			return
		}
	}
	msg := connectors.Message{
		RemoteID: s.remoteID(m, src.Name, target, raw, now, dir == connectors.Inbound), Conversation: conv,
		Sender: src.Name, SenderName: src.Name, Time: s.msgTime(m, now), Direction: dir,
		Text: stripFormatting(decodeText(text)), Action: action, Notice: notice,
		ReplyTo: m.Tags["+draft/reply"],
	}
	s.evidence(m, src.Name, &msg)
	s.emit(connectors.MessageReceived{Account: s.cfg.Account, Message: msg})
	if !self && conv.Kind == connectors.Direct && !s.whoised[s.fold(src.Name)] && !s.bots[s.fold(src.Name)] {
		s.whoised[s.fold(src.Name)] = true
		s.send("WHOIS", src.Name) // RPL_WHOISBOT tells us whether a new query partner is a bot
	}
}

// evidence adds protocol evidence the brand policy may use.
func (s *session) evidence(m Message, nick string, msg *connectors.Message) {
	_, bot := m.Tags["bot"]
	_, ibot := m.Tags["inspircd.org/bot"]
	if bot || ibot {
		msg.Headers = map[string]string{"irc-bot": "message tag"}
		s.markBot(nick, "irc: bot message tag")
	}
	if s.ignored[s.fold(nick)] {
		if msg.Headers == nil {
			msg.Headers = map[string]string{}
		}
		msg.Headers["irc-ignored"] = "client-side ignore"
	}
}

// consumeEcho recognises the echo of a message this connection sent, so it
// is not reported twice; it resolves the waiting Send with the echo's ID.
func (s *session) consumeEcho(m Message, target, raw string, now time.Time) bool {
	if label := s.labelOf(m); label != "" {
		p, ok := s.labels[label]
		if !ok {
			return false
		}
		delete(s.labels, label)
		s.resolve(p, m, target, raw, now)
		return true
	}
	if s.caps["labeled-response"] {
		return false // our sends are labelled: an unlabelled echo came from another client
	}
	for i, p := range s.fifo {
		if s.fold(p.target) == s.fold(target) && p.text == raw {
			s.fifo = append(s.fifo[:i], s.fifo[i+1:]...)
			s.resolve(p, m, target, raw, now)
			return true
		}
	}
	return false
}

func (s *session) resolve(p *pendingSend, m Message, target, raw string, now time.Time) {
	if p.token != 0 && !p.resolved {
		p.resolved = true
		s.sends = append(s.sends, sendDone{token: p.token, remoteID: s.remoteID(m, s.nick, target, raw, now, false)})
	}
}

// msgTime is the server's time (server-time) or, without it, the receive
// time truncated to the second.
func (s *session) msgTime(m Message, now time.Time) time.Time {
	if v := m.Tags["time"]; v != "" {
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t.UTC()
		}
	}
	return now.UTC().Truncate(time.Second)
}

// remoteID is the msgid tag when present, else a hash of time, sender,
// target and text. Identical inbound lines within one second (no
// server-time) get an occurrence suffix so both are kept.
func (s *session) remoteID(m Message, sender, target, raw string, now time.Time, count bool) string {
	if id := m.Tags["msgid"]; id != "" {
		return id
	}
	id := hashID(s.msgTime(m, now), s.fold(sender), s.fold(target), raw)
	if !count {
		return id
	}
	if len(s.idSeen) > 4096 {
		clear(s.idSeen)
	}
	n := s.idSeen[id]
	s.idSeen[id] = n + 1
	if n > 0 {
		id += "-" + strconv.Itoa(n)
	}
	return id
}

func hashID(t time.Time, sender, target, text string) string {
	h := sha256.New()
	for _, part := range []string{t.UTC().Format(time.RFC3339Nano), sender, target, text} {
		h.Write([]byte(strconv.Itoa(len(part))))
		h.Write([]byte{':'})
		h.Write([]byte(part))
	}
	return "irc-" + hex.EncodeToString(h.Sum(nil)[:16])
}

// decodeText returns valid UTF-8: lines that are not UTF-8 are read as
// Latin-1, the usual legacy IRC encoding.
func decodeText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	r := make([]rune, len(s))
	for i := 0; i < len(s); i++ {
		r[i] = rune(s[i])
	}
	return string(r)
}

// stripFormatting removes mIRC formatting codes: bold, italics, underline,
// strike-through, monospace, reverse, reset, and colours with their
// "NN,NN" (\x03) or hex "RRGGBB,RRGGBB" (\x04) arguments.
func stripFormatting(s string) string {
	if !strings.ContainsAny(s, "\x02\x03\x04\x0f\x11\x16\x1d\x1e\x1f") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case 0x02, 0x0f, 0x11, 0x16, 0x1d, 0x1e, 0x1f:
		case 0x03:
			i += colourArgs(s[i+1:], 2, isDigit)
		case 0x04:
			i += colourArgs(s[i+1:], 6, isHex)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// colourArgs measures "FG[,BG]" after a colour code: up to n characters
// each, the background only when a digit follows the comma.
func colourArgs(s string, n int, ok func(byte) bool) int {
	fg := 0
	for fg < n && fg < len(s) && ok(s[fg]) {
		fg++
	}
	if fg == 0 || fg >= len(s) || s[fg] != ',' {
		return fg
	}
	bg := 0
	for bg < n && fg+1+bg < len(s) && ok(s[fg+1+bg]) {
		bg++
	}
	if bg == 0 {
		return fg
	}
	return fg + 1 + bg
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }

// parseCTCP splits "\x01CMD args\x01" (the closing \x01 is optional).
func parseCTCP(text string) (cmd, arg string, ok bool) {
	if len(text) < 2 || text[0] != 1 {
		return "", "", false
	}
	body := strings.TrimSuffix(text[1:], "\x01")
	cmd, arg, _ = strings.Cut(body, " ")
	return strings.ToUpper(cmd), arg, true
}

// answerCTCP answers VERSION, PING and CLIENTINFO, at most one answer per
// two seconds so a CTCP flood cannot make us flood; the rest are ignored.
func (s *session) answerCTCP(nick, cmd, arg string, now time.Time) {
	var reply string
	switch cmd {
	case "VERSION":
		reply = "VERSION " + s.cfg.Version
	case "PING":
		if len(arg) > 64 {
			return
		}
		reply = "PING " + arg
	case "CLIENTINFO":
		reply = "CLIENTINFO ACTION CLIENTINFO PING VERSION"
	default:
		return
	}
	if now.Sub(s.ctcpLast) < 2*time.Second {
		return
	}
	s.ctcpLast = now
	s.send("NOTICE", nick, "\x01"+strings.TrimSpace(reply)+"\x01")
}

// onTagMsg reports +typing client tags.
func (s *session) onTagMsg(m Message) {
	v, ok := m.Tags["+typing"]
	nick := m.Source().Name
	if !ok || nick == "" || s.isSelf(nick) {
		return
	}
	conv := nick
	if t := s.sup.stripStatus(m.Param(0)); s.sup.isChannel(t) {
		conv = s.convID(t)
	}
	s.emit(connectors.Typing{Account: s.cfg.Account, Conversation: conv, Handle: nick, Active: v == "active"})
}
