package libcni

import (
	"fmt"
	"io/fs"
)

// NotRegularFileError is the reason a configuration file that is not a
// regular file (a FIFO, a socket, a device, a directory reached through a
// symbolic link) is refused: it is opened without waiting and refused
// before any read, so a FIFO named *.conflist cannot block the loading
// forever. Loading fails with it as it does for a file that cannot be
// read; errors.As finds it.
type NotRegularFileError struct {
	// Path is the file.
	Path string
	// Mode is the file's type (fs.ModeNamedPipe, fs.ModeSocket, ...).
	Mode fs.FileMode
}

// Error names the file and its type.
func (e *NotRegularFileError) Error() string {
	return fmt.Sprintf("%s is not a regular file (%s)", e.Path, fileTypeName(e.Mode))
}

// fileTypeName names the type bits of m.
func fileTypeName(m fs.FileMode) string {
	switch t := m.Type(); {
	case t&fs.ModeNamedPipe != 0:
		return "named pipe"
	case t&fs.ModeSocket != 0:
		return "socket"
	case t&fs.ModeCharDevice != 0:
		return "character device"
	case t&fs.ModeDevice != 0:
		return "block device"
	case t&fs.ModeDir != 0:
		return "directory"
	case t&fs.ModeSymlink != 0:
		return "symbolic link"
	}
	return "irregular file"
}

// CacheError is a cache entry that could not be written or removed. Op is
// "write" (an ADD: the entry could not be created before the plugins ran,
// or not written after they succeeded) or "remove" (a DEL's plugins
// succeeded but the entry stays; the DEL itself succeeds and the error is
// only reported, as Event.Err of the EventCacheRemove). Its text is that
// of Err, the file system's error, which names the file and the cause.
type CacheError struct {
	// Op is "write" or "remove".
	Op string
	// File is the attachment's cache entry,
	// <cacheDir>/results/<network>-<containerID>-<ifName>.
	File string
	// PluginsRan reports, for a write, whether the ADD's plugins ran
	// before the failure: then the attachment exists and is not cached,
	// and its DEL (or a GC that does not list it as valid) releases it.
	PluginsRan bool
	// Err is the file system's error (an *os.PathError naming the file
	// actually written, and the cause: syscall.EROFS, ENOSPC, ...).
	Err error
}

// Error returns Err's text.
func (e *CacheError) Error() string { return e.Err.Error() }

// Unwrap returns Err.
func (e *CacheError) Unwrap() error { return e.Err }

// LockSetupError is why a CNIConfig could not open the lock files of a
// cache directory (read-only, full or unwritable file system, a file in
// the directory's place). Operations do not fail for it: they run with
// locks that exclude only the operations of the same CNIConfig, and
// report it as Event.Err of an EventLocksDegraded.
type LockSetupError struct {
	// Dir is the lock directory, <cacheDir>/locks.
	Dir string
	// Err is the file system's error.
	Err error
}

// Error names the directory and the cause.
func (e *LockSetupError) Error() string {
	return fmt.Sprintf("cannot set up the lock files in %s (locking within this CNIConfig only): %v", e.Dir, e.Err)
}

// Unwrap returns Err.
func (e *LockSetupError) Unwrap() error { return e.Err }
