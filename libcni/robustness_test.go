package libcni_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/types"
)

// A nil context is treated as context.Background() by every operation
// instead of panicking in the lock or exec layers.
func TestNilContextIsBackground(t *testing.T) {
	t.Parallel()
	c, fe, _ := newTestConfig(t)
	fe.out["a/ADD"] = ipResult
	list := mustList(t, listConf("1.1.0", "a"))
	rt := testRT()
	var nilCtx context.Context

	_, err := c.AddNetworkList(nilCtx, list, rt)
	require.NoError(t, err)
	require.NoError(t, c.CheckNetworkList(nilCtx, list, rt))
	require.NoError(t, c.GetStatusNetworkList(nilCtx, list))
	require.NoError(t, c.GCNetworkList(nilCtx, list, &libcni.GCArgs{ValidAttachments: []types.GCAttachment{{ContainerID: rt.ContainerID, IfName: rt.IfName}}}))
	require.NoError(t, c.DelNetworkList(nilCtx, list, rt))
	assert.Len(t, fe.Calls("ADD"), 1)
	assert.Len(t, fe.Calls("DEL"), 1)
}

// An attachment whose cache file name could not exist is refused before
// any plugin runs, so no network is set up without a cache entry.
func TestOverlongCacheNameRefusedBeforeExec(t *testing.T) {
	t.Parallel()
	c, fe, dir := newTestConfig(t)
	list := mustList(t, listConf("1.0.0", "a"))
	rt := testRT()
	rt.ContainerID = strings.Repeat("c", 250)

	_, err := c.AddNetworkList(context.Background(), list, rt)
	var inv *libcni.InvalidRuntimeConfError
	require.ErrorAs(t, err, &inv)
	assert.Contains(t, err.Error(), "cache file name")
	assert.Empty(t, fe.Calls("ADD"))
	_, statErr := os.Stat(filepath.Join(dir, "results"))
	assert.True(t, errors.Is(statErr, os.ErrNotExist) || statErr == nil)
	entries, _ := os.ReadDir(filepath.Join(dir, "results"))
	assert.Empty(t, entries)

	// The longest name that fits still works end to end.
	rt.ContainerID = strings.Repeat("c", 255-len(list.Name)-len(rt.IfName)-2)
	fe.out["a/ADD"] = ipResult
	_, err = c.AddNetworkList(context.Background(), list, rt)
	require.NoError(t, err)
	res, err := c.GetNetworkListCachedResult(list, rt)
	require.NoError(t, err)
	require.NotNil(t, res)
	require.NoError(t, c.DelNetworkList(context.Background(), list, rt))
}
