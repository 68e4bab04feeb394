package ui

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	sbstorage "switchboard/storage"
)

type bytesSaver string

func (b bytesSaver) SaveAttachment(_ context.Context, _ int64, w io.Writer) (sbstorage.Attachment, error) {
	_, err := io.Copy(w, strings.NewReader(string(b)))
	return sbstorage.Attachment{Size: int64(len(b))}, err
}

func TestSavedAttachmentIsTheUsersAlone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "invoice.pdf")
	if err := writeAttachment(context.Background(), bytesSaver("%PDF-1.7"), 1, path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm()&0o077 != 0 {
		t.Fatalf("saved attachment mode %v, %v; want no access for group or others", fi.Mode().Perm(), err)
	}
}
