//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || windows)

package lock

import (
	"errors"
	"os"
)

// osLocker is a stub on systems without a supported file lock; [New] refuses
// to create a Locker there.
type osLocker struct{}

// newOSLocker reports that cross-process locking is not available.
func newOSLocker() (osLocker, error) {
	return osLocker{}, errors.ErrUnsupported
}

// tryLock is never reached; New fails first.
func (osLocker) tryLock(*os.File, bool) (bool, error) { return false, errors.ErrUnsupported }

// unlock is never reached; New fails first.
func (osLocker) unlock(*os.File) error { return errors.ErrUnsupported }

// unlockAndRemove is never reached; New fails first.
func (osLocker) unlockAndRemove(*os.File, string) error { return errors.ErrUnsupported }

// stillAtPath is never reached; New fails first.
func stillAtPath(*os.File, string) (bool, error) { return false, errors.ErrUnsupported }
