// Package ports picks free loopback ports for the test servers and waits
// for a started server to open them. Shared by internal/testenv/*.
package ports

import (
	"fmt"
	"net"
	"time"
)

// Free picks n distinct free TCP ports on 127.0.0.1. All listeners are
// held until every port is chosen, so no two are the same.
func Free(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	out := make([]int, 0, n)
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("pick a free port: %w", err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

// WaitOpen polls addr every 10 ms until it accepts a connection, the
// process behind it exits (exited closes), or limit passes.
func WaitOpen(addr string, exited <-chan struct{}, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("port %s not open after %s", addr, limit)
		}
		select {
		case <-exited:
			return fmt.Errorf("the server exited before %s opened", addr)
		case <-time.After(10 * time.Millisecond):
		}
	}
}
