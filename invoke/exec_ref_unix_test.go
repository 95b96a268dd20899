//go:build unix

package invoke

import (
	"context"
	"testing"

	refinvoke "github.com/containernetworking/cni/pkg/invoke"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPluginFailureTextsContainReference runs the same failing plugin with
// the reference library's RawExec (v1.3.1) and ours: our error text must
// contain the reference's whole message.
func TestPluginFailureTextsContainReference(t *testing.T) {
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
			assert.Contains(t, err.Error(), refErr.Error())
		})
	}
}
