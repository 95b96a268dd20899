package sandbox_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/pkg/plugintest"
	"github.com/cnirt/cni/pkg/sandbox"
	"github.com/cnirt/cni/types"
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
	_, err := m.Attach(ctx, sandbox.Sandbox{ID: "sb", NetNS: nsPath("sb")})
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
			assert.Equal(t, nsPath("sb"), r.Env["CNI_NETNS"], "the cached namespace path")
		}
	}
}

// TestDetachReverseOrderAfterRestart: a new Manager with no configuration
// at all (a restarted runtime whose config is gone) detaches from the
// cache alone, in reverse attach order, the loopback network last.
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
	_, err := m.Attach(ctx, sandbox.Sandbox{ID: "sbr", NetNS: nsPath("sbr")})
	require.NoError(t, err)

	for _, f := range []string{"1.conflist", "2.conflist", "3.conflist"} {
		require.NoError(t, os.Remove(filepath.Join(e.confDir, f)))
	}
	var r runs
	restarted := e.manager(sandbox.WithCNI(e.hookedCNI(r.hook)))
	require.ErrorIs(t, restarted.Ready(ctx), sandbox.ErrNotReady)
	require.NoError(t, restarted.Detach(ctx, sandbox.Sandbox{ID: "sbr"}))
	assert.Equal(t, []string{"DEL mid net2", "DEL alpha a5", "DEL zeta z9"}, filterCmd(e.calls(), "DEL"))
	assert.Equal(t, []string{"DEL mid net2", "DEL alpha a5", "DEL zeta z9", "DEL cni-loopback lo"}, filterCmd(r.list(), "DEL"),
		"the loopback network is detached last")
	assert.Empty(t, e.cached("sbr"))
}

// TestDetachPluginMissing: the plugin of the network detached first is
// gone; the other network is still torn down after it, the failure names
// network and plugin, and the attachment stays cached until a retry
// succeeds.
func TestDetachPluginMissing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.copyPlugin(plugintest.Exe(e.binDir, "debug"), "vendor-cni")
	e.write("1.conflist", e.debugNet("plain", "", ""))
	e.write("2.conflist", e.debugNet("vendor", "vendor-cni", ""))
	m := e.manager(sandbox.WithMaxNetworks(2))
	ctx := t.Context()
	_, err := m.Attach(ctx, sandbox.Sandbox{ID: "sbm", NetNS: nsPath("sbm")})
	require.NoError(t, err)

	require.NoError(t, os.Remove(plugintest.Exe(e.binDir, "vendor-cni")))
	err = m.Detach(ctx, sandbox.Sandbox{ID: "sbm"})
	var se *sandbox.SandboxError
	require.ErrorAs(t, err, &se)
	require.Len(t, se.Failures, 1)
	f := se.Failures[0]
	assert.Equal(t, "vendor", f.Network)
	assert.Equal(t, "net1", f.IfName)
	assert.Equal(t, "vendor-cni", f.Plugin)
	assert.True(t, f.PluginMissing)
	assert.True(t, f.Kept)
	assert.Contains(t, err.Error(), `network "vendor" interface "net1" (delete): plugin "vendor-cni" is missing, cached attachment kept for a later retry`)
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.Equal(t, []string{"DEL plain eth0"}, filterCmd(e.calls(), "DEL"), "the network detached after the failure was torn down")
	assert.Equal(t, []string{"vendor/net1"}, e.cached("sbm"))

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
		_, err := m.Attach(ctx, sandbox.Sandbox{ID: id, NetNS: nsPath(id)})
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
	_, err := m.Attach(ctx, sandbox.Sandbox{ID: "sbd", NetNS: nsPath("sbd")})
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

// attachAsync runs m.Attach of sandbox id in the background; the returned
// function waits for it.
func attachAsync(t *testing.T, m *sandbox.Manager, id string) func() error {
	done := make(chan error, 1)
	go func() {
		_, err := m.Attach(t.Context(), sandbox.Sandbox{ID: id, NetNS: nsPath(id)})
		done <- err
	}()
	return func() error {
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			t.Fatalf("Attach of %s did not end within 30s", id)
			return nil
		}
	}
}

