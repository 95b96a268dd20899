package libcni_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
)

// lockFDs counts the process's open descriptors of files under
// dir/locks, the lock files of a cache directory.
func lockFDs(t *testing.T, dir string) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	prefix := filepath.Join(dir, "locks") + string(filepath.Separator)
	n := 0
	for _, e := range entries {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err == nil && strings.HasPrefix(target, prefix) {
			n++
		}
	}
	return n
}

// TestCloseReleasesLockDescriptors checks CNIConfig.Close: the two lock
// files a CNIConfig keeps open per cache directory are closed, at once
// when idle and at release for a hold still in use (which keeps excluding
// others until then), and the CNIConfig keeps working afterwards. Only
// descriptors of this test's cache directory are counted.
func TestCloseReleasesLockDescriptors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	cni := libcni.NewCNIConfigWithCacheDir([]string{"/bin"}, dir, newFakeExec())
	rt := &libcni.RuntimeConf{ContainerID: "ctr", IfName: "eth0"}
	_, err := cni.AddNetworkList(ctx, holdTestList(t, "n1"), rt)
	require.NoError(t, err)
	assert.Equal(t, 2, lockFDs(t, dir), "one range file per lock namespace is kept")
	require.NoError(t, cni.Close())
	assert.Equal(t, 0, lockFDs(t, dir), "Close releases them")
	require.NoError(t, cni.Close(), "Close twice is fine")

	// Usable after Close; a hold in use keeps its descriptors and its lock.
	hctx, release, err := cni.HoldContainer(ctx, "ctr", "n1")
	require.NoError(t, err)
	require.NoError(t, cni.Close())
	assert.Equal(t, 2, lockFDs(t, dir), "the hold keeps its lock files")
	other := libcni.NewCNIConfigWithCacheDir([]string{"/bin"}, dir, newFakeExec())
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	err = other.DelNetworkList(short, holdTestList(t, "n1"), rt)
	require.ErrorIs(t, err, context.DeadlineExceeded, "the container is still held after Close")
	require.NoError(t, other.Close())
	require.NoError(t, cni.DelNetworkList(hctx, holdTestList(t, "n1"), rt))
	release(false)
	assert.Equal(t, 0, lockFDs(t, dir), "the last user closes them")

	var literal libcni.CNIConfig
	assert.NoError(t, literal.Close(), "a CNIConfig not made by a constructor keeps nothing")
}
