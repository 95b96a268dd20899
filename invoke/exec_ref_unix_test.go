//go:build unix

package invoke

import (
	"context"
	"path/filepath"
	"testing"

	refinvoke "github.com/containernetworking/cni/pkg/invoke"
	reftypes "github.com/containernetworking/cni/pkg/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/types"
)

// TestPluginFailuresAreTheReferences runs the same failing plugin with the
// reference library's RawExec (v1.3.1) and ours: both return a
// *types.Error with the same code, message and details (so a caller's
// err.(*types.Error) works alike); ours keeps its typed reason behind it.
func TestPluginFailuresAreTheReferences(t *testing.T) {
	t.Parallel()
	plugin := testPlugin(t)
	env := []string{"CNI_COMMAND=ADD", "CNI_CONTAINERID=c", "CNI_IFNAME=eth0", "CNI_PATH=/nonexistent"}
	for _, tc := range []struct {
		name string
		test map[string]any
		want string
	}{
		{"stderr only", map[string]any{"stderr": "boom: cannot open thing", "exit": 3}, `netplugin failed: "boom: cannot open thing": exit status 3`},
		{"silent", map[string]any{"exit": 1}, "netplugin failed with no error message: exit status 1"},
		{"garbage on stdout", map[string]any{"stdout": "not json", "exit": 2}, `netplugin failed but error parsing its diagnostic message "not json": invalid character 'o' in literal null (expecting 'u')`},
		{"error object", map[string]any{"stdout": `{"code":7,"msg":"bad config","details":"field x"}`, "exit": 1}, "bad config; field x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			conf := testConf(t, "1.1.0", tc.test)
			_, refErr := (&refinvoke.RawExec{}).ExecPlugin(context.Background(), plugin, conf, env)
			require.Error(t, refErr)
			require.Equal(t, tc.want, refErr.Error(), "the reference's text")
			_, err := (&RawExec{}).ExecPlugin(context.Background(), plugin, conf, env)
			require.Error(t, err)
			assert.Equal(t, refErr.Error(), err.Error())
			refTE, ok := refErr.(*reftypes.Error)
			require.True(t, ok, "%T", refErr)
			te, ok := err.(*types.Error)
			require.True(t, ok, "%T", err)
			assert.Equal(t, *refTE, reftypes.Error{Code: te.Code, Msg: te.Msg, Details: te.Details})
			if te.Code == 0 {
				var ee *ExitError
				assert.ErrorAs(t, err, &ee, "the exit status stays reachable")
			}
		})
	}

	// A plugin that cannot be started, and one whose context ended first.
	missing := filepath.Join(t.TempDir(), "missing")
	_, refErr := (&refinvoke.RawExec{}).ExecPlugin(context.Background(), missing, nil, env)
	_, err := (&RawExec{}).ExecPlugin(context.Background(), missing, nil, env)
	require.Error(t, refErr)
	assert.Equal(t, refErr.Error(), err.Error())
	_, ok := err.(*types.Error)
	assert.True(t, ok, "%T", err)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, refErr = (&refinvoke.RawExec{}).ExecPlugin(ctx, plugin, nil, env)
	_, err = (&RawExec{}).ExecPlugin(ctx, plugin, nil, env)
	require.Error(t, refErr)
	assert.Equal(t, refErr.Error(), err.Error())
	assert.ErrorIs(t, err, context.Canceled)
}
