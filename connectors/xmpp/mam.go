package xmpp

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"switchboard/connectors"
)

// mamPageSize is how many results we ask for per archive query; servers
// may cap it lower (Prosody's default cap is 50), paging handles that.
const mamPageSize = 250

// mamCollector gathers the result messages of one archive query.
type mamCollector struct {
	archive string // who may send results: "" (own account) or a room
	items   []mamItem
}

type mamItem struct {
	id    string
	stamp time.Time
	msg   *Element
}

// collectMAM files an archive result under its query, after checking it
// came from the archive we asked.
func (s *session) collectMAM(m, res *Element) {
	s.mu.Lock()
	defer s.mu.Unlock()
	col := s.mam[res.Get("queryid")]
	if col == nil {
		return
	}
	from := bareJID(m.Get("from"))
	if col.archive == "" {
		if from != "" && from != s.bare {
			return
		}
	} else if from != col.archive {
		return
	}
	fwd := res.Child(nsForward, "forwarded")
	inner := fwd.Child(nsClient, "message")
	if inner == nil || res.Get("id") == "" {
		return
	}
	var stamp time.Time
	if d := fwd.Child(nsDelay, "delay"); d != nil {
		stamp, _ = time.Parse(time.RFC3339Nano, d.Get("stamp"))
	}
	col.items = append(col.items, mamItem{id: res.Get("id"), stamp: stamp, msg: inner})
}

// mamQuery is one page request.
type mamQuery struct {
	archive string // "" own archive, else a room's bare JID
	with    string // only messages with this JID (own archive)
	after   string
	before  string
	last    bool // page from the end (RSM <before/>)
	max     int
}

// mamPage is one page of results, oldest first.
type mamPage struct {
	items       []mamItem
	first, last string
	complete    bool
}

func (s *session) queryMAM(ctx context.Context, q mamQuery) (*mamPage, error) {
	qid := s.newID()
	form := E(nsDataForm, "x", "type", "submit").Add(
		E(nsDataForm, "field", "var", "FORM_TYPE", "type", "hidden").Add(E(nsDataForm, "value").SetText(nsMAM)))
	if q.with != "" {
		form.Add(E(nsDataForm, "field", "var", "with").Add(E(nsDataForm, "value").SetText(q.with)))
	}
	set := E(nsRSM, "set").Add(E(nsRSM, "max").SetText(strconv.Itoa(q.max)))
	switch {
	case q.after != "":
		set.Add(E(nsRSM, "after").SetText(q.after))
	case q.before != "" || q.last:
		set.Add(E(nsRSM, "before").SetText(q.before))
	}
	col := &mamCollector{archive: q.archive}
	s.mu.Lock()
	s.mam[qid] = col
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.mam, qid)
		s.mu.Unlock()
	}()
	iq := E(nsClient, "iq", "type", "set", "to", q.archive).Add(
		E(nsMAM, "query", "queryid", qid).Add(form, set))
	res, err := s.iq(ctx, iq)
	if err != nil {
		return nil, err
	}
	fin := res.Child(nsMAM, "fin")
	if fin == nil {
		return nil, errors.New("xmpp: archive query answered without <fin/>")
	}
	rsm := fin.Child(nsRSM, "set")
	s.mu.Lock()
	items := col.items
	s.mu.Unlock()
	return &mamPage{
		items:    items,
		first:    rsm.ChildText(nsRSM, "first"),
		last:     rsm.ChildText(nsRSM, "last"),
		complete: fin.Get("complete") == "true" || fin.Get("complete") == "1",
	}, nil
}

// pageMessages converts archive results to messages.
func (s *session) pageMessages(p *mamPage) []connectors.Message {
	var out []connectors.Message
	for _, it := range p.items {
		for _, ev := range s.messageEvents(it.msg, fromArchive, it.id, it.stamp) {
			if mr, ok := ev.(connectors.MessageReceived); ok {
				out = append(out, mr.Message)
			}
		}
	}
	return out
}

func (s *session) emitBackfill(msgs []connectors.Message) bool {
	for _, m := range msgs {
		if !s.emit(connectors.MessageReceived{Account: s.acct, Message: m, Backfill: true}) {
			return false
		}
	}
	return true
}

