//go:build linux || windows

package lock

import "os"

// close closes the range file, dropping all its locks. Later calls fail
// with an error wrapping os.ErrClosed.
func (r *rangeFile) close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return &os.PathError{Op: "close", Path: r.path, Err: os.ErrClosed}
	}
	r.closed = true
	return r.f.Close()
}
