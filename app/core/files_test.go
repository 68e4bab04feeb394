package core

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"switchboard/connectors"
	"switchboard/storage"
)

func msgWithFiles(account, id string, e *env, files ...connectors.Attachment) connectors.MessageReceived {
	m := msg(account, "bob@example.org", "bob@example.org", "the files you asked for", id, e.clk.Now())
	m.Message.Attachments = files
	return m
}

// attachmentsOf returns the stored attachments of the message with remote ID rid.
func (e *env) attachmentsOf(rid string) []storage.Attachment {
	e.t.Helper()
	cs := e.convs(storage.FilterAll)
	for _, cv := range cs {
		ms, err := e.core.Messages(bg, cv.Row, 0, 100)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, m := range ms {
			if m.RemoteID == rid {
				return m.Attachments
			}
		}
	}
	return nil
}

func allIn(atts []storage.Attachment, st storage.AttachState, n int) bool {
	if len(atts) != n {
		return false
	}
	for _, a := range atts {
		if a.State != st {
			return false
		}
	}
	return true
}

func TestAttachmentsAreDownloadedAndSavedWhenTheirMessageArrives(t *testing.T) {
	e := newEnv(t)
	n, id := newFakeNet(t)
	big := strings.Repeat("0123456789abcdef", 70000) // > 1 MB: several chunks
	n.files = map[string][]string{"m1": {"%PDF-1.7 quarterly report", big}}
	e.addAccount("work", id)
	e.start()
	n.waitOnline(t)
	n.deliver(t, msgWithFiles("work", "m1", e,
		connectors.Attachment{Name: "report.pdf", Type: "application/pdf", Size: 25},
		connectors.Attachment{Name: "data.bin", Type: "application/octet-stream", Size: int64(len(big))}))
	eventually(t, "both attachments saved", func() bool { return allIn(e.attachmentsOf("m1"), storage.AttachSaved, 2) })
	atts := e.attachmentsOf("m1")
	if atts[0].Name != "report.pdf" || atts[1].Size != int64(len(big)) {
		t.Fatalf("attachments %+v", atts)
	}
	var buf bytes.Buffer
	a, err := e.core.SaveAttachment(bg, atts[1].ID, &buf)
	if err != nil || buf.String() != big || a.Name != "data.bin" {
		t.Fatalf("saved %d bytes of %q: %v", buf.Len(), a.Name, err)
	}
	// The same through the control socket, as the CLI does it.
	cl, err := Dial(bg, e.dir)
	if err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if _, err := cl.SaveAttachment(bg, atts[0].ID, &buf); err != nil || buf.String() != "%PDF-1.7 quarterly report" {
		t.Fatalf("over the socket: %q %v", buf.String(), err)
	}
	listed, err := cl.Attachments(bg, atts[0].MsgRow)
	if err != nil || len(listed) != 2 || listed[1].Name != "data.bin" {
		t.Fatalf("listed over the socket: %+v %v", listed, err)
	}
	n.mu.Lock()
	fetches := n.fetches
	n.mu.Unlock()
	if fetches != 1 {
		t.Fatalf("the message was fetched %d times, want once", fetches)
	}
}

func TestAttachmentOfAMessageGoneFromTheServerIsMarkedFailedWithTheReason(t *testing.T) {
	e := newEnv(t)
	n, id := newFakeNet(t)
	n.files = map[string][]string{}
	e.addAccount("work", id)
	e.start()
	n.waitOnline(t)
	n.deliver(t, msgWithFiles("work", "gone", e, connectors.Attachment{Name: "old.zip", Size: 10}))
	eventually(t, "the attachment failed", func() bool { return allIn(e.attachmentsOf("gone"), storage.AttachFailed, 1) })
	a := e.attachmentsOf("gone")[0]
	if !strings.Contains(a.Error, "no longer on the server") {
		t.Fatalf("reason %q", a.Error)
	}
	_, err := e.core.SaveAttachment(bg, a.ID, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "old.zip") || !strings.Contains(err.Error(), "no longer on the server") {
		t.Fatalf("saving a failed attachment: %v", err)
	}
}

func TestAttachmentDownloadThatFailsStaysPendingAndIsFetchedLater(t *testing.T) {
	e := newEnv(t)
	n, id := newFakeNet(t)
	n.files = map[string][]string{"m1": {"contract text"}}
	n.fileErr = errors.New("fake: link dropped mid-download")
	e.addAccount("work", id)
	e.start()
	n.waitOnline(t)
	n.deliver(t, msgWithFiles("work", "m1", e, connectors.Attachment{Name: "contract.odt", Size: 13}))
	eventually(t, "a download attempt", func() bool {
		n.mu.Lock()
		defer n.mu.Unlock()
		return n.fetches > 0
	})
	atts := e.attachmentsOf("m1")
	if !allIn(atts, storage.AttachPending, 1) {
		t.Fatalf("after a failed download: %+v", atts)
	}
	if _, err := e.core.SaveAttachment(bg, atts[0].ID, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "link dropped") {
		t.Fatalf("save while the network fails: %v", err)
	}
	// The next connection fetches it on its own.
	n.mu.Lock()
	n.fileErr = nil
	n.mu.Unlock()
	e.reopen()
	e.start()
	n.waitOnline(t)
	eventually(t, "saved after reconnecting", func() bool { return allIn(e.attachmentsOf("m1"), storage.AttachSaved, 1) })
	var buf bytes.Buffer
	if _, err := e.core.SaveAttachment(bg, atts[0].ID, &buf); err != nil || buf.String() != "contract text" {
		t.Fatalf("saved %q: %v", buf.String(), err)
	}
}

func TestAttachmentIsNotDownloadableWhileItsAccountIsOffline(t *testing.T) {
	e := newEnv(t)
	n, id := newFakeNet(t)
	n.failRuns = 1 << 30 // never connects
	e.addAccount("work", id)
	e.start()
	// Store a message with a file directly, as an import or an earlier run would.
	res, err := e.core.store.PutMessages(bg, []storage.MessageIn{{Account: "work", Network: "coretest", ConvID: "bob", RemoteID: "m9",
		Sender: "bob", Direction: storage.In, Text: "x", Time: e.clk.Now(), Attachments: []storage.AttachmentIn{{Name: "plan.pdf", Size: 3}}}})
	if err != nil {
		t.Fatal(err)
	}
	atts, _ := e.core.Attachments(bg, res[0].MsgRow)
	_, err = e.core.SaveAttachment(bg, atts[0].ID, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), `"plan.pdf" is not downloaded yet and account "work" is offline`) {
		t.Fatalf("offline save: %v", err)
	}
}

func TestOneMessageWhoseFilesFailDoesNotHoldUpTheOthers(t *testing.T) {
	e := newEnv(t)
	n, id := newFakeNet(t)
	n.files = map[string][]string{"bad": {"x"}, "good": {"fine"}}
	n.fileErrs = map[string]error{"bad": errors.New("fake: the server refuses this one")}
	e.addAccount("work", id)
	e.start()
	n.waitOnline(t)
	n.deliver(t, msgWithFiles("work", "bad", e, connectors.Attachment{Name: "a.bin", Size: 1}))
	n.deliver(t, msgWithFiles("work", "good", e, connectors.Attachment{Name: "b.bin", Size: 4}))
	eventually(t, "the second message's file saved", func() bool { return allIn(e.attachmentsOf("good"), storage.AttachSaved, 1) })
	if !allIn(e.attachmentsOf("bad"), storage.AttachPending, 1) {
		t.Fatalf("the refused file: %+v", e.attachmentsOf("bad"))
	}
}
