package storage

import (
	"context"
	"testing"
)

func TestUnreadByAccountCountsUnmutedDeliveredUnreadPerAccount(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	held := msg("b", "acme", "5", "acme", "BUY NOW", 5)
	held.Hold, held.HoldReason = HeldRequest, "not subscribed"
	res := put(t, s,
		msg("a", "alice", "1", "alice", "one", 1), msg("a", "alice", "2", "alice", "two", 2),
		msg("a", "bob", "3", "bob", "three", 3),
		msg("b", "carol", "4", "carol", "four", 4), held,
		msg("b", "dave", "6", "dave", "six", 6))
	if err := s.SetMuted(ctx, res[2].ConvRow, true); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkRead(ctx, res[5].ConvRow); err != nil {
		t.Fatal(err)
	}
	got, err := s.UnreadByAccount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["a"] != 2 || got["b"] != 1 {
		t.Fatalf("unread by account = %v; want a:2 b:1 (muted, held and read left out)", got)
	}
	total, _ := s.UnreadTotal(ctx)
	if got["a"]+got["b"] != total {
		t.Errorf("per account %v does not add up to the total %d", got, total)
	}
}
