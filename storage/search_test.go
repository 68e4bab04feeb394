package storage

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

func searchTexts(t *testing.T, s *Store, q string) string {
	t.Helper()
	hits, err := s.Search(context.Background(), q, 50, 0)
	if err != nil {
		t.Fatalf("search %q: %v", q, err)
	}
	var out []string
	for _, h := range hits {
		out = append(out, h.Text)
	}
	return strings.Join(out, "|")
}

func searchCorpus(t *testing.T, s *Store) {
	t.Helper()
	put(t, s,
		msg("a", "#go", "1", "bob", "Please pay the invoice today", 1),
		msg("a", "#go", "2", "bob", "Invoices are overdue", 2),
		msg("a", "bob", "3", "bob", "Über cool résumé", 3),
		msg("a", "bob", "4", "bob", "über alles", 4),
		msg("a", "#jp", "5", "ken", "東京都に行きます", 5),
		msg("a", "#jp", "6", "ken", "京都は美しい", 6),
		msg("a", "#go", "7", "bob", "the invoice was paid", 7),
	)
	held := msg("a", "acme", "8", "acme", "invoice from a brand", 8)
	held.Hold = HeldRequest
	put(t, s, held)
}

func checkSearch(t *testing.T, s *Store) {
	t.Helper()
	cases := []struct{ q, want string }{
		{"invoice", "the invoice was paid|Invoices are overdue|Please pay the invoice today"},
		{"invo", "the invoice was paid|Invoices are overdue|Please pay the invoice today"},
		{"INVOICE paid", "the invoice was paid"},
		{"invoice pa", "the invoice was paid|Please pay the invoice today"},
		{"pa", ""}, // alone, a two-letter word is looked up as a word: no "pay", "paid"
		{"the", "the invoice was paid|Please pay the invoice today"},
		{"overd", "Invoices are overdue"},
		{"über", "über alles|Über cool résumé"},
		{"ÜBER", "über alles|Über cool résumé"},
		{"resume", ""}, // accents are not stripped
		{"résumé", "Über cool résumé"},
		{"ｉｎｖｏｉｃｅ", "the invoice was paid|Invoices are overdue|Please pay the invoice today"}, // NFKC
		{"京都", "京都は美しい|東京都に行きます"},
		{"東京", "東京都に行きます"},
		{"美", "京都は美しい"},
		{"nothing-here", ""},
		{"", ""},
		{"   !!! ", ""},
		{"overdueinvoicesarealongwordthatisnotthere", ""},
	}
	for _, c := range cases {
		if got := searchTexts(t, s, c.q); got != c.want {
			t.Errorf("search %q = %q, want %q", c.q, got, c.want)
		}
	}
}

func TestSearchWordsPrefixesUnicodeAndCJK(t *testing.T) {
	s, _ := openTest(t)
	searchCorpus(t, s)
	checkSearch(t, s) // from the in-memory buffer
}

