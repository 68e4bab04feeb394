package irc

import (
	"bufio"
	"bytes"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// scriptedServer is a loopback TCP peer that replays a fixed transcript
// after registration. Real servers never send broken lines, so this is how
// the adapter meets them.
func scriptedServer(t *testing.T, afterWelcome []string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		r := bufio.NewReader(conn)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			switch {
			case strings.HasPrefix(line, "CAP LS"):
				conn.Write([]byte(":srv CAP * LS :\r\n"))
			case strings.HasPrefix(line, "USER"):
				conn.Write([]byte(":srv 001 me :Welcome me!u@h\r\n:srv 422 me :No MOTD\r\n" + strings.Join(afterWelcome, "\r\n") + "\r\n"))
			}
		}
	}()
	return ln.Addr().String()
}

func TestMalformedLinesAreLoggedAndSkipped(t *testing.T) {
	t.Parallel()
	addr := scriptedServer(t, []string{
		"\x00garbage secret-one",
		":prefix-only-secret-two",
		"@tag=secret-three",
		"PRIV$MSG me :secret four",
		strings.Repeat("x", 20000),
		":bob!b@h PRIVMSG me :caf\xe9",
		":bob!b@h PRIVMSG me :still alive",
	})
	logs := &syncBuffer{}
	h := newHarness(t, plain(addr, "me"), nil)
	h.c.log = slog.New(slog.NewTextHandler(logs, nil))
	h.start()
	h.online()
	h.message("café")
	h.message("still alive")
	got := logs.String()
	if n := strings.Count(got, "malformed"); n != 4 {
		t.Errorf("%d malformed-line log entries, want 4:\n%s", n, got)
	}
	if !strings.Contains(got, "over-long") {
		t.Errorf("over-long line not logged:\n%s", got)
	}
	if strings.Contains(got, "secret") || strings.Contains(got, "xxxx") || strings.Contains(got, "alive") {
		t.Errorf("logs contain message text:\n%s", got)
	}
}
