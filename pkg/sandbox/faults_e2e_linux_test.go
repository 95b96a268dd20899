//go:build linux

package sandbox_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/pkg/plugintest"
	"github.com/cnirt/cni/pkg/plugintest/netns"
	"github.com/cnirt/cni/pkg/sandbox"
)

// TestE2EResultNotCachedRollsBack: the disk fills up after the real
// bridge and host-local plugins have set up the sandbox's network but
// before libcni caches the result. Attach does not lose the attachment
// silently: it fails with ENOSPC and rolls back, so the address is free
// again in host-local, no veth is left, and nothing is cached or recorded.
func TestE2EResultNotCachedRollsBack(t *testing.T) {
	pluginDir := plugintest.RealPlugins(t, "bridge", "host-local")
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	id := fmt.Sprintf("i19s-full-%d", os.Getpid())
	bridge := fmt.Sprintf("i19sfb%d", os.Getpid()%100000)
	ns := e2eSandboxNS(ctx, t, id, bridge)

	confDir, cacheDir, dataDir := t.TempDir(), t.TempDir(), t.TempDir()
	mountTmpfs(t, cacheDir, "256k")
	require.NoError(t, os.WriteFile(filepath.Join(confDir, "10-full.conflist"), []byte(fmt.Sprintf(
		`{"cniVersion":"1.1.0","name":"i19s-full","plugins":[{"type":"bridge","bridge":%q,"isGateway":true,"ipMasq":false,
"ipam":{"type":"host-local","dataDir":%q,"ranges":[[{"subnet":"198.18.164.0/24"}]]}}]}`, bridge, dataDir)), 0o644))

	// The disk fills up once the plugins are done, before the cache write.
	var once sync.Once
	cni := libcni.NewCNIConfigWithOptions([]string{pluginDir}, nil, libcni.WithCacheDir(cacheDir),
		libcni.WithEventHook(func(_ context.Context, ev libcni.Event) {
			if ev.Kind == libcni.EventPluginRun && ev.Command == "ADD" && ev.Err == nil {
				once.Do(func() { fill(t, cacheDir) })
			}
		}))
	m, err := sandbox.New(sandbox.WithConfDir(confDir), sandbox.WithCNI(cni))
	require.NoError(t, err)

	_, err = m.Attach(ctx, sandbox.Sandbox{ID: id, NetNS: ns.Path})
	require.ErrorIs(t, err, syscall.ENOSPC)
	var se *sandbox.SandboxError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, []string{"i19s-full"}, []string{se.Failures[0].Network})
	assert.Empty(t, se.Rollback, "the rollback DEL succeeded")

	entries, _ := os.ReadDir(filepath.Join(dataDir, "i19s-full"))
	for _, e := range entries {
		assert.Nil(t, net.ParseIP(e.Name()), "address %s still held", e.Name())
	}
	brif, _ := os.ReadDir(filepath.Join("/sys/class/net", bridge, "brif"))
	assert.Empty(t, brif, "veths left on the bridge")
	require.NoError(t, netns.Do(ns.Path, func() error {
		_, err := net.InterfaceByName("eth0")
		assert.Error(t, err, "eth0 left in the sandbox")
		return nil
	}))
	atts, err := cni.GetCachedAttachments("")
	require.NoError(t, err)
	assert.Empty(t, atts)
	assert.NoFileExists(t, filepath.Join(cacheDir, sandbox.IntentDirName, id+".json"))

	// With room again, the same sandbox attaches.
	require.NoError(t, os.Remove(filepath.Join(cacheDir, "filler")))
	res, err := m.Attach(ctx, sandbox.Sandbox{ID: id, NetNS: ns.Path})
	require.NoError(t, err)
	assert.NotNil(t, res.PrimaryIP())
	require.NoError(t, m.Detach(ctx, sandbox.Sandbox{ID: id}))
}

// TestE2EUncachedDetachReleases: the cache directory is wiped while a
// sandbox is attached through the real bridge and host-local plugins. A
// Manager with WithUncachedDetach releases everything on Detach: the
// address is free again in host-local, and no veth is left.
func TestE2EUncachedDetachReleases(t *testing.T) {
	pluginDir := plugintest.RealPlugins(t, "bridge", "host-local")
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	id := fmt.Sprintf("i19s-wipe-%d", os.Getpid())
	bridge := fmt.Sprintf("i19swb%d", os.Getpid()%100000)
	ns := e2eSandboxNS(ctx, t, id, bridge)

	confDir, cacheDir, dataDir := t.TempDir(), filepath.Join(t.TempDir(), "cache"), t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(confDir, "10-wipe.conflist"), []byte(fmt.Sprintf(
		`{"cniVersion":"1.1.0","name":"i19s-wipe","plugins":[{"type":"bridge","bridge":%q,"isGateway":true,"ipMasq":false,
"ipam":{"type":"host-local","dataDir":%q,"ranges":[[{"subnet":"198.18.165.0/24"}]]}}]}`, bridge, dataDir)), 0o644))
	m, err := sandbox.New(sandbox.WithConfDir(confDir), sandbox.WithPluginDirs(pluginDir), sandbox.WithCacheDir(cacheDir), sandbox.WithUncachedDetach())
	require.NoError(t, err)

	res, err := m.Attach(ctx, sandbox.Sandbox{ID: id, NetNS: ns.Path})
	require.NoError(t, err)
	require.NotNil(t, res.PrimaryIP())
	held := func() []string {
		var out []string
		entries, _ := os.ReadDir(filepath.Join(dataDir, "i19s-wipe"))
		for _, e := range entries {
			if net.ParseIP(e.Name()) != nil {
				out = append(out, e.Name())
			}
		}
		return out
	}
	require.Equal(t, []string{res.PrimaryIP().String()}, held())

	require.NoError(t, os.RemoveAll(cacheDir))
	require.NoError(t, m.Detach(ctx, sandbox.Sandbox{ID: id, NetNS: ns.Path}))
	assert.Empty(t, held(), "addresses held in host-local")
	brif, _ := os.ReadDir(filepath.Join("/sys/class/net", bridge, "brif"))
	assert.Empty(t, brif, "veths left on the bridge")
	require.NoError(t, netns.Do(ns.Path, func() error {
		_, err := net.InterfaceByName("eth0")
		assert.Error(t, err, "eth0 left in the sandbox")
		return nil
	}))
}
