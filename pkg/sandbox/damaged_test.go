package sandbox_test

import (
	"os"
	"path/filepath"
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
			for _, id := range []string{"dead-1", "live-1"} {
				_, err := m.Attach(ctx, sandbox.Sandbox{ID: id, NetNS: nsPath(id)})
				require.NoError(t, err)
				entry := filepath.Join(e.cache, "results", "second-"+id+"-net1")
				require.FileExists(t, entry)
				require.NoError(t, os.WriteFile(entry, nil, 0o600))
			}
			if tc.restart {
				m = e.manager(sandbox.WithMaxNetworks(2))
			}

			require.NoError(t, m.GC(ctx, []string{"live-1"}))
			dels := func(id string) []string {
				var out []string
				for _, r := range e.records() {
					if r.Command == "DEL" && r.Env["CNI_CONTAINERID"] == id {
						out = append(out, netName(t, r)+" "+r.Env["CNI_IFNAME"])
					}
				}
				return out
			}
			assert.ElementsMatch(t, []string{"first eth0", "second net1"}, dels("dead-1"))
			assert.Empty(t, dels("live-1"))
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
	for _, id := range []string{"abc", "xyz"} {
		_, err := m.Attach(ctx, sandbox.Sandbox{ID: id, NetNS: nsPath(id)})
		require.NoError(t, err)
		entry := filepath.Join(e.cache, "results", "k8s-pod-"+id+"-net1")
		require.FileExists(t, entry)
		require.NoError(t, os.WriteFile(entry, nil, 0o600))
	}

	require.NoError(t, m.GC(ctx, []string{"abc"}))
	var dels []string
	for _, r := range e.records() {
		if r.Command == "DEL" {
			dels = append(dels, r.Env["CNI_CONTAINERID"]+" "+netName(t, r)+" "+r.Env["CNI_IFNAME"])
		}
	}
	assert.ElementsMatch(t, []string{"xyz k8s eth0", "xyz k8s-pod net1", "pod-xyz k8s net1"}, dels)
	assert.FileExists(t, filepath.Join(e.cache, "results", "k8s-pod-abc-net1"), "it may be the live sandbox's")
	assert.NoFileExists(t, filepath.Join(e.cache, "results", "k8s-pod-xyz-net1"))
}
