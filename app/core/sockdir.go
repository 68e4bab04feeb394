package core

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
)

// maxSocketPath keeps a socket path inside every platform's sun_path
// (104 bytes on macOS and the BSDs, 108 on Linux, with the final NUL).
const maxSocketPath = 100

// sockEnv is what choosing the socket's place reads of the process:
// the environment, the user and the temp directory. Tests give their own.
type sockEnv struct {
	getenv func(string) string
	uid    int
	tmp    string
}

func osSockEnv() sockEnv { return sockEnv{getenv: os.Getenv, uid: os.Getuid(), tmp: os.TempDir()} }

// socketPath is DIR/control.sock or, when that path is too long for a Unix
// socket address, a per-profile name in a private directory: the user's
// $XDG_RUNTIME_DIR, else $TMPDIR/switchboard-UID, which this process
// creates (create=true) and, created or found, refuses to use unless it
// is a real directory owned by the user and closed to everyone else.
func socketPath(dir string, env sockEnv, create bool) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	p := filepath.Join(abs, "control.sock")
	if len(p) < maxSocketPath {
		return p, nil
	}
	base, err := privateSocketDir(env, create)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(abs))
	p = filepath.Join(base, hex.EncodeToString(sum[:8])+".sock")
	if len(p) >= maxSocketPath {
		return "", fmt.Errorf("control socket: %s is too long for a socket address; use a shorter profile path or XDG_RUNTIME_DIR", p)
	}
	return p, nil
}

func privateSocketDir(env sockEnv, create bool) (string, error) {
	if rt := env.getenv("XDG_RUNTIME_DIR"); rt != "" && filepath.IsAbs(rt) {
		if err := checkPrivateDir(rt, env.uid, false); err != nil {
			return "", fmt.Errorf("control socket: XDG_RUNTIME_DIR %w", err)
		}
		return rt, nil
	}
	d := filepath.Join(env.tmp, fmt.Sprintf("switchboard-%d", env.uid))
	if create {
		if err := os.Mkdir(d, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("control socket: create %s: %w", d, err)
		}
	}
	if err := checkPrivateDir(d, env.uid, false); err != nil {
		return "", fmt.Errorf("control socket: the directory %w; remove it, or set XDG_RUNTIME_DIR to your private runtime directory", err)
	}
	return d, nil
}

// errNotPrivate is wrapped by every "this directory is not ours alone".
var errNotPrivate = errors.New("is not private")

// checkPrivateDir refuses a directory that is a symbolic link (unless
// follow), not a directory, owned by another user, or open to group or
// others. The error starts with the path.
func checkPrivateDir(d string, uid int, follow bool) error {
	stat := os.Lstat
	if follow {
		stat = os.Stat
	}
	fi, err := stat(d)
	if err != nil {
		return fmt.Errorf("%s: %w", d, err)
	}
	switch owner, ok := fileOwner(fi); {
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s %w: it is a symbolic link", d, errNotPrivate)
	case !fi.IsDir():
		return fmt.Errorf("%s %w: it is not a directory", d, errNotPrivate)
	case ok && owner != uid:
		return fmt.Errorf("%s %w: it belongs to user %d, not to you (user %d)", d, errNotPrivate, owner, uid)
	case fi.Mode().Perm()&0o077 != 0:
		return fmt.Errorf("%s %w: other users may use it (mode %04o)", d, errNotPrivate, fi.Mode().Perm())
	}
	return nil
}

// secureProfileDir checks the profile directory at open: it must belong
// to the user; if others may read or enter it, it is closed to them
// (mode 0700) with a warning. A symbolic link to a directory is followed
// (profiles are moved and linked), and the directory it names is checked.
func secureProfileDir(dir string, uid int, log *slog.Logger) error {
	if runtime.GOOS == "windows" {
		return nil // no uid or mode bits: the profile's ACL guards it
	}
	err := checkPrivateDir(dir, uid, true)
	if err == nil || !errors.Is(err, errNotPrivate) {
		return err
	}
	fi, serr := os.Stat(dir)
	if serr != nil {
		return serr
	}
	if owner, ok := fileOwner(fi); !fi.IsDir() || (ok && owner != uid) {
		return fmt.Errorf("core: profile directory %w", err)
	}
	log.Warn("the profile directory was open to other users; closing it (mode 0700)",
		"dir", dir, "mode", fmt.Sprintf("%04o", fi.Mode().Perm()))
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("core: close the profile directory to other users: %w", err)
	}
	return nil
}
