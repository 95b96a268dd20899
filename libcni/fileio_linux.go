//go:build linux

package libcni

import "syscall"

// openDirFD opens the directory path for openat, or returns noDir.
func openDirFD(path string) int {
	var fd int
	err := ignoringEINTR(func() (err error) {
		fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
		return err
	})
	if err != nil {
		return noDir
	}
	return fd
}

// openRead opens name for reading: relative to dirfd, or, with noDir, name
// inside dir (a whole path when dir is empty). O_NONBLOCK: a FIFO put in
// the file's place must not block the open (it then reads as empty).
func openRead(dirfd int, dir, name string) (fd int, err error) {
	err = ignoringEINTR(func() (err error) {
		if dirfd != noDir {
			fd, err = syscall.Openat(dirfd, name, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
		} else {
			fd, err = syscall.Open(joinDir(dir, name), syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
		}
		return err
	})
	return fd, err
}
