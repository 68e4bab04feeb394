package core

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// The control socket lets a second process (the CLI) use a profile that a
// running Switchboard (`switchboard run` or the GUI) holds. It is a Unix
// socket, mode 0600, in the profile directory. Each connection carries one
// request: a JSON line {"method","params"} answered by a JSON line
// {"result"} or {"error"}. Export streams raw JSONL after the answer line,
// SaveAttachment the attachment's bytes (as many as its Size);
// Import streams raw JSONL after the request line up to the client's
// half-close.

type ctlRequest struct {
	Method string          `json:"method"`
	Params json.RawMessage `json:"params,omitempty"`
}

type ctlResponse struct {
	Result json.RawMessage `json:"result,omitempty"`
	Error  string          `json:"error,omitempty"`
}

// socketPath is DIR/control.sock, or, when that path is too long for a
// Unix socket address, a per-profile name in a private temp directory.
func socketPath(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	p := filepath.Join(abs, "control.sock")
	if len(p) < 100 {
		return p
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(os.TempDir(), fmt.Sprintf("switchboard-%d", os.Getuid()), hex.EncodeToString(sum[:8])+".sock")
}

type controlServer struct {
	ln   net.Listener
	path string
	api  *Core
	log  *slog.Logger
	wg   sync.WaitGroup
	once sync.Once
}

func listenControl(dir string, api *Core, log *slog.Logger) (*controlServer, error) {
	path := socketPath(dir)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("control socket directory: %w", err)
	}
	// We hold the profile lock, so a socket file left here is stale.
	_ = os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control socket permissions: %w", err)
	}
	return &controlServer{ln: ln, path: path, api: api, log: log}, nil
}

func (s *controlServer) close() {
	s.once.Do(func() {
		s.ln.Close()
		os.Remove(s.path)
	})
}

// serve accepts connections until ctx ends; each is handled in its own
// goroutine, all of which end before serve returns.
func (s *controlServer) serve(ctx context.Context) {
	go func() {
		<-ctx.Done()
		s.close()
	}()
	defer s.wg.Wait()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				s.log.Error("control socket accept", "err", err)
			}
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer conn.Close()
			s.handle(ctx, conn)
		}()
	}
}

func (s *controlServer) handle(ctx context.Context, conn net.Conn) {
	br := bufio.NewReader(conn)
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	line, err := br.ReadBytes('\n')
	if err != nil {
		return
	}
	conn.SetReadDeadline(time.Time{})
	var req ctlRequest
	if err := json.Unmarshal(line, &req); err != nil {
		writeResponse(conn, nil, fmt.Errorf("bad control request: %w", err))
		return
	}
	switch req.Method {
	case "Export":
		// Answer first, then the stream; an error mid-stream truncates it
		// and the client reports the short read.
		writeResponse(conn, struct{}{}, nil)
		if _, err := s.api.Export(ctx, conn); err != nil {
			s.log.Error("control export", "err", err)
		}
		return
	case "SaveAttachment":
		var p pRow
		if err := json.Unmarshal(req.Params, &p); err != nil {
			writeResponse(conn, nil, fmt.Errorf("bad parameters for %s: %w", req.Method, err))
			return
		}
		a, err := s.api.ensureSaved(ctx, p.Row)
		writeResponse(conn, a, err)
		if err == nil {
			if err := s.api.copyAttachment(ctx, p.Row, conn); err != nil {
				s.log.Error("control save attachment", "err", err)
			}
		}
		return
	case "Import":
		st, err := s.api.Import(ctx, br)
		writeResponse(conn, st, err)
		return
	}
	res, err := dispatch(ctx, s.api, req.Method, req.Params)
	writeResponse(conn, res, err)
}

func writeResponse(w io.Writer, result any, err error) {
	var resp ctlResponse
	if err != nil {
		resp.Error = err.Error()
	} else if result != nil {
		b, merr := json.Marshal(result)
		if merr != nil {
			resp.Error = "encode answer: " + merr.Error()
		} else {
			resp.Result = b
		}
	}
	b, _ := json.Marshal(resp)
	w.Write(append(b, '\n'))
}
