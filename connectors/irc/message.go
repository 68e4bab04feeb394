package irc

import (
	"errors"
	"sort"
	"strings"
)

// Line-length limits (IRCv3 message-tags): the tag section may take up to
// 8191 bytes including its '@' and trailing space; the rest of the line
// 512 bytes including CRLF.
const (
	maxTagBytes  = 8191
	maxBodyBytes = 512
	// MaxLineBytes is the longest line the reader accepts (with CRLF).
	MaxLineBytes = maxTagBytes + maxBodyBytes
)

// Parse errors. They never contain the line's text, so they are safe to log.
var (
	ErrEmptyLine      = errors.New("irc: empty line")
	ErrNoCommand      = errors.New("irc: line has no command")
	ErrBadCommand     = errors.New("irc: command is not letters or a 3-digit numeric")
	ErrBadPrefix      = errors.New("irc: empty prefix")
	ErrControlChar    = errors.New("irc: line contains CR, LF or NUL")
	ErrTagsTooLong    = errors.New("irc: tag section too long")
	ErrBodyTooLong    = errors.New("irc: line too long")
	ErrBadParam       = errors.New("irc: parameter cannot be encoded")
	ErrBadTagKey      = errors.New("irc: tag key cannot be encoded")
	errEncodeNoParams = errors.New("irc: command missing")
)

// Message is one IRC protocol line: IRCv3 tags, an optional prefix (the
// source), a command and its parameters. Tag values are unescaped. The
// last parameter may contain spaces (it is sent as the "trailing" one).
type Message struct {
	Tags    map[string]string
	Prefix  string // raw source: "nick!user@host" or a server name
	Command string // upper case: "PRIVMSG", "001"
	Params  []string
}

// Msg builds a message without tags or prefix.
func Msg(command string, params ...string) Message {
	return Message{Command: command, Params: params}
}

// Param returns parameter i, or "" when there is none.
func (m Message) Param(i int) string {
	if i >= 0 && i < len(m.Params) {
		return m.Params[i]
	}
	return ""
}

// Last returns the last parameter, or "".
func (m Message) Last() string { return m.Param(len(m.Params) - 1) }

// Source splits the prefix into nick, user and host.
func (m Message) Source() Source { return ParseSource(m.Prefix) }

// Source is a parsed prefix. A server prefix has only Name.
type Source struct {
	Name string // nick, or server name
	User string
	Host string
}

// ParseSource splits "nick!user@host". The host is everything after the
// first '@', the user everything between the first '!' and that '@'.
func ParseSource(p string) Source {
	var s Source
	if at := strings.IndexByte(p, '@'); at >= 0 {
		s.Host, p = p[at+1:], p[:at]
	}
	if bang := strings.IndexByte(p, '!'); bang >= 0 {
		s.User, p = p[bang+1:], p[:bang]
	}
	s.Name = p
	return s
}

// ParseLine parses one line. A trailing "\r\n" or "\n" is removed; any other
// CR, LF or NUL makes the line malformed. Repeated spaces between
// parameters are tolerated, and so are over-long lines (the reader bounds
// the total length): a slightly long line from a server is still a message.
func ParseLine(line string) (Message, error) {
	line = strings.TrimSuffix(line, "\n")
	line = strings.TrimSuffix(line, "\r")
	if strings.ContainsAny(line, "\r\n\x00") {
		return Message{}, ErrControlChar
	}
	var m Message
	rest := line
	if strings.HasPrefix(rest, "@") {
		sp := strings.IndexByte(rest, ' ')
		if sp < 0 {
			return Message{}, ErrNoCommand
		}
		m.Tags = parseTags(rest[1:sp])
		rest = rest[sp+1:]
	}
	rest = strings.TrimLeft(rest, " ")
	if strings.HasPrefix(rest, ":") {
		sp := strings.IndexByte(rest, ' ')
		if sp < 0 {
			return Message{}, ErrNoCommand
		}
		m.Prefix = rest[1:sp]
		if m.Prefix == "" {
			return Message{}, ErrBadPrefix
		}
		rest = strings.TrimLeft(rest[sp+1:], " ")
	}
	if rest == "" {
		if line == "" {
			return Message{}, ErrEmptyLine
		}
		return Message{}, ErrNoCommand
	}
	cmd, rest, _ := strings.Cut(rest, " ")
	if !validCommand(cmd) {
		return Message{}, ErrBadCommand
	}
	m.Command = strings.ToUpper(cmd)
	m.Params = parseParams(rest)
	return m, nil
}

