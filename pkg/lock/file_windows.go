//go:build windows

package lock

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
	"unsafe"
)

// Windows constants not exported by package syscall.
const (
	lockfileFailImmediately = 0x1
	lockfileExclusiveLock   = 0x2

	errorSharingViolation syscall.Errno = 32
	errorLockViolation    syscall.Errno = 33
)

// osLocker takes OS file locks with LockFileEx/UnlockFileEx from kernel32,
// resolved lazily on first use and kept per Locker (no package globals).
type osLocker struct {
	lockFileEx   *syscall.LazyProc
	unlockFileEx *syscall.LazyProc
}

// newOSLocker prepares the kernel32 procedures. kernel32 is a known DLL, so
// it is always loaded from the system directory.
func newOSLocker() (osLocker, error) {
	k32 := syscall.NewLazyDLL("kernel32.dll")
	return osLocker{
		lockFileEx:   k32.NewProc("LockFileEx"),
		unlockFileEx: k32.NewProc("UnlockFileEx"),
	}, nil
}

// tryLock attempts to lock the whole range of f without blocking. It
// reports false, nil when another handle holds a conflicting lock.
func (s osLocker) tryLock(f *os.File, shared bool) (bool, error) {
	if err := s.lockFileEx.Find(); err != nil {
		return false, err
	}
	flags := uintptr(lockfileFailImmediately)
	if !shared {
		flags |= lockfileExclusiveLock
	}
	var ol syscall.Overlapped
	r, _, e := s.lockFileEx.Call(f.Fd(), flags, 0, ^uintptr(0)&0xffffffff, ^uintptr(0)&0xffffffff, uintptr(unsafe.Pointer(&ol)))
	if r != 0 {
		return true, nil
	}
	if errors.Is(e, errorLockViolation) || errors.Is(e, syscall.ERROR_IO_PENDING) {
		return false, nil
	}
	return false, &os.PathError{Op: "LockFileEx", Path: f.Name(), Err: e}
}

// unlock drops the lock on f.
func (s osLocker) unlock(f *os.File) error {
	if err := s.unlockFileEx.Find(); err != nil {
		return err
	}
	var ol syscall.Overlapped
	r, _, e := s.unlockFileEx.Call(f.Fd(), 0, ^uintptr(0)&0xffffffff, ^uintptr(0)&0xffffffff, uintptr(unsafe.Pointer(&ol)))
	if r == 0 {
		return &os.PathError{Op: "UnlockFileEx", Path: f.Name(), Err: e}
	}
	return nil
}

// unlockAndRemove unlocks and closes f, then deletes path. Handles are
// opened without FILE_SHARE_DELETE, so the deletion fails (and the file is
// kept) while any other process has the file open; the deletion can only
// succeed when nobody can hold or be waiting for a lock on it.
func (s osLocker) unlockAndRemove(f *os.File, path string) error {
	uerr := unlockClose(s, f)
	rerr := os.Remove(path)
	if errors.Is(rerr, fs.ErrNotExist) || errors.Is(rerr, errorSharingViolation) || errors.Is(rerr, syscall.ERROR_ACCESS_DENIED) {
		rerr = nil
	}
	return errors.Join(uerr, rerr)
}

// stillAtPath reports whether the open file f is still the file found at
// path (volume serial number and file index compared).
func stillAtPath(f *os.File, path string) (bool, error) {
	fi, err := f.Stat()
	if err != nil {
		return false, err
	}
	pi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return os.SameFile(fi, pi), nil
}
