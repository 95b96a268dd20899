//go:build linux

package skel

import (
	"fmt"
	"os"
	"runtime"
	"syscall"

	"github.com/cnirt/cni/types"
)

// isOwnNetNS reports whether nsPath names the network namespace the
// calling thread is in. A path that cannot be read is not the plugin's
// namespace: judging it is the plugin's business (DEL gets an empty or
// stale path once the container is gone).
func isOwnNetNS(nsPath string) (bool, *types.Error) {
	if nsPath == "" {
		return false, nil
	}
	target, err := os.Stat(nsPath)
	if err != nil {
		return false, nil
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	self, err := os.Stat(fmt.Sprintf("/proc/%d/task/%d/ns/net", os.Getpid(), syscall.Gettid()))
	if err != nil {
		return false, types.NewError(types.ErrInvalidNetNS, "get plugin's netns failed", err.Error())
	}
	return os.SameFile(target, self), nil
}
