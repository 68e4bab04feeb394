package connectors

import (
	"context"
	"fmt"
	"sync"
)

// MemoryState is a State kept in memory only: for a connection test
// before an account is saved, and for tests. Its zero value is ready.
type MemoryState struct {
	mu sync.Mutex
	m  map[string][]byte
}

// Get returns a copy of the value under name.
func (s *MemoryState) Get(ctx context.Context, name string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[name]
	if !ok {
		return nil, fmt.Errorf("state %q: %w", name, ErrNoState)
	}
	return append([]byte{}, v...), nil
}

// Put stores a copy of value.
func (s *MemoryState) Put(ctx context.Context, name string, value []byte) error {
	return s.Update(ctx, map[string][]byte{name: append([]byte{}, value...)})
}

// Delete removes name.
func (s *MemoryState) Delete(ctx context.Context, name string) error {
	return s.Update(ctx, map[string][]byte{name: nil})
}

// Update applies changes all together, or none when one is over the limits.
func (s *MemoryState) Update(ctx context.Context, changes map[string][]byte) error {
	for k, v := range changes {
		if err := CheckState(k, v); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string][]byte{}
	}
	for k, v := range changes {
		if v == nil {
			delete(s.m, k)
		} else {
			s.m[k] = append([]byte{}, v...)
		}
	}
	return nil
}
