package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
)

func TestDuplicateMessageIsNoOp(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	r1 := put(t, s, msg("a", "#go", "id1", "bob", "first", 0))
	r2 := put(t, s, msg("a", "#go", "id1", "bob", "changed", 1), msg("a", "#go", "id2", "bob", "second", 2),
		msg("a", "#go", "id2", "bob", "dup in batch", 3))
	if !r1[0].Inserted || r2[0].Inserted || !r2[1].Inserted || r2[2].Inserted {
		t.Fatalf("inserted flags: %+v %+v", r1, r2)
	}
	if r2[0].MsgRow != r1[0].MsgRow || r2[0].ConvRow != r1[0].ConvRow || r2[2].MsgRow != r2[1].MsgRow {
		t.Fatalf("duplicate rows: %+v %+v", r1, r2)
	}
	// The same remote ID on another account is a different message.
	r3 := put(t, s, msg("b", "#go", "id1", "bob", "other account", 0))
	if !r3[0].Inserted {
		t.Fatal("other account deduplicated")
	}
	ms, err := s.Messages(ctx, r1[0].ConvRow, 0, 10, true)
	if err != nil || texts(ms) != "first,second" {
		t.Fatalf("messages %q %v", texts(ms), err)
	}
	c, _ := s.Conversation(ctx, r1[0].ConvRow)
	if c.Unread != 2 {
		t.Fatalf("unread %d", c.Unread)
	}
}

func TestMessageFieldsRoundTrip(t *testing.T) {
	s, _ := openTest(t)
	in := msg("acct", "#chan", "r1", "alice", "an /me action", 5)
	in.ConvGroup, in.ConvTitle, in.Action, in.Notice = true, "The Channel", true, true
	in.Direction, in.SendState = Out, SendSent
	res := put(t, s, in)
	m, err := s.Message(context.Background(), res[0].MsgRow)
	if err != nil {
		t.Fatal(err)
	}
	want := Message{Row: res[0].MsgRow, ConvRow: res[0].ConvRow, Account: "acct", Network: "irc", RemoteID: "r1",
		Sender: "alice", SenderName: "alice Name", Time: in.Time, Direction: Out, Text: "an /me action",
		Action: true, Notice: true, SendState: SendSent}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("got  %+v\nwant %+v", m, want)
	}
	c, err := s.FindConversation(context.Background(), "acct", "#chan")
	if err != nil || c.Title != "The Channel" || !c.Group || c.RemoteID != "#chan" || c.Row != res[0].ConvRow {
		t.Fatalf("conv %+v %v", c, err)
	}
	if _, err := s.Message(context.Background(), 999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("absent message: %v", err)
	}
	if _, err := s.FindConversation(context.Background(), "acct", "#nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("absent conversation: %v", err)
	}
}

func TestConversationTitleKeptWhenEmpty(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	a := msg("a", "bob", "1", "bob", "x", 0)
	res := put(t, s, a)
	if c, _ := s.Conversation(ctx, res[0].ConvRow); c.Title != "bob" {
		t.Fatalf("default title %q", c.Title)
	}
	a.RemoteID, a.ConvTitle = "2", "Bob Builder"
	put(t, s, a)
	a.RemoteID, a.ConvTitle = "3", ""
	put(t, s, a)
	if c, _ := s.Conversation(ctx, res[0].ConvRow); c.Title != "Bob Builder" {
		t.Fatalf("title %q", c.Title)
	}
}

