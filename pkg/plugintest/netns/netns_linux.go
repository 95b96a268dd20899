//go:build linux

package netns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
)

// Available reports why namespaces cannot be used here, or returns nil:
// they need root, the ip command (iproute2) and /proc/self/ns/net.
func Available() error {
	if os.Geteuid() != 0 {
		return errors.New("creating network namespaces needs root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return fmt.Errorf("the ip command is missing (install iproute2): %w", err)
	}
	if _, err := os.Stat("/proc/self/ns/net"); err != nil {
		return fmt.Errorf("this kernel has no network namespaces: %w", err)
	}
	return nil
}

// Create creates a network namespace called name with `ip netns add`.
func Create(ctx context.Context, name string) (*NetNS, error) {
	if err := IP(ctx, "netns", "add", name); err != nil {
		return nil, err
	}
	return &NetNS{Name: name, Path: filepath.Join("/var/run/netns", name)}, nil
}

// Delete removes the namespace with `ip netns del`.
func (n *NetNS) Delete(ctx context.Context) error {
	return IP(ctx, "netns", "del", n.Name)
}

// LinkExists reports whether the host namespace has a link called name.
func LinkExists(name string) bool {
	_, err := os.Stat(filepath.Join("/sys/class/net", name))
	return err == nil
}

// setnsTrap is setns(2)'s system call number per architecture; the frozen
// syscall package lacks SYS_SETNS on amd64 and 386.
var setnsTrap = map[string]uintptr{
	"amd64": 308, "386": 346, "arm64": 268, "arm": 375, "riscv64": 268,
	"loong64": 268, "ppc64": 350, "ppc64le": 350, "s390x": 339,
	"mips": 4344, "mipsle": 4344, "mips64": 5303, "mips64le": 5303,
}

func setns(f *os.File) error {
	trap, ok := setnsTrap[runtime.GOARCH]
	if !ok {
		return fmt.Errorf("setns: system call number unknown on %s", runtime.GOARCH)
	}
	if _, _, errno := syscall.RawSyscall(trap, f.Fd(), syscall.CLONE_NEWNET, 0); errno != 0 {
		return errno
	}
	return nil
}

// Do runs fn on an OS thread that has entered the namespace at path, and
// switches the thread back afterwards. If switching back fails the thread
// stays locked, and the Go runtime discards it when fn's goroutine ends.
func Do(path string, fn func() error) error {
	target, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("netns: %w", err)
	}
	defer target.Close()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		self, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", syscall.Gettid()))
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netns: own namespace: %w", err)
			return
		}
		defer self.Close()
		if err := setns(target); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netns: entering %s: %w", path, err)
			return
		}
		ferr := fn()
		if err := setns(self); err != nil {
			errc <- errors.Join(ferr, fmt.Errorf("netns: returning to the host namespace: %w", err))
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// Listen opens a listener inside the namespace at path.
func Listen(path, network, addr string) (net.Listener, error) {
	var ln net.Listener
	err := Do(path, func() error {
		var err error
		ln, err = net.Listen(network, addr)
		return err
	})
	return ln, err
}

// Dial connects to addr from inside the namespace at path ("" = the
// host); ctx bounds the connecting only.
func Dial(ctx context.Context, path, network, addr string) (net.Conn, error) {
	var d net.Dialer
	if path == "" {
		return d.DialContext(ctx, network, addr)
	}
	var c net.Conn
	err := Do(path, func() error {
		var err error
		c, err = d.DialContext(ctx, network, addr)
		return err
	})
	return c, err
}

// ReadFile reads the file name from inside the namespace at path, for
// example a /proc/sys/net sysctl, which shows the reading thread's
// namespace.
func ReadFile(path, name string) ([]byte, error) {
	var b []byte
	err := Do(path, func() error {
		var err error
		b, err = os.ReadFile(name)
		return err
	})
	return b, err
}

// Hold starts a sleeping child process in a new network namespace (and,
// without root, in a new user namespace too, where the kernel allows
// that) and returns the path of that namespace (/proc/PID/ns/net), valid
// until stop ends the child. The child dies with the calling thread's
// process. It serves code that needs a network namespace other than its
// own without touching any network, e.g. fake plugins.
func Hold() (path string, stop func(), err error) {
	for _, attr := range []*syscall.SysProcAttr{
		{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL},
		{Cloneflags: syscall.CLONE_NEWNET | syscall.CLONE_NEWUSER, Pdeathsig: syscall.SIGKILL,
			UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
			GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}}},
	} {
		cmd := exec.Command("sleep", "infinity")
		cmd.SysProcAttr = attr
		if err = cmd.Start(); err == nil {
			return fmt.Sprintf("/proc/%d/ns/net", cmd.Process.Pid), func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }, nil
		}
	}
	return "", nil, fmt.Errorf("holding a new network namespace needs root or user namespaces: %w", err)
}
