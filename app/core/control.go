package core

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
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

// Limits of the control socket: a request line (streams aside) and the
// number of connections served at once.
const (
	maxRequestLine = 1 << 20
	maxControlConn = 32
)

type controlServer struct {
	ln   net.Listener
	path string
	api  *Core
	log  *slog.Logger
	uid  int // the only user whose processes are served
	wg   sync.WaitGroup
	once sync.Once
	sem  chan struct{}

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func listenControl(dir string, api *Core, log *slog.Logger) (*controlServer, error) {
	env := osSockEnv()
	path, err := socketPath(dir, env, true)
	if err != nil {
		return nil, err
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
	return &controlServer{ln: ln, path: path, api: api, log: log, uid: env.uid,
		sem: make(chan struct{}, maxControlConn), conns: map[net.Conn]struct{}{}}, nil
}

func (s *controlServer) close() {
	s.once.Do(func() {
		s.ln.Close()
		os.Remove(s.path)
	})
}

// serve accepts connections until ctx ends; each is handled in its own
// goroutine, all of which end (their connections closed) before serve
// returns.
func (s *controlServer) serve(ctx context.Context) {
	go func() {
		<-ctx.Done()
		s.close()
		s.closeConns()
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
		if err := checkPeer(conn, s.uid); err != nil {
			s.log.Warn("control socket: connection refused", "err", err)
			refuse(conn, err)
			continue
		}
		select {
		case s.sem <- struct{}{}:
		default:
			refuse(conn, fmt.Errorf("the running Switchboard is busy with %d control connections; try again", maxControlConn))
			continue
		}
		if !s.track(conn) {
			<-s.sem
			conn.Close()
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() { <-s.sem }()
			defer s.untrack(conn)
			defer s.recoverPanic(conn)
			s.handle(ctx, conn)
		}()
	}
}

// refuse answers a connection that will not be served and closes it.
func refuse(conn net.Conn, why error) {
	conn.SetWriteDeadline(time.Now().Add(time.Second))
	writeResponse(conn, nil, why)
	conn.Close()
}

func (s *controlServer) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns == nil {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *controlServer) untrack(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	c.Close()
}

// closeConns ends every open connection (a client that stopped reading
// must not hold the core's Close) and refuses new ones.
func (s *controlServer) closeConns() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Close()
	}
	s.conns = nil
}

// recoverPanic turns a panic in one request into an error answer: a
// request must never take the process down.
func (s *controlServer) recoverPanic(conn net.Conn) {
	if r := recover(); r != nil {
		s.log.Error("control socket: request failed", "panic", r)
		writeResponse(conn, nil, fmt.Errorf("internal error: %v", r))
	}
}

var errRequestTooLong = fmt.Errorf("control request longer than %d bytes", maxRequestLine)

// readRequestLine reads one line of at most max bytes; a longer one is
// refused before it is held in memory.
func readRequestLine(br *bufio.Reader, max int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line)+len(chunk) > max {
			return nil, errRequestTooLong
		}
		line = append(line, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		return line, err
	}
}

func (s *controlServer) handle(ctx context.Context, conn net.Conn) {
	br := bufio.NewReader(conn)
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	line, err := readRequestLine(br, maxRequestLine)
	if err != nil {
		if errors.Is(err, errRequestTooLong) {
			writeResponse(conn, nil, err)
		}
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
		s.export(ctx, conn, req.Params)
		return
	case "AllowExport":
		s.allowExport(ctx, conn, req.Params)
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
	case "SignIn":
		s.api.serveSignIn(ctx, conn, br, req.Params)
		return
	case "Import":
		st, err := s.api.Import(ctx, br)
		writeResponse(conn, st, err)
		return
	}
	res, err := dispatch(ctx, s.api, req.Method, req.Params)
	writeResponse(conn, res, err)
}

// pExport are the parameters of Export over the socket.
type pExport struct {
	// Passphrase of a passphrase-mode archive: any process of the user can
	// reach the socket, so the plaintext archive needs what opening it does.
	Passphrase string `json:"passphrase,omitempty"`
	// Format names an export the client builds itself (AllowExport: "html").
	Format string `json:"format,omitempty"`
}

// exportWho says which process asks for an export, for the audit log.
func exportWho(conn net.Conn) string {
	if uid, err := peerUID(conn); err == nil {
		return fmt.Sprintf("over the control socket, by a process of user %d", uid)
	}
	return "over the control socket"
}

// allowExport answers AllowExport: the passphrase check and audit entry
// of Export, for an export the client builds from the other methods.
func (s *controlServer) allowExport(ctx context.Context, conn net.Conn, raw json.RawMessage) {
	var p pExport
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &p); err != nil {
			writeResponse(conn, nil, fmt.Errorf("bad parameters for AllowExport: %w", err))
			return
		}
	}
	format := p.Format
	if format == "" {
		format = "unnamed format"
	}
	err := s.api.exportAllowed(ctx, []byte(p.Passphrase), "("+format+") "+exportWho(conn))
	writeResponse(conn, struct{}{}, err)
}

// export checks the passphrase (passphrase mode), logs the export in the
// archive's audit log, answers, then streams; an error mid-stream
// truncates it and the client reports the short read.
func (s *controlServer) export(ctx context.Context, conn net.Conn, raw json.RawMessage) {
	who := exportWho(conn)
	var p pExport
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &p); err != nil {
			writeResponse(conn, nil, fmt.Errorf("bad parameters for Export: %w", err))
			return
		}
	}
	if err := s.api.exportAllowed(ctx, []byte(p.Passphrase), who); err != nil {
		writeResponse(conn, nil, err)
		return
	}
	writeResponse(conn, struct{}{}, nil)
	if _, err := s.api.store.Export(ctx, conn); err != nil {
		s.log.Error("control export", "err", err)
	}
}

// dialControl connects to a control socket and makes sure the process
// answering runs as this user before anything is sent to it.
func dialControl(ctx context.Context, path string) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, err
	}
	if err := checkPeer(conn, os.Getuid()); err != nil {
		conn.Close()
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	return conn, nil
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
