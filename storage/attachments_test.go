package storage

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/zalando/go-keyring"
)

// putWithFiles stores one message listing the given files and returns its
// attachments as stored.
func putWithFiles(t *testing.T, s *Store, rid string, files ...AttachmentIn) (PutResult, []Attachment) {
	t.Helper()
	m := msg("acct", "bob@example.org", rid, "bob", "see the files", 1)
	m.Attachments = files
	res := put(t, s, m)
	atts, err := s.Attachments(context.Background(), res[0].MsgRow)
	if err != nil {
		t.Fatal(err)
	}
	return res[0], atts
}

func readAll(t *testing.T, s *Store, id int64) ([]byte, error) {
	t.Helper()
	_, rc, err := s.OpenAttachment(context.Background(), id)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func TestAttachmentsAreListedWithTheirMessageAndPendingUntilSaved(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	res, atts := putWithFiles(t, s, "m1",
		AttachmentIn{Name: "report.pdf", Type: "application/pdf", Size: 1200},
		AttachmentIn{Name: "photo.jpg", Type: "image/jpeg", Size: -1})
	if len(atts) != 2 || atts[0].Name != "report.pdf" || atts[0].Index != 0 || atts[1].Index != 1 ||
		atts[1].Size != -1 || atts[0].State != AttachPending || atts[0].MsgRow != res.MsgRow {
		t.Fatalf("attachments %+v", atts)
	}
	m, err := s.Message(ctx, res.MsgRow)
	if err != nil || len(m.Attachments) != 2 || m.Attachments[1].Name != "photo.jpg" {
		t.Fatalf("message carries %+v (%v)", m.Attachments, err)
	}
	page, err := s.Messages(ctx, res.ConvRow, 0, 10, false)
	if err != nil || len(page) != 1 || len(page[0].Attachments) != 2 {
		t.Fatalf("page %+v (%v)", page, err)
	}
	pend, err := s.PendingAttachments(ctx, "acct", 10)
	if err != nil || len(pend) != 2 || pend[0].RemoteID != "m1" || pend[0].Account != "acct" {
		t.Fatalf("pending %+v (%v)", pend, err)
	}
	blocked := msg("acct", "deals@shop.example", "spam1", "deals@shop.example", "offer", 3)
	blocked.Hold, blocked.Attachments = HeldBlocked, []AttachmentIn{{Name: "catalogue.pdf", Size: 9 << 20}}
	put(t, s, blocked)
	if pend, _ := s.PendingAttachments(ctx, "acct", 10); len(pend) != 2 {
		t.Fatalf("a blocked brand's file is fetched on its own: %+v", pend)
	}
	if _, err := readAll(t, s, atts[0].ID); !errors.Is(err, ErrNotSaved) {
		t.Fatalf("reading a pending attachment: %v", err)
	}
	// A duplicate of the message does not list its files twice.
	putWithFiles(t, s, "m1", AttachmentIn{Name: "report.pdf", Type: "application/pdf", Size: 1200})
	if again, _ := s.Attachments(ctx, res.MsgRow); len(again) != 2 {
		t.Fatalf("after duplicate: %d attachments", len(again))
	}
}

func TestSavedAttachmentReadsBackByteForByteAcrossChunksAndReopen(t *testing.T) {
	s, dir := openTest(t)
	ctx := context.Background()
	_, atts := putWithFiles(t, s, "m1", AttachmentIn{Name: "big.bin", Type: "application/octet-stream", Size: 3 << 20})
	data := make([]byte, 3*attachChunk*chunksPerTx/2+12345) // several transactions, a short last chunk
	rand.Read(data)
	// A reader that returns short reads exercises the chunking.
	a, err := s.SaveAttachment(ctx, atts[0].ID, iotest.HalfReader(bytes.NewReader(data)))
	if err != nil {
		t.Fatal(err)
	}
	if a.State != AttachSaved || a.Size != int64(len(data)) {
		t.Fatalf("saved %+v", a)
	}
	if pend, _ := s.PendingAttachments(ctx, "acct", 10); len(pend) != 0 {
		t.Fatalf("still pending: %+v", pend)
	}
	s = reopen(t, s, dir)
	got, err := readAll(t, s, atts[0].ID)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes (want %d): %v", len(got), len(data), err)
	}
	// Saving again replaces the bytes.
	if _, err := s.SaveAttachment(ctx, atts[0].ID, bytes.NewReader([]byte("short"))); err != nil {
		t.Fatal(err)
	}
	if got, err := readAll(t, s, atts[0].ID); err != nil || string(got) != "short" {
		t.Fatalf("after second save: %q %v", got, err)
	}
	// An empty file is a saved empty file.
	if a, err := s.SaveAttachment(ctx, atts[0].ID, bytes.NewReader(nil)); err != nil || a.Size != 0 || a.State != AttachSaved {
		t.Fatalf("empty: %+v %v", a, err)
	}
	if got, err := readAll(t, s, atts[0].ID); err != nil || len(got) != 0 {
		t.Fatalf("empty read: %q %v", got, err)
	}
}

