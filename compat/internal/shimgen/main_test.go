package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/compat/internal/apiload"
	"github.com/cnirt/cni/pkg/plugintest"
)

// TestGeneratedFilesAreCurrent regenerates the forwarding files and
// compares them with the committed ones, so that a change of cnirt's API
// (a renamed parameter, a new deprecation) cannot leave the shim behind.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("fetches the reference release; not in -short")
	}
	if _, err := apiload.DownloadRef(); err != nil {
		plugintest.RequireCI(t, "the reference release from the Go module proxy: "+err.Error())
	}
	root := filepath.Join("..", "..")
	files, err := generateAll(root, t.TempDir())
	require.NoError(t, err)
	require.Len(t, files, len(apiload.Mirrors))
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(root, name))
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got), "%s is stale: run go run ./internal/shimgen in compat/", name)
	}
}
