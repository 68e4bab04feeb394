package ui

import (
	"testing"

	"switchboard/storage"
)

func TestAttachmentLinesOfListedFilesAreHidden(t *testing.T) {
	pdf := storage.Attachment{Name: "report.pdf", Size: 1_234_567}
	odd := storage.Attachment{Name: "notes (final).txt", Size: 12}
	cases := []struct {
		name string
		text string
		atts []storage.Attachment
		want string
	}{
		{"text then its file", "See attached\n\n[attachment: report.pdf (1.2 MB)]", []storage.Attachment{pdf}, "See attached"},
		{"only files", "[attachment: report.pdf (1.2 MB)]\n[attachment: notes (final).txt (12 B)]",
			[]storage.Attachment{pdf, odd}, ""},
		{"a file not listed stays", "hi\n\n[attachment: other.zip (3 KB)]", []storage.Attachment{pdf}, "hi\n\n[attachment: other.zip (3 KB)]"},
		{"no attachments: unchanged", "[attachment: report.pdf (1.2 MB)]", nil, "[attachment: report.pdf (1.2 MB)]"},
		{"quoted inside a line stays", "I wrote [attachment: report.pdf (1.2 MB)] here", []storage.Attachment{pdf},
			"I wrote [attachment: report.pdf (1.2 MB)] here"},
		{"not a size stays", "[attachment: report.pdf (draft)]", []storage.Attachment{pdf}, "[attachment: report.pdf (draft)]"},
		{"crlf lines", "hello\r\n\r\n[attachment: report.pdf (1.2 MB)]\r", []storage.Attachment{pdf}, "hello"},
		{"subject and text kept", "Subject: Q3\n\nnumbers inside\n\n[attachment: report.pdf (2.0 GB)]",
			[]storage.Attachment{pdf}, "Subject: Q3\n\nnumbers inside"},
		{"blank lines of the text kept when nothing hidden", "a\n\n\n", []storage.Attachment{pdf}, "a\n\n\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := hideAttachmentLines(c.text, c.atts); got != c.want {
				t.Fatalf("hideAttachmentLines(%q) = %q, want %q", c.text, got, c.want)
			}
		})
	}
}
