package storage

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"
)

// TestNoPlaintextOnDiskOrInLogs writes canary strings through every public
// write path and then looks for them in the database files and the log.
func TestNoPlaintextOnDiskOrInLogs(t *testing.T) {
	keyring.MockInit()
	dir := t.TempDir()
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx := context.Background()
	s, err := Open(ctx, Options{Dir: dir, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	c := func(what string) string { return "Kanarie" + what + "Vogel" }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.PutAccount(ctx, Account{Name: c("AcctName"), Network: "irc", Settings: map[string]string{"server": c("Setting")}}))
	m := MessageIn{Account: c("AcctName"), Network: "irc", ConvID: c("ConvID"), ConvTitle: c("ConvTitle"),
		RemoteID: c("RemoteID"), Sender: c("Sender"), SenderName: c("SenderName"), Time: t0, Direction: In,
		Text: "hello " + c("Text") + " bye", Hold: HeldRequest, HoldReason: c("HoldReason")}
	_, err = s.PutMessages(ctx, []MessageIn{m})
	must(err)
	m.RemoteID, m.Hold, m.Text = c("RemoteID2"), Delivered, c("Text2")
	m.Attachments = []AttachmentIn{{Name: c("FileName"), Type: "application/x-" + c("FileType"), Size: 40}}
	res, err := s.PutMessages(ctx, []MessageIn{m})
	must(err)
	atts, err := s.Attachments(ctx, res[0].MsgRow)
	must(err)
	_, err = s.SaveAttachment(ctx, atts[0].ID, strings.NewReader(strings.Repeat(c("FileBytes"), 3)))
	must(err)
	must(s.FailAttachment(ctx, atts[0].ID, c("FileError")))
	must(s.PutContact(ctx, Contact{Account: c("AcctName"), Handle: c("Handle"), Name: c("ContactName"), Evidence: []string{c("Evidence")}}))
	it, err := s.Enqueue(ctx, OutboxItem{Account: c("AcctName"), Network: "irc", ConvID: c("OutConv"), Text: c("OutText")})
	must(err)
	must(s.MarkFailed(ctx, it.ID, c("SendError")))
	must(s.PutConsent(ctx, Consent{Account: c("AcctName"), Handle: c("Brand"), State: "subscribed", Scopes: []string{"offers"}}))
	_, err = s.AppendLedger(ctx, LedgerEntry{Account: c("AcctName"), Network: "irc", Brand: c("LedgerBrand"), NewState: "blocked", MessageID: c("LedgerMsg")})
	must(err)
	must(s.PutBlob(ctx, c("AcctName"), c("BlobKey"), []byte(c("BlobData"))))
	must(s.SetPref(ctx, c("PrefKey"), c("PrefValue")))
	must(s.PutSecret(ctx, c("AcctName"), "password", c("Password")))
	must(s.UpdateAccountState(ctx, c("AcctName"), map[string][]byte{c("StateName"): []byte(c("StateValue"))}))
	// Reads and searches log nothing secret either.
	if hits, err := s.Search(ctx, "KanarieText", 10, 0); err != nil || len(hits) != 1 {
		t.Fatalf("search: %d %v", len(hits), err)
	}
	s.SearchContacts(ctx, c("Handle"), 10)
	s.ListConversations(ctx, ConvQuery{Filter: FilterRequests})

	canaries := []string{"AcctName", "Setting", "ConvID", "ConvTitle", "RemoteID", "Sender", "Text", "HoldReason",
		"Handle", "ContactName", "Evidence", "OutConv", "OutText", "SendError", "Brand", "LedgerBrand", "LedgerMsg",
		"BlobKey", "BlobData", "PrefKey", "PrefValue", "Password", "StateName", "StateValue",
		"FileName", "FileType", "FileBytes", "FileError"}
	check := func(when string) {
		t.Helper()
		files := map[string][]byte{"log": logs.Bytes()}
		for _, f := range []string{archiveFile, archiveFile + "-wal", archiveFile + "-shm", profileFile} {
			if b, err := os.ReadFile(filepath.Join(dir, f)); err == nil {
				files[f] = b
			}
		}
		for name, b := range files {
			if bytes.Contains(b, []byte("Kanarie")) || bytes.Contains(b, []byte("kanarie")) {
				for _, w := range canaries {
					if bytes.Contains(bytes.ToLower(b), bytes.ToLower([]byte(c(w)))) {
						t.Errorf("%s: canary %q found in %s", when, c(w), name)
					}
				}
				t.Errorf("%s: canary prefix found in %s", when, name)
			}
		}
	}
	if st, err := os.Stat(filepath.Join(dir, archiveFile+"-wal")); err != nil || st.Size() == 0 {
		t.Fatalf("expected a live -wal file while open: %v", err)
	}
	check("while open")
	must(s.Close())
	check("after close")
	if len(logs.Bytes()) == 0 {
		t.Fatal("nothing was logged; the log check proves nothing")
	}
}
