package irc

import (
	"sort"
	"strings"

	"switchboard/connectors"
)

// channel is a joined channel.
type channel struct {
	name    string // as the server spelled it when we joined
	topic   string
	members map[string]string // folded nick → nick
	names   map[string]string // NAMES reply being collected
}

func (s *session) channel(name string) *channel { return s.channels[s.fold(name)] }

// convID is the conversation ID of a channel: its name as first joined.
func (s *session) convID(name string) string {
	if ch := s.channel(name); ch != nil {
		return ch.name
	}
	return name
}

func (s *session) channelUpdated(ch *channel, left bool) {
	members := make([]string, 0, len(ch.members))
	for _, n := range ch.members {
		members = append(members, n)
	}
	sort.Strings(members)
	s.emit(connectors.ConversationUpdated{
		Account:      s.cfg.Account,
		Conversation: connectors.ConversationRef{ID: ch.name, Kind: connectors.Group, Title: ch.name, Joined: true},
		Topic:        ch.topic, Members: members, Left: left,
	})
}

func (s *session) onJoin(m Message) {
	src := m.Source()
	name := m.Param(0)
	if name == "" {
		return
	}
	if s.isSelf(src.Name) {
		if src.User != "" && src.Host != "" {
			s.userhost = src.User + "@" + src.Host
		}
		ch := s.channel(name)
		if ch == nil {
			ch = &channel{name: name, members: map[string]string{}}
			s.channels[s.fold(name)] = ch
		}
		ch.members[s.fold(src.Name)] = src.Name
		s.joins = append(s.joins, joinDone{channel: s.fold(name)})
		s.channelUpdated(ch, false)
		return
	}
	if ch := s.channel(name); ch != nil {
		ch.members[s.fold(src.Name)] = src.Name
		s.channelUpdated(ch, false)
	}
}

func (s *session) leave(name string) {
	if ch := s.channel(name); ch != nil {
		delete(s.channels, s.fold(name))
		s.channelUpdated(ch, true)
	}
}

func (s *session) onPart(m Message) {
	nick := m.Source().Name
	for _, name := range strings.Split(m.Param(0), ",") {
		if s.isSelf(nick) {
			s.leave(name)
		} else if ch := s.channel(name); ch != nil {
			delete(ch.members, s.fold(nick))
			s.channelUpdated(ch, false)
		}
	}
}

func (s *session) onKick(m Message) {
	name, victim := m.Param(0), m.Param(1)
	if s.isSelf(victim) {
		s.leave(name)
	} else if ch := s.channel(name); ch != nil {
		delete(ch.members, s.fold(victim))
		s.channelUpdated(ch, false)
	}
}

func (s *session) onQuit(m Message) {
	nick := m.Source().Name
	if nick == "" || s.isSelf(nick) {
		return
	}
	for _, ch := range s.sortedChannels() {
		if _, ok := ch.members[s.fold(nick)]; ok {
			delete(ch.members, s.fold(nick))
			s.channelUpdated(ch, false)
		}
	}
	s.emit(connectors.Presence{Account: s.cfg.Account, Handle: nick, Online: false})
}

func (s *session) onNick(m Message) {
	old, nw := m.Source().Name, m.Param(0)
	if nw == "" {
		return
	}
	if s.isSelf(old) {
		s.nick = nw
		s.emit(connectors.ConnectionState{Account: s.cfg.Account, State: connectors.StateOnline, Self: nw})
	} else {
		s.emit(connectors.ContactUpdated{Account: s.cfg.Account, Contact: connectors.Contact{Handle: nw, Name: nw, Was: old}})
	}
	for _, ch := range s.sortedChannels() {
		if _, ok := ch.members[s.fold(old)]; ok {
			delete(ch.members, s.fold(old))
			ch.members[s.fold(nw)] = nw
			s.channelUpdated(ch, false)
		}
	}
}

func (s *session) sortedChannels() []*channel {
	keys := make([]string, 0, len(s.channels))
	for k := range s.channels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]*channel, len(keys))
	for i, k := range keys {
		out[i] = s.channels[k]
	}
	return out
}

func (s *session) onTopic(name, topic string) {
	if ch := s.channel(name); ch != nil {
		ch.topic = topic
		s.channelUpdated(ch, false)
	}
}

// onNames collects "353 me = #chan :@alice +bob carol".
func (s *session) onNames(m Message) {
	ch := s.channel(m.Param(2))
	if ch == nil {
		return
	}
	if ch.names == nil {
		ch.names = map[string]string{}
	}
	for _, n := range strings.Fields(m.Last()) {
		nick := ParseSource(s.sup.stripPrefixes(n)).Name // userhost-in-names tolerated
		if nick != "" {
			ch.names[s.fold(nick)] = nick
		}
	}
}

func (s *session) onNamesEnd(m Message) {
	ch := s.channel(m.Param(1))
	if ch == nil || ch.names == nil {
		return
	}
	ch.members, ch.names = ch.names, nil
	s.channelUpdated(ch, false)
}

// onAway handles away-notify: "AWAY :reason" is away, a bare AWAY is back.
func (s *session) onAway(m Message) {
	nick := m.Source().Name
	if nick == "" || s.isSelf(nick) {
		return
	}
	s.emit(connectors.Presence{Account: s.cfg.Account, Handle: nick, Online: true, Away: len(m.Params) > 0, Status: m.Param(0)})
}

// onWhoReply: "352 me #chan user host server nick flags :hops realname";
// the flags carry the bot mode letter (ISUPPORT BOT=B).
func (s *session) onWhoReply(m Message) {
	if s.sup.botMode != "" && strings.Contains(m.Param(6), s.sup.botMode) {
		s.markBot(m.Param(5), "irc: WHO flags show bot mode +"+s.sup.botMode)
	}
}

// markBot reports a contact as a bot once per session.
func (s *session) markBot(nick, evidence string) {
	if nick == "" || s.bots[s.fold(nick)] {
		return
	}
	s.bots[s.fold(nick)] = true
	s.emit(connectors.ContactUpdated{Account: s.cfg.Account, Contact: connectors.Contact{
		Handle: nick, Name: nick, Kind: connectors.KindBot, Evidence: []string{evidence},
	}})
}

// onTargetError: a JOIN refused (403, 405, 471…) or a message to a missing
// nick (401) without labels.
func (s *session) onTargetError(m Message) {
	target := m.Param(1)
	if m.Command != "401" && m.Command != "404" {
		s.joins = append(s.joins, joinDone{channel: s.fold(target), err: &serverError{m.Last()}})
	}
	if m.Tags["label"] != "" || m.Tags["batch"] != "" {
		return // answered through the label
	}
	s.fifo = s.failFirst(s.fifo, target, m.Last())
	s.confirms = s.failFirst(s.confirms, target, m.Last())
}

// failFirst fails the oldest unresolved send to target in list and returns
// the list without it.
func (s *session) failFirst(list []*pendingSend, target, reason string) []*pendingSend {
	for i, p := range list {
		if s.fold(p.target) == s.fold(target) && !p.resolved {
			p.resolved = true
			if p.token != 0 {
				s.sends = append(s.sends, sendDone{token: p.token, err: &serverError{reason}})
			}
			return append(list[:i], list[i+1:]...)
		}
	}
	return list
}

// serverError carries a server's refusal in its own words.
type serverError struct{ reason string }

func (e *serverError) Error() string { return "irc: refused by the server: " + e.reason }
