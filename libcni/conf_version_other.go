//go:build !linux

package libcni

import "os"

// fileVersion identifies one version of a file: which file (compared with
// os.SameFile: device and inode, or volume and file index on Windows), its
// size, modification time and mode.
type fileVersion struct {
	info os.FileInfo
}

// statVersion stats name.
func statVersion(name string) (fileVersion, error) {
	fi, err := os.Stat(name)
	return fileVersion{info: fi}, err
}

// same reports whether a and b describe the same, unchanged file.
func (a fileVersion) same(b fileVersion) bool {
	if a.info == nil || b.info == nil {
		return false
	}
	return a.info.Size() == b.info.Size() && a.info.ModTime().Equal(b.info.ModTime()) &&
		a.info.Mode() == b.info.Mode() && os.SameFile(a.info, b.info)
}
