package cli_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"switchboard/internal/testenv/dovecot"
)

type readAttachments struct {
	ID          int64 `json:"id"`
	Attachments []struct {
		Index int    `json:"index"`
		Name  string `json:"name"`
		Size  int64  `json:"size"`
		State string `json:"state"`
	} `json:"attachments"`
}

// TestMailAttachmentIsKeptSealedAndSavedOnRequest runs the binary against
// a real Dovecot: a mail's attachment is downloaded into the archive by
// `switchboard run`, sealed (its bytes and name are nowhere in the
// profile's files), and written out by `attachment save` — also after the
// mail server is gone, from the archive alone.
func TestMailAttachmentIsKeptSealedAndSavedOnRequest(t *testing.T) {
	srv := dovecot.New(t, dovecot.User{Name: "alice@localhost", Password: "alicepass"})
	p := newProfile(t)
	p.sb("alicepass\n", "account", "add", "email", "mail", "--user", "alice@localhost",
		"--server", srv.IMAPAddr, "--smtp", srv.SubmitAddr, "--ca-file", srv.CAFile, "--secret-stdin")

	const marker = "KanarieAnhangVogel"
	file := make([]byte, 700<<10)
	rand.Read(file)
	copy(file[1000:], marker)
	var raw strings.Builder
	raw.WriteString("From: Bob <bob@localhost>\r\nTo: alice@localhost\r\nSubject: the quote\r\nMessage-ID: <quote-1@localhost>\r\n" +
		"Date: " + time.Now().Format(time.RFC1123Z) + "\r\n" +
		"Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHere is the quote.\r\n" +
		"--B\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"" + marker + " quote.pdf\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString(file)
	for len(enc) > 76 {
		raw.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	raw.WriteString(enc + "\r\n--B--\r\n")
	if err := srv.Deliver("sender@localhost", []string{"alice@localhost"}, strings.NewReader(raw.String())); err != nil {
		t.Fatal(err)
	}
	run := p.start()

	var msg readAttachments
	eventually(t, "the attachment saved in the archive", func() bool {
		rows := p.inbox()
		if len(rows) != 1 {
			return false
		}
		var msgs []readAttachments
		if err := json.Unmarshal([]byte(p.sb("", "read", fmt.Sprint(rows[0].ID), "--json")), &msgs); err != nil || len(msgs) != 1 {
			return false
		}
		msg = msgs[0]
		return len(msg.Attachments) == 1 && msg.Attachments[0].State == "saved"
	})
	if a := msg.Attachments[0]; a.Index != 1 || a.Name != marker+" quote.pdf" || a.Size != int64(len(file)) {
		t.Fatalf("attachment %+v", a)
	}
	if list := p.sb("", "attachment", "list", fmt.Sprint(msg.ID)); !strings.Contains(list, "quote.pdf") || !strings.Contains(list, "717 KB") || !strings.Contains(list, "saved") {
		t.Fatalf("attachment list:\n%s", list)
	}

	// Through the running process's control socket.
	dir := t.TempDir()
	out := p.sb("", "attachment", "save", fmt.Sprint(msg.ID), "--dir", dir)
	want := filepath.Join(dir, marker+" quote.pdf")
	if got, err := os.ReadFile(want); err != nil || !bytes.Equal(got, file) || !strings.Contains(out, want) {
		t.Fatalf("saved to %q (%v); output %q", want, err, out)
	}
	// Saving again never overwrites: the second copy gets its own name.
	p.sb("", "attachment", "save", fmt.Sprint(msg.ID), "1", "--dir", dir)
	if got, err := os.ReadFile(filepath.Join(dir, marker+" quote (2).pdf")); err != nil || !bytes.Equal(got, file) {
		t.Fatalf("second copy: %v", err)
	}
	if stdout := p.sb("", "attachment", "save", fmt.Sprint(msg.ID), "1", "--out", "-"); stdout != string(file) {
		t.Fatalf("--out - wrote %d bytes, want %d", len(stdout), len(file))
	}
	_, errOut, code := p.try("", "attachment", "save", fmt.Sprint(msg.ID), "--out", want)
	if code == 0 || !strings.Contains(errOut, "already exists") {
		t.Fatalf("overwrote an existing file (exit %d): %s", code, errOut)
	}

	// Stop Switchboard and the mail server: the file comes from the archive.
	run.Process.Signal(syscall.SIGINT)
	waitExit(t, run)
	srv.Stop()
	out = p.sb("", "attachment", "save", fmt.Sprint(msg.ID), "--out", filepath.Join(dir, "offline.pdf"))
	if got, err := os.ReadFile(filepath.Join(dir, "offline.pdf")); err != nil || !bytes.Equal(got, file) {
		t.Fatalf("offline save: %v (%s)", err, out)
	}

	// Sealed: neither the name nor the bytes are in the profile's files.
	entries, err := os.ReadDir(p.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(p.dir, e.Name()))
		if err == nil && bytes.Contains(b, []byte(marker)) {
			t.Errorf("%s holds the attachment's name or bytes in plaintext", e.Name())
		}
	}
}

func waitExit(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("switchboard run did not stop on SIGINT")
	}
}
