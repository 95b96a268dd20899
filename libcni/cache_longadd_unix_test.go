//go:build unix

package libcni_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
)

// TestAddOutlivingStaleTempAgeIsCached: an ADD whose plugins run longer
// than the age at which a temporary cache file counts as a crashed
// writer's has its pending file removed by another process's listing;
// the ADD still records its entry (through a new temporary file) instead
// of failing after its plugins ran. The file's age is set back rather than
// waited for.
func TestAddOutlivingStaleTempAgeIsCached(t *testing.T) {
	t.Parallel()
	dir, list, started := slowAddChain(t, "10s")
	cacheDir := t.TempDir()
	var log eventLog
	c := libcni.NewCNIConfigWithOptions([]string{dir}, nil, libcni.WithCacheDir(cacheDir), libcni.WithEventHook(log.hook))
	other := libcni.NewCNIConfigWithOptions([]string{dir}, nil, libcni.WithCacheDir(cacheDir))
	t.Cleanup(func() { _ = c.Close(); _ = other.Close() })

	done := make(chan error, 1)
	go func() {
		_, err := c.AddNetworkList(context.Background(), list, eventRT())
		done <- err
	}()
	require.Eventually(t, func() bool { _, err := os.Stat(started); return err == nil }, 30*time.Second, 5*time.Millisecond, "the last plugin never started")

	temps, err := filepath.Glob(filepath.Join(cacheDir, "results", ".tmp-*"))
	require.NoError(t, err)
	require.Len(t, temps, 1, "the ADD's pending entry")
	old := time.Now().Add(-11 * time.Minute)
	require.NoError(t, os.Chtimes(temps[0], old, old))
	atts, err := other.GetCachedAttachments("")
	require.NoError(t, err)
	assert.Empty(t, atts)
	require.NoFileExists(t, temps[0], "the listing took it for a crashed writer's")

	select {
	case err := <-done:
		require.NoError(t, err, "the ADD records its entry anyway")
	case <-time.After(60 * time.Second):
		t.Fatal("the ADD did not finish")
	}
	res, err := c.GetNetworkListCachedResult(list, eventRT())
	require.NoError(t, err)
	require.NotNil(t, res)
	atts, err = other.GetCachedAttachments(eventRT().ContainerID)
	require.NoError(t, err)
	assert.Len(t, atts, 1)
	left, err := filepath.Glob(filepath.Join(cacheDir, "results", ".tmp-*"))
	require.NoError(t, err)
	assert.Empty(t, left)
}
