package ui

import (
	"context"

	"switchboard/connectors"
)

// serverHistory is where asking the network for a conversation's older
// messages stands, for the conversation open now.
type serverHistory struct {
	asked    bool // asked at least once since the conversation was opened
	fetching bool
	more     bool // the network may have more (valid once asked)
}

// loadFromServer runs when the list's top is shown and the archive has
// nothing older: where the account's network keeps history (XMPP's
// archive, the mail server), the core fetches older messages into the
// archive and the list pages them in. It asks once per opening, and again
// only while the previous call brought something new, so a conversation
// whose history is all archived costs one request.
func (p *chatPane) loadFromServer() {
	sh := &p.server
	if sh.fetching || (sh.asked && !sh.more) || !p.v.hasCapability(p.conv.Account, connectors.CapHistory) {
		return
	}
	sh.fetching, sh.asked = true, true
	row, seq := p.open, p.seq
	p.v.async(func(ctx context.Context) func() {
		added, more, err := p.v.be.LoadOlder(ctx, row, msgPage)
		return func() {
			if seq != p.seq {
				return
			}
			sh.fetching = false
			sh.more = more && added > 0 && err == nil
			if err != nil {
				p.v.log.Warn("older messages from the network", "err", err)
				return
			}
			if added > 0 {
				p.noMore = false
				p.loadOlder()
			}
		}
	})
}
