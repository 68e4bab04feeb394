package cli_test

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3" // to edit the archive file as someone with the disk would
)

// TestArchiveVerifyAndConsentExportReportADeletedLedgerEntry: an entry
// deleted from the consent ledger in the database file (without the key)
// makes `consent export` fail and `archive verify` list the problem.
func TestArchiveVerifyAndConsentExportReportADeletedLedgerEntry(t *testing.T) {
	p := newProfile(t)
	p.sb("", "account", "add", "irc", "work", "--server", "127.0.0.1:1", "--nick", "sbuser", "--tls=false")
	for _, st := range []string{"subscribed", "none", "blocked"} {
		p.sb("", "brand", "consent", "work", "AcmeDeals", st)
	}
	if out := p.sb("", "archive", "verify"); !strings.Contains(out, "passed verification") || !strings.Contains(out, "ledger         3 checked") {
		t.Fatalf("a sound archive: %s", out)
	}
	if out := p.sb("", "consent", "export", "--format", "csv"); strings.Count(out, "\n") != 4 {
		t.Fatalf("consent export: %q", out)
	}
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(p.dir, "archive.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{`DROP TRIGGER ledger_no_delete`, `DELETE FROM ledger WHERE seq = 2`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	_, errOut, code := p.try("", "consent", "export", "--format", "csv")
	if code != 1 || !strings.Contains(errOut, "broken at entry 3") {
		t.Fatalf("consent export of a broken ledger: exit %d, %s", code, errOut)
	}
	out, errOut, code := p.try("", "archive", "verify")
	if code != 1 || !strings.Contains(out, "PROBLEM: consent ledger") || !strings.Contains(errOut, "failed verification") {
		t.Fatalf("verify: exit %d\n%s\n%s", code, out, errOut)
	}
}
