package sandbox_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/pkg/sandbox"
)

// TestDetachDamagedCacheEntry: a cache entry that exists but cannot be read
// (left empty by a crash, cni#1055 and containerd#9825, or holding
// garbage) is skipped by libcni's listing; Detach still runs DEL for its
// network, with the current configuration, and the entry is gone
// afterwards. Check reports the network instead of passing it over.
func TestDetachDamagedCacheEntry(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		content string
		restart bool
	}{
		{name: "empty", content: ""},
		{name: "garbage", content: "{\"kind\":"},
		{name: "empty, restarted runtime", content: "", restart: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.write("1.conflist", e.debugNet("first", "", ""))
			e.write("2.conflist", e.debugNet("second", "", ""))
			m := e.manager(sandbox.WithMaxNetworks(2))
			ctx := t.Context()
			sb := sandbox.Sandbox{ID: "sb", NetNS: nsPath("sb")}
			_, err := m.Attach(ctx, sb)
			require.NoError(t, err)
			require.ElementsMatch(t, []string{"first/eth0", "second/net1"}, e.cached("sb"))

			entry := filepath.Join(e.cache, "results", "second-sb-net1")
			require.FileExists(t, entry)
			require.NoError(t, os.WriteFile(entry, []byte(tc.content), 0o600))
			require.Equal(t, []string{"first/eth0"}, e.cached("sb"), "libcni's listing skips the damaged entry")
			if tc.restart {
				m = e.manager(sandbox.WithMaxNetworks(2))
			}

			err = m.Check(ctx, sb)
			var se *sandbox.SandboxError
			require.ErrorAs(t, err, &se, "Check must report the damaged entry")
			assert.Contains(t, err.Error(), "second")

			require.NoError(t, m.Detach(ctx, sb))
			assert.ElementsMatch(t, []string{"DEL first eth0", "DEL second net1"}, filterCmd(e.calls(), "DEL"))
			assert.NoFileExists(t, entry)
			assert.Empty(t, e.cached("sb"))
		})
	}
}

// TestGCDamagedCacheEntry: GC DELs the unreadable cache entries of
// sandboxes not live (the listing, and so libcni's GC, skips them), with
// the current configuration, and the entries are gone afterwards; the
// damaged entry of a live sandbox is left to its Detach. Sandbox IDs hold
// '-', as the entries' file names do between their parts.
func TestGCDamagedCacheEntry(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		restart bool
	}{
		{name: "running"},
		{name: "restarted runtime", restart: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.write("1.conflist", e.debugNet("first", "", ""))
			e.write("2.conflist", e.debugNet("second", "", ""))
			m := e.manager(sandbox.WithMaxNetworks(2))
			ctx := t.Context()
			attachAndEmpty(t, e, m, "second", "net1", "dead-1", "live-1")
			if tc.restart {
				m = e.manager(sandbox.WithMaxNetworks(2))
			}

			require.NoError(t, m.GC(ctx, []string{"live-1"}))
			dels := delsBySandbox(t, e)
			assert.ElementsMatch(t, []string{"first eth0", "second net1"}, dels["dead-1"])
			assert.Empty(t, dels["live-1"])
			assert.NoFileExists(t, filepath.Join(e.cache, "results", "second-dead-1-net1"))
			assert.Empty(t, e.cached("dead-1"))
			assert.FileExists(t, filepath.Join(e.cache, "results", "second-live-1-net1"), "a live sandbox's entry is its Detach's")
		})
	}
}

// TestGCDamagedEntryAmbiguousName: with networks "k8s" and "k8s-pod", the
// entry file "k8s-pod-abc-net1" could be sandbox "abc"'s in k8s-pod or
// sandbox "pod-abc"'s in k8s. GC leaves such a file alone when either
// sandbox is live, and DELs both splits when neither is, so the network
// that really made it is torn down whichever it was.
func TestGCDamagedEntryAmbiguousName(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("1.conflist", e.debugNet("k8s", "", ""))
	e.write("2.conflist", e.debugNet("k8s-pod", "", ""))
	m := e.manager(sandbox.WithMaxNetworks(2))
	ctx := t.Context()
	attachAndEmpty(t, e, m, "k8s-pod", "net1", "abc", "xyz")

	require.NoError(t, m.GC(ctx, []string{"abc"}))
	assert.Equal(t, map[string][]string{"xyz": {"k8s eth0", "k8s-pod net1"}, "pod-xyz": {"k8s net1"}}, sortedDels(delsBySandbox(t, e)))
	assert.FileExists(t, filepath.Join(e.cache, "results", "k8s-pod-abc-net1"), "it may be the live sandbox's")
	assert.NoFileExists(t, filepath.Join(e.cache, "results", "k8s-pod-xyz-net1"))
}

// attachAndEmpty attaches each sandbox and then empties its cache entry in
// network at ifName, as a crash that lost the file's data would.
func attachAndEmpty(t *testing.T, e *env, m *sandbox.Manager, network, ifName string, ids ...string) {
	t.Helper()
	for _, id := range ids {
		_, err := m.Attach(t.Context(), sandbox.Sandbox{ID: id, NetNS: nsPath(id)})
		require.NoError(t, err)
		entry := filepath.Join(e.cache, "results", network+"-"+id+"-"+ifName)
		require.FileExists(t, entry)
		require.NoError(t, os.WriteFile(entry, nil, 0o600))
	}
}

// delsBySandbox returns the "network ifName" of every DEL run, by sandbox.
func delsBySandbox(t *testing.T, e *env) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, r := range e.records() {
		if r.Command == "DEL" {
			id := r.Env["CNI_CONTAINERID"]
			out[id] = append(out[id], netName(t, r)+" "+r.Env["CNI_IFNAME"])
		}
	}
	return out
}

// sortedDels sorts each sandbox's DELs, for comparing regardless of order.
func sortedDels(m map[string][]string) map[string][]string {
	for _, v := range m {
		slices.Sort(v)
	}
	return m
}
