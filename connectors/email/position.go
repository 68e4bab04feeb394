package email

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/emersion/go-imap/v2"

	"switchboard/connectors"
)

// positionVersion is the version of the sync position format below; a
// position of another version is ignored (a normal first sync follows).
const positionVersion = 1

// syncPosition is what the connector hands the core to keep across
// restarts (connectors.SyncState), as JSON:
//
//	{"v":1,"server":"imap.example.org:993","login":"alice@example.org",
//	 "folders":{"INBOX":{"validity":1700000000,"last":4711,"newest":1763790000,"modseq":9120},"Sent":{…}}}
//
// Per folder it is the UIDVALIDITY, the highest UID whose mail was
// emitted (or, after a window sync, deliberately left behind) and the
// newest mail's time (for the resync after a UIDVALIDITY change); for INBOX
// on a CONDSTORE server also the HIGHESTMODSEQ up to which flag changes
// were looked at (mail read elsewhere meanwhile is reported). Server and
// login say whose folders these are: a position of another server or
// login is ignored.
type syncPosition struct {
	V       int                       `json:"v"`
	Server  string                    `json:"server"`
	Login   string                    `json:"login"`
	Folders map[string]folderPosition `json:"folders"`
}

type folderPosition struct {
	Validity uint32 `json:"validity"`
	Last     uint32 `json:"last"`
	Newest   int64  `json:"newest,omitempty"` // Unix seconds of the newest mail's time, for a resync after a UIDVALIDITY change
	ModSeq   uint64 `json:"modseq,omitempty"` // HIGHESTMODSEQ when flag changes were last looked at (CONDSTORE)
}

// decodePosition parses a stored position. Its errors never quote the
// position (it names the user's folders).
func decodePosition(state string) (syncPosition, error) {
	var p syncPosition
	if err := json.Unmarshal([]byte(state), &p); err != nil {
		return p, errors.New("not a JSON sync position")
	}
	if p.V != positionVersion {
		return p, fmt.Errorf("sync position version %d, want %d", p.V, positionVersion)
	}
	if p.Server == "" || p.Login == "" {
		return p, errors.New("sync position without server or login")
	}
	for name, f := range p.Folders {
		if name == "" || f.Validity == 0 {
			return p, errors.New("sync position with an empty folder name or a zero UIDVALIDITY")
		}
	}
	return p, nil
}

// seedPosition restores the folder positions of a previous process from
// acct.SyncState, for each folder this connector knows nothing of yet
// (what it learnt itself is newer). A position it cannot use is logged,
// without its content, and ignored: the folders then get a normal first
// sync. It never fails.
func (c *Connector) seedPosition(cfg config, state string) {
	if state == "" {
		return
	}
	p, err := decodePosition(state)
	if err == nil && (p.Server != cfg.imap.addr || p.Login != cfg.login) {
		err = errors.New("sync position of another server or login")
	}
	if err != nil {
		c.log.Warn("email: stored sync position ignored; syncing the newest mails again", "account", cfg.account, "reason", err.Error())
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for name, f := range p.Folders {
		k := c.stateKey(cfg, name)
		if _, known := c.folders[k]; !known {
			st := folderState{uidValidity: f.Validity, lastUID: imap.UID(f.Last), restored: true, modSeq: f.ModSeq}
			if f.Newest > 0 {
				st.newest = time.Unix(f.Newest, 0).UTC()
			}
			c.folders[k] = st
		}
	}
	if c.lastSync == "" {
		c.lastSync = state
	}
}

// position encodes the current position of cfg's folders, and whether it
// differs from the one last emitted.
func (c *Connector) position(cfg config) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := syncPosition{V: positionVersion, Server: cfg.imap.addr, Login: cfg.login, Folders: map[string]folderPosition{}}
	for k, st := range c.folders {
		if k.server == cfg.imap.addr && k.login == cfg.login {
			fp := folderPosition{Validity: st.uidValidity, Last: uint32(st.lastUID), ModSeq: st.modSeq}
			if !st.newest.IsZero() {
				fp.Newest = st.newest.Unix()
			}
			p.Folders[k.folder] = fp
		}
	}
	b, err := json.Marshal(p) // map keys come out sorted: equal positions encode equally
	if err != nil || string(b) == c.lastSync {
		return "", false
	}
	return string(b), true
}

// emitPosition reports the position when it moved. It goes on the same
// channel after the messages it covers, so the core stores it only once
// they are stored. It reports false when ctx ended first.
func (s *session) emitPosition(ctx context.Context) bool {
	st, changed := s.conn.position(s.cfg)
	if !changed {
		return true
	}
	if !emit(ctx, s.sink, connectors.SyncState{Account: s.cfg.account, State: st}) {
		return false
	}
	s.conn.mu.Lock()
	s.conn.lastSync = st
	s.conn.mu.Unlock()
	return true
}
