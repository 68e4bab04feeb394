package irc

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"switchboard/connectors"
)

// Errors for requests the session refuses before anything is sent.
var (
	ErrEmptyMessage = errors.New("irc: message is empty")
	ErrBadTarget    = errors.New("irc: target is not a valid nick or channel")
)

// maxFIFO bounds the sends awaiting an unlabelled echo.
const maxFIFO = 256

// validTarget: a nick or channel name that fits in one parameter.
func validTarget(t string) bool {
	return t != "" && len(t) <= 200 && !strings.ContainsAny(t, " ,\x00\r\n\x07") && t[0] != ':'
}

// prepareSend queues the PRIVMSG lines for one outgoing message, split to
// fit the line limit, and returns a token that a later sendDone carries.
// fallbackID is the remote ID to use when no echo ever names the message.
func (s *session) prepareSend(o connectors.Outgoing, token int, now time.Time) (fallbackID string, err error) {
	target := o.Conversation.ID
	if !validTarget(target) {
		return "", fmt.Errorf("irc: send: %w", ErrBadTarget)
	}
	chunks := splitText(o.Text, s.textBudget(target, o.Action))
	if len(chunks) == 0 {
		return "", fmt.Errorf("irc: send to %s: %w", target, ErrEmptyMessage)
	}
	echo, labelled := s.caps["echo-message"], s.caps["labeled-response"]
	for i, chunk := range chunks {
		raw := chunk
		if o.Action {
			raw = "\x01ACTION " + chunk + "\x01"
		}
		if i == 0 {
			fallbackID = hashID(now.UTC().Truncate(time.Second), s.fold(s.nick), s.fold(target), raw+"\x00"+o.LocalID)
		}
		m := Msg("PRIVMSG", target, raw)
		if i == 0 && o.ReplyTo != "" && s.caps["message-tags"] && !strings.HasPrefix(o.ReplyTo, "irc-") {
			m.Tags = map[string]string{"+draft/reply": o.ReplyTo} // only a server msgid can be referred to
		}
		p := &pendingSend{target: target, text: raw}
		if i == 0 {
			p.token = token
		}
		switch {
		case echo && labelled:
			s.labelSeq++
			label := "sb" + strconv.Itoa(s.labelSeq)
			if m.Tags == nil {
				m.Tags = map[string]string{}
			}
			m.Tags["label"] = label
			s.labels[label] = p
		case echo:
			if len(s.fifo) >= maxFIFO { // echoes that never came: forget the oldest
				s.fifo = s.fifo[1:]
			}
			s.fifo = append(s.fifo, p)
		}
		s.out = append(s.out, m)
	}
	if !echo {
		s.awaitConfirm(target, token)
	}
	return fallbackID, nil
}

// confirmPrefix marks the PING that follows a send on a server without
// echo-message: the server handles lines in order, so a refusal (401 No
// such nick, 404) arrives before the PONG, and the PONG means the lines
// went through.
const confirmPrefix = "sbsent"

// awaitConfirm queues that PING; the send is resolved by its PONG
// (onPong) or failed by a refusal for the target (onTargetError).
func (s *session) awaitConfirm(target string, token int) {
	if len(s.confirms) >= maxFIFO { // PONGs that never came: forget the oldest
		s.confirms = s.confirms[1:]
	}
	s.confirms = append(s.confirms, &pendingSend{token: token, target: target})
	s.send("PING", confirmPrefix+strconv.Itoa(token))
}

// onPong resolves the send a confirmation PING was queued for.
func (s *session) onPong(m Message) {
	tok, ok := strings.CutPrefix(m.Last(), confirmPrefix)
	if !ok {
		return
	}
	for i, p := range s.confirms {
		if strconv.Itoa(p.token) == tok {
			s.confirms = append(s.confirms[:i], s.confirms[i+1:]...)
			if !p.resolved {
				p.resolved = true
				s.sends = append(s.sends, sendDone{token: p.token}) // the link names it with the fallback ID
			}
			return
		}
	}
}

