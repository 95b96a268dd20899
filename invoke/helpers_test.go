package invoke

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/pkg/plugintest"
)

const testPluginPkg = "github.com/cnirt/cni/invoke/internal/testplugin"

func TestMain(m *testing.M) {
	code := m.Run()
	plugintest.Cleanup()
	os.Exit(code)
}

// testPlugin returns the path of the compiled test plugin.
func testPlugin(t testing.TB) string {
	t.Helper()
	return plugintest.Exe(plugintest.Build(t, testPluginPkg), "testplugin")
}

// testConf returns a network configuration of the given version whose
// "test" member drives the test plugin.
func testConf(t testing.TB, cniVersion string, test map[string]any) []byte {
	t.Helper()
	conf := map[string]any{"cniVersion": cniVersion, "name": "testnet", "type": "testplugin"}
	if test != nil {
		conf["test"] = test
	}
	b, err := json.Marshal(conf)
	require.NoError(t, err)
	return b
}

// envValues returns every value of name in env, in order.
func envValues(env []string, name string) []string {
	var vals []string
	for _, e := range env {
		if len(e) > len(name) && e[:len(name)] == name && e[len(name)] == '=' {
			vals = append(vals, e[len(name)+1:])
		}
	}
	return vals
}
