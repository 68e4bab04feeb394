package policy

import (
	_ "embed"
	"fmt"
	"strings"
)

// The canonical, user-visible copy of the bundled list is assets/brands.txt
// (it ships with the app). go:embed cannot reach outside this package's
// folder, so this folder holds a byte-identical copy; a test fails when the
// two differ. After editing assets/brands.txt run `go generate ./app/policy`.
//
//go:generate cp ../../assets/brands.txt brands.txt
//go:embed brands.txt
var bundledList string

// BundledOrigin is the origin name of the bundled list in evidence and errors.
const BundledOrigin = "bundled"

// UserListFile is the suggested name of the user's own list in the profile folder.
const UserListFile = "brands.txt"

// UserListTemplate is a starter for the user's own list: the format, no entries.
const UserListTemplate = `# Your brand list: senders you want treated as brands (they may write to
# you only in a conversation you started, or after you subscribe).
# Switchboard reads this file together with its bundled list.
#
# One entry per line; '#' starts a comment.
#   domain:acme.example      acme.example, its subdomains, and any address at them
#   local:offers             the part before '@' at any domain (offers@anything)
#   handle:irc:AcmeDeals     this handle on one network, any letter case
#   handle:*:newsletter-bot  this handle on any network
`

// Bundled parses the list that ships with Switchboard. It returns a fresh
// List on every call (parse it once and keep it).
func Bundled() (*List, error) {
	l, err := Parse(strings.NewReader(bundledList), BundledOrigin)
	if err != nil {
		return l, fmt.Errorf("policy: bundled brand list: %w", err)
	}
	return l, nil
}