func TestInterruptedSaveLeavesTheAttachmentPending(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	_, atts := putWithFiles(t, s, "m1", AttachmentIn{Name: "a.bin", Size: 10 << 20})
	broken := io.MultiReader(bytes.NewReader(make([]byte, 2*attachChunk*chunksPerTx)), iotest.ErrReader(errors.New("link dropped")))
	if _, err := s.SaveAttachment(ctx, atts[0].ID, broken); err == nil {
		t.Fatal("a failing reader saved the attachment")
	}
	a, err := s.Attachment(ctx, atts[0].ID)
	if err != nil || a.State != AttachPending {
		t.Fatalf("after interruption: %+v %v", a, err)
	}
	if _, err := s.SaveAttachment(ctx, atts[0].ID, bytes.NewReader([]byte("whole"))); err != nil {
		t.Fatal(err)
	}
	if got, err := readAll(t, s, atts[0].ID); err != nil || string(got) != "whole" {
		t.Fatalf("after retry: %q %v", got, err)
	}
}

func TestFailedAttachmentKeepsItsReasonAndLeavesThePendingList(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	_, atts := putWithFiles(t, s, "m1", AttachmentIn{Name: "a.bin", Size: 5})
	if err := s.FailAttachment(ctx, atts[0].ID, "the mail was deleted from the server"); err != nil {
		t.Fatal(err)
	}
	a, err := s.Attachment(ctx, atts[0].ID)
	if err != nil || a.State != AttachFailed || a.Error != "the mail was deleted from the server" || a.Size != 5 {
		t.Fatalf("failed: %+v %v", a, err)
	}
	if pend, _ := s.PendingAttachments(ctx, "acct", 10); len(pend) != 0 {
		t.Fatalf("failed attachment still pending: %+v", pend)
	}
	if err := s.FailAttachment(ctx, 999, "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown attachment: %v", err)
	}
}

