package sandbox_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/pkg/plugintest"
	"github.com/cnirt/cni/pkg/sandbox"
)

// delMarkers returns, per network, the "marker" member of the
// configuration each DEL of sandbox id was given.
func delMarkers(t *testing.T, e *env, id string) map[string]string {
	out := map[string]string{}
	for _, r := range e.records() {
		if r.Command != "DEL" || r.Env["CNI_CONTAINERID"] != id {
			continue
		}
		var conf struct {
			Name   string `json:"name"`
			Marker string `json:"marker"`
		}
		require.NoError(t, json.Unmarshal(r.Stdin, &conf))
		out[conf.Name] = conf.Marker
	}
	return out
}

// TestDetachUsesCachedConfig: after one network's file is deleted and the
// other's edited, Detach tears both down with the configuration of the
// attach.
func TestDetachUsesCachedConfig(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("1.conflist", e.debugNet("gone", "", `"marker":"at-attach"`))
	e.write("2.conflist", e.debugNet("edited", "", `"marker":"at-attach"`))
	m := e.manager(sandbox.WithMaxNetworks(2))
	ctx := t.Context()
	_, err := m.Attach(ctx, sandbox.Sandbox{ID: "sb", NetNS: "/var/run/netns/sb"})
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"gone/eth0", "edited/net1"}, e.cached("sb"))

	require.NoError(t, os.Remove(filepath.Join(e.confDir, "1.conflist")))
	e.write("2.conflist", e.debugNet("edited", "", `"marker":"edited-later"`))
	set, err := m.Reload()
	require.NoError(t, err)
	require.Equal(t, []string{"edited:eth0"}, names(set.Networks))

	require.NoError(t, m.Detach(ctx, sandbox.Sandbox{ID: "sb"}))
	assert.Equal(t, map[string]string{"gone": "at-attach", "edited": "at-attach"}, delMarkers(t, e, "sb"))
	assert.Empty(t, e.cached("sb"))
	for _, r := range e.records() {
		if r.Command == "DEL" {
			assert.Equal(t, "/var/run/netns/sb", r.Env["CNI_NETNS"], "the cached namespace path")
		}
	}
}

// TestDetachReverseOrderAfterRestart: a new Manager with no configuration
// at all (a restarted runtime whose config is gone) detaches from the
// cache alone, in reverse attach order.
func TestDetachReverseOrderAfterRestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// File order differs from name order, and interface names are set per
	// network, so neither could give the order back.
	e.write("1.conflist", e.debugNet("zeta", "", ""))
	e.write("2.conflist", e.debugNet("alpha", "", ""))
	e.write("3.conflist", e.debugNet("mid", "", ""))
	m := e.manager(sandbox.WithMaxNetworks(3), sandbox.WithLoopback(),
		sandbox.WithInterfaceName("zeta", "z9"), sandbox.WithInterfaceName("alpha", "a5"))
	e.copyPlugin(plugintest.Exe(e.binDir, "noop"), "loopback")
	ctx := t.Context()
	_, err := m.Attach(ctx, sandbox.Sandbox{ID: "sbr", NetNS: "/var/run/netns/sbr"})
	require.NoError(t, err)

	for _, f := range []string{"1.conflist", "2.conflist", "3.conflist"} {
		require.NoError(t, os.Remove(filepath.Join(e.confDir, f)))
	}
	restarted := e.manager()
	require.ErrorIs(t, restarted.Ready(ctx), sandbox.ErrNotReady)
	require.NoError(t, restarted.Detach(ctx, sandbox.Sandbox{ID: "sbr"}))
	assert.Equal(t, []string{"DEL mid net2", "DEL alpha a5", "DEL zeta z9"}, filterCmd(e.calls(), "DEL"))
	assert.Empty(t, e.cached("sbr"))
}