func TestSearchIndexRebuiltAfterCrash(t *testing.T) {
	s, dir := openTest(t)
	searchCorpus(t, s)
	s.Close()
	// As if the process died after the messages committed, before the
	// index flush: no posting rows, watermark at 0.
	db := rawDB(t, dir)
	if _, err := db.Exec("DELETE FROM postings; UPDATE meta SET v = 0 WHERE k = 'indexed'"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s2, err := Open(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	checkSearch(t, s2)
}

func TestSearchAfterIndexFlushAndReopen(t *testing.T) {
	s, dir := openTest(t)
	searchCorpus(t, s)
	s = reopen(t, s, dir) // Close flushes the buffer into posting rows
	var n int
	if err := s.rdb.QueryRow("SELECT count(*) FROM postings").Scan(&n); err != nil || n == 0 {
		t.Fatalf("postings rows: %d %v", n, err)
	}
	checkSearch(t, s)
	// Live appends merge into the newest posting row.
	put(t, s, msg("a", "#go", "9", "bob", "another invoice", 9))
	if got := searchTexts(t, s, "invoice"); !strings.HasPrefix(got, "another invoice|the invoice was paid") {
		t.Fatalf("after live append: %q", got)
	}
}

func TestSearchHitCarriesConversation(t *testing.T) {
	s, _ := openTest(t)
	m := msg("a", "#go", "1", "bob", "hello world", 1)
	m.ConvTitle = "Go Channel"
	put(t, s, m)
	hits, err := s.Search(context.Background(), "hello", 10, 0)
	if err != nil || len(hits) != 1 || hits[0].ConvTitle != "Go Channel" || hits[0].ConvRemoteID != "#go" ||
		hits[0].Sender != "bob" || hits[0].Account != "a" {
		t.Fatalf("hits %+v %v", hits, err)
	}
}

func TestSearchPagesNewestFirst(t *testing.T) {
	s, dir := openTest(t)
	var in []MessageIn
	for i := range 300 {
		in = append(in, msg("a", fmt.Sprintf("c%d", i%7), fmt.Sprint(i), "bob", fmt.Sprintf("report number %d", i), i))
	}
	put(t, s, in...)
	s = reopen(t, s, dir)
	put(t, s, msg("a", "c1", "x", "bob", "report newest", 999))
	seen := map[string]bool{}
	prev := int64(1 << 62)
	for off := 0; off < 400; off += 37 {
		hits, err := s.Search(context.Background(), "report", 37, off)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hits {
			if h.Row >= prev || seen[h.Text] {
				t.Fatalf("order/duplicate at offset %d: %d after %d", off, h.Row, prev)
			}
			prev = h.Row
			seen[h.Text] = true
		}
	}
	if len(seen) != 301 {
		t.Fatalf("paged through %d hits, want 301", len(seen))
	}
}

func TestPurgedMessagesLeaveTheIndex(t *testing.T) {
	s, dir := openTest(t)
	m := msg("a", "spam", "1", "spammer", "zebra offer", 1)
	m.Hold = HeldBlocked
	put(t, s, m, msg("a", "bob", "2", "bob", "zebra crossing", 2))
	s = reopen(t, s, dir)
	if n, err := s.PurgeBlocked(context.Background(), ""); err != nil || n != 1 {
		t.Fatalf("purge %d %v", n, err)
	}
	var rows int
	s.rdb.QueryRow("SELECT count(*) FROM postings WHERE tok = ?", s.tags.words.tag("offer")).Scan(&rows)
	if rows != 0 {
		t.Fatal("purged message's token still indexed")
	}
	if got := searchTexts(t, s, "zebra"); got != "zebra crossing" {
		t.Fatalf("search %q", got)
	}
}

func TestTokensOfWordsAndCJK(t *testing.T) {
	var got []string
	indexTokens(normalize("Über INVOICE 東京"), func(s string) { got = append(got, s) })
	want := "übe,über,inv,invo,invoic,invoice,東,京,東京"
	if strings.Join(got, ",") != want {
		t.Fatalf("tokens %q", strings.Join(got, ","))
	}
}

func TestSearchAcrossManyPostingRows(t *testing.T) {
	s, dir := openTest(t)
	n := 0
	for round := range 40 {
		var in []MessageIn
		for i := range 300 {
			text := fmt.Sprintf("common chatter %d", n)
			if round == 2 && i == 7 {
				text = "common needle from long ago"
			}
			in = append(in, msg("a", fmt.Sprintf("c%d", i%9), fmt.Sprint(n), "bob", text, n))
			n++
		}
		put(t, s, in...)
		s = reopen(t, s, dir) // each close writes a bulk posting row per token
	}
	var rows int
	s.rdb.QueryRow("SELECT count(*) FROM postings WHERE tok = ?", s.tags.words.tag("common")).Scan(&rows)
	if rows < 2*pageRows {
		t.Fatalf("only %d posting rows for the common word; the test needs many", rows)
	}
	if got := searchTexts(t, s, "common needle"); got != "common needle from long ago" {
		t.Fatalf("rare AND common: %q", got)
	}
	if got := searchTexts(t, s, "needle common"); got != "common needle from long ago" {
		t.Fatalf("common AND rare: %q", got)
	}
	hits, err := s.Search(context.Background(), "common", 50, 11950)
	if err != nil || len(hits) != 50 || hits[49].Text != "common chatter 0" {
		t.Fatalf("oldest page of the common word: %d hits, %v", len(hits), err)
	}
}

// TestIndexLeaksLess: a message's index rows hold narrow tags and only
// the 3-, 4- and 6-rune prefixes of its words, so the stored token count
// says only whether each word has 1–3, 4, 5–6, or 7 and more runes.
func TestIndexLeaksLess(t *testing.T) {
	s, dir := openTest(t)
	put(t, s, msg("a", "bob", "1", "bob", "reconciliation", 0))
	s = reopen(t, s, dir) // flushes the index
	rows, err := s.rdb.Query(`SELECT tok FROM postings`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var tok int64
		if err := rows.Scan(&tok); err != nil {
			t.Fatal(err)
		}
		if tok < 0 || tok >= 1<<wordTagBits {
			t.Errorf("token tag %#x is wider than %d bits", tok, wordTagBits)
		}
		n++
	}
	if n != 4 { // "rec", "reco", "reconc", "reconciliation"
		t.Errorf("a 14-letter word is indexed under %d tokens, want 4", n)
	}
	if got := searchTexts(t, s, "reconc"); got != "reconciliation" {
		t.Errorf("prefix search: %q", got)
	}
	var size int
	s.rdb.QueryRow(`SELECT length(body) FROM messages`).Scan(&size)
	if size != 1+24+16+padBucket(len("1")+len("bob")+len("bob Name")+len("reconciliation")+6+1) {
		t.Errorf("sealed message of %d bytes is not padded to its bucket", size)
	}
}

func TestPadBuckets(t *testing.T) {
	for _, c := range []struct{ n, want int }{{1, 32}, {32, 32}, {33, 64}, {500, 512}, {512, 512}, {513, 576}, {1000, 1024},
		{1025, 1152}, {100000, 106496}} {
		if got := padBucket(c.n); got != c.want {
			t.Errorf("padBucket(%d) = %d, want %d", c.n, got, c.want)
		}
	}
}
