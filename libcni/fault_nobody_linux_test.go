//go:build linux

package libcni_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/pkg/plugintest"
)

// nobodyEnv names the directory prepared by TestFaultUnprivileged for its
// child, which runs as the user nobody.
const nobodyEnv = "CNIRT_FAULT_NOBODY_DIR"

// nobodyUID is the user the child runs as.
const nobodyUID = plugintest.NobodyUID

// TestFaultUnprivileged checks the permission faults that root does not
// see, in a child process running the test binary as the user nobody: a
// configuration directory and a configuration file it cannot read, and a
// cache directory it cannot write (owned by root, mode 0755, with root's
// lock files). The child's body is TestFaultUnprivilegedChild.
func TestFaultUnprivileged(t *testing.T) {
	if os.Getenv(nobodyEnv) != "" {
		return
	}
	requireFaultRoot(t)
	ctx := context.Background()
	root := t.TempDir()
	// Configuration: a directory nobody cannot read, a file it cannot read.
	closed := filepath.Join(root, "closed.d")
	require.NoError(t, os.Mkdir(closed, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(closed, "10-a.conflist"), []byte(faultConfA), 0o644))
	open := filepath.Join(root, "open.d")
	require.NoError(t, os.Mkdir(open, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(open, "10-a.conflist"), []byte(faultConfA), 0o600))
	// Cache: an attachment root added, readable to nobody.
	cacheDir := filepath.Join(root, "cache")
	c := libcni.NewCNIConfigWithOptions([]string{"/fake"}, newFakeExec(), libcni.WithCacheDir(cacheDir))
	list := mustList(t, faultConfA)
	_, err := c.AddNetworkList(ctx, list, faultRT("c-old"))
	require.NoError(t, err)
	require.NoError(t, c.Close())
	require.NoError(t, filepath.WalkDir(cacheDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() && d.Name() != "a-c-old-eth0" {
			return err
		}
		mode := fs.FileMode(0o644)
		if d.IsDir() {
			mode = 0o755
		}
		return os.Chmod(p, mode)
	}))
	plugintest.RunTestAsNobody(t, root, "TestFaultUnprivilegedChild", nobodyEnv+"="+root)
}

// TestFaultUnprivilegedChild is the body of TestFaultUnprivileged's child;
// it does nothing unless started by it.
func TestFaultUnprivilegedChild(t *testing.T) {
	root := os.Getenv(nobodyEnv)
	if root == "" {
		return
	}
	require.Equal(t, nobodyUID, os.Geteuid())
	ctx := context.Background()

	// An unreadable configuration directory: the listing fails, naming it.
	closed := filepath.Join(root, "closed.d")
	var loader libcni.ConfLoader
	for name, load := range map[string]func(string, string) (*libcni.NetworkConfigList, error){
		"LoadConfList": libcni.LoadConfList, "ConfLoader": loader.LoadConfList,
	} {
		_, err := load(closed, "a")
		require.ErrorIs(t, err, fs.ErrPermission, name)
		var pe *fs.PathError
		require.ErrorAs(t, err, &pe, name)
		assert.Equal(t, closed, pe.Path, name)

		// An unreadable file: the search fails, naming the file.
		file := filepath.Join(root, "open.d", "10-a.conflist")
		_, err = load(filepath.Dir(file), "a")
		require.ErrorIs(t, err, fs.ErrPermission, name)
		require.ErrorAs(t, err, &pe, name)
		assert.Equal(t, file, pe.Path, name)
	}

	// A cache directory nobody cannot write, with root's lock files.
	cacheDir := filepath.Join(root, "cache")
	fe := newFakeExec()
	var log faultLog
	c := libcni.NewCNIConfigWithOptions([]string{"/fake"}, fe, libcni.WithCacheDir(cacheDir), libcni.WithEventHook(log.hook))
	defer c.Close()
	list := mustList(t, faultConfA)
	_, err := c.AddNetworkList(ctx, list, faultRT("c-new"))
	var ce *libcni.CacheError
	require.ErrorAs(t, err, &ce)
	assert.False(t, ce.PluginsRan)
	assert.ErrorIs(t, err, syscall.EACCES)
	assert.Empty(t, fe.Calls("ADD"), "no plugin ran")

	require.NoError(t, c.CheckNetworkList(ctx, list, faultRT("c-old")))
	res, err := c.GetNetworkListCachedResult(list, faultRT("c-old"))
	require.NoError(t, err)
	assert.NotNil(t, res)

	log.take(0)
	require.NoError(t, c.DelNetworkList(ctx, list, faultRT("c-old")))
	assert.Len(t, fe.Calls("DEL"), 1)
	removes := log.take(libcni.EventCacheRemove)
	require.Len(t, removes, 1)
	require.ErrorAs(t, removes[0].Err, &ce)
	assert.Equal(t, "remove", ce.Op)
	assert.ErrorIs(t, ce, syscall.EACCES)

	_, err = c.AddNetworkList(ctx, list, faultRT("c-new"))
	require.Error(t, err)
	degraded := log.take(libcni.EventLocksDegraded)
	require.NotEmpty(t, degraded, "root's lock files cannot be opened for writing: locks degrade")
	var lse *libcni.LockSetupError
	require.ErrorAs(t, degraded[0].Err, &lse)
	assert.ErrorIs(t, lse, syscall.EACCES)
}
