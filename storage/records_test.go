package storage

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestContactsMergeAndSearch(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	if _, err := s.Contact(ctx, "a", "bob"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("absent contact: %v", err)
	}
	c := Contact{Account: "a", Handle: "bob@example.org", Name: "Bob Müller", Kind: ContactPerson, Evidence: []string{"vcard"}}
	if err := s.PutContact(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUserKind(ctx, "a", "bob@example.org", ContactBrand); err != nil {
		t.Fatal(err)
	}
	// A later update without UserKind keeps the user's word; evidence replaced.
	if err := s.PutContact(ctx, Contact{Account: "a", Handle: "bob@example.org", Kind: ContactBot, Evidence: []string{"bot flag"}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Contact(ctx, "a", "bob@example.org")
	if err != nil || got.Name != "Bob Müller" || got.Kind != ContactBot || got.UserKind != ContactBrand ||
		len(got.Evidence) != 1 || got.Evidence[0] != "bot flag" || got.Account != "a" || got.Updated.IsZero() {
		t.Fatalf("merged contact %+v %v", got, err)
	}
	s.PutContact(ctx, Contact{Account: "b", Handle: "carol", Name: "Carol Muller"})
	for q, want := range map[string]string{"müller": "bob@example.org", "MÜL": "bob@example.org",
		"example": "bob@example.org", "carol": "carol", "muller": "carol", "bob zed": ""} {
		cs, err := s.SearchContacts(ctx, q, 10)
		var hs []string
		for _, c := range cs {
			hs = append(hs, c.Handle)
		}
		if err != nil || strings.Join(hs, ",") != want {
			t.Errorf("search contacts %q = %v %v, want %q", q, hs, err, want)
		}
	}
	all, _ := s.Contacts(ctx, "")
	onlyB, _ := s.Contacts(ctx, "b")
	if len(all) != 2 || len(onlyB) != 1 || onlyB[0].Handle != "carol" || onlyB[0].Kind != ContactUnknown {
		t.Fatalf("contacts %+v / %+v", all, onlyB)
	}
}

// TestOutboxKeepsTheSubject: an item's subject survives being failed and
// retried, and an item written before subjects existed still opens.
func TestOutboxKeepsTheSubject(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	it, err := s.Enqueue(ctx, OutboxItem{Account: "m", Network: "email", ConvID: "dana@example.org", Text: "Corrected invoice attached.", Subject: "Invoice 2291, corrected"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.MarkFailed(ctx, it.ID, "timeout"); err != nil {
		t.Fatal(err)
	}
	if err := s.Retry(ctx, it.ID); err != nil {
		t.Fatal(err)
	}
	items, _ := s.Outbox(ctx, "m", SendPending)
	if len(items) != 1 || items[0].Subject != "Invoice 2291, corrected" || items[0].Text != "Corrected invoice attached." {
		t.Fatalf("items %+v", items)
	}
	old := s.seal.seal((&fields{}).str("dana@example.org").str("hi").str("").str("").b, ad("outbox", 77))
	b, err := s.openOutbox(77, old)
	if err != nil || b.subject != "" || b.text != "hi" {
		t.Fatalf("an item without a subject: %+v, %v", b, err)
	}
}

// TestOutboxFilesAreTheMessagesAttachments: files enqueued with a message
// are listed on its pending row, saved sealed by the caller, and never
// offered to the network download loop.
func TestOutboxFilesAreTheMessagesAttachments(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	it, err := s.Enqueue(ctx, OutboxItem{Account: "m", Network: "email", ConvID: "dana@example.org", Text: "The quote.",
		Files: []AttachmentIn{{Name: "quote.pdf", Type: "application/pdf", Size: 5}}})
	if err != nil {
		t.Fatal(err)
	}
	atts, err := s.Attachments(ctx, it.MsgRow)
	if err != nil || len(atts) != 1 || atts[0].Name != "quote.pdf" || atts[0].State != AttachPending {
		t.Fatalf("attachments %+v, %v", atts, err)
	}
	if p, err := s.PendingAttachments(ctx, "m", 10); err != nil || len(p) != 0 {
		t.Fatalf("the outbox file is offered for download: %+v, %v", p, err)
	}
	if _, err := s.SaveAttachment(ctx, atts[0].ID, strings.NewReader("%PDF-")); err != nil {
		t.Fatal(err)
	}
	_, rc, err := s.OpenAttachment(ctx, atts[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if b, _ := io.ReadAll(rc); string(b) != "%PDF-" {
		t.Fatalf("read back %q", b)
	}
}

func TestOutboxLifecycle(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	it, err := s.Enqueue(ctx, OutboxItem{Account: "a", Network: "irc", ConvID: "#go", ConvGroup: true, Text: "hello all"})
	if err != nil || it.ID == 0 || it.MsgRow == 0 || it.State != SendPending {
		t.Fatalf("enqueue %+v %v", it, err)
	}
	m, _ := s.Message(ctx, it.MsgRow)
	if m.Direction != Out || m.SendState != SendPending || m.RemoteID != "local:1" || m.Text != "hello all" {
		t.Fatalf("pending message %+v", m)
	}
	if err := s.MarkSending(ctx, it.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkFailed(ctx, it.ID, "not connected"); err != nil {
		t.Fatal(err)
	}
	items, _ := s.Outbox(ctx, "a", SendFailed)
	if len(items) != 1 || items[0].Attempts != 1 || items[0].Error != "not connected" || items[0].Text != "hello all" ||
		items[0].ConvID != "#go" || !items[0].ConvGroup || items[0].Network != "irc" {
		t.Fatalf("failed items %+v", items)
	}
	if m, _ := s.Message(ctx, it.MsgRow); m.SendState != SendFailed || m.SendError != "not connected" {
		t.Fatalf("failed message %+v", m)
	}
	if err := s.Retry(ctx, it.ID); err != nil {
		t.Fatal(err)
	}
	if items, _ := s.Outbox(ctx, "", SendPending); len(items) != 1 || items[0].Error != "" {
		t.Fatalf("after retry %+v", items)
	}
	if err := s.MarkSent(ctx, it.ID, "srv-1"); err != nil {
		t.Fatal(err)
	}
	m, _ = s.Message(ctx, it.MsgRow)
	if m.SendState != SendSent || m.RemoteID != "srv-1" {
		t.Fatalf("sent message %+v", m)
	}
	// The server's echo of the same message is now a duplicate.
	echo := msg("a", "#go", "srv-1", "me", "hello all", 0)
	echo.Direction = Out
	if res := put(t, s, echo); res[0].Inserted || res[0].MsgRow != it.MsgRow {
		t.Fatalf("echo %+v", res)
	}
	if items, _ := s.Outbox(ctx, "a"); len(items) != 1 || items[0].State != SendSent || items[0].RemoteID != "srv-1" {
		t.Fatalf("items %+v", items)
	}
	if err := s.MarkSending(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("absent item: %v", err)
	}
}

func TestEchoStoredBeforeMarkSentKeepsTheEcho(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	it, _ := s.Enqueue(ctx, OutboxItem{Account: "a", Network: "irc", ConvID: "bob", Text: "hi bob"})
	echo := msg("a", "bob", "srv-9", "me", "hi bob", 0)
	echo.Direction = Out
	res := put(t, s, echo)
	if err := s.MarkSent(ctx, it.ID, "srv-9"); err != nil {
		t.Fatal(err)
	}
	ms, _ := s.Messages(ctx, res[0].ConvRow, 0, 10, true)
	if len(ms) != 1 || ms[0].Row != res[0].MsgRow || ms[0].SendState != SendSent {
		t.Fatalf("messages %+v", ms)
	}
	items, _ := s.Outbox(ctx, "a")
	if items[0].MsgRow != res[0].MsgRow {
		t.Fatalf("outbox points at %d", items[0].MsgRow)
	}
	if hits, _ := s.Search(ctx, "hi bob", 10, 0); len(hits) != 1 || hits[0].Row != res[0].MsgRow {
		t.Fatalf("search %+v", hits)
	}
}

func TestConsentAndLedger(t *testing.T) {
	s, dir := openTest(t)
	ctx := context.Background()
	if _, err := s.Consent(ctx, "a", "acme"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unset consent: %v", err)
	}
	until := t0.Add(72 * time.Hour)
	c := Consent{Account: "a", Handle: "acme", State: "subscribed", Scopes: []string{"updates", "offers"}, Until: until, LastUserMsg: t0, Updated: t0}
	if err := s.PutConsent(ctx, c); err != nil {
		t.Fatal(err)
	}
	c.State = "blocked"
	s.PutConsent(ctx, c)
	got, err := s.Consent(ctx, "a", "acme")
	if err != nil || got.State != "blocked" || len(got.Scopes) != 2 || !got.Until.Equal(until) || got.Account != "a" {
		t.Fatalf("consent %+v %v", got, err)
	}
	if all, _ := s.Consents(ctx); len(all) != 1 {
		t.Fatalf("consents %+v", all)
	}
	e1, err := s.AppendLedger(ctx, LedgerEntry{Account: "a", Network: "irc", Brand: "acme", OldState: "none", NewState: "subscribed",
		Scopes: []string{"offers"}, Until: until, How: "gui", MessageID: "m1"})
	if err != nil || e1.Seq != 1 || e1.Time.IsZero() {
		t.Fatalf("append %+v %v", e1, err)
	}
	s.AppendLedger(ctx, LedgerEntry{Account: "a", Network: "irc", Brand: "other", OldState: "none", NewState: "blocked", How: "cli"})
	s.AppendLedger(ctx, LedgerEntry{Account: "a", Network: "irc", Brand: "acme", OldState: "subscribed", NewState: "blocked", How: "cli", Result: "HTTP 200"})
	l, _ := s.Ledger(ctx, "a", "acme")
	if len(l) != 2 || l[0].Seq != 1 || l[1].Result != "HTTP 200" || l[0].Scopes[0] != "offers" || !l[0].Until.Equal(until) || l[0].MessageID != "m1" {
		t.Fatalf("ledger %+v", l)
	}
	if all, _ := s.Ledger(ctx, "", ""); len(all) != 3 {
		t.Fatalf("all ledger %d", len(all))
	}
	if byBrand, _ := s.Ledger(ctx, "", "other"); len(byBrand) != 1 {
		t.Fatalf("by brand %d", len(byBrand))
	}
	// Append-only at the database level.
	db := rawDB(t, dir)
	for _, q := range []string{"UPDATE ledger SET time = 0", "DELETE FROM ledger WHERE seq = 1"} {
		if _, err := db.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Fatalf("%s: err = %v", q, err)
		}
	}
}

func TestBlobsAndPrefsAreSealedKeyValues(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	if _, err := s.Blob(ctx, "a", "session"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("absent blob: %v", err)
	}
	big := []byte(strings.Repeat("state ", 100000))
	if err := s.PutBlob(ctx, "a", "session", big); err != nil {
		t.Fatal(err)
	}
	if b, err := s.Blob(ctx, "a", "session"); err != nil || string(b) != string(big) {
		t.Fatalf("blob: %d bytes %v", len(b), err)
	}
	s.PutBlob(ctx, "a", "session", nil)
	if _, err := s.Blob(ctx, "a", "session"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted blob: %v", err)
	}
	if _, err := s.Pref(ctx, "quiet"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("absent pref: %v", err)
	}
	s.SetPref(ctx, "quiet", "22:00-07:00")
	if v, err := s.Pref(ctx, "quiet"); err != nil || v != "22:00-07:00" {
		t.Fatalf("pref %q %v", v, err)
	}
}

func TestAccountsAndDeletion(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	a := Account{Name: "work", Network: "xmpp", Settings: map[string]string{"server": "example.org"}}
	if err := s.PutAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	put(t, s, msg("work", "bob", "1", "bob", "history", 0), msg("other", "x", "1", "x", "auto", 0))
	accts, _ := s.Accounts(ctx)
	if len(accts) != 1 || accts[0].Name != "work" || accts[0].Settings["server"] != "example.org" || accts[0].Created.IsZero() {
		t.Fatalf("accounts %+v (auto-created accounts stay hidden)", accts)
	}
	a.Disabled = true
	s.PutAccount(ctx, a)
	if got, _ := s.Account(ctx, "work"); !got.Disabled || got.Network != "xmpp" {
		t.Fatalf("account %+v", got)
	}
	if err := s.DeleteAccount(ctx, "work", false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Account(ctx, "work"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted account: %v", err)
	}
	if cs := list(t, s, FilterAll, "work"); len(cs) != 1 {
		t.Fatal("history lost without purge")
	}
	s.PutAccount(ctx, a)
	s.PutBlob(ctx, "work", "k", []byte("v"))
	if err := s.DeleteAccount(ctx, "work", true); err != nil {
		t.Fatal(err)
	}
	if cs := list(t, s, FilterAll, "work"); len(cs) != 0 {
		t.Fatal("history kept after purge")
	}
	if hits, _ := s.Search(ctx, "history", 10, 0); len(hits) != 0 {
		t.Fatal("purged message found by search")
	}
	if _, err := s.Blob(ctx, "work", "k"); !errors.Is(err, ErrNotFound) {
		t.Fatal("blob kept after purge")
	}
	if err := s.DeleteAccount(ctx, "nope", false); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete absent: %v", err)
	}
}
