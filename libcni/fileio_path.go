//go:build !linux && !windows

package libcni

import "syscall"

// openDirFD returns noDir: files are opened by their whole path here.
func openDirFD(string) int { return noDir }

// openRead opens name inside dir (a whole path when dir is empty), without
// waiting for a FIFO's writer.
func openRead(_ int, dir, name string) (fd int, err error) {
	err = ignoringEINTR(func() (err error) {
		fd, err = syscall.Open(joinDir(dir, name), syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
		return err
	})
	return fd, err
}
