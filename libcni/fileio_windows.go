//go:build windows

package libcni

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
)

// tempFile is a cache file created, empty, before its contents are
// known (see the unix version).
type tempFile struct {
	f    *os.File
	name string
}

// createTemp creates name, which must not exist, with mode cacheFilePerm,
// open for writing.
func createTemp(name string) (tempFile, error) {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, cacheFilePerm)
	if err != nil {
		return tempFile{}, err
	}
	return tempFile{f: f, name: name}, nil
}

// finish writes data to the file, syncs it when asked, and closes it.
// When writing fails the file is removed again.
func (t tempFile) finish(data []byte, sync bool) error {
	_, err := t.f.Write(data)
	if err == nil && sync {
		err = t.f.Sync()
	}
	if cerr := t.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(t.name)
	}
	return err
}

// discard closes and removes the file.
func (t tempFile) discard() {
	_ = t.f.Close()
	_ = os.Remove(t.name)
}

// createExclusive creates name, which must not exist, with mode
// cacheFilePerm, writes data to it, syncs it when asked, and closes it.
// When writing fails the file is removed again.
func createExclusive(name string, data []byte, sync bool) error {
	t, err := createTemp(name)
	if err != nil {
		return err
	}
	return t.finish(data, sync)
}

// readRegularLimit is readFileLimit for a file that must be a regular
// file (a configuration file); another kind is refused with a
// *NotRegularFileError before it is read.
func readRegularLimit(name string, limit int) ([]byte, error) {
	fi, err := os.Stat(name)
	if err == nil && !fi.Mode().IsRegular() && !fi.IsDir() {
		return nil, &NotRegularFileError{Path: name, Mode: fi.Mode().Type()}
	}
	return readFileLimit(name, limit)
}

// dirHandle is a directory whose files are read by name.
type dirHandle struct{ path string }

// openDirHandle returns the handle of the directory path.
func openDirHandle(path string) dirHandle { return dirHandle{path: path} }

// pathDirHandle is openDirHandle: files are always opened by path here.
func pathDirHandle(path string) dirHandle { return dirHandle{path: path} }

// close does nothing: no descriptor is held here.
func (dirHandle) close() {}

// readInto reads the whole file name of the directory, failing with
// errFileTooLarge for a file of more than limit bytes; buf is not needed
// here.
func (h dirHandle) readInto(name string, _ []byte, limit int) ([]byte, error) {
	return readFileLimit(filepath.Join(h.path, name), limit)
}

// renameFile renames oldName to newName, replacing a file there.
func renameFile(oldName, newName string) error { return os.Rename(oldName, newName) }

// removeFile deletes name.
func removeFile(name string) error { return os.Remove(name) }

// readFileUntil reads the whole file name like readFileLimit; complete
// is not used here (the read is sized by the file's size already).
func readFileUntil(name string, limit int, _ func([]byte) bool) ([]byte, error) {
	return readFileLimit(name, limit)
}

// readFileLimit reads the whole file name, failing with errFileTooLarge
// when it holds more than limit bytes.
func readFileLimit(name string, limit int) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size := 0
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		if fi.Size() > int64(limit) {
			return nil, errFileTooLarge
		}
		size = int(fi.Size())
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
	if _, err := buf.ReadFrom(io.LimitReader(f, int64(limit)+1)); err != nil {
		return nil, err
	}
	if buf.Len() > limit {
		return nil, errFileTooLarge
	}
	return buf.Bytes(), nil
}
