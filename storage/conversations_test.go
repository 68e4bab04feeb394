package storage

import (
	"context"
	"errors"
	"strconv"
	"testing"
)

func titles(cs []Conversation) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Title)
	}
	return out
}

func eq(a []string, b ...string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func list(t *testing.T, s *Store, f Filter, acct string) []Conversation {
	t.Helper()
	cs, err := s.ListConversations(context.Background(), ConvQuery{Filter: f, Account: acct})
	if err != nil {
		t.Fatalf("list %s: %v", f, err)
	}
	return cs
}

func TestUnifiedListFiltersAndOrder(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	alice := msg("a", "alice", "1", "alice", "hi from alice", 1)
	bobOut := msg("a", "bob", "2", "me", "my reply to bob", 3)
	bobOut.Direction = Out
	carol := msg("b", "carol", "3", "carol", "carol asks", 2)
	brand := msg("a", "acme", "4", "acme", "BUY NOW", 4)
	brand.Hold, brand.HoldReason = HeldRequest, "AcmeDeals started a conversation; you have not subscribed"
	spam := msg("a", "spam", "5", "spammer", "spam!", 5)
	spam.Hold = HeldBlocked
	put(t, s, alice, bobOut, carol, brand, spam)

	if got := titles(list(t, s, FilterAll, "")); !eq(got, "bob", "carol", "alice") {
		t.Fatalf("all: %v", got)
	}
	if got := titles(list(t, s, FilterAll, "b")); !eq(got, "carol") {
		t.Fatalf("all for b: %v", got)
	}
	if got := titles(list(t, s, FilterUnread, "")); !eq(got, "carol", "alice") {
		t.Fatalf("unread: %v", got)
	}
	if got := titles(list(t, s, FilterAwaiting, "")); !eq(got, "alice", "carol") {
		t.Fatalf("awaiting (oldest first): %v", got)
	}
	req := list(t, s, FilterRequests, "")
	if len(req) != 1 || req[0].Title != "acme" || req[0].Held != 1 || req[0].LastText != "BUY NOW" ||
		req[0].HoldReason != brand.HoldReason || !req[0].LastTime.Equal(brand.Time) {
		t.Fatalf("requests: %+v", req)
	}
	blk := list(t, s, FilterBlocked, "")
	if len(blk) != 1 || blk[0].Title != "spam" || blk[0].Blocked != 1 {
		t.Fatalf("blocked: %+v", blk)
	}
	all := list(t, s, FilterAll, "")
	if all[0].LastText != "my reply to bob" || all[0].LastDirection != Out || all[0].Unread != 0 || all[0].LastSender != "me" {
		t.Fatalf("bob row: %+v", all[0])
	}
	page, _ := s.ListConversations(ctx, ConvQuery{Filter: FilterAll, Limit: 1, Offset: 1})
	if !eq(titles(page), "carol") {
		t.Fatalf("page: %v", titles(page))
	}
	if n, _ := s.UnreadTotal(ctx); n != 2 {
		t.Fatalf("unread total %d", n)
	}
	c, err := s.ConversationCounts(ctx)
	want := ConvCounts{Unread: 2, Awaiting: 2, OldestWait: alice.Time, Requests: 1, Blocked: 1}
	if err != nil || c.Unread != want.Unread || c.Awaiting != want.Awaiting || !c.OldestWait.Equal(want.OldestWait) ||
		c.Requests != want.Requests || c.Blocked != want.Blocked {
		t.Fatalf("counts = %+v, %v; want %+v", c, err, want)
	}
}

func TestMarkReadAndMute(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	res := put(t, s, msg("a", "alice", "1", "alice", "one", 1), msg("a", "alice", "2", "alice", "two", 2),
		msg("a", "bob", "3", "bob", "three", 3))
	if err := s.MarkRead(ctx, res[0].ConvRow); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.UnreadTotal(ctx); n != 1 {
		t.Fatalf("after mark read: %d", n)
	}
	put(t, s, msg("a", "alice", "4", "alice", "four", 4))
	c, _ := s.Conversation(ctx, res[0].ConvRow)
	if c.Unread != 1 {
		t.Fatalf("unread after new message: %d", c.Unread)
	}
	if err := s.SetMuted(ctx, res[2].ConvRow, true); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.UnreadTotal(ctx); n != 1 {
		t.Fatalf("muted still counted: %d", n)
	}
	if c, _ := s.Conversation(ctx, res[2].ConvRow); !c.Muted {
		t.Fatal("not muted")
	}
	if err := s.MarkRead(ctx, 9999); err == nil {
		t.Fatal("mark read of absent conversation succeeded")
	}
}

func TestMarkReadThroughAMessageReadElsewhere(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	res := put(t, s, msg("a", "alice", "1", "alice", "one", 1), msg("a", "alice", "2", "alice", "two", 2),
		msg("a", "alice", "3", "alice", "three", 3), msg("a", "bob", "4", "bob", "four", 4))
	conv, err := s.MarkReadThrough(ctx, "a", "2")
	if err != nil || conv != res[0].ConvRow {
		t.Fatalf("mark read through = %d, %v; want conversation %d", conv, err, res[0].ConvRow)
	}
	if c, _ := s.Conversation(ctx, conv); c.Unread != 1 {
		t.Fatalf("alice unread = %d, want 1 (the third message)", c.Unread)
	}
	if c, _ := s.Conversation(ctx, res[3].ConvRow); c.Unread != 1 {
		t.Fatalf("bob's conversation changed: unread %d", c.Unread)
	}
	// An older message read elsewhere later does not bring anything back.
	if _, err := s.MarkReadThrough(ctx, "a", "1"); err != nil {
		t.Fatal(err)
	}
	put(t, s, msg("a", "alice", "5", "alice", "five", 5))
	if c, _ := s.Conversation(ctx, conv); c.Unread != 2 {
		t.Fatalf("alice unread = %d, want 2", c.Unread)
	}
	if _, err := s.MarkReadThrough(ctx, "a", "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown message: %v", err)
	}
	if _, err := s.MarkReadThrough(ctx, "nobody", "1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown account: %v", err)
	}
}

