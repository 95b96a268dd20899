//go:build linux

package ns

import (
	"fmt"
	"os"
	"runtime"
	"syscall"

	"github.com/cnirt/cni/types"
)

// CheckNetNS reports whether nsPath names the network namespace the calling
// thread is in. A path that cannot be opened is not the caller's namespace
// and is no error: judging it is the plugin's business (a DEL gets an empty
// or stale path once the container is gone). The only error is the caller's
// own namespace being unreadable: [types.ErrInvalidNetNS] with the message
// "get plugin's netns failed" and no details, as the reference returns it.
func CheckNetNS(nsPath string) (bool, *types.Error) {
	target, err := os.Open(nsPath)
	if err != nil {
		return false, nil
	}
	defer func() { _ = target.Close() }()
	targetInfo, err := target.Stat()
	if err != nil {
		return false, nil
	}
	self, err := threadNetNS()
	if err != nil {
		return false, types.NewError(types.ErrInvalidNetNS, "get plugin's netns failed", "")
	}
	return os.SameFile(targetInfo, self), nil
}

// threadNetNS describes the network namespace of the calling OS thread. The
// goroutine stays on its thread while the path naming that thread is read,
// so the answer is the namespace the caller runs in.
func threadNetNS() (os.FileInfo, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return os.Stat(fmt.Sprintf("/proc/%d/task/%d/ns/net", os.Getpid(), syscall.Gettid()))
}
