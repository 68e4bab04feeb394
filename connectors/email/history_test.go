package email

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"switchboard/connectors"
)

// TestHistoryReachesMailBeyondTheSyncWindow: a first sync fetches only the
// newest three mails per folder; paging History back through Carol's
// conversation yields the rest of it — her mail and ours from Sent — and
// nothing of the other threads, then says there is nothing older.
func TestHistoryReachesMailBeyondTheSyncWindow(t *testing.T) {
	srv := startServer(t)
	var inbox, sent [][]byte
	want := map[string]bool{}
	for i := range 14 {
		id := fmt.Sprintf("carol-%d@example.org", i)
		inbox = append(inbox, []byte(mailText("Carol <carol@example.org>", alice.Name, "plans", id, fmt.Sprintf("Carol %d", i))))
		want[id] = true
		// Other threads in between; "mcarol@" matches SEARCH FROM carol@ as a substring.
		inbox = append(inbox, []byte(mailText("Dave <dave@example.org>", alice.Name, "other", fmt.Sprintf("dave-%d@example.org", i), "Dave")))
		if i%3 == 0 {
			inbox = append(inbox, []byte(mailText("<mcarol@example.org>", alice.Name, "lookalike", fmt.Sprintf("mcarol-%d@example.org", i), "not Carol")))
			id := fmt.Sprintf("to-carol-%d@localhost", i)
			sent = append(sent, []byte(mailText(alice.Name, "carol@example.org", "Re: plans", id, fmt.Sprintf("Alice %d", i))))
			want[id] = true
		}
	}
	if err := srv.WriteMaildir(alice.Name, "INBOX", inbox); err != nil {
		t.Fatal(err)
	}
	if err := srv.WriteMaildir(alice.Name, "Sent", sent); err != nil {
		t.Fatal(err)
	}
	c := New()
	r := run(t, c, account(srv, alice, false, "sync_depth", "3"), alice.Password)
	got := map[string]int{}
	var carol connectors.ConversationRef
	for _, m := range messages(r.online(t)) {
		got[m.Message.Headers["Message-ID"]]++
		if m.Message.Conversation.ID == "carol@example.org" {
			carol = m.Message.Conversation
		}
	}
	if carol.ID == "" {
		t.Fatalf("the first sync brought nothing of Carol's conversation: %v", got)
	}
	synced := len(got)

	var cursor connectors.Cursor
	pages := 0
	fromHistory := map[string]int{}
	for {
		msgs, next, err := c.History(context.Background(), carol, cursor, 5)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if !slices.IsSortedFunc(msgs, func(a, b connectors.Message) int { return a.Time.Compare(b.Time) }) {
			t.Fatal("a history page is not oldest first")
		}
		for _, m := range msgs {
			id := m.Headers["Message-ID"]
			if m.Conversation.ID != "carol@example.org" {
				t.Fatalf("history of Carol's conversation returned %s of %q", id, m.Conversation.ID)
			}
			if m.Seen {
				t.Fatalf("%s is unread on the server but came as Seen", id)
			}
			fromHistory[id]++
		}
		if next == "" {
			break
		}
		if pages > 20 {
			t.Fatal("History never says there is nothing older")
		}
		cursor = next
	}
	for id := range want {
		if got[id]+fromHistory[id] == 0 {
			t.Errorf("%s never came (sync or history)", id)
		}
	}
	for id, n := range fromHistory {
		if n > 1 || !want[id] {
			t.Errorf("history returned %s %d times", id, n)
		}
	}
	t.Logf("%d mails synced, %d history pages", synced, pages)

	// A foreign cursor starts over at the newest; mail this Run already
	// delivered is not fetched (nor returned) again.
	msgs, next, err := c.History(context.Background(), carol, "garbage", 5)
	if err != nil || len(msgs) != 0 || next == "" {
		t.Fatalf("History with a foreign cursor: %d mails, next %q, %v; want none (all delivered) and more to page", len(msgs), next, err)
	}
}
