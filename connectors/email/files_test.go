package email

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"path/filepath"
	"strings"
	"testing"

	"switchboard/connectors"
)

// mailWithFiles is a mail with a CSV (RFC 2231 encoded name), an inline
// image of its HTML body (not an attachment) and a binary file.
func mailWithFiles(id string, bin []byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "From: Bob <bob@localhost>\r\nTo: alice@localhost\r\nSubject: figures\r\nMessage-ID: <%s>\r\n", id)
	b.WriteString("Content-Type: multipart/mixed; boundary=OUT\r\n\r\n" +
		"--OUT\r\nContent-Type: multipart/related; boundary=REL\r\n\r\n" +
		"--REL\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Figures attached <img src=\"cid:logo\"></p>\r\n" +
		"--REL\r\nContent-Type: image/png\r\nContent-ID: <logo>\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n" +
		"--REL--\r\n" +
		"--OUT\r\nContent-Type: text/csv; charset=utf-8\r\nContent-Disposition: attachment; filename*=UTF-8''Q3%20%C3%BCbersicht.csv\r\n" +
		"Content-Transfer-Encoding: quoted-printable\r\n\r\nregion,total\r\nnord,12=\r\n00\r\n" +
		"--OUT\r\nContent-Type: application/octet-stream; name=\"data.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString(bin)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--OUT--\r\n")
	return b.String()
}

type savedFile struct {
	index int
	name  string
	data  []byte
}

func fetchAll(t *testing.T, c *Connector, id string) ([]savedFile, error) {
	t.Helper()
	var out []savedFile
	err := c.FetchAttachments(context.Background(), id, func(i int, a connectors.Attachment, r io.Reader) error {
		b, err := io.ReadAll(r)
		out = append(out, savedFile{i, a.Name, b})
		return err
	})
	return out, err
}

func TestAttachmentsAreListedWithTheMailAndFetchedByteForByte(t *testing.T) {
	srv := startServer(t)
	bin := make([]byte, 3<<20+7)
	rand.Read(bin)
	deliver(t, srv, alice.Name, mailWithFiles("files-1@localhost", bin))
	r := run(t, New(), account(srv, alice, false), alice.Password)
	msgs := messages(r.online(t))
	if len(msgs) != 1 {
		t.Fatalf("synced %d mails", len(msgs))
	}
	files := msgs[0].Message.Attachments
	if len(files) != 2 || files[0].Name != "Q3 übersicht.csv" || files[0].Type != "text/csv" ||
		files[0].Size != int64(len("region,total\r\nnord,1200")) || files[1].Name != "data.bin" || files[1].Size != int64(len(bin)) {
		t.Fatalf("listed %+v", files)
	}
	got, err := fetchAll(t, r.c, "files-1@localhost")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].index != 0 || string(got[0].data) != "region,total\r\nnord,1200" ||
		got[1].index != 1 || !bytes.Equal(got[1].data, bin) {
		t.Fatalf("fetched %d files: %q", len(got), got[0].data)
	}
	if _, err := fetchAll(t, r.c, "never-was@localhost"); !errors.Is(err, connectors.ErrGone) {
		t.Fatalf("a mail not on the server: %v", err)
	}
	// A save that fails stops the fetch with its error, and the session carries on.
	boom := errors.New("disk full")
	err = r.c.FetchAttachments(context.Background(), "files-1@localhost", func(int, connectors.Attachment, io.Reader) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("save error: %v", err)
	}
	r.stop(t)

	// A later Run that did not sync the mail finds it by its Message-ID.
	acct := account(srv, alice, false)
	acct.Settings["sync_depth"] = "0"
	r2 := run(t, New(), acct, alice.Password)
	r2.online(t)
	got, err = fetchAll(t, r2.c, "files-1@localhost")
	if err != nil || len(got) != 2 || !bytes.Equal(got[1].data, bin) {
		t.Fatalf("after restart: %d files, %v", len(got), err)
	}
}

// TestFilesAreSentAsAttachmentsAndReadBackByteForByte: a mail with files
// goes out as multipart/mixed; its copy in Sent yields the very bytes and
// names (one not ASCII) through FetchAttachments; a name with a line break
// is refused.
func TestFilesAreSentAsAttachmentsAndReadBackByteForByte(t *testing.T) {
	srv := startServer(t)
	r := run(t, New(), account(srv, alice, false), alice.Password)
	r.online(t)
	binary := make([]byte, 300_000)
	for i := range binary {
		binary[i] = byte(i * 7)
	}
	files := map[string][]byte{"quote 2291.pdf": binary, "Angebot für Dana.txt": []byte("Zwei Sitze mehr.\r\n")}
	out := connectors.Outgoing{LocalID: "f1", Conversation: connectors.ConversationRef{ID: "bob@localhost"}, Text: "The quote, as promised."}
	for _, name := range []string{"quote 2291.pdf", "Angebot für Dana.txt"} {
		data := files[name]
		out.Files = append(out.Files, connectors.OutFile{Name: name, Type: mime.TypeByExtension(filepath.Ext(name)), Size: int64(len(data)),
			Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }})
	}
	id, err := r.c.Send(context.Background(), out)
	if err != nil {
		t.Fatal(err)
	}
	subs := srv.Submissions()
	if len(subs) != 1 || !strings.Contains(string(subs[0].Data), "multipart/mixed") || !strings.Contains(string(subs[0].Data), "The quote, as promised.") {
		t.Fatalf("submitted:\n%.600s", subs[0].Data)
	}
	got := map[string][]byte{}
	err = r.c.FetchAttachments(context.Background(), id, func(_ int, a connectors.Attachment, rd io.Reader) error {
		b, err := io.ReadAll(rd)
		got[a.Name] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		if !bytes.Equal(got[name], want) {
			t.Errorf("%s: read back %d bytes, want %d identical", name, len(got[name]), len(want))
		}
	}
	bad := out
	bad.LocalID = "f2"
	bad.Files = []connectors.OutFile{{Name: "x.txt\r\nBcc: victim@localhost", Type: "text/plain", Size: 1,
		Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("x")), nil }}}
	if _, err := r.c.Send(context.Background(), bad); !errors.Is(err, ErrHeaderInjection) {
		t.Fatalf("a file name with CRLF: err = %v", err)
	}
	if n := len(srv.Submissions()); n != 1 {
		t.Fatalf("%d mails submitted", n)
	}
}
