package libcni

// In-package tests: the shim's packages take the reference's import paths
// in a runtime's build, where their own paths do not resolve, so nothing
// in the shim (tests included, which go mod tidy follows) imports them by
// path.

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cnirt "github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/pkg/plugintest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	plugintest.Cleanup()
	os.Exit(code)
}

// setCacheDirs sets the shim's and cnirt's CacheDir for one test and puts
// both back afterwards. The tests that call it do not run in parallel.
func setCacheDirs(t *testing.T, shim, own string) {
	t.Helper()
	oldShim, oldOwn := CacheDir, cnirt.CacheDir
	t.Cleanup(func() { CacheDir, cnirt.CacheDir = oldShim, oldOwn })
	CacheDir, cnirt.CacheDir = shim, own
}

// TestCacheDirSetThroughTheShim runs ADD through a CNIConfig without a
// cache directory of its own, as ocicni does after setting
// CacheDir, and looks where the result was cached.
func TestCacheDirSetThroughTheShim(t *testing.T) {
	bin := plugintest.Build(t, plugintest.NoopPlugin)
	defaultDir := cnirt.CacheDir
	shimDir, ownDir := t.TempDir(), t.TempDir()
	for _, c := range []struct {
		name, shim, own, want string
	}{
		{"set through the shim only", shimDir, defaultDir, shimDir},
		{"set through cnirt only", defaultDir, ownDir, ownDir},
		{"set through both: cnirt's wins", shimDir, ownDir, ownDir},
	} {
		t.Run(c.name, func(t *testing.T) {
			setCacheDirs(t, c.shim, c.own)
			list, err := NetworkConfFromBytes([]byte(`{"cniVersion":"1.1.0","name":"i17s-net","plugins":[{"type":"noop"}]}`))
			require.NoError(t, err)
			cfg := NewCNIConfig([]string{bin}, nil)
			rt := &RuntimeConf{ContainerID: "i17s-c1", NetNS: "/var/run/netns/i17s-none", IfName: "eth0"}
			_, err = cfg.AddNetworkList(context.Background(), list, rt)
			require.NoError(t, err)
			t.Cleanup(func() { assert.NoError(t, cfg.DelNetworkList(context.Background(), list, rt)) })

			assert.FileExists(t, filepath.Join(c.want, "results", "i17s-net-i17s-c1-eth0"))
			for _, other := range []string{shimDir, ownDir} {
				if other != c.want {
					assert.NoFileExists(t, filepath.Join(other, "results", "i17s-net-i17s-c1-eth0"))
				}
			}
			// Reading goes to the same place.
			cached, err := cfg.GetNetworkListCachedResult(list, rt)
			require.NoError(t, err)
			assert.NotNil(t, cached)
		})
	}
}

func TestErrorCheckNotSuppIsCnirts(t *testing.T) {
	assert.Same(t, cnirt.ErrorCheckNotSupp, ErrorCheckNotSupp)
	list, err := NetworkConfFromBytes([]byte(`{"cniVersion":"0.3.1","name":"i17s-net","plugins":[{"type":"noop"}]}`))
	require.NoError(t, err)
	cfg := NewCNIConfigWithCacheDir([]string{t.TempDir()}, t.TempDir(), nil)
	rt := &RuntimeConf{ContainerID: "i17s-c1", NetNS: "/var/run/netns/i17s-none", IfName: "eth0"}
	err = cfg.CheckNetworkList(context.Background(), list, rt)
	assert.ErrorIs(t, err, ErrorCheckNotSupp)
	assert.ErrorIs(t, err, cnirt.ErrorCheckNotSupp)

	// A replacement set through the shim is what CHECK wraps, as the
	// reference wraps whatever its variable holds.
	old := ErrorCheckNotSupp
	t.Cleanup(func() { ErrorCheckNotSupp = old })
	replaced := errors.New("i17s: CHECK unsupported")
	ErrorCheckNotSupp = replaced
	err = cfg.CheckNetworkList(context.Background(), list, rt)
	assert.ErrorIs(t, err, replaced)
}

// A value made through the shim is cnirt's type: no conversion between
// the two is needed, in either direction.
func TestShimTypesAreCnirts(t *testing.T) {
	var viaShim *CNIConfig = cnirt.NewCNIConfig([]string{"/opt/cni/bin"}, nil)
	var viaCnirt *cnirt.CNIConfig = NewCNIConfig([]string{"/opt/cni/bin"}, nil)
	var api CNI = viaCnirt
	assert.Equal(t, viaShim.Path, viaCnirt.Path)
	assert.NotNil(t, api)
	assert.Equal(t, cnirt.CNICacheV1, CNICacheV1)
}
