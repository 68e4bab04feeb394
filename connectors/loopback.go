package connectors

import (
	"net"
	"strings"
)

// IsLoopbackHost reports whether host (a name or an IP address, as in a
// HOST:PORT setting) is this computer: "localhost" or a loopback address.
// Connectors allow an unencrypted connection only to such a host, where a
// password in clear never crosses a network.
func IsLoopbackHost(host string) bool {
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
