//go:build linux

package libcni_test

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
)

// TestFaultE2EAddressesReleased drives the real bridge and host-local
// plugins on a faulty cache directory and checks the address host-local
// reserved is free again afterwards:
//
//   - cache full: ADD's plugins ran but its result cannot be cached; the
//     ADD fails (*CacheError, PluginsRan, ENOSPC), as in the reference,
//     and the runtime's DEL releases the address; so does a GC, but only
//     through plugins that implement GC themselves, since the attachment
//     is not in the cache: host-local does, while bridge (plugins v1.10)
//     does not pass GC on to its IPAM plugin, so that case runs
//     host-local alone;
//   - cache read-only: a CNIConfig made after the fault (a restarted
//     runtime) DELs with degraded locks and releases the address; the
//     entry it could not remove goes with a GC once the cache is
//     writable again.
func TestFaultE2EAddressesReleased(t *testing.T) {
	requireFaultRoot(t)
	pluginDir := requireE2E(t)
	ctx := context.Background()
	tests := []struct {
		name, subnet  string
		hostLocalOnly bool
		run           func(t *testing.T, env *faultE2E)
	}{
		{name: "cache full, then DEL", subnet: "198.18.144.0/24", run: func(t *testing.T, env *faultE2E) {
			env.addFailsFull(t)
			require.NoError(t, env.cni.DelNetworkList(ctx, env.list, env.rt))
		}},
		{name: "cache full, then GC (host-local alone)", subnet: "198.18.145.0/24", hostLocalOnly: true, run: func(t *testing.T, env *faultE2E) {
			env.addFailsFull(t)
			require.NoError(t, env.cni.GCNetworkList(ctx, env.list, &libcni.GCArgs{}))
		}},
		{name: "cache read-only, DEL by a restarted runtime", subnet: "198.18.146.0/24", run: func(t *testing.T, env *faultE2E) {
			_, err := env.cni.AddNetworkList(ctx, env.list, env.rt)
			require.NoError(t, err)
			require.Len(t, hostLocalReservations(t, env.dataDir, env.list.Name), 1)
			repair := remountReadOnly(t, env.cacheDir)
			var log faultLog
			restarted := libcni.NewCNIConfigWithOptions([]string{pluginDir}, nil,
				libcni.WithCacheDir(env.cacheDir), libcni.WithEventHook(log.hook))
			defer restarted.Close()
			require.NoError(t, restarted.DelNetworkList(ctx, env.list, env.rt))
			assert.NotEmpty(t, log.take(libcni.EventLocksDegraded))
			assert.Empty(t, hostLocalReservations(t, env.dataDir, env.list.Name), "address free while the cache is still read-only")
			repair()
			require.NoError(t, restarted.GCNetworkList(ctx, env.list, &libcni.GCArgs{}))
			atts, err := restarted.GetCachedAttachments("")
			require.NoError(t, err)
			assert.Empty(t, atts)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := t.TempDir()
			mountTmpfs(t, base, faultSizeLimit)
			env := &faultE2E{cacheDir: filepath.Join(base, "cache"), dataDir: t.TempDir(), base: base}
			bridge := uniqueIfName("i19lbr")
			cleanupLink(t, bridge)
			_, nsPath := newNetNS(t)
			var err error
			main := fmt.Sprintf(`"type":"bridge","bridge":%q,"isGateway":true,"ipMasq":false`, bridge)
			if tt.hostLocalOnly {
				main = `"type":"host-local"`
			}
			env.list, err = libcni.ConfListFromBytes(fmt.Appendf(nil, `{"cniVersion":"1.1.0","name":%q,"plugins":[
  {%s,"ipam":{"type":"host-local","dataDir":%q,"ranges":[[{"subnet":%q}]]}}]}`,
				uniqueName("i19l-fault"), main, env.dataDir, tt.subnet))
			require.NoError(t, err)
			env.rt = &libcni.RuntimeConf{ContainerID: uniqueName("i19l-c"), NetNS: nsPath, IfName: "eth0"}
			env.cni = libcni.NewCNIConfigWithOptions([]string{pluginDir}, nil, libcni.WithCacheDir(env.cacheDir))
			t.Cleanup(func() { _ = env.cni.Close() })
			tt.run(t, env)
			assert.Empty(t, hostLocalReservations(t, env.dataDir, env.list.Name), "the address is free again")
		})
	}
}

type faultE2E struct {
	base, cacheDir, dataDir string
	list                    *libcni.NetworkConfigList
	rt                      *libcni.RuntimeConf
	cni                     *libcni.CNIConfig
}

// addFailsFull fills the cache's file system and runs an ADD, which must
// fail after its plugins reserved an address.
func (env *faultE2E) addFailsFull(t *testing.T) {
	t.Helper()
	fillFS(t, env.base)
	_, err := env.cni.AddNetworkList(context.Background(), env.list, env.rt)
	var ce *libcni.CacheError
	require.ErrorAs(t, err, &ce)
	assert.True(t, ce.PluginsRan)
	assert.ErrorIs(t, err, syscall.ENOSPC)
	assert.Len(t, hostLocalReservations(t, env.dataDir, env.list.Name), 1, "the plugins ran: an address is reserved")
}
