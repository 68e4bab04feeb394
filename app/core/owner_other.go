//go:build !unix

package core

import "io/fs"

// fileOwner: Windows has no uid on a file (its ACLs guard the profile).
func fileOwner(fs.FileInfo) (int, bool) { return 0, false }
