//go:build linux

package lock

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"syscall"
)

// Open file description lock commands of fcntl(2) (Linux 3.15 and later);
// the same numbers on every Linux architecture.
const (
	fOFDGetlk = 36
	fOFDSetlk = 37
)

// rangeFile is the open range file; its byte ranges are locked with open
// file description locks, which belong to this open file: they conflict
// with those of every other open of the file (other Lockers, other
// processes) and vanish when it is closed, also by the death of the
// process.
//
// mu guards the descriptor against close: lock calls hold it shared for
// the system call, close holds it exclusively, so a call never reaches a
// descriptor number that close has released (and the process may have
// reused for another file).
type rangeFile struct {
	path   string
	mu     sync.RWMutex
	closed bool     // guarded by mu
	f      *os.File // kept open; owns fd
	fd     uintptr
}

// openRangeFile opens (creating) the range file and checks that the kernel
// has open file description locks; it returns an error wrapping
// errors.ErrUnsupported when it has not.
func openRangeFile(_ osLocker, path string, mode fs.FileMode) (*rangeFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, mode)
	if err != nil {
		return nil, err
	}
	r := &rangeFile{path: path, f: f, fd: f.Fd()}
	probe := syscall.Flock_t{Type: syscall.F_WRLCK, Start: 0, Len: 1}
	if err := ignoringEINTR(func() error { return syscall.FcntlFlock(r.fd, fOFDGetlk, &probe) }); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EINVAL) {
			return nil, errors.ErrUnsupported
		}
		return nil, &os.PathError{Op: "fcntl", Path: path, Err: err}
	}
	return r, nil
}

// unlock drops this file's lock on the byte at off.
func (r *rangeFile) unlock(off int64) error {
	lk := syscall.Flock_t{Type: syscall.F_UNLCK, Start: off, Len: 1}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		return &os.PathError{Op: "fcntl", Path: r.path, Err: os.ErrClosed}
	}
	if err := ignoringEINTR(func() error { return syscall.FcntlFlock(r.fd, fOFDSetlk, &lk) }); err != nil {
		return &os.PathError{Op: "fcntl", Path: r.path, Err: err}
	}
	return nil
}

// tryLockFresh is tryLock followed, when the lock was taken and check
// reports true (it is called only then), by a check
// that the open range file is still linked into its directory (one
// fstat), under one hold of mu so that no reopen comes in between. stale
// reports a file removed, for example with the whole cache directory: a
// process that opens the path now gets a new file, whose locks do not
// conflict with this one's. The lock taken on the stale file is kept.
func (r *rangeFile) tryLockFresh(off int64, shared bool, check func() bool) (ok, stale bool, err error) {
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Start: off, Len: 1}
	if shared {
		lk.Type = syscall.F_RDLCK
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		return false, false, &os.PathError{Op: "fcntl", Path: r.path, Err: os.ErrClosed}
	}
	err = ignoringEINTR(func() error { return syscall.FcntlFlock(r.fd, fOFDSetlk, &lk) })
	switch {
	case err == nil:
	case errors.Is(err, syscall.EAGAIN), errors.Is(err, syscall.EACCES):
		return false, false, nil
	default:
		return false, false, &os.PathError{Op: "fcntl", Path: r.path, Err: err}
	}
	if !check() {
		return true, false, nil
	}
	var st syscall.Stat_t
	if ignoringEINTR(func() error { return syscall.Fstat(int(r.fd), &st) }) == nil && st.Nlink == 0 {
		return true, true, nil
	}
	return true, false, nil
}

// unlinked reports whether the open range file has been removed from its
// directory (one fstat).
func (r *rangeFile) unlinked() bool {
	var st syscall.Stat_t
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		return false
	}
	return ignoringEINTR(func() error { return syscall.Fstat(int(r.fd), &st) }) == nil && st.Nlink == 0
}

// reopen replaces the descriptor of an unlinked range file by one of the
// file now at the path (created, with its directory, when missing) and
// takes the locks in held on it, so that locks held when the file was
// removed keep excluding the processes that open the new file. It reports
// whether it replaced the descriptor; it keeps the old one when the new
// file cannot be opened. A lock another process took on the new file
// meanwhile cannot be taken again: it is reported in the error, and only
// the in-process exclusion holds for it until it is released.
func (r *rangeFile) reopen(dir string, mode fs.FileMode, held []heldSlot) (bool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, err
	}
	f, err := os.OpenFile(r.path, os.O_RDWR|os.O_CREATE, mode)
	if err != nil {
		return false, err
	}
	fd := f.Fd()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		_ = f.Close()
		return false, &os.PathError{Op: "reopen", Path: r.path, Err: os.ErrClosed}
	}
	var lost int
	for _, h := range held {
		lk := syscall.Flock_t{Type: syscall.F_WRLCK, Start: h.slot, Len: 1}
		if h.shared {
			lk.Type = syscall.F_RDLCK
		}
		if err := ignoringEINTR(func() error { return syscall.FcntlFlock(fd, fOFDSetlk, &lk) }); err != nil {
			lost++
		}
	}
	old := r.f
	r.f, r.fd = f, fd
	_ = old.Close()
	if lost > 0 {
		return true, fmt.Errorf("lock: %d held lock(s) already taken by another process on the new %s", lost, r.path)
	}
	return true, nil
}
