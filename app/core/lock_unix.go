//go:build unix

package core

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

type fileLock struct{ f *os.File }

func (l fileLock) Close() error {
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	return l.f.Close()
}

// lockProfile takes an exclusive advisory lock on DIR/lock so that one
// process at a time owns a profile. The lock dies with the process, so a
// crash never leaves a stale lock behind.
func lockProfile(dir string) (io.Closer, error) {
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("core: open profile lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrProfileBusy
		}
		return nil, fmt.Errorf("core: lock profile: %w", err)
	}
	return fileLock{f}, nil
}
