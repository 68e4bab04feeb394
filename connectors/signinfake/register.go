//go:build signinfake

package signinfake

import "switchboard/connectors"

func init() { connectors.Register("signinfake", New) }
