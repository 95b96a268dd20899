//go:build windows

package libcni

// syncDir does nothing on Windows: directories cannot be opened for
// flushing there, and NTFS journals renames itself. WithDurableCache then
// only syncs the cache file.
func syncDir(string) error { return nil }
