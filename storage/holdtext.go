package storage

import (
	"encoding/json"
	"fmt"
	"strconv"
)

var holdWords = []string{Delivered: "delivered", HeldRequest: "request", HeldBlocked: "blocked"}

// MarshalText gives the hold's stable word: delivered, request, blocked.
func (h Hold) MarshalText() ([]byte, error) {
	if int(h) < 0 || int(h) >= len(holdWords) {
		return nil, fmt.Errorf("hold %d has no name", int(h))
	}
	return []byte(holdWords[h]), nil
}

// UnmarshalText reads a word MarshalText wrote.
func (h *Hold) UnmarshalText(b []byte) error {
	for i, w := range holdWords {
		if w == string(b) {
			*h = Hold(i)
			return nil
		}
	}
	return fmt.Errorf("unknown hold %q (want delivered, request or blocked)", b)
}

// UnmarshalJSON reads a word, or the number that exports written before
// the words (2026-12) carry.
func (h *Hold) UnmarshalJSON(b []byte) error {
	if n, err := strconv.Atoi(string(b)); err == nil {
		if n < 0 || n >= len(holdWords) {
			return fmt.Errorf("unknown hold %d", n)
		}
		*h = Hold(n)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("hold: %w", err)
	}
	return h.UnmarshalText([]byte(s))
}
