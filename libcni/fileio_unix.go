//go:build !windows

package libcni

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
)

// The cache's file operations on unix go straight to the system calls: an
// os.File would add a registration with the runtime poller (and fcntl
// calls) per open, os.ReadFile an fstat, os.Rename an lstat of the target
// and os.Remove an rmdir after a failed unlink. Descriptors are
// close-on-exec, so plugins never inherit them.

// createExclusive creates name, which must not exist, with mode
// cacheFilePerm (less the umask), writes data to it, syncs it when asked,
// and closes it. When writing fails the file is removed again.
func createExclusive(name string, data []byte, sync bool) error {
	var fd int
	err := ignoringEINTR(func() (err error) {
		fd, err = syscall.Open(name, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC, cacheFilePerm)
		return err
	})
	if err != nil {
		return &os.PathError{Op: "open", Path: name, Err: err}
	}
	for len(data) > 0 && err == nil {
		var n int
		n, err = syscall.Write(fd, data)
		switch {
		case errors.Is(err, syscall.EINTR):
			err = nil
		case err == nil && n == 0:
			err = syscall.EIO
		}
		if n > 0 {
			data = data[n:]
		}
	}
	if err == nil && sync {
		err = ignoringEINTR(func() error { return syscall.Fsync(fd) })
	}
	if cerr := syscall.Close(fd); err == nil {
		err = cerr
	}
	if err != nil {
		_ = syscall.Unlink(name)
		return &os.PathError{Op: "write", Path: name, Err: err}
	}
	return nil
}

// readFileLimit reads the whole file name into a new slice, failing with
// errFileTooLarge when it holds more than limit bytes. The slice starts at
// 4 KiB, which holds a typical cache entry, so that the usual file costs an
// open, two reads (the second one seeing the end) and a close.
func readFileLimit(name string, limit int) ([]byte, error) {
	return readUpTo(noDir, "", name, make([]byte, 0, 4096), limit)
}

// noDir is the dirfd meaning "name is a whole path".
const noDir = -1

// dirHandle is a directory whose files are read by name: on Linux through
// a descriptor of the directory (openat), which spares the kernel walking
// the directory's path for every file.
type dirHandle struct {
	fd   int
	path string
}

// openDirHandle opens path for reading files in it; when the directory
// cannot be opened (or on systems without openat) files are opened by
// their whole path.
func openDirHandle(path string) dirHandle {
	return dirHandle{fd: openDirFD(path), path: path}
}

// close releases the directory descriptor.
func (h dirHandle) close() {
	if h.fd != noDir {
		_ = syscall.Close(h.fd)
	}
}

// readInto reads the whole file name of the directory into buf[:0],
// growing it as needed, and returns the filled slice; it fails with
// errFileTooLarge for a file of more than limit bytes.
func (h dirHandle) readInto(name string, buf []byte, limit int) ([]byte, error) {
	return readUpTo(h.fd, h.path, name, buf, limit)
}

// readUpTo reads the whole file name (relative to dirfd, or a whole path
// with noDir; dir names the directory in errors) into buf[:0], growing it
// as needed; with limit >= 0 it stops with errFileTooLarge after more than
// limit bytes.
func readUpTo(dirfd int, dir, name string, buf []byte, limit int) ([]byte, error) {
	buf = buf[:0]
	fd, err := openRead(dirfd, dir, name)
	if err != nil {
		if dir != "" {
			name = filepath.Join(dir, name)
		}
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, rerr := syscall.Read(fd, buf[len(buf):cap(buf)])
		if errors.Is(rerr, syscall.EINTR) {
			continue
		}
		if rerr != nil {
			err = rerr
			break
		}
		if n <= 0 {
			break
		}
		buf = buf[:len(buf)+n]
		if limit >= 0 && len(buf) > limit {
			_ = syscall.Close(fd)
			return nil, errFileTooLarge
		}
	}
	if cerr := syscall.Close(fd); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		if dir != "" {
			name = filepath.Join(dir, name)
		}
		return nil, &os.PathError{Op: "read", Path: name, Err: err}
	}
	return buf, nil
}

// renameFile renames oldName to newName, replacing a file there.
func renameFile(oldName, newName string) error {
	if err := ignoringEINTR(func() error { return syscall.Rename(oldName, newName) }); err != nil {
		return &os.LinkError{Op: "rename", Old: oldName, New: newName, Err: err}
	}
	return nil
}

// removeFile unlinks name.
func removeFile(name string) error {
	if err := ignoringEINTR(func() error { return syscall.Unlink(name) }); err != nil {
		return &os.PathError{Op: "remove", Path: name, Err: err}
	}
	return nil
}

// ignoringEINTR calls fn until it fails with something other than EINTR.
func ignoringEINTR(fn func() error) error {
	for {
		if err := fn(); !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

// joinDir returns name inside dir, or name itself when dir is empty.
func joinDir(dir, name string) string {
	if dir == "" {
		return name
	}
	return filepath.Join(dir, name)
}
