package core

import (
	"context"

	"switchboard/app/policy"
	"switchboard/storage"
)

// heldAsMarketing decides whether an inbound direct message from a contact
// with no classification reads like marketing and is held in Requests as
// a likely brand, with the reason in plain words.
//
// It never applies to a contact the user knows, judged on what the sender
// cannot forge: the user's word (marked a person), the network's word (a
// roster contact is a person, classified before this is asked) or the user
// having written to them. A sender can dodge the words — then its message
// is an ordinary unknown one, as before — but cannot make a known person's
// or a group's message held, and writing a harmless first message earns it
// nothing: each of its marketing messages is judged until the user answers.
func (p *brandPolicy) heldAsMarketing(ctx context.Context, in storage.MessageIn, cls policy.Classification) (bool, string, error) {
	if in.ConvGroup || in.Direction != storage.In || cls.Kind != policy.KindUnknown {
		return false, "", nil
	}
	m := policy.Looks(in.Text)
	if !m.Likely {
		return false, "", nil
	}
	cons, err := p.consent(ctx, in.Account, in.Sender)
	if err != nil {
		// Unsure whether the user knows them: hold, never lose.
		return true, m.Reason(), err
	}
	if !cons.LastUserMsg.IsZero() {
		return false, "", nil
	}
	return true, m.Reason(), nil
}