// TestGCKeepsAttachInFlight: a GC that names a sandbox live while the
// sandbox's Attach is still running (its cache entry not written yet)
// keeps the attachment, and tells the plugin's GC it is valid.
func TestGCKeepsAttachInFlight(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("1.conflist", e.debugNet("slow", "", `"sleep":{"ADD":"1s"}`))
	held := newSignal()
	m := e.manager(sandbox.WithCNI(e.hookedCNI(onEvent(held, holdTaken("pending")))))
	wait := attachAsync(t, m, "pending")
	held.wait(t, "hold of the Attach")

	require.NoError(t, m.GC(t.Context(), []string{"pending"}))
	require.NoError(t, wait())
	assert.Equal(t, []string{"ADD slow eth0", "GC slow "}, e.calls(), "GC waited for the Attach and DELeted nothing")
	assert.Equal(t, []string{"slow/eth0"}, e.cached("pending"))
	var gc struct {
		Valid []types.GCAttachment `json:"cni.dev/valid-attachments"`
	}
	recs := e.records()
	require.NoError(t, json.Unmarshal(recs[len(recs)-1].Stdin, &gc))
	assert.Contains(t, gc.Valid, types.GCAttachment{ContainerID: "pending", IfName: "eth0"})
}

// TestGCKeepsAttachInFlightAcrossReload: an Attach that started with an
// older configuration, giving its networks interface names the current
// one would not, is not torn down by a GC that runs after a reload: GC
// waits for the Attach in flight and sees its cache entries.
func TestGCKeepsAttachInFlightAcrossReload(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("1.conflist", e.debugNet("first", "", ""))
	e.write("2.conflist", e.debugNet("slow", "", `"sleep":{"ADD":"1s"}`))
	held := newSignal()
	m := e.manager(sandbox.WithMaxNetworks(2), sandbox.WithCNI(e.hookedCNI(onEvent(held, holdTaken("pending")))))
	wait := attachAsync(t, m, "pending")
	held.wait(t, "hold of the Attach")

	// Now "slow" would be the first network, eth0; the Attach gives it net1.
	require.NoError(t, os.Remove(filepath.Join(e.confDir, "1.conflist")))
	_, err := m.Reload()
	require.NoError(t, err)
	require.NoError(t, m.GC(t.Context(), []string{"pending"}))
	require.NoError(t, wait())
	assert.Empty(t, filterCmd(e.calls(), "DEL"), "GC DELeted nothing")
	assert.ElementsMatch(t, []string{"first/eth0", "slow/net1"}, e.cached("pending"))
}

// TestDetachWaitsForAttachInFlight: a Detach (or Check) that starts while
// the sandbox's Attach is running, when the cache holds some of the
// attachments or none yet, waits for the Attach and acts on every network
// it set up.
func TestDetachWaitsForAttachInFlight(t *testing.T) {
	t.Parallel()
	firstCached := func(ev libcni.Event) bool {
		return ev.Kind == libcni.EventCacheWrite && ev.Network == "fast"
	}
	for _, tc := range []struct {
		name    string
		started func(libcni.Event) bool // when to start Detach or Check
		check   bool
	}{
		{"detach, one network cached", firstCached, false},
		{"detach, nothing cached", holdTaken("sb"), false},
		{"check, nothing cached", holdTaken("sb"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.write("1.conflist", e.debugNet("fast", "", ""))
			e.write("2.conflist", e.debugNet("slow", "", `"sleep":{"ADD":"1500ms"}`))
			started := newSignal()
			m := e.manager(sandbox.WithMaxNetworks(2), sandbox.WithCNI(e.hookedCNI(onEvent(started, tc.started))))
			wait := attachAsync(t, m, "sb")
			started.wait(t, "Attach step to start at")

			sb := sandbox.Sandbox{ID: "sb"}
			if tc.check {
				require.NoError(t, m.Check(t.Context(), sb))
				require.NoError(t, wait())
				assert.ElementsMatch(t, []string{"CHECK fast eth0", "CHECK slow net1"}, filterCmd(e.calls(), "CHECK"))
				return
			}
			require.NoError(t, m.Detach(t.Context(), sb))
			require.NoError(t, wait())
			assert.Equal(t, []string{"DEL slow net1", "DEL fast eth0"}, filterCmd(e.calls(), "DEL"))
			assert.Empty(t, e.cached("sb"))
		})
	}
}

