//go:build unix

package libcni_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/types"
)

// TestCreatedFilesArePrivate checks the permissions SECURITY.md promises:
// every directory cnirt creates for a missing cache directory (the cache
// directory and its missing parents included) is 0700 and every file it
// creates there is 0600, so other users can neither read the cached
// configurations, CNI_ARGS and results nor take the locks. A directory that
// already exists keeps its mode. (A umask that takes away owner bits would
// narrow the modes further; the usual ones, 022 and 077, do not.)
func TestCreatedFilesArePrivate(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	require.NoError(t, os.Chmod(base, 0o755))
	cacheDir := filepath.Join(base, "var", "lib", "cni")
	fe := newFakeExec()
	fe.out["a/ADD"] = `{"cniVersion":"1.0.0","ips":[{"address":"198.18.0.5/24"}]}`
	c := libcni.NewCNIConfigWithOptions([]string{"/fake"}, fe, libcni.WithCacheDir(cacheDir))
	list := mustList(t, listConf("1.0.0", "a", "b"))
	ctx := context.Background()
	_, err := c.AddNetworkList(ctx, list, testRT())
	require.NoError(t, err)
	other := testRT()
	other.ContainerID = "ctr2"
	_, err = c.AddNetworkList(ctx, list, other)
	require.NoError(t, err)
	require.NoError(t, c.CheckNetworkList(ctx, list, testRT()))
	require.NoError(t, c.DelNetworkList(ctx, list, testRT()))
	require.NoError(t, c.GCNetworkList(ctx, list, &libcni.GCArgs{
		ValidAttachments: []types.GCAttachment{{ContainerID: "ctr2", IfName: "eth0"}}}))

	var dirs, files int
	require.NoError(t, filepath.WalkDir(filepath.Join(base, "var"), func(path string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		info, err := d.Info()
		require.NoError(t, err)
		if d.IsDir() {
			dirs++
			assert.Equal(t, fs.FileMode(0o700), info.Mode().Perm(), "directory %s", path)
		} else {
			files++
			assert.True(t, info.Mode().IsRegular(), "%s is a regular file", path)
			assert.Equal(t, fs.FileMode(0o600), info.Mode().Perm(), "file %s", path)
		}
		return nil
	}))
	// var, lib, cni, results, locks and the lock namespaces; the entry of
	// ctr2 and the lock files.
	assert.GreaterOrEqual(t, dirs, 5)
	assert.GreaterOrEqual(t, files, 2)
	_, err = os.Stat(filepath.Join(cacheDir, "results", "testnet-ctr2-eth0"))
	require.NoError(t, err)

	info, err := os.Stat(base)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o755), info.Mode().Perm(), "an existing directory keeps its mode")
}
