//go:build linux

package sandbox_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/pkg/sandbox"
)

// TestAttachRefusesBadNetNS: Attach refuses an empty, relative,
// missing or non-namespace path with an *InvalidNetNSError naming the
// path and the reason, before any plugin runs or anything is cached.
func TestAttachRefusesBadNetNS(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("1.conflist", e.debugNet("one", "", ""))
	m := e.manager()
	regular := filepath.Join(t.TempDir(), "not-a-namespace")
	require.NoError(t, os.WriteFile(regular, nil, 0o644))
	for _, tc := range []struct {
		name, path, reason string
		cause              error
	}{
		{"empty", "", "is empty", nil},
		{"relative", "var/run/netns/x", "is relative", nil},
		{"dot relative", "./ns", "is relative", nil},
		{"missing", "/nonexistent/netns/x", "does not exist", fs.ErrNotExist},
		{"regular file", regular, "is not a network namespace", nil},
		{"procfs file", "/proc/self/status", "is not a network namespace", nil},
		{"mount namespace", "/proc/self/ns/mnt", "namespace of another type", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := m.Attach(t.Context(), sandbox.Sandbox{ID: "bad", NetNS: tc.path})
			require.ErrorIs(t, err, sandbox.ErrInvalidNetNS)
			var inv *sandbox.InvalidNetNSError
			require.ErrorAs(t, err, &inv)
			assert.Equal(t, tc.path, inv.Path)
			assert.Equal(t, "attach", inv.Op)
			assert.Equal(t, "bad", inv.Sandbox)
			assert.Contains(t, inv.Reason, tc.reason)
			if tc.cause != nil {
				assert.ErrorIs(t, err, tc.cause)
			}
		})
	}
	assert.Empty(t, e.records(), "no plugin ran")
	assert.Empty(t, e.cached("bad"))
}

// TestDetachAndCheckNetNS: Detach refuses a relative path but tears down
// a sandbox whose namespace is gone (DEL must work then); Check refuses a
// relative path, and reports a gone cached namespace for each network
// without running CHECK.
func TestDetachAndCheckNetNS(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("1.conflist", e.debugNet("one", "", ""))
	e.write("2.conflist", e.debugNet("two", "", ""))
	m := e.manager(sandbox.WithMaxNetworks(2))
	ctx := t.Context()
	path, stop, err := holdNewNetNS()
	require.NoError(t, err)
	defer stop()
	sb := sandbox.Sandbox{ID: "gone", NetNS: path}
	_, err = m.Attach(ctx, sb)
	require.NoError(t, err)
	require.NoError(t, m.Check(ctx, sandbox.Sandbox{ID: "gone"}))

	for _, op := range []func(sandbox.Sandbox) error{
		func(s sandbox.Sandbox) error { return m.Detach(ctx, s) },
		func(s sandbox.Sandbox) error { return m.Check(ctx, s) },
	} {
		err := op(sandbox.Sandbox{ID: "gone", NetNS: "rel/ns"})
		var inv *sandbox.InvalidNetNSError
		require.ErrorAs(t, err, &inv)
		assert.Equal(t, "rel/ns", inv.Path)
		assert.Contains(t, inv.Reason, "relative")
	}
	before := len(e.records())

	stop() // the namespace is gone now, its cached path with it
	err = m.Check(ctx, sandbox.Sandbox{ID: "gone"})
	var se *sandbox.SandboxError
	require.ErrorAs(t, err, &se)
	require.Len(t, se.Failures, 2)
	for _, f := range se.Failures {
		var inv *sandbox.InvalidNetNSError
		require.ErrorAs(t, f, &inv)
		assert.Equal(t, f.Network, inv.Network)
		assert.Equal(t, path, inv.Path)
		assert.ErrorIs(t, inv, fs.ErrNotExist)
	}
	assert.Len(t, e.records(), before, "no CHECK ran")

	require.NoError(t, m.Detach(ctx, sandbox.Sandbox{ID: "gone"}))
	assert.Empty(t, e.cached("gone"))
	dels := filterCmd(e.calls(), "DEL")
	assert.ElementsMatch(t, []string{"DEL two net1", "DEL one eth0"}, dels)
}
