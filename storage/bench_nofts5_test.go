//go:build !sqlite_fts5

package storage

import "testing"

// plainFTS5 is only built with -tags sqlite_fts5 (go-sqlite3 compiles FTS5 in only then).
func plainFTS5(*testing.B, string) benchTarget { return nil }