// TestDetachOrderUnknownAndLoopback: attachments made without order
// information (by another runtime, say) are ordered by interface name: one
// whose name ends in no number is detached first, and the loopback
// attachment last.
func TestDetachOrderUnknownAndLoopback(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.copyPlugin(plugintest.Exe(e.binDir, "noop"), "loopback")
	e.write("1.conflist", e.debugNet("main", "", ""))
	e.write("2.conflist", e.debugNet("second", "", ""))
	var r runs
	m := e.manager(sandbox.WithMaxNetworks(2), sandbox.WithCNI(e.hookedCNI(r.hook)))
	ctx := t.Context()
	_, err := m.Attach(ctx, sandbox.Sandbox{ID: "sbo", NetNS: nsPath("sbo")})
	require.NoError(t, err)
	for _, other := range []struct{ conf, ifName string }{
		{`{"cniVersion":"1.0.0","name":"cni-loopback","plugins":[{"type":"loopback"}]}`, "lo"},
		{e.debugNet("extra", "", ""), "ext"},
	} {
		list, err := libcni.ConfListFromBytes([]byte(other.conf))
		require.NoError(t, err)
		_, err = m.CNI().AddNetworkList(ctx, list, &libcni.RuntimeConf{ContainerID: "sbo", NetNS: "/var/run/netns/sbo", IfName: other.ifName})
		require.NoError(t, err)
	}

	require.NoError(t, m.Detach(ctx, sandbox.Sandbox{ID: "sbo"}))
	assert.Equal(t, []string{"DEL extra ext", "DEL second net1", "DEL main eth0", "DEL cni-loopback lo"}, filterCmd(r.list(), "DEL"))
	assert.Empty(t, e.cached("sbo"))
}

// TestGCStaleInReverseOrder: the stale attachments of networks that are
// no longer configured are DELeted per sandbox in reverse attach order,
// not in the order of the cache files.
func TestGCStaleInReverseOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("1.conflist", e.debugNet("zeta", "", ""))
	e.write("2.conflist", e.debugNet("alpha", "", ""))
	e.write("3.conflist", e.debugNet("mid", "", ""))
	m := e.manager(sandbox.WithMaxNetworks(3))
	ctx := t.Context()
	for _, id := range []string{"dead1", "dead2"} {
		_, err := m.Attach(ctx, sandbox.Sandbox{ID: id, NetNS: nsPath(id)})
		require.NoError(t, err)
	}
	for _, f := range []string{"1.conflist", "2.conflist", "3.conflist"} {
		require.NoError(t, os.Remove(filepath.Join(e.confDir, f)))
	}
	_, err := m.Reload()
	require.NoError(t, err)

	require.NoError(t, m.GC(ctx, nil))
	want := []string{"DEL mid net2", "DEL alpha net1", "DEL zeta eth0"}
	for _, id := range []string{"dead1", "dead2"} {
		var dels []string
		for _, r := range e.records() {
			if r.Command == "DEL" && r.Env["CNI_CONTAINERID"] == id {
				dels = append(dels, fmt.Sprintf("DEL %s %s", netName(t, r), r.Env["CNI_IFNAME"]))
			}
		}
		assert.Equal(t, want, dels, id)
		assert.Empty(t, e.cached(id))
	}
}

// TestAttachCacheUnreadable: an Attach whose cache cannot be listed fails
// without running a plugin.
func TestAttachCacheUnreadable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("1.conflist", e.debugNet("one", "", ""))
	m := e.manager()
	require.NoError(t, os.WriteFile(filepath.Join(e.cache, "results"), nil, 0o644))
	_, err := m.Attach(t.Context(), sandbox.Sandbox{ID: "sbu", NetNS: nsPath("sbu")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "listing cached attachments")
	assert.Empty(t, e.calls())
}
