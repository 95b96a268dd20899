package libcni_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
)

// TestHasCacheEntry: an entry's file is reported whether or not it can be
// read; a missing one, and keys libcni refuses, are not.
func TestHasCacheEntry(t *testing.T) {
	dir := t.TempDir()
	c := libcni.NewCNIConfigWithCacheDir(nil, dir, nil)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "results"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "results", "net-c1-eth0"), nil, 0o600))
	for _, tc := range []struct {
		name, network, id, ifName string
		want                      bool
	}{
		{"empty entry", "net", "c1", "eth0", true},
		{"no entry", "net", "c1", "eth1", false},
		{"other container", "net", "c2", "eth0", false},
		{"refused interface name", "net", "c1", "../x", false},
		{"empty network", "", "c1", "eth0", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, c.HasCacheEntry(tc.network, &libcni.RuntimeConf{ContainerID: tc.id, IfName: tc.ifName}))
		})
	}
	assert.False(t, c.HasCacheEntry("net", nil))
}

// TestUnreadableCacheEntries: exactly the entries GetCachedAttachments
// skips are reported; temporary files and directories are not entries.
func TestUnreadableCacheEntries(t *testing.T) {
	dir := t.TempDir()
	c := libcni.NewCNIConfigWithCacheDir(nil, dir, nil)
	got, err := c.UnreadableCacheEntries(nil)
	require.NoError(t, err)
	assert.Empty(t, got, "no cache directory yet")

	results := filepath.Join(dir, "results")
	require.NoError(t, os.MkdirAll(filepath.Join(results, "a-directory"), 0o700))
	files := []struct {
		name, content string
		unreadable    bool
	}{
		{name: "net-good-eth0", content: `{"kind":"cniCacheV1","containerId":"good","ifName":"eth0","networkName":"net"}`},
		{name: "net-empty-eth0", content: "", unreadable: true},
		{name: "net-cut-eth0", content: `{"kind":"cniCacheV1","contai`, unreadable: true},
		{name: "net-kind-eth0", content: `{"kind":"other","containerId":"kind","ifName":"eth0","networkName":"net"}`, unreadable: true},
		{name: "net-noif-eth0", content: `{"kind":"cniCacheV1","containerId":"noif","networkName":"net"}`, unreadable: true},
		{name: ".tmp-123", content: ""},
	}
	var want []string
	for _, f := range files {
		require.NoError(t, os.WriteFile(filepath.Join(results, f.name), []byte(f.content), 0o600))
		if f.unreadable {
			want = append(want, f.name)
		}
	}
	// Not a regular file: the listing skips it even when it leads to an
	// entry.
	require.NoError(t, os.Symlink("net-good-eth0", filepath.Join(results, "net-link-eth0")))
	want = append(want, "net-link-eth0")
	got, err = c.UnreadableCacheEntries(nil)
	require.NoError(t, err)
	assert.ElementsMatch(t, want, got)
	assert.IsNonDecreasing(t, got)

	atts, err := c.GetCachedAttachments("")
	require.NoError(t, err)
	require.Len(t, atts, 1, "the listing gives the readable entry only")
	assert.Equal(t, "good", atts[0].ContainerID)

	// The files of listed attachments are not read again.
	require.NoError(t, os.WriteFile(filepath.Join(results, "net-good-eth0"), nil, 0o600))
	got, err = c.UnreadableCacheEntries(atts)
	require.NoError(t, err)
	assert.ElementsMatch(t, want, got)
	got, err = c.UnreadableCacheEntries(nil)
	require.NoError(t, err)
	assert.Contains(t, got, "net-good-eth0", "read again, it is empty now")
}
