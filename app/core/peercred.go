package core

import (
	"fmt"
	"net"
	"syscall"
)

func rawConn(c net.Conn) (syscall.RawConn, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return nil, fmt.Errorf("peer credentials: %T is not a Unix socket", c)
	}
	return uc.SyscallConn()
}

// checkPeer refuses a connection whose other end runs as another user.
func checkPeer(c net.Conn, uid int) error {
	if !peerCheck {
		return nil
	}
	got, err := peerUID(c)
	if err != nil {
		return err
	}
	if got != uid {
		return fmt.Errorf("the other end of the control socket runs as user %d, not as user %d", got, uid)
	}
	return nil
}
