//go:build windows

package lock

import (
	"errors"
	"io/fs"
	"os"
	"sync"
	"syscall"
	"unsafe"
)

// rangeFile is the open range file; its byte ranges are locked with
// LockFileEx, whose locks belong to the handle: they conflict with those of
// every other handle (other Lockers, other processes) and are released when
// the handle is closed, also by the death of the process.
//
// mu guards the handle against close: lock calls hold it shared for the
// system call, close holds it exclusively, so a call never reaches a
// handle value that close has released (and the process may have reused).
type rangeFile struct {
	path   string
	sys    osLocker
	mu     sync.RWMutex
	closed bool     // guarded by mu
	f      *os.File // kept open; owns h
	h      uintptr
}

// openRangeFile opens (creating) the range file.
func openRangeFile(sys osLocker, path string, mode fs.FileMode) (*rangeFile, error) {
	if err := sys.lockFileEx.Find(); err != nil {
		return nil, err
	}
	if err := sys.unlockFileEx.Find(); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, mode)
	if err != nil {
		return nil, err
	}
	return &rangeFile{path: path, sys: sys, f: f, h: f.Fd()}, nil
}

// overlappedAt returns an OVERLAPPED naming the byte offset off.
func overlappedAt(off int64) syscall.Overlapped {
	return syscall.Overlapped{Offset: uint32(off), OffsetHigh: uint32(uint64(off) >> 32)}
}

// tryLock attempts to lock the byte at off without blocking; it reports
// false, nil when another handle holds a conflicting lock.
func (r *rangeFile) tryLock(off int64, shared bool) (bool, error) {
	flags := uintptr(lockfileFailImmediately)
	if !shared {
		flags |= lockfileExclusiveLock
	}
	ol := overlappedAt(off)
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		return false, &os.PathError{Op: "LockFileEx", Path: r.path, Err: os.ErrClosed}
	}
	ok, _, e := r.sys.lockFileEx.Call(r.h, flags, 0, 1, 0, uintptr(unsafe.Pointer(&ol)))
	if ok != 0 {
		return true, nil
	}
	if errors.Is(e, errorLockViolation) || errors.Is(e, syscall.ERROR_IO_PENDING) {
		return false, nil
	}
	return false, &os.PathError{Op: "LockFileEx", Path: r.path, Err: e}
}

// unlock drops this handle's lock on the byte at off.
func (r *rangeFile) unlock(off int64) error {
	ol := overlappedAt(off)
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		return &os.PathError{Op: "UnlockFileEx", Path: r.path, Err: os.ErrClosed}
	}
	ok, _, e := r.sys.unlockFileEx.Call(r.h, 0, 1, 0, uintptr(unsafe.Pointer(&ol)))
	if ok == 0 {
		return &os.PathError{Op: "UnlockFileEx", Path: r.path, Err: e}
	}
	return nil
}

// tryLockFresh is tryLock; the file is never stale: Windows does not
// remove a file another handle has open without FILE_SHARE_DELETE, which
// the range file is not opened with, so it cannot vanish under a Locker.
func (r *rangeFile) tryLockFresh(off int64, shared bool, _ func() bool) (ok, stale bool, err error) {
	ok, err = r.tryLock(off, shared)
	return ok, false, err
}

// unlinked reports false (see tryLockFresh).
func (*rangeFile) unlinked() bool { return false }

// reopen is never reached (see tryLockFresh).
func (*rangeFile) reopen(string, fs.FileMode, []heldSlot) (bool, error) {
	return false, errors.ErrUnsupported
}
