//go:build !windows

package libcni

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// The cache's file operations on unix go straight to the system calls: an
// os.File would add a registration with the runtime poller (and fcntl
// calls) per open, os.ReadFile an fstat, os.Rename an lstat of the target
// and os.Remove an rmdir after a failed unlink. Descriptors are
// close-on-exec, so plugins never inherit them.

// tempFile is a cache file created, empty, before its contents are
// known: an ADD creates it before running any plugin, so that a cache
// directory where nothing can be recorded (read-only, replaced by a file,
// out of inodes) fails the ADD before a plugin runs.
type tempFile struct {
	fd   int
	name string
}

// createTemp creates name, which must not exist, with mode cacheFilePerm
// (less the umask), open for writing.
func createTemp(name string) (tempFile, error) {
	var fd int
	err := ignoringEINTR(func() (err error) {
		fd, err = syscall.Open(name, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC, cacheFilePerm)
		return err
	})
	if err != nil {
		return tempFile{fd: -1}, &os.PathError{Op: "open", Path: name, Err: err}
	}
	return tempFile{fd: fd, name: name}, nil
}

// finish writes data to the file, syncs it when asked, and closes it.
// When writing fails the file is removed again.
func (t tempFile) finish(data []byte, sync bool) error {
	var err error
	for len(data) > 0 && err == nil {
		var n int
		n, err = syscall.Write(t.fd, data)
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
		err = ignoringEINTR(func() error { return syscall.Fsync(t.fd) })
	}
	if cerr := syscall.Close(t.fd); err == nil {
		err = cerr
	}
	if err != nil {
		_ = syscall.Unlink(t.name)
		return &os.PathError{Op: "write", Path: t.name, Err: err}
	}
	return nil
}

// discard closes and removes the file.
func (t tempFile) discard() {
	_ = syscall.Close(t.fd)
	_ = syscall.Unlink(t.name)
}

// createExclusive creates name, which must not exist, writes data to it,
// syncs it when asked, and closes it. When writing fails the file is
// removed again.
func createExclusive(name string, data []byte, sync bool) error {
	t, err := createTemp(name)
	if err != nil {
		return err
	}
	return t.finish(data, sync)
}

// readRegularLimit is readFileLimit for a file that must be a regular
// file (a configuration file): it is opened without waiting (O_NONBLOCK,
// so a FIFO does not block the open) and refused with a
// *NotRegularFileError, before any read, when it is neither a regular file
// nor a directory (whose read fails with EISDIR, as the reference's does).
// One fstat more than readFileLimit.
func readRegularLimit(name string, limit int) ([]byte, error) {
	var fd int
	err := ignoringEINTR(func() (err error) {
		fd, err = syscall.Open(name, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
		return err
	})
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	var st syscall.Stat_t
	if err := ignoringEINTR(func() error { return syscall.Fstat(fd, &st) }); err != nil {
		_ = syscall.Close(fd)
		return nil, &os.PathError{Op: "stat", Path: name, Err: err}
	}
	// A directory is read, and fails as in the reference (EISDIR).
	if t := uint32(st.Mode) & syscall.S_IFMT; t != syscall.S_IFREG && t != syscall.S_IFDIR {
		_ = syscall.Close(fd)
		return nil, &NotRegularFileError{Path: name, Mode: modeType(uint32(st.Mode))}
	}
	return readFD(fd, "", name, make([]byte, 0, 4096), limit, nil)
}

// modeType returns the fs.FileMode type bits of a stat mode.
func modeType(m uint32) fs.FileMode {
	switch m & syscall.S_IFMT {
	case syscall.S_IFDIR:
		return fs.ModeDir
	case syscall.S_IFIFO:
		return fs.ModeNamedPipe
	case syscall.S_IFSOCK:
		return fs.ModeSocket
	case syscall.S_IFCHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case syscall.S_IFBLK:
		return fs.ModeDevice
	case syscall.S_IFLNK:
		return fs.ModeSymlink
	}
	return fs.ModeIrregular
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

// pathDirHandle returns a handle of the directory path whose files are
// opened by their whole path.
func pathDirHandle(path string) dirHandle { return dirHandle{fd: noDir, path: path} }

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
		return nil, &os.PathError{Op: "open", Path: joinDir(dir, name), Err: err}
	}
	return readFD(fd, dir, name, buf, limit, nil)
}

// readFileUntil is readFileLimit for a file whose contents tell when they
// are whole: after a read that returns less than it asked for (which, for
// a regular file, is the end of the file), complete is called with what
// was read so far, and when it reports the contents whole the file is
// closed without the read that would see the end. A cache entry is one
// JSON value written in one piece, so its DEL or cached-result read costs
// one read instead of two; complete decodes it and keeps the result. When
// complete reports false the file is read to its end as usual.
func readFileUntil(name string, limit int, complete func([]byte) bool) ([]byte, error) {
	fd, err := openRead(noDir, "", name)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	return readFD(fd, "", name, make([]byte, 0, 4096), limit, complete)
}

// readFD reads fd, the open file name inside dir (see joinDir), to its end
// into buf[:0], growing it as needed, and closes it; with limit >= 0 it
// stops with errFileTooLarge after more than limit bytes. With complete
// (see readFileUntil) it may stop before the end.
func readFD(fd int, dir, name string, buf []byte, limit int, complete func([]byte) bool) ([]byte, error) {
	var err error
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
		short := n < cap(buf)-len(buf)
		buf = buf[:len(buf)+n]
		if limit >= 0 && len(buf) > limit {
			_ = syscall.Close(fd)
			return nil, errFileTooLarge
		}
		if short && complete != nil && complete(buf) {
			break
		}
	}
	if cerr := syscall.Close(fd); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, &os.PathError{Op: "read", Path: joinDir(dir, name), Err: err}
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
