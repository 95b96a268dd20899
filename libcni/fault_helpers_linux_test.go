//go:build linux

package libcni_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/pkg/plugintest"
)

// Helpers of the fault tests: real file-system faults made with mounts
// and inode flags, which need root. Without root the tests skip (fail with
// CI=true), naming what is missing.

// requireFaultRoot stops the test unless it runs as root.
func requireFaultRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		missingOrFail(t, "root privileges, for the tmpfs, bind mounts and inode flags of the fault tests")
	}
}

// mountTmpfs mounts a tmpfs of size (e.g. "64k") on dir and unmounts it
// in Cleanup.
func mountTmpfs(t *testing.T, dir, size string) {
	t.Helper()
	require.NoError(t, syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0700"), "mount tmpfs on %s", dir)
	t.Cleanup(func() { unmount(t, dir) })
}

// remountReadOnly bind-mounts dir onto itself read-only, so that writes
// below it fail with EROFS, and returns the function undoing it (also run
// in Cleanup; running it twice is harmless).
func remountReadOnly(t *testing.T, dir string) (undo func()) {
	t.Helper()
	require.NoError(t, syscall.Mount(dir, dir, "", syscall.MS_BIND, ""), "bind mount %s", dir)
	var once sync.Once
	undo = func() { once.Do(func() { unmount(t, dir) }) }
	t.Cleanup(undo)
	require.NoError(t, syscall.Mount("", dir, "", syscall.MS_BIND|syscall.MS_REMOUNT|syscall.MS_RDONLY, ""), "remount %s read-only", dir)
	return undo
}

func unmount(t *testing.T, dir string) {
	if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) {
		t.Errorf("unmount %s: %v", dir, err)
	}
}

// Inode flags (FS_IOC_GETFLAGS, FS_IOC_SETFLAGS, FS_IMMUTABLE_FL).
const (
	fsIocGetflags  = 0x80086601
	fsIocSetflags  = 0x40086602
	fsImmutableFl  = 0x10
	faultSizeLimit = "256k"
)

// setImmutable sets or clears the immutable flag of dir: nothing can be
// created in or removed from an immutable directory, not even by root.
func setImmutable(t *testing.T, dir string, on bool) {
	t.Helper()
	f, err := os.Open(dir)
	require.NoError(t, err)
	defer f.Close()
	var flags int32
	_, _, e := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), fsIocGetflags, uintptr(unsafe.Pointer(&flags)))
	require.Zero(t, e, "FS_IOC_GETFLAGS %s", dir)
	if on {
		flags |= fsImmutableFl
	} else {
		flags &^= fsImmutableFl
	}
	_, _, e = syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), fsIocSetflags, uintptr(unsafe.Pointer(&flags)))
	require.Zero(t, e, "FS_IOC_SETFLAGS %s", dir)
}

// fillFS writes into dir until its file system is full (ENOSPC) and
// returns the file written, whose removal frees the space again.
func fillFS(t *testing.T, dir string) string {
	t.Helper()
	name := filepath.Join(dir, "filler")
	f, err := os.Create(name)
	require.NoError(t, err)
	defer f.Close()
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			require.ErrorIs(t, err, syscall.ENOSPC)
			return name
		}
	}
}

// faultLog records the events of a CNIConfig.
type faultLog struct {
	mu     sync.Mutex
	events []libcni.Event
}

func (l *faultLog) hook(_ context.Context, ev libcni.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, ev)
}

// take returns the events of kind recorded since the last take, and
// forgets all events.
func (l *faultLog) take(kind libcni.EventKind) []libcni.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []libcni.Event
	for _, ev := range l.events {
		if ev.Kind == kind {
			out = append(out, ev)
		}
	}
	l.events = nil
	return out
}

// faultEnv is a network of the example debug and noop plugins whose runs
// are recorded in debugFile (outside the faulty cache directory).
type faultEnv struct {
	bin       string
	cacheDir  string
	debugFile string
	list      *libcni.NetworkConfigList
}

func newFaultEnv(t *testing.T, cacheDir string) *faultEnv {
	t.Helper()
	env := &faultEnv{
		bin:       plugintest.Build(t, plugintest.NoopPlugin, plugintest.DebugPlugin),
		cacheDir:  cacheDir,
		debugFile: filepath.Join(t.TempDir(), "debug.log"),
	}
	var err error
	env.list, err = libcni.ConfListFromBytes(debugChain("faultnet", "1.1.0", env.debugFile))
	require.NoError(t, err)
	return env
}

// cni returns a CNIConfig on the environment's cache directory reporting
// its events to log, closed in Cleanup.
func (env *faultEnv) cni(t *testing.T, log *faultLog, opts ...libcni.Option) *libcni.CNIConfig {
	t.Helper()
	opts = append([]libcni.Option{libcni.WithCacheDir(env.cacheDir), libcni.WithEventHook(log.hook)}, opts...)
	c := libcni.NewCNIConfigWithOptions([]string{env.bin}, nil, opts...)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func faultRT(id string) *libcni.RuntimeConf {
	return &libcni.RuntimeConf{ContainerID: id, NetNS: "/var/run/netns/" + id, IfName: "eth0"}
}

// runs counts the runs of the debug plugin for command and containerID.
func (env *faultEnv) runs(t *testing.T, command, containerID string) int {
	t.Helper()
	n := 0
	for _, r := range plugintest.ReadDebugLog(t, env.debugFile) {
		if r.Command == command && r.Env["CNI_CONTAINERID"] == containerID {
			n++
		}
	}
	return n
}

// temps lists the temporary cache files left in the results directory.
func (env *faultEnv) temps(t *testing.T) []string {
	t.Helper()
	var out []string
	entries, _ := os.ReadDir(filepath.Join(env.cacheDir, "results"))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			out = append(out, e.Name())
		}
	}
	return out
}

// entryFile is the cache entry of containerID in the environment's network.
func (env *faultEnv) entryFile(containerID string) string {
	return filepath.Join(env.cacheDir, "results", env.list.Name+"-"+containerID+"-eth0")
}
