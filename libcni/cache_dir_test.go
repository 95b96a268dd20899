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
