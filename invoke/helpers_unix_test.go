//go:build unix

package invoke

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// pluginDump is what the test plugin's "env" mode writes.
type pluginDump struct {
	Env   []string `json:"env"`
	Stdin string   `json:"stdin"`
}

func readDump(t testing.TB, file string) pluginDump {
	t.Helper()
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	var d pluginDump
	require.NoError(t, json.Unmarshal(b, &d))
	return d
}

// tempFile returns a path named name in a fresh temporary directory.
func tempFile(t testing.TB, name string) string {
	t.Helper()
	return filepath.Join(t.TempDir(), name)
}
