//go:build linux

package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/cnirt/cni/pkg/plugintest/netns"
)

// namespacesAvailable reports why network namespaces cannot be used, or nil.
func namespacesAvailable() error { return netns.Available() }

// createNS creates the named network namespace and returns its path.
func createNS(ctx context.Context, name string) (string, error) {
	n, err := netns.Create(ctx, name)
	if err != nil {
		return "", err
	}
	return n.Path, nil
}

// deleteNS removes the named namespace. `ip netns del` can leave the
// mount point file behind when another mount namespace (an `ip netns
// exec` elsewhere) still has it mounted; the file is then unmounted and
// removed again for up to a second, so that the path is really gone.
func deleteNS(ctx context.Context, name string) error {
	n := &netns.NetNS{Name: name, Path: filepath.Join("/var/run/netns", name)}
	err := n.Delete(ctx)
	for i := 0; i < 20; i++ {
		if _, serr := os.Lstat(n.Path); errors.Is(serr, fs.ErrNotExist) {
			return nil
		}
		_ = syscall.Unmount(n.Path, syscall.MNT_DETACH)
		if rerr := os.Remove(n.Path); rerr == nil || errors.Is(rerr, fs.ErrNotExist) {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err == nil {
		err = fmt.Errorf("%s is still there after ip netns del", n.Path)
	}
	return err
}

// startIn starts cmd in the network namespace at path: the process is
// forked from a thread that has entered it, so it runs there.
func startIn(path string, cmd *exec.Cmd) error {
	return netns.Do(path, cmd.Start)
}

// setUp brings the link name up in the namespace at path.
func setUp(ctx context.Context, path, name string) error {
	cmd := exec.CommandContext(ctx, "ip", "link", "set", name, "up")
	if err := startIn(path, cmd); err != nil {
		return err
	}
	return cmd.Wait()
}

// listLinks returns the links of the namespace at path with their
// hardware addresses, flags and addresses.
func listLinks(path string) (map[string]linkState, error) {
	out := map[string]linkState{}
	err := netns.Do(path, func() error {
		ifs, err := net.Interfaces()
		if err != nil {
			return err
		}
		for _, i := range ifs {
			st := linkState{Name: i.Name, Index: i.Index, MAC: i.HardwareAddr.String(), Up: i.Flags&net.FlagUp != 0}
			addrs, err := i.Addrs()
			if err != nil {
				return err
			}
			for _, a := range addrs {
				if n, ok := a.(*net.IPNet); ok {
					st.Addrs = append(st.Addrs, n.String())
				}
			}
			out[i.Name] = st
		}
		return nil
	})
	return out, err
}

// inNS runs name with args in the namespace at path and returns its
// combined output.
func inNS(ctx context.Context, path, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var b limitedBuffer
	cmd.Stdout, cmd.Stderr = &b, &b
	if err := startIn(path, cmd); err != nil {
		return nil, err
	}
	err := cmd.Wait()
	return b.Bytes(), err
}

// limitedBuffer keeps the first 64 KiB written to it.
type limitedBuffer struct{ bytes.Buffer }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxStderr - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