// backfillAll fills the account's and the joined rooms' history.
// After a resumption nothing was missed, so only archives whose first
// backfill did not complete are visited.
func (s *session) backfillAll(ctx context.Context, resumed bool) error {
	archives := []string{""}
	archives = append(archives, s.c.joinedRooms()...)
	for _, a := range archives {
		if resumed && s.c.backfillDone(a) {
			continue
		}
		err := s.backfill(ctx, a)
		var se *StanzaError
		if errors.As(err, &se) {
			continue // this archive cannot be queried (no MAM); not fatal
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// backfill fetches what the archive holds that we have not seen: after
// the newest archive ID seen (a gap), or else the newest cfg.backfill
// messages, paging backwards.
func (s *session) backfill(ctx context.Context, archive string) error {
	key := archive
	if last := s.c.lastArchiveID(key); last != "" && s.c.backfillDone(key) {
		err := s.fillForward(ctx, archive, last)
		if !isCondition(err, "item-not-found") {
			return err
		}
	}
	remaining, before, newest := s.cfg.backfill, "", ""
	for remaining > 0 {
		p, err := s.queryMAM(ctx, mamQuery{archive: archive, before: before, last: true, max: min(remaining, mamPageSize)})
		if err != nil {
			return err
		}
		if newest == "" && len(p.items) > 0 {
			newest = p.items[len(p.items)-1].id
		}
		if !s.emitBackfill(s.pageMessages(p)) {
			return ctx.Err()
		}
		remaining -= len(p.items)
		if p.complete || p.first == "" || len(p.items) == 0 {
			break
		}
		before = p.first
	}
	if newest != "" {
		s.c.noteArchiveID(key, newest)
	}
	s.c.markFilled(key)
	return nil
}

func (s *session) fillForward(ctx context.Context, archive, after string) error {
	for {
		p, err := s.queryMAM(ctx, mamQuery{archive: archive, after: after, max: mamPageSize})
		if err != nil {
			return err
		}
		if !s.emitBackfill(s.pageMessages(p)) {
			return ctx.Err()
		}
		if len(p.items) > 0 {
			after = p.items[len(p.items)-1].id
			s.c.noteArchiveID(archive, after)
		}
		if p.complete || len(p.items) == 0 {
			return nil
		}
	}
}

// History pages back through the server archive (XEP-0313): before == ""
// starts at the newest message. The returned cursor is "" when there is
// nothing older.
func (c *Connector) History(ctx context.Context, conv connectors.ConversationRef, before connectors.Cursor, limit int) ([]connectors.Message, connectors.Cursor, error) {
	s := c.session()
	if s == nil {
		return nil, "", connectors.ErrNotConnected
	}
	if limit <= 0 || limit > mamPageSize {
		limit = mamPageSize
	}
	q := mamQuery{before: string(before), last: true, max: limit}
	if id := bareJID(conv.ID); conv.Kind == connectors.Group || c.isRoom(id) {
		q.archive = id
	} else {
		q.with = conv.ID
	}
	p, err := s.queryMAM(ctx, q)
	if err != nil {
		return nil, "", err
	}
	msgs := s.pageMessages(p)
	if p.complete || p.first == "" || len(p.items) == 0 {
		return msgs, "", nil
	}
	return msgs, connectors.Cursor(p.first), nil
}

func (c *Connector) lastArchiveID(archive string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.archive[archive]
}

func (c *Connector) noteArchiveID(archive, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.archive[archive] = id
}

func (c *Connector) backfillDone(archive string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.filled[archive]
}

func (c *Connector) markFilled(archive string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.filled[archive] = true
}

// syncPosition is what the connector hands the core to keep across
// restarts (connectors.SyncState): the newest archive ID seen in each
// archive whose backfill completed ("" is the account's own archive).
type syncPosition struct {
	Archives map[string]string `json:"archives"`
}

// seedSync restores the archive positions of a previous process, so the
// first backfill after a restart continues after them instead of taking
// only the newest messages. A fresh connector only: positions this one
// has seen are newer.
func (c *Connector) seedSync(state string) {
	if state == "" {
		return
	}
	var p syncPosition
	if err := json.Unmarshal([]byte(state), &p); err != nil {
		return // an unreadable position costs a full backfill, nothing else
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.archive) > 0 {
		return
	}
	for a, id := range p.Archives {
		if id != "" {
			c.archive[a], c.filled[a] = id, true
		}
	}
}

// syncState is the current position, and whether it changed since the
// last one reported.
func (c *Connector) syncState() (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := syncPosition{Archives: map[string]string{}}
	for a, id := range c.archive {
		if c.filled[a] && id != "" {
			p.Archives[a] = id
		}
	}
	b, err := json.Marshal(p)
	if err != nil || string(b) == c.lastSync {
		return "", false
	}
	c.lastSync = string(b)
	return c.lastSync, true
}

// emitSync reports the position when it moved. It is sent on the same
// channel after the messages it covers, so the core stores it after them.
func (s *session) emitSync() {
	if st, changed := s.c.syncState(); changed {
		s.emit(connectors.SyncState{Account: s.acct, State: st})
	}
}
