//go:build linux

package libcni

import (
	"os"
	"syscall"
)

// fileVersion identifies one version of a file: which file (device and
// inode), its size, modification and change times and mode. The change
// time also moves when a writer restores the modification time.
type fileVersion struct {
	dev, ino uint64
	size     int64
	mtimeSec int64
	mtimeNs  int64
	ctimeSec int64
	ctimeNs  int64
	mode     uint32
}

// statVersion stats name (following symlinks) without allocating.
func statVersion(name string) (fileVersion, error) {
	var st syscall.Stat_t
	if err := ignoringEINTR(func() error { return syscall.Stat(name, &st) }); err != nil {
		return fileVersion{}, &os.PathError{Op: "stat", Path: name, Err: err}
	}
	return versionOf(&st), nil
}

// versionOf returns the version st describes.
func versionOf(st *syscall.Stat_t) fileVersion {
	msec, mnsec := st.Mtim.Unix()
	csec, cnsec := st.Ctim.Unix()
	return fileVersion{
		dev: uint64(st.Dev), ino: uint64(st.Ino), size: int64(st.Size),
		mtimeSec: msec, mtimeNs: mnsec, ctimeSec: csec, ctimeNs: cnsec, mode: uint32(st.Mode),
	}
}

// same reports whether a and b describe the same, unchanged file.
func (a fileVersion) same(b fileVersion) bool { return a == b }