func TestAcceptRequestDeliversHeldMessages(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	var in []MessageIn
	for i, txt := range []string{"deal one", "deal two"} {
		m := msg("a", "acme", string(rune('1'+i)), "acme", txt, i)
		m.Hold, m.HoldReason = HeldRequest, "not subscribed"
		in = append(in, m)
	}
	in = append(in, msg("a", "acme", "9", "someone-else", "not acme", 5))
	in[2].Hold = HeldRequest
	put(t, s, in...)
	if len(list(t, s, FilterAll, "")) != 0 {
		t.Fatal("held messages listed as delivered")
	}
	n, err := s.SetHold(ctx, "a", "acme", HeldRequest, Delivered)
	if err != nil || n != 2 {
		t.Fatalf("set hold: %d %v", n, err)
	}
	all := list(t, s, FilterAll, "")
	if len(all) != 1 || all[0].Unread != 2 || all[0].LastText != "deal two" || all[0].Held != 1 {
		t.Fatalf("after accept: %+v", all)
	}
	// Block: everything from acme → HeldBlocked, then purge.
	if n, _ := s.SetHold(ctx, "a", "acme", Delivered, HeldBlocked); n != 2 {
		t.Fatalf("block moved %d", n)
	}
	blk := list(t, s, FilterBlocked, "")
	if len(blk) != 1 || blk[0].Blocked != 2 || len(list(t, s, FilterAll, "")) != 0 {
		t.Fatalf("blocked: %+v", blk)
	}
	if n, _ := s.UnreadTotal(ctx); n != 0 {
		t.Fatalf("unread %d", n)
	}
	n, err = s.PurgeBlocked(ctx, "a")
	if err != nil || n != 2 {
		t.Fatalf("purge: %d %v", n, err)
	}
	if len(list(t, s, FilterBlocked, "")) != 0 {
		t.Fatal("still blocked after purge")
	}
	ms, _ := s.Messages(ctx, blk[0].Row, 0, 10, true)
	if texts(ms) != "not acme" {
		t.Fatalf("left: %q", texts(ms))
	}
	if n, _ := s.SetHold(ctx, "nobody", "x", Delivered, HeldBlocked); n != 0 {
		t.Fatal("unknown account moved messages")
	}
}

// TestConversationReadsInTimeOrder: mail synced newest page first, and
// history fetched later, arrive after newer messages; the conversation
// still pages oldest to newest by time.
func TestConversationReadsInTimeOrder(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	// Arrival order 5, 6, 3, 4, 1, 2 (pages of two, newest page first).
	var res []PutResult
	for _, i := range []int{5, 6, 3, 4, 1, 2} {
		res = append(res, put(t, s, msg("a", "alice", strconv.Itoa(i), "alice", "m"+strconv.Itoa(i), i))...)
	}
	conv := res[0].ConvRow
	all, err := s.Messages(ctx, conv, 0, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := texts(all); got != "m1,m2,m3,m4,m5,m6" {
		t.Fatalf("conversation reads %q", got)
	}
	newest, _ := s.Messages(ctx, conv, 0, 2, true)
	older, _ := s.Messages(ctx, conv, newest[0].Row, 2, true)
	oldest, _ := s.Messages(ctx, conv, older[0].Row, 10, true)
	if a, b, c := texts(newest), texts(older), texts(oldest); a != "m5,m6" || b != "m3,m4" || c != "m1,m2" {
		t.Fatalf("pages %q, %q, %q", a, b, c)
	}
}
