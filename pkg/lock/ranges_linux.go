//go:build linux

package lock

import (
	"errors"
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

// tryLock attempts to lock the byte at off without blocking; it reports
// false, nil when another open file holds a conflicting lock.
func (r *rangeFile) tryLock(off int64, shared bool) (bool, error) {
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Start: off, Len: 1}
	if shared {
		lk.Type = syscall.F_RDLCK
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		return false, &os.PathError{Op: "fcntl", Path: r.path, Err: os.ErrClosed}
	}
	err := ignoringEINTR(func() error { return syscall.FcntlFlock(r.fd, fOFDSetlk, &lk) })
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, syscall.EAGAIN), errors.Is(err, syscall.EACCES):
		return false, nil
	default:
		return false, &os.PathError{Op: "fcntl", Path: r.path, Err: err}
	}
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
