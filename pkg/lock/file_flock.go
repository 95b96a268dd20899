//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package lock

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// osLocker takes OS file locks with flock(2). It has no state on these
// systems.
type osLocker struct{}

// newOSLocker returns the flock-based implementation.
func newOSLocker() (osLocker, error) { return osLocker{}, nil }

// tryLock attempts to lock f without blocking. It reports false, nil when
// another open file description holds a conflicting lock.
func (osLocker) tryLock(f *os.File, shared bool) (bool, error) {
	how := syscall.LOCK_EX
	if shared {
		how = syscall.LOCK_SH
	}
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, syscall.EWOULDBLOCK):
			return false, nil
		case errors.Is(err, syscall.EINTR):
			continue
		default:
			return false, &os.PathError{Op: "flock", Path: f.Name(), Err: err}
		}
	}
}

// unlock drops the lock on f. Closing f would drop it as well; doing it
// explicitly also covers a descriptor that was somehow duplicated.
func (osLocker) unlock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		if !errors.Is(err, syscall.EINTR) {
			if err != nil {
				return &os.PathError{Op: "flock", Path: f.Name(), Err: err}
			}
			return nil
		}
	}
}

// unlockAndRemove unlinks path while f (the file at path) is still locked
// exclusively, then unlocks and closes f. Waiters that already opened the
// file notice the unlink after getting the lock and retry on a new file.
func (s osLocker) unlockAndRemove(f *os.File, path string) error {
	rerr := os.Remove(path)
	if errors.Is(rerr, fs.ErrNotExist) {
		rerr = nil
	}
	uerr := unlockClose(s, f)
	return errors.Join(rerr, uerr)
}

// stillAtPath reports whether the open file f is still the file found at
// path: same device and inode. It is false when path was unlinked or
// replaced after f was opened. Raw stat calls keep this allocation-light.
func stillAtPath(f *os.File, path string) (bool, error) {
	var fst, pst syscall.Stat_t
	if err := ignoringEINTR(func() error { return syscall.Fstat(int(f.Fd()), &fst) }); err != nil {
		return false, &os.PathError{Op: "fstat", Path: f.Name(), Err: err}
	}
	if err := ignoringEINTR(func() error { return syscall.Stat(path, &pst) }); err != nil {
		if errors.Is(err, syscall.ENOENT) {
			return false, nil
		}
		return false, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	return fst.Dev == pst.Dev && fst.Ino == pst.Ino, nil
}

// ignoringEINTR calls fn until it fails with something other than EINTR.
func ignoringEINTR(fn func() error) error {
	for {
		err := fn()
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