// textBudget is how many bytes of text fit in one PRIVMSG as the server
// relays it: 512 minus CRLF, the prefix ":nick!user@host " it adds, the
// command and target, and the CTCP ACTION wrapper.
func (s *session) textBudget(target string, action bool) int {
	userhost := s.userhost
	if userhost == "" { // worst case until the server tells us
		userhost = "~" + strings.Repeat("u", s.sup.userLen) + "@" + strings.Repeat("h", s.sup.hostLen)
	}
	n := maxBodyBytes - 2 - len(":"+s.nick+"!"+userhost+" ") - len("PRIVMSG "+target+" :")
	if action {
		n -= len("\x01ACTION \x01")
	}
	if n < 32 {
		n = 32
	}
	return n
}

// splitText breaks text into chunks of at most budget bytes: one or more per
// line (IRC cannot carry newlines), cut at a space in the second half of the
// chunk when there is one, and never inside a UTF-8 sequence. Empty lines
// and NUL bytes are dropped: IRC cannot send them.
func splitText(text string, budget int) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	text = strings.ReplaceAll(text, "\x00", "")
	var out []string
	for _, line := range strings.Split(text, "\n") {
		for len(line) > budget {
			cut := budget
			for cut > 0 && !utf8.RuneStart(line[cut]) {
				cut--
			}
			if cut == 0 { // not UTF-8 at all: cut at the byte budget
				cut = budget
			}
			if sp := strings.LastIndexByte(line[:cut], ' '); sp > cut/2 {
				out = append(out, line[:sp])
				line = line[sp+1:]
				continue
			}
			out = append(out, line[:cut])
			line = line[cut:]
		}
		if strings.TrimSpace(line) != "" {
			out = append(out, line)
		}
	}
	return out
}

// joinChannels sends JOIN for channels, several per line.
func (s *session) joinChannels(names []string) {
	var batch []string
	size := 0
	for _, n := range names {
		if !validTarget(n) {
			continue
		}
		if size+len(n)+1 > 400 && len(batch) > 0 {
			s.send("JOIN", strings.Join(batch, ","))
			batch, size = nil, 0
		}
		batch = append(batch, n)
		size += len(n) + 1
	}
	if len(batch) > 0 {
		s.send("JOIN", strings.Join(batch, ","))
	}
}

// silenceAll re-applies server-side ignores after registration (the
// server forgets them when the connection ends).
func (s *session) silenceAll() {
	for _, nick := range s.cfg.Blocked {
		s.silence(nick, true)
	}
}

// silence asks the server to drop a nick's messages (SILENCE) and reports
// whether it could; without SILENCE the ignore is client-side only.
func (s *session) silence(nick string, on bool) bool {
	if !s.sup.silence || !validTarget(nick) {
		return false
	}
	sign := "+"
	if !on {
		sign = "-"
	}
	s.send("SILENCE", sign+nick+"!*@*")
	return true
}

// setIgnored records a client-side ignore: the messages still arrive and
// are reported, marked, so the brand policy decides (nothing is dropped).
func (s *session) setIgnored(nick string, on bool) {
	if on {
		s.ignored[s.fold(nick)] = true
	} else {
		delete(s.ignored, s.fold(nick))
	}
}

// typing sends a +typing client tag (needs message-tags).
func (s *session) typing(target string, active bool) error {
	if !s.caps["message-tags"] {
		return fmt.Errorf("irc: typing notifications need the message-tags capability: %w", errors.ErrUnsupported)
	}
	if !validTarget(target) {
		return fmt.Errorf("irc: typing: %w", ErrBadTarget)
	}
	state := "done"
	if active {
		state = "active"
	}
	s.out = append(s.out, Message{Tags: map[string]string{"+typing": state}, Command: "TAGMSG", Params: []string{target}})
	return nil
}
