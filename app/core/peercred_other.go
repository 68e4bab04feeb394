//go:build !linux && !darwin && !freebsd

package core

import (
	"errors"
	"net"
)

// peerUID is not available here; the socket's place (the profile
// directory, closed to others) is what guards it.
func peerUID(net.Conn) (int, error) {
	return -1, errors.New("peer credentials are not available on this system")
}

const peerCheck = false
