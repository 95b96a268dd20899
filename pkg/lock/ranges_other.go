//go:build !linux && !windows

package lock

import (
	"errors"
	"io/fs"
)

// rangeFile is never created on these systems: their byte-range locks
// (fcntl F_SETLK) belong to the process, not to an open file, and are
// dropped when any descriptor of the file is closed, so a Locker uses a
// lock file per key instead.
type rangeFile struct{ path string }

// openRangeFile reports that byte-range locks are not used here.
func openRangeFile(osLocker, string, fs.FileMode) (*rangeFile, error) {
	return nil, errors.ErrUnsupported
}

// unlock is never reached.
func (*rangeFile) unlock(int64) error { return errors.ErrUnsupported }

// close is never reached.
func (*rangeFile) close() error { return nil }

// tryLockFresh is never reached.
func (*rangeFile) tryLockFresh(int64, bool, func() bool) (bool, bool, error) {
	return false, false, errors.ErrUnsupported
}

// unlinked is never reached.
func (*rangeFile) unlinked() bool { return false }

// reopen is never reached.
func (*rangeFile) reopen(string, fs.FileMode, []heldSlot) (bool, error) {
	return false, errors.ErrUnsupported
}
