package storage

import (
	"context"
	"testing"
)

// Awaiting reply holds what the user owes an answer to: direct messages
// and group messages naming the user, not group chatter; the user's answer
// or "done" clears it, and it comes back when the other side writes again.
func TestAwaitingCountsDirectMessagesAndMentions(t *testing.T) {
	s, dir := openTest(t)
	ctx := context.Background()
	chatter := msg("a", "#sales", "1", "maria", "numbers are in", 1)
	chatter.ConvGroup = true
	mention := msg("a", "#team", "2", "lee", "ada: can you check the deploy?", 2)
	mention.ConvGroup, mention.Mention = true, true
	customer := msg("a", "jordan", "3", "jordan", "is the invoice ready?", 3)
	answered := msg("a", "kim", "4", "kim", "ping", 4)
	reply := msg("a", "kim", "5", "me", "pong", 5)
	reply.Direction = Out
	put(t, s, chatter, mention, customer, answered, reply)

	if got := titles(list(t, s, FilterAwaiting, "")); !eq(got, "#team", "jordan") {
		t.Fatalf("awaiting: %v, want the mention and the direct message", got)
	}
	c, _ := s.ConversationCounts(ctx)
	if c.Awaiting != 2 || !c.OldestWait.Equal(mention.Time) {
		t.Fatalf("counts %+v", c)
	}
	// Done: gone until jordan writes again; an older message filed later does not bring it back.
	jordan := list(t, s, FilterAwaiting, "")[1]
	if err := s.MarkDone(ctx, jordan.Row); err != nil {
		t.Fatal(err)
	}
	older := msg("a", "jordan", "6", "jordan", "earlier note", 0)
	put(t, s, older)
	if got := titles(list(t, s, FilterAwaiting, "")); !eq(got, "#team") {
		t.Fatalf("after done: %v", got)
	}
	s = reopen(t, s, dir)
	again := msg("a", "jordan", "7", "jordan", "hello? any news?", 9)
	put(t, s, again)
	got := list(t, s, FilterAwaiting, "")
	if !eq(titles(got), "#team", "jordan") || !got[1].Awaiting.Equal(again.Time) {
		t.Fatalf("after jordan wrote again: %v (%v)", titles(got), got)
	}
}

// A blocked contact's conversation leaves All, Unread and Awaiting (and
// the counts) and comes back when unblocked.
func TestBlockedContactLeavesTheInbox(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	put(t, s, msg("a", "promo", "1", "promo", "50% off today", 1), msg("a", "jordan", "2", "jordan", "hi", 2))
	if _, err := s.SetPeerBlocked(ctx, "a", "promo", true); err != nil {
		t.Fatal(err)
	}
	for _, f := range []Filter{FilterAll, FilterUnread, FilterAwaiting} {
		if got := titles(list(t, s, f, "")); !eq(got, "jordan") {
			t.Fatalf("%s with promo blocked: %v", f, got)
		}
	}
	c, _ := s.ConversationCounts(ctx)
	if c.Unread != 1 || c.Awaiting != 1 {
		t.Fatalf("counts with promo blocked: %+v", c)
	}
	if n, _ := s.UnreadTotal(ctx); n != 1 {
		t.Fatalf("unread total %d", n)
	}
	if cv, err := s.FindConversation(ctx, "a", "promo"); err != nil || !cv.PeerBlocked {
		t.Fatalf("promo: %+v, %v", cv, err)
	}
	// Blocked lists it, so it can be found and unblocked.
	if got := list(t, s, FilterBlocked, ""); !eq(titles(got), "promo") || got[0].LastText != "50% off today" {
		t.Fatalf("blocked: %v", got)
	}
	if c.Blocked != 1 {
		t.Fatalf("blocked count %d", c.Blocked)
	}
	if _, err := s.SetPeerBlocked(ctx, "a", "promo", false); err != nil {
		t.Fatal(err)
	}
	if got := titles(list(t, s, FilterAll, "")); !eq(got, "jordan", "promo") {
		t.Fatalf("all after unblock: %v", got)
	}
	if _, err := s.SetPeerBlocked(ctx, "a", "nobody", true); err == nil {
		t.Fatal("blocking a conversation that does not exist succeeded")
	}
}
