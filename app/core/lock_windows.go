//go:build windows

package core

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/windows"
)

type fileLock struct{ f *os.File }

func (l fileLock) Close() error { return l.f.Close() }

// lockProfile takes an exclusive lock on DIR/lock (LockFileEx); the lock
// dies with the process.
func lockProfile(dir string) (io.Closer, error) {
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("core: open profile lock: %w", err)
	}
	ol := new(windows.Overlapped)
	err = windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	if err != nil {
		f.Close()
		if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
			return nil, ErrProfileBusy
		}
		return nil, fmt.Errorf("core: lock profile: %w", err)
	}
	return fileLock{f}, nil
}
