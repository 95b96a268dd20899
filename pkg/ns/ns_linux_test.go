//go:build linux

package ns_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	refns "github.com/containernetworking/cni/pkg/ns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/pkg/ns"
	"github.com/cnirt/cni/pkg/plugintest"
	"github.com/cnirt/cni/pkg/plugintest/netns"
)

// checkBoth asks cnirt and the reference about path from the same thread
// and requires the same answer, which it returns.
func checkBoth(t *testing.T, path string) bool {
	t.Helper()
	same, err := ns.CheckNetNS(path)
	refSame, refErr := refns.CheckNetNS(path)
	require.Nil(t, err, "cnirt on %q", path)
	require.Nil(t, refErr, "reference on %q", path)
	assert.Equal(t, refSame, same, "cnirt and the reference disagree on %q", path)
	return same
}

func TestCheckNetNSAgreesWithTheReference(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	for _, c := range []struct {
		name, path string
		same       bool
	}{
		{"own namespace", "/proc/self/ns/net", true},
		{"own thread group leader's namespace by pid", fmt.Sprintf("/proc/%d/ns/net", os.Getpid()), true},
		{"empty path (DEL of a gone container)", "", false},
		{"missing path", filepath.Join(dir, "missing"), false},
		{"regular file", file, false},
		{"directory", dir, false},
		{"another namespace kind", "/proc/self/ns/mnt", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.same, checkBoth(t, c.path))
		})
	}
}

func TestCheckNetNSInAnotherNamespace(t *testing.T) {
	if err := netns.Available(); err != nil {
		plugintest.RequireCI(t, err.Error())
	}
	ctx := context.Background()
	n, err := netns.Create(ctx, "i17s-ns-check")
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, n.Delete(ctx)) })

	// From the host, the new namespace is not the caller's.
	assert.False(t, checkBoth(t, n.Path))
	// From a thread inside it, it is, and the host's is not.
	require.NoError(t, netns.Do(n.Path, func() error {
		assert.True(t, checkBoth(t, n.Path), "inside the namespace")
		assert.False(t, checkBoth(t, "/proc/1/ns/net"), "the host's, from inside")
		return nil
	}))
}