func parseParams(rest string) []string {
	var params []string
	for {
		rest = strings.TrimLeft(rest, " ")
		if rest == "" {
			return params
		}
		if rest[0] == ':' {
			return append(params, rest[1:])
		}
		var p string
		p, rest, _ = strings.Cut(rest, " ")
		params = append(params, p)
	}
}

func validCommand(c string) bool {
	if c == "" {
		return false
	}
	digits := 0
	for i := 0; i < len(c); i++ {
		switch b := c[i]; {
		case b >= '0' && b <= '9':
			digits++
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z':
		default:
			return false
		}
	}
	return digits == 0 || (digits == 3 && len(c) == 3)
}

func parseTags(s string) map[string]string {
	var tags map[string]string
	for _, kv := range strings.Split(s, ";") {
		k, v, _ := strings.Cut(kv, "=")
		if k == "" {
			continue
		}
		if tags == nil {
			tags = map[string]string{}
		}
		tags[k] = UnescapeTag(v)
	}
	return tags
}

// UnescapeTag reverses IRCv3 tag escaping: \: ; \s space, \\ \, \r CR, \n
// LF; any other escaped character stands for itself and a lone trailing
// backslash is dropped.
func UnescapeTag(v string) string {
	if !strings.Contains(v, `\`) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i == len(v) {
			break
		}
		switch v[i] {
		case ':':
			b.WriteByte(';')
		case 's':
			b.WriteByte(' ')
		case 'r':
			b.WriteByte('\r')
		case 'n':
			b.WriteByte('\n')
		default:
			b.WriteByte(v[i])
		}
	}
	return b.String()
}

// EscapeTag applies IRCv3 tag escaping.
func EscapeTag(v string) string {
	r := strings.NewReplacer(`\`, `\\`, ";", `\:`, " ", `\s`, "\r", `\r`, "\n", `\n`)
	return r.Replace(v)
}

// Encode serialises the message without CRLF. It refuses what cannot be
// sent as one line: control characters, an empty or spaced middle
// parameter, a bad command, an over-long line.
func (m Message) Encode() (string, error) { return m.encode(true) }

func (m Message) encode(checkLen bool) (string, error) {
	var b strings.Builder
	if len(m.Tags) > 0 {
		keys := make([]string, 0, len(m.Tags))
		for k := range m.Tags {
			if k == "" || strings.ContainsAny(k, " ;=\r\n\x00") {
				return "", ErrBadTagKey
			}
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('@')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(';')
			}
			b.WriteString(k)
			if v := m.Tags[k]; v != "" {
				b.WriteByte('=')
				b.WriteString(EscapeTag(v))
			}
		}
		if checkLen && b.Len()+1 > maxTagBytes {
			return "", ErrTagsTooLong
		}
		b.WriteByte(' ')
	}
	tagLen := b.Len()
	if m.Prefix != "" {
		if strings.ContainsAny(m.Prefix, " \r\n\x00") {
			return "", ErrBadPrefix
		}
		b.WriteByte(':')
		b.WriteString(m.Prefix)
		b.WriteByte(' ')
	}
	if m.Command == "" {
		return "", errEncodeNoParams
	}
	if !validCommand(m.Command) {
		return "", ErrBadCommand
	}
	b.WriteString(m.Command)
	for i, p := range m.Params {
		if strings.ContainsAny(p, "\r\n\x00") {
			return "", ErrBadParam
		}
		b.WriteByte(' ')
		if i == len(m.Params)-1 && (p == "" || p[0] == ':' || strings.Contains(p, " ")) {
			b.WriteByte(':')
		} else if p == "" || p[0] == ':' || strings.Contains(p, " ") {
			return "", ErrBadParam
		}
		b.WriteString(p)
	}
	if checkLen && b.Len()-tagLen+2 > maxBodyBytes {
		return "", ErrBodyTooLong
	}
	return b.String(), nil
}
