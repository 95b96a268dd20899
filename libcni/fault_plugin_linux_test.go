//go:build linux

package libcni_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/invoke"
	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/pkg/plugintest"
)

// writePluginScript writes an executable shell script plugin.
func writePluginScript(t *testing.T, dir, name, body string) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755))
}

// copyPlugin copies the executable src to dir/name and returns the path.
func copyPlugin(t *testing.T, src, dir, name string) string {
	t.Helper()
	in, err := os.Open(src)
	require.NoError(t, err)
	defer in.Close()
	dst := filepath.Join(dir, name)
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	require.NoError(t, err)
	_, err = io.Copy(out, in)
	require.NoError(t, err)
	require.NoError(t, out.Close())
	return dst
}

// TestFaultPlugin runs an ADD whose plugin is missing (its directory
// gone), being written while it is started (ETXTBSY), killed by a signal
// in the middle of the ADD, or exits 0 without printing a result. Each
// ADD fails with an error naming the plugin and the cause, caches nothing
// and leaves no temporary file; the runtime's DEL that follows succeeds
// when the plugin can run.
func TestFaultPlugin(t *testing.T) {
	ctx := context.Background()
	examples := plugintest.Build(t, plugintest.NoopPlugin)
	tests := []struct {
		name string
		// setup prepares the plugin "p" in dir and returns the plugin
		// path list; the returned function (may be nil) runs after ADD.
		setup func(t *testing.T, dir string) (path []string, after func())
		check func(t *testing.T, dir string, err error)
		// delOK: the runtime's DEL afterwards succeeds.
		delOK bool
	}{
		{
			name: "plugin directory missing",
			setup: func(t *testing.T, dir string) ([]string, func()) {
				return []string{filepath.Join(dir, "gone")}, nil
			},
			check: func(t *testing.T, dir string, err error) {
				var nf *invoke.NotFoundError
				require.ErrorAs(t, err, &nf)
				assert.Equal(t, "p", nf.Plugin)
				assert.Equal(t, []string{filepath.Join(dir, "gone")}, nf.Searched)
			},
		},
		{
			name: "plugin being written while started (ETXTBSY)",
			setup: func(t *testing.T, dir string) ([]string, func()) {
				p := copyPlugin(t, plugintest.Exe(examples, "noop"), dir, "p")
				w, err := os.OpenFile(p, os.O_WRONLY, 0) // a copy still being written
				require.NoError(t, err)
				return []string{dir}, func() { require.NoError(t, w.Close()) }
			},
			check: func(t *testing.T, dir string, err error) {
				require.ErrorIs(t, err, syscall.ETXTBSY, "retried, then given up")
				var pe *libcni.PluginError
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, filepath.Join(dir, "p"), pe.Path)
				assert.Equal(t, "add", pe.Verb)
			},
			delOK: true,
		},
		{
			name: "plugin killed by a signal mid-ADD",
			setup: func(t *testing.T, dir string) ([]string, func()) {
				writePluginScript(t, dir, "p", `if [ "$CNI_COMMAND" = ADD ]; then cat >/dev/null; kill -KILL $$; fi; exit 0`)
				return []string{dir}, nil
			},
			check: func(t *testing.T, dir string, err error) {
				var ee *invoke.ExitError
				require.ErrorAs(t, err, &ee)
				assert.Equal(t, "killed", ee.Signal)
				var pe *libcni.PluginError
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, filepath.Join(dir, "p"), pe.Path)
			},
			delOK: true,
		},
		{
			name: "plugin exits 0 with no output on ADD",
			setup: func(t *testing.T, dir string) ([]string, func()) {
				writePluginScript(t, dir, "p", `cat >/dev/null; exit 0`)
				return []string{dir}, nil
			},
			check: func(t *testing.T, dir string, err error) {
				var pe *libcni.PluginError
				require.ErrorAs(t, err, &pe, "an ADD must return a result")
				assert.Equal(t, filepath.Join(dir, "p"), pe.Path)
				assert.Equal(t, "add", pe.Verb)
			},
			delOK: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cacheDir := filepath.Join(t.TempDir(), "cache")
			path, after := tt.setup(t, dir)
			list, err := libcni.ConfListFromBytes([]byte(`{"cniVersion":"1.1.0","name":"pfault","plugins":[{"type":"p"}]}`))
			require.NoError(t, err)
			c := libcni.NewCNIConfigWithOptions(path, nil, libcni.WithCacheDir(cacheDir))
			t.Cleanup(func() { _ = c.Close() })
			rt := faultRT("c1")

			start := time.Now()
			_, err = c.AddNetworkList(ctx, list, rt)
			require.Error(t, err)
			t.Logf("ADD after %v: %v", time.Since(start).Round(time.Millisecond), err)
			tt.check(t, dir, err)
			if after != nil {
				after()
			}

			entries, rerr := os.ReadDir(filepath.Join(cacheDir, "results"))
			if rerr == nil {
				assert.Empty(t, entries, "nothing cached, no temporary file")
			}
			atts, err := c.GetCachedAttachments("c1")
			require.NoError(t, err)
			assert.Empty(t, atts)

			err = c.DelNetworkList(ctx, list, rt)
			if tt.delOK {
				assert.NoError(t, err)
			} else {
				var nf *invoke.NotFoundError
				assert.ErrorAs(t, err, &nf, fmt.Sprintf("%v", err))
			}
		})
	}
}
