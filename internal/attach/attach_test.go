package attach

import (
	"strings"
	"testing"
)

func TestSizesReadLikeAFileManager(t *testing.T) {
	for n, want := range map[int64]string{
		-1: "", 0: "0 B", 999: "999 B", 1000: "1 KB", 1_234: "1 KB", 999_499: "999 KB",
		1_234_567: "1.2 MB", 25_000_000: "25.0 MB", 2_500_000_000: "2.5 GB",
	} {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestSuggestedFileNamesAreSafe(t *testing.T) {
	long := strings.Repeat("é", 150) + ".pdf" // 304 bytes
	for in, want := range map[string]string{
		"report.pdf":              "report.pdf",
		"../../etc/passwd":        "_.._etc_passwd",
		`C:\Users\x\evil.exe`:     "C:_Users_x_evil.exe",
		"bell\a\x00name\n.txt":    "bellname.txt",
		"invoice\u202efdp.exe":    "invoicefdp.exe",
		"  .hidden ":              "hidden",
		"..":                      "attachment",
		"":                        "attachment",
		"\x01\x02":                "attachment",
		"bad\xffutf8.txt":         "bad_utf8.txt",
		"résumé 2024 (final).odt": "résumé 2024 (final).odt",
		long:                      strings.Repeat("é", 98) + ".pdf",
	} {
		if got := SafeName(in); got != want {
			t.Errorf("SafeName(%q) = %q, want %q", in, got, want)
		}
	}
}
