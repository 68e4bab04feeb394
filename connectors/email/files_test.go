package email

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
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
