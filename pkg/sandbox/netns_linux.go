//go:build linux

package sandbox

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
)

// Magic numbers of statfs(2): the namespace file system (bind mounts of
// namespaces, /proc/PID/ns/net on kernels since 3.19) and procfs (the
// same files on older kernels).
const (
	nsfsMagic   = 0x6e736673
	procfsMagic = 0x9fa0
	// nsGetNSType is the NS_GET_NSTYPE ioctl (Linux 4.11): the
	// namespace's CLONE_NEW* type.
	nsGetNSType = 0xb703
)

// checkNetNS checks path on Linux, where CNI_NETNS is a path. Any check
// refuses a relative path (a plugin would resolve it against its own
// working directory). netnsLive also refuses an empty path and one that
// is not a network namespace now: statfs(2) must report the namespace
// file system (or procfs, for /proc/PID/ns/net on old kernels) and, on
// kernels that answer NS_GET_NSTYPE, the namespace must be a network
// namespace. netnsForm accepts a path that does not exist or is no longer
// a namespace: DEL must work after the namespace is gone.
func checkNetNS(path string, need netnsNeed) (string, error) {
	if path == "" {
		if need == netnsLive {
			return "is empty (a network namespace is required)", nil
		}
		return "", nil
	}
	if !filepath.IsAbs(path) {
		return "is relative (an absolute path is required)", nil
	}
	if need != netnsLive {
		return "", nil
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		if errors.Is(err, syscall.ENOENT) {
			return "does not exist", &os.PathError{Op: "statfs", Path: path, Err: err}
		}
		return "cannot be checked", &os.PathError{Op: "statfs", Path: path, Err: err}
	}
	if uint32(st.Type) != nsfsMagic && uint32(st.Type) != procfsMagic {
		return "is not a network namespace (not on nsfs)", nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "cannot be opened", err
	}
	defer f.Close()
	typ, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), nsGetNSType, 0)
	switch {
	case errno == syscall.ENOTTY || errno == syscall.EINVAL:
		// A kernel before 4.11, or a procfs file that is not a
		// namespace: statfs said nsfs or procfs, which is all that can
		// be known cheaply.
		if uint32(st.Type) == procfsMagic {
			return "is not a network namespace (a procfs file that is not a namespace)", nil
		}
	case errno != 0:
		return "cannot be checked", &os.PathError{Op: "ioctl NS_GET_NSTYPE", Path: path, Err: errno}
	case typ != syscall.CLONE_NEWNET:
		return "is a namespace of another type, not a network namespace", nil
	}
	return "", nil
}
