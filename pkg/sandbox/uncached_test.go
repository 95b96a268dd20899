package sandbox_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/pkg/sandbox"
)

// TestUncachedDetach: the cache directory is wiped while a sandbox is
// attached. Without WithUncachedDetach, Detach then knows of nothing and
// runs no plugin; with it, Detach DELs the sandbox from the current
// selection, in reverse attach order, at the interface names Attach gives
// and with the sandbox's namespace. While the cache is intact the option
// changes nothing: the cached attachments are torn down with their cached
// configuration, also of a network no longer configured.
func TestUncachedDetach(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		option    bool
		wipeCache bool
		sameConf  bool // network two stays configured
		want      []string
	}{
		{name: "cache wiped, without the option: nothing runs", wipeCache: true},
		{name: "cache wiped, with the option: the current selection", option: true, wipeCache: true, want: []string{"DEL one eth0"}},
		{name: "cache wiped, with the option, same configuration: reverse attach order", option: true, wipeCache: true, sameConf: true, want: []string{"DEL two net1", "DEL one eth0"}},
		{name: "cache intact, with the option: the cached attachments", option: true, want: []string{"DEL two net1", "DEL one eth0"}},
		{name: "cache intact, without the option: the same", want: []string{"DEL two net1", "DEL one eth0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.write("1.conflist", e.debugNet("one", "", ""))
			e.write("2.conflist", e.debugNet("two", "", ""))
			opts := []sandbox.Option{sandbox.WithMaxNetworks(2)}
			if tc.option {
				opts = append(opts, sandbox.WithUncachedDetach())
			}
			m := e.manager(opts...)
			ctx := t.Context()
			sb := sandbox.Sandbox{ID: "sb", NetNS: nsPath("sb")}
			_, err := m.Attach(ctx, sb)
			require.NoError(t, err)
			if !tc.sameConf {
				// The configuration changes: network two is gone.
				require.NoError(t, os.Remove(filepath.Join(e.confDir, "2.conflist")))
				_, err = m.Reload()
				require.NoError(t, err)
			}
			if tc.wipeCache {
				require.NoError(t, os.RemoveAll(e.cache))
			}

			require.NoError(t, m.Detach(ctx, sb))
			assert.Equal(t, tc.want, filterCmd(e.calls(), "DEL"))
			for _, r := range e.records() {
				if r.Command == "DEL" {
					assert.Equal(t, nsPath("sb"), r.Env["CNI_NETNS"])
					assert.Equal(t, "sb", r.Env["CNI_CONTAINERID"])
				}
			}
			assert.Empty(t, e.cached("sb"))
		})
	}
}

// TestUncachedDetachFailure: a DEL of the uncached teardown that fails (its
// plugin is gone) fails the Detach with the network named, marked as not
// kept: there is no cache entry to retry from.
func TestUncachedDetachFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("1.conflist", e.debugNet("one", "", ""))
	m := e.manager(sandbox.WithUncachedDetach())
	ctx := t.Context()
	sb := sandbox.Sandbox{ID: "sb", NetNS: nsPath("sb")}
	_, err := m.Attach(ctx, sb)
	require.NoError(t, err)
	require.NoError(t, os.RemoveAll(e.cache))
	require.NoError(t, os.RemoveAll(e.binDir))

	err = m.Detach(ctx, sb)
	var se *sandbox.SandboxError
	require.ErrorAs(t, err, &se)
	require.Len(t, se.Failures, 1)
	assert.Equal(t, "one", se.Failures[0].Network)
	assert.True(t, se.Failures[0].PluginMissing)
	assert.False(t, se.Failures[0].Kept)
}
