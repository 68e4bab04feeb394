package storage

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// A message written here names its outbox item in every read path (page,
// one row, search), also after the network's echo merged into it; a
// received message names none.
func TestMessageRowNamesItsOutboxItem(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	in := put(t, s, msg("a", "bob", "r1", "bob", "hello from bob", 0))
	it, err := s.Enqueue(ctx, OutboxItem{Account: "a", Network: "irc", ConvID: "bob", Text: "hi bob"})
	if err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		ms, err := s.Messages(ctx, in[0].ConvRow, 0, 10, true)
		if err != nil || len(ms) != 2 {
			t.Fatalf("%s: messages %+v, %v", when, ms, err)
		}
		for _, m := range ms {
			want := int64(0)
			if m.Direction == Out {
				want = it.ID
			}
			if m.OutboxID != want {
				t.Errorf("%s: %q has outbox ID %d, want %d", when, m.Text, m.OutboxID, want)
			}
		}
		one, err := s.Message(ctx, it.MsgRow)
		if err != nil || one.OutboxID != it.ID {
			t.Errorf("%s: Message(%d) = %+v, %v", when, it.MsgRow, one, err)
		}
		if hits, _ := s.Search(ctx, "hi bob", 10, 0); len(hits) != 1 || hits[0].OutboxID != it.ID {
			t.Errorf("%s: search %+v", when, hits)
		}
	}
	check("pending")
	if err := s.MarkFailed(ctx, it.ID, "not connected"); err != nil {
		t.Fatal(err)
	}
	check("failed")
	echo := msg("a", "bob", "srv-9", "me", "hi bob", 0)
	echo.Direction = Out
	put(t, s, echo)
	if err := s.Retry(ctx, it.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSent(ctx, it.ID, "srv-9"); err != nil {
		t.Fatal(err)
	}
	items, _ := s.Outbox(ctx, "a")
	it.MsgRow = items[0].MsgRow // the echo's row, when it was stored first
	check("sent, echo merged")
}

// Hold travels as a word; exports written with numbers still import.
func TestHoldIsAWordInJSONAndNumbersStillRead(t *testing.T) {
	b, err := json.Marshal(Message{Hold: HeldRequest})
	if err != nil || !json.Valid(b) || !strings.Contains(string(b), `"held":"request"`) {
		t.Fatalf("held message JSON %s, %v", b, err)
	}
	if b, _ := json.Marshal(Message{}); strings.Contains(string(b), `"held"`) {
		t.Fatalf("a delivered message carries held: %s", b)
	}
	for in, want := range map[string]Hold{`{"hold":2}`: HeldBlocked, `{"hold":"blocked"}`: HeldBlocked, `{"hold":"request"}`: HeldRequest, `{}`: Delivered} {
		var r ExportRecord
		if err := json.Unmarshal([]byte(in), &r); err != nil || r.Hold != want {
			t.Errorf("%s: hold %v, %v; want %v", in, r.Hold, err, want)
		}
	}
	var r ExportRecord
	if err := json.Unmarshal([]byte(`{"hold":"maybe"}`), &r); err == nil {
		t.Error("an unknown hold word was accepted")
	}
}
