package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

var errClosed = errors.New("storage: the archive is closed")

const (
	maxGroupMsgs   = 5000            // PutMessages batches grouped into one transaction
	indexFlushAt   = 20000           // buffered messages before the index is flushed
	indexIdleFlush = 2 * time.Second // flush the index after this long without writes
)

// writer owns the single writer connection. Every write is a request run
// by its goroutine; concurrent PutMessages calls are grouped into one
// transaction.
type writer struct {
	s      *Store
	reqs   chan *wreq
	quit   chan struct{} // closed by stop
	done   chan struct{} // closed when the goroutine has ended
	cancel context.CancelFunc

	// State owned by the goroutine.
	acctIDs  map[string]int64       // account name → row (cache; cleared on account writes)
	convs    map[convKey]*convState // conversation state across PutMessages batches (cleared by other writes)
	tokCache map[string][]int64     // token → tag (bounded)
	stopErr  error
}

// wreq is one write request: either messages to put or a function.
type wreq struct {
	ctx  context.Context
	msgs []MessageIn
	fn   func(*wtx) error
	res  []PutResult
	err  error
	done chan struct{}
}

// wtx is a write transaction handed to request functions.
type wtx struct {
	ctx   context.Context
	tx    *sql.Tx
	w     *writer
	after []func()         // run after a successful commit
	next  map[string]int64 // next row ID per AUTOINCREMENT table
}

// newID allocates the row ID of a new row, so that the row's sealed values
// can carry it as associated data. IDs are never reused (AUTOINCREMENT).
func (t *wtx) newID(table string) (int64, error) {
	if t.next == nil {
		t.next = map[string]int64{}
	}
	id, ok := t.next[table]
	if !ok {
		var seq, max sql.NullInt64
		if err := t.queryRow("SELECT seq FROM sqlite_sequence WHERE name = ?", table).Scan(&seq); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("storage: next %s id: %w", table, err)
		}
		if err := t.queryRow("SELECT max(rowid) FROM " + table).Scan(&max); err != nil {
			return 0, fmt.Errorf("storage: next %s id: %w", table, err)
		}
		id = seq.Int64
		if max.Int64 > id {
			id = max.Int64
		}
		id++
	}
	t.next[table] = id + 1
	return id, nil
}

func (t *wtx) exec(q string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(t.ctx, q, args...)
}

func (t *wtx) queryRow(q string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(t.ctx, q, args...)
}

func newWriter(s *Store) *writer {
	return &writer{s: s, reqs: make(chan *wreq), quit: make(chan struct{}), done: make(chan struct{}),
		acctIDs: map[string]int64{}, tokCache: map[string][]int64{}, convs: map[convKey]*convState{}}
}

// run starts the goroutine after running first (e.g. index recovery) on it.
func (w *writer) run(ctx context.Context, first func(context.Context) error) error {
	if err := first(ctx); err != nil {
		return err
	}
	loopCtx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	go w.loop(loopCtx)
	return nil
}

func (w *writer) stop() error {
	close(w.quit)
	<-w.done
	w.cancel()
	return w.stopErr
}

func (w *writer) loop(ctx context.Context) {
	defer close(w.done)
	idle := time.NewTimer(time.Hour)
	idle.Stop()
	var next *wreq
	for {
		r := next
		next = nil
		if r == nil {
			select {
			case <-w.quit:
				w.stopErr = w.s.flushIndex(ctx)
				return
			case <-idle.C:
				if err := w.s.flushIndex(ctx); err != nil {
					w.s.log.Error("storage: search index flush failed", "err", err)
				}
				continue
			case r = <-w.reqs:
			}
		}
		if r.fn != nil {
			clear(w.convs) // the function may change conversations behind the cache
			r.err = w.runTx(r.ctx, r.fn)
			clear(w.convs)
			close(r.done)
		} else {
			next = w.runPuts(ctx, r)
		}
		if w.s.index.size() >= indexFlushAt {
			if err := w.s.flushIndex(ctx); err != nil {
				w.s.log.Error("storage: search index flush failed", "err", err)
			}
		} else if w.s.index.size() > 0 {
			idle.Reset(indexIdleFlush)
		}
	}
}

// runPuts groups r with any PutMessages requests already waiting and
// writes them in one transaction. It returns a non-put request it picked
// up while grouping, to be run next.
func (w *writer) runPuts(ctx context.Context, r *wreq) (next *wreq) {
	group := []*wreq{r}
	n := len(r.msgs)
gather:
	for n < maxGroupMsgs {
		select {
		case q := <-w.reqs:
			if q.fn != nil {
				next = q
				break gather
			}
			group = append(group, q)
			n += len(q.msgs)
		default:
			break gather
		}
	}
	err := w.runTx(ctx, func(t *wtx) error {
		for _, q := range group {
			if err := q.ctx.Err(); err != nil {
				return err
			}
			res, err := t.putMessages(q.msgs)
			if err != nil {
				return err
			}
			q.res = res
		}
		return nil
	})
	if err != nil && len(group) > 1 {
		// One caller's failure must not fail the others: retry alone.
		for _, q := range group {
			q.res = nil
			q.err = w.runTx(q.ctx, func(t *wtx) error {
				res, err := t.putMessages(q.msgs)
				q.res = res
				return err
			})
			close(q.done)
		}
		return next
	}
	for _, q := range group {
		q.err = err
		close(q.done)
	}
	return next
}

// runTx runs fn in a transaction on the writer connection.
func (w *writer) runTx(ctx context.Context, fn func(*wtx) error) error {
	tx, err := w.s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("storage: begin: %w", err)
	}
	t := &wtx{ctx: ctx, tx: tx, w: w}
	if err := fn(t); err != nil {
		tx.Rollback()
		w.forgetCaches() // they may hold rows of the rolled-back transaction
		return err
	}
	if err := tx.Commit(); err != nil {
		w.forgetCaches()
		return fmt.Errorf("storage: commit: %w", err)
	}
	for _, f := range t.after {
		f()
	}
	return nil
}

// submit hands a request to the writer and waits for its result.
func (s *Store) submit(ctx context.Context, r *wreq) error {
	r.ctx = ctx
	r.done = make(chan struct{})
	select {
	case s.w.reqs <- r:
	case <-s.w.quit:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-r.done:
		return r.err
	case <-s.w.done:
		select {
		case <-r.done:
			return r.err
		default:
			return errClosed
		}
	}
}

// write runs fn in its own write transaction.
func (s *Store) write(ctx context.Context, fn func(*wtx) error) error {
	return s.submit(ctx, &wreq{fn: fn})
}

func (w *writer) forgetCaches() {
	w.acctIDs = map[string]int64{}
	clear(w.convs)
}
