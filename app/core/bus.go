package core

import "sync"

// bus fans updates out to subscribers. Publishing never blocks: each
// subscriber has a pending batch that grows while it is busy, and a
// goroutine that hands the whole batch over when the subscriber is ready.
// So a slow GUI gets fewer, larger batches instead of stalling the router.
type bus struct {
	mu     sync.Mutex
	subs   map[*subscriber]struct{}
	closed bool
}

type subscriber struct {
	mu      sync.Mutex
	pending []Update
	signal  chan struct{} // cap 1: "pending is non-empty"
	done    chan struct{}
	out     chan []Update
	once    sync.Once
}

func newBus() *bus { return &bus{subs: map[*subscriber]struct{}{}} }

func (b *bus) subscribe() (<-chan []Update, func()) {
	s := &subscriber{
		signal: make(chan struct{}, 1),
		done:   make(chan struct{}),
		out:    make(chan []Update),
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		close(s.out)
		return s.out, func() {}
	}
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	go s.pump()
	cancel := func() {
		b.mu.Lock()
		delete(b.subs, s)
		b.mu.Unlock()
		s.stop()
	}
	return s.out, cancel
}

func (b *bus) publish(batch []Update) {
	if len(batch) == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		s.mu.Lock()
		s.pending = append(s.pending, batch...)
		s.mu.Unlock()
		select {
		case s.signal <- struct{}{}:
		default:
		}
	}
}

func (b *bus) close() {
	b.mu.Lock()
	subs := b.subs
	b.subs = map[*subscriber]struct{}{}
	b.closed = true
	b.mu.Unlock()
	for s := range subs {
		s.stop()
	}
}

func (s *subscriber) stop() { s.once.Do(func() { close(s.done) }) }

// pump is the subscriber's goroutine; it ends when the subscription is
// cancelled or the bus closes, and then closes out.
func (s *subscriber) pump() {
	defer close(s.out)
	for {
		select {
		case <-s.done:
			return
		case <-s.signal:
		}
		s.mu.Lock()
		batch := s.pending
		s.pending = nil
		s.mu.Unlock()
		if len(batch) == 0 {
			continue
		}
		select {
		case s.out <- batch:
		case <-s.done:
			return
		}
	}
}