func TestTamperedAttachmentChunksAreRefused(t *testing.T) {
	ctx := context.Background()
	cases := map[string]string{
		"changed chunk":   `UPDATE attachment_chunks SET body = (SELECT body FROM attachment_chunks WHERE seq = 1 AND att_id = ?1) WHERE seq = 0 AND att_id = ?1`,
		"dropped chunk":   `DELETE FROM attachment_chunks WHERE seq = 1 AND att_id = ?1`,
		"truncated count": `UPDATE attachments SET chunks = 1 WHERE id = ?1`,
		"moved message":   `UPDATE attachments SET msg_id = msg_id + 1 WHERE id = ?1`,
	}
	for name, q := range cases {
		t.Run(name, func(t *testing.T) {
			s, dir := openTest(t)
			_, atts := putWithFiles(t, s, "m1", AttachmentIn{Name: "a.bin", Size: 3 * attachChunk})
			if _, err := s.SaveAttachment(ctx, atts[0].ID, bytes.NewReader(make([]byte, 3*attachChunk))); err != nil {
				t.Fatal(err)
			}
			s.Close()
			db := rawDB(t, dir)
			if _, err := db.Exec(q, atts[0].ID); err != nil {
				t.Fatal(err)
			}
			db.Close()
			s2, err := Open(ctx, Options{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			defer s2.Close()
			if _, err := readAll(t, s2, atts[0].ID); !errors.Is(err, ErrTampered) {
				t.Fatalf("read after %s: %v", name, err)
			}
		})
	}
}

func TestDeletingAMessageDeletesItsAttachmentBytes(t *testing.T) {
	s, dir := openTest(t)
	ctx := context.Background()
	_, atts := putWithFiles(t, s, "m1", AttachmentIn{Name: "a.bin", Size: 10})
	if _, err := s.SaveAttachment(ctx, atts[0].ID, bytes.NewReader(make([]byte, 10))); err != nil {
		t.Fatal(err)
	}
	err := s.write(ctx, func(tx *wtx) error { return tx.deleteMessages([]int64{atts[0].MsgRow}) })
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db := rawDB(t, dir)
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM attachments) + (SELECT count(*) FROM attachment_chunks)`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d attachment rows left (%v)", n, err)
	}
}

func TestExportCarriesAttachmentsAndImportRestoresThemSealed(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	_, atts := putWithFiles(t, s, "m1",
		AttachmentIn{Name: "scan.pdf", Type: "application/pdf", Size: 600 << 10},
		AttachmentIn{Name: "later.zip", Type: "application/zip", Size: 99})
	data := make([]byte, 600<<10)
	rand.Read(data)
	if _, err := s.SaveAttachment(ctx, atts[0].ID, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	put(t, s, msg("acct", "bob@example.org", "m2", "bob", "no files here", 2))
	var exp1 bytes.Buffer
	if n, err := s.Export(ctx, &exp1); err != nil || n != 2 {
		t.Fatalf("export: %d messages, %v", n, err)
	}
	if lines := bytes.Count(exp1.Bytes(), []byte("\n")); lines != 2+3 {
		t.Fatalf("export has %d lines, want 2 messages + 3 pieces of 256 KiB", lines)
	}

	fresh, _ := openTest(t)
	st, err := fresh.Import(ctx, bytes.NewReader(exp1.Bytes()), nil)
	if err != nil || st.Inserted != 2 || st.Read != 2 {
		t.Fatalf("import: %+v %v", st, err)
	}
	conv, err := fresh.FindConversation(ctx, "acct", "bob@example.org")
	if err != nil {
		t.Fatal(err)
	}
	page, err := fresh.Messages(ctx, conv.Row, 0, 10, true)
	if err != nil || len(page) != 2 || len(page[0].Attachments) != 2 {
		t.Fatalf("imported page %+v %v", page, err)
	}
	got := page[0].Attachments
	if got[0].State != AttachSaved || got[1].State != AttachPending || got[1].Name != "later.zip" {
		t.Fatalf("imported attachments %+v", got)
	}
	if b, err := readAll(t, fresh, got[0].ID); err != nil || !bytes.Equal(b, data) {
		t.Fatalf("imported bytes differ (%d bytes): %v", len(b), err)
	}
	var exp2 bytes.Buffer
	if _, err := fresh.Export(ctx, &exp2); err != nil || !bytes.Equal(exp1.Bytes(), exp2.Bytes()) {
		t.Fatalf("re-export differs (%v)", err)
	}
	// Importing again changes nothing.
	if st, err := fresh.Import(ctx, bytes.NewReader(exp1.Bytes()), nil); err != nil || st.Duplicates != 2 {
		t.Fatalf("second import: %+v %v", st, err)
	}
}

func TestImportRefusesAttachmentDataOutOfOrder(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	src := `{"account":"acct","network":"irc","conversation":"bob","remote_id":"m1","time":"2025-03-01T12:00:00Z","direction":"in","text":"x","attachments":[{"name":"a.bin","type":"","size":6}]}
{"attachment_data":{"account":"acct","remote_id":"m1","index":0,"seq":1,"data":"YWJj","last":true}}
`
	st, err := s.Import(ctx, strings.NewReader(src), nil)
	if err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "out of order") || st.Inserted != 1 {
		t.Fatalf("import: %+v %v", st, err)
	}
	src = `{"attachment_data":{"account":"acct","remote_id":"nope","index":0,"seq":0,"data":"YWJj","last":true}}` + "\n"
	if _, err := s.Import(ctx, strings.NewReader(src), nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("data without its message: %v", err)
	}
}

// BenchmarkAttachmentSaveAndRead25MB seals a 25 MB file into the archive
// and reads it back (MB/s from b.SetBytes; the whole file is never held).
func BenchmarkAttachmentSaveAndRead25MB(b *testing.B) {
	keyring.MockInit()
	s, err := Open(context.Background(), Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	const size = 25 << 20
	b.SetBytes(size)
	for i := 0; i < b.N; i++ {
		m := msg("acct", "bob", fmt.Sprintf("m%d", i), "bob", "file", i)
		m.Attachments = []AttachmentIn{{Name: "big.bin", Size: size}}
		res, err := s.PutMessages(ctx, []MessageIn{m})
		if err != nil {
			b.Fatal(err)
		}
		atts, _ := s.Attachments(ctx, res[0].MsgRow)
		if _, err := s.SaveAttachment(ctx, atts[0].ID, io.LimitReader(rand.Reader, size)); err != nil {
			b.Fatal(err)
		}
		_, rc, err := s.OpenAttachment(ctx, atts[0].ID)
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, rc); err != nil || n != size {
			b.Fatalf("read back %d: %v", n, err)
		}
	}
}
