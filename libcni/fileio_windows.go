//go:build windows

package libcni

import "os"

// createExclusive creates name, which must not exist, with mode
// cacheFilePerm, writes data to it, syncs it when asked, and closes it.
// When writing fails the file is removed again.
func createExclusive(name string, data []byte, sync bool) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, cacheFilePerm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(name)
	}
	return err
}

// readWhole reads the whole file name.
func readWhole(name string) ([]byte, error) { return os.ReadFile(name) }

// readInto reads the whole file name; buf is not needed here.
func readInto(name string, _ []byte) ([]byte, error) { return os.ReadFile(name) }

// renameFile renames oldName to newName, replacing a file there.
func renameFile(oldName, newName string) error { return os.Rename(oldName, newName) }

// removeFile deletes name.
func removeFile(name string) error { return os.Remove(name) }
