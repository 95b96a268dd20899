package libcni_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
)

// openFDs counts the process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	return len(entries)
}

// TestCloseReleasesLockDescriptors checks CNIConfig.Close: the two lock
// files a CNIConfig keeps open per cache directory are closed, at once
// when idle and at release for a hold still in use (which keeps excluding
// others until then), and the CNIConfig keeps working afterwards. Not
// parallel: it counts the process's descriptors.
func TestCloseReleasesLockDescriptors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	base := openFDs(t)
	cni := libcni.NewCNIConfigWithCacheDir([]string{"/bin"}, dir, newFakeExec())
	rt := &libcni.RuntimeConf{ContainerID: "ctr", IfName: "eth0"}
	_, err := cni.AddNetworkList(ctx, holdTestList(t, "n1"), rt)
	require.NoError(t, err)
	assert.Equal(t, base+2, openFDs(t), "one range file per lock namespace is kept")
	require.NoError(t, cni.Close())
	assert.Equal(t, base, openFDs(t), "Close releases them")
	require.NoError(t, cni.Close(), "Close twice is fine")

	// Usable after Close; a hold in use keeps its descriptors and its lock.
	hctx, release, err := cni.HoldContainer(ctx, "ctr", "n1")
	require.NoError(t, err)
	require.NoError(t, cni.Close())
	assert.Equal(t, base+2, openFDs(t), "the hold keeps its lock files")
	other := libcni.NewCNIConfigWithCacheDir([]string{"/bin"}, dir, newFakeExec())
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	err = other.DelNetworkList(short, holdTestList(t, "n1"), rt)
	require.ErrorIs(t, err, context.DeadlineExceeded, "the container is still held after Close")
	require.NoError(t, other.Close())
	require.NoError(t, cni.DelNetworkList(hctx, holdTestList(t, "n1"), rt))
	release(false)
	assert.Equal(t, base, openFDs(t), "the last user closes them")

	var literal libcni.CNIConfig
	assert.NoError(t, literal.Close(), "a CNIConfig not made by a constructor keeps nothing")
}
