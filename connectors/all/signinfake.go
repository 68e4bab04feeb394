//go:build signinfake

package all

// The sign-in test network, for the CLI's end-to-end tests only
// (go build -tags signinfake); never in a normal build.
import _ "switchboard/connectors/signinfake"