// TestDetachPluginMissing: one network's plugin is gone; the other
// network is still torn down, the failure names network and plugin, and
// the attachment stays cached until a retry succeeds.
func TestDetachPluginMissing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.copyPlugin(plugintest.Exe(e.binDir, "debug"), "vendor-cni")
	e.write("1.conflist", e.debugNet("vendor", "vendor-cni", ""))
	e.write("2.conflist", e.debugNet("plain", "", ""))
	m := e.manager(sandbox.WithMaxNetworks(2))
	ctx := t.Context()
	_, err := m.Attach(ctx, sandbox.Sandbox{ID: "sbm", NetNS: "/var/run/netns/sbm"})
	require.NoError(t, err)

	require.NoError(t, os.Remove(plugintest.Exe(e.binDir, "vendor-cni")))
	err = m.Detach(ctx, sandbox.Sandbox{ID: "sbm"})
	var se *sandbox.SandboxError
	require.ErrorAs(t, err, &se)
	require.Len(t, se.Failures, 1)
	f := se.Failures[0]
	assert.Equal(t, "vendor", f.Network)
	assert.Equal(t, "eth0", f.IfName)
	assert.Equal(t, "vendor-cni", f.Plugin)
	assert.True(t, f.PluginMissing)
	assert.True(t, f.Kept)
	assert.Contains(t, err.Error(), `network "vendor" interface "eth0" (delete): plugin "vendor-cni" is missing, cached attachment kept for a later retry`)
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.Equal(t, []string{"DEL plain net1"}, filterCmd(e.calls(), "DEL"), "the other network was torn down")
	assert.Equal(t, []string{"vendor/eth0"}, e.cached("sbm"))

	e.copyPlugin(plugintest.Exe(e.binDir, "debug"), "vendor-cni")
	require.NoError(t, m.Detach(ctx, sandbox.Sandbox{ID: "sbm"}))
	assert.Empty(t, e.cached("sbm"))
}

// TestGC: sandboxes not live are removed from configured networks and from
// a network that is no longer configured.
func TestGC(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("1.conflist", e.debugNet("kept", "", ""))
	e.write("2.conflist", e.debugNet("dropped", "", `"marker":"cached"`))
	m := e.manager(sandbox.WithMaxNetworks(2))
	ctx := t.Context()
	for _, id := range []string{"live", "dead"} {
		_, err := m.Attach(ctx, sandbox.Sandbox{ID: id, NetNS: "/var/run/netns/" + id})
		require.NoError(t, err)
	}
	require.NoError(t, os.Remove(filepath.Join(e.confDir, "2.conflist")))
	_, err := m.Reload()
	require.NoError(t, err)

	require.NoError(t, m.GC(ctx, []string{"live"}))
	assert.Empty(t, e.cached("dead"))
	assert.ElementsMatch(t, []string{"kept/eth0", "dropped/net1"}, e.cached("live"))
	assert.Equal(t, map[string]string{"kept": "", "dropped": "cached"}, delMarkers(t, e, "dead"))
	assert.Empty(t, delMarkers(t, e, "live"))
	assert.Contains(t, filterCmd(e.calls(), "GC"), "GC kept ")
}

// TestDetachRunsPluginsFromThePluginDirectory: a list whose last plugin
// comes from the network's plugin directory (<confDir>/<name>/*.conf) is
// cached whole, so Detach runs that plugin's DEL after its file is gone.
func TestDetachRunsPluginsFromThePluginDirectory(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("1.conflist", `{"cniVersion":"1.1.0","name":"dirnet","plugins":[{"type":"debug","debugFile":`+jsonString(e.log)+`,"role":"inline"}]}`)
	require.NoError(t, os.Mkdir(filepath.Join(e.confDir, "dirnet"), 0o755))
	e.write("dirnet/10-extra.conf", `{"type":"debug","debugFile":`+jsonString(e.log)+`,"role":"from-dir"}`)
	m := e.manager()
	ctx := t.Context()
	_, err := m.Attach(ctx, sandbox.Sandbox{ID: "sbd", NetNS: "/var/run/netns/sbd"})
	require.NoError(t, err)
	require.NoError(t, os.Remove(filepath.Join(e.confDir, "dirnet", "10-extra.conf")))
	_, err = m.Reload()
	require.NoError(t, err)

	require.NoError(t, m.Detach(ctx, sandbox.Sandbox{ID: "sbd"}))
	var roles []string
	for _, r := range e.records() {
		var conf struct {
			Role string `json:"role"`
		}
		require.NoError(t, json.Unmarshal(r.Stdin, &conf))
		roles = append(roles, r.Command+" "+conf.Role)
	}
	assert.Equal(t, []string{"ADD inline", "ADD from-dir", "DEL from-dir", "DEL inline"}, roles)
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