func TestFlippedByteInSealedColumnIsTampered(t *testing.T) {
	s, dir := openTest(t)
	ctx := context.Background()
	res := put(t, s, msg("a", "#go", "1", "bob", "secret text", 0), msg("a", "#go", "2", "bob", "other", 1))
	db := rawDB(t, dir)
	flipByte(t, db, "messages", res[0].MsgRow, 30)
	_, err := s.Message(ctx, res[0].MsgRow)
	if !errors.Is(err, ErrTampered) {
		t.Fatalf("flipped byte: err = %v", err)
	}
	// A valid sealed value moved to another row is rejected too.
	if _, err := db.Exec(`UPDATE messages SET body = (SELECT body FROM messages WHERE id = ?) WHERE id = ?`,
		res[1].MsgRow, res[0].MsgRow); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Message(ctx, res[0].MsgRow); !errors.Is(err, ErrTampered) {
		t.Fatalf("moved value: err = %v", err)
	}
	if _, err := db.Exec(`UPDATE conversations SET body = zeroblob(60)`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Conversation(ctx, res[0].ConvRow); !errors.Is(err, ErrTampered) {
		t.Fatalf("conversation: err = %v", err)
	}
}

func TestSealFlipEveryByte(t *testing.T) {
	k := randomBytes(32)
	sl, err := newSealer(k)
	if err != nil {
		t.Fatal(err)
	}
	sealed := sl.seal([]byte("hello world"), ad("messages", 7))
	if got, err := sl.open(sealed, ad("messages", 7)); err != nil || string(got) != "hello world" {
		t.Fatalf("open: %q %v", got, err)
	}
	for i := range sealed {
		c := append([]byte(nil), sealed...)
		c[i] ^= 0x01
		if _, err := sl.open(c, ad("messages", 7)); !errors.Is(err, ErrTampered) {
			t.Fatalf("byte %d flipped: err = %v", i, err)
		}
	}
	if _, err := sl.open(sealed, ad("messages", 8)); !errors.Is(err, ErrTampered) {
		t.Fatal("wrong row accepted")
	}
	if _, err := sl.open(sealed[:10], ad("messages", 7)); !errors.Is(err, ErrTampered) {
		t.Fatal("truncated accepted")
	}
}

func TestMessagesPageNewestFirstInAscendingOrder(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	var in []MessageIn
	for i := range 25 {
		m := msg("a", "#go", fmt.Sprint(i), "bob", fmt.Sprint(i), i)
		if i == 20 {
			m.Hold = HeldRequest
		}
		in = append(in, m)
	}
	res := put(t, s, in...)
	conv := res[0].ConvRow
	page, err := s.Messages(ctx, conv, 0, 10, true)
	if err != nil || texts(page) != "15,16,17,18,19,20,21,22,23,24" {
		t.Fatalf("page 1: %q %v", texts(page), err)
	}
	page, _ = s.Messages(ctx, conv, page[0].Row, 10, true)
	if texts(page) != "5,6,7,8,9,10,11,12,13,14" {
		t.Fatalf("page 2: %q", texts(page))
	}
	page, _ = s.Messages(ctx, conv, page[0].Row, 10, true)
	if texts(page) != "0,1,2,3,4" {
		t.Fatalf("page 3: %q", texts(page))
	}
	page, _ = s.Messages(ctx, conv, 0, 5, false)
	if texts(page) != "19,21,22,23,24" {
		t.Fatalf("without held: %q", texts(page))
	}
}

func TestConcurrentPutMessagesAllLand(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for g := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				m := msg("a", fmt.Sprintf("conv%d", g%5), fmt.Sprintf("%d-%d", g, i), "bob", "hi", i)
				res, err := s.PutMessages(ctx, []MessageIn{m, m})
				if err != nil {
					errs <- err
					return
				}
				if !res[0].Inserted || res[1].Inserted || res[0].MsgRow != res[1].MsgRow {
					errs <- fmt.Errorf("results %+v", res)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	total, _ := s.UnreadTotal(ctx)
	if total != 400 {
		t.Fatalf("unread total %d, want 400", total)
	}
}

func TestInvalidMessagesAreRejected(t *testing.T) {
	s, _ := openTest(t)
	bad := msg("a", "#go", "", "bob", "x", 0)
	if _, err := s.PutMessages(context.Background(), []MessageIn{bad}); err == nil {
		t.Fatal("missing remote ID accepted")
	}
	bad = msg("a", "#go", "1", "bob", "x", 0)
	bad.Direction = "sideways"
	if _, err := s.PutMessages(context.Background(), []MessageIn{bad}); err == nil {
		t.Fatal("bad direction accepted")
	}
}

// flipByte flips one bit of a sealed body on disk.
func flipByte(t *testing.T, db *sql.DB, table string, id int64, at int) {
	t.Helper()
	var body []byte
	if err := db.QueryRow("SELECT body FROM "+table+" WHERE rowid = ?", id).Scan(&body); err != nil {
		t.Fatal(err)
	}
	body[at%len(body)] ^= 0x01
	if _, err := db.Exec("UPDATE "+table+" SET body = ? WHERE rowid = ?", body, id); err != nil {
		t.Fatal(err)
	}
}
