package invoke

// In-package tests: the shim's packages take the reference's import paths
// in a runtime's build, where their own paths do not resolve, so nothing
// in the shim (tests included, which go mod tidy follows) imports them by
// path.

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cnirt "github.com/cnirt/cni/invoke"
)

// TestExecutableFileExtensionsSetThroughTheShim sets, then edits, the
// shim's list and looks a plugin up through both packages.
func TestExecutableFileExtensionsSetThroughTheShim(t *testing.T) {
	assert.Equal(t, cnirt.ExecutableFileExtensions, ExecutableFileExtensions)
	dir := t.TempDir()
	plugin := filepath.Join(dir, "i17s-plugin.plug")
	require.NoError(t, os.WriteFile(plugin, []byte("#!/bin/sh\n"), 0o755))
	old := ExecutableFileExtensions
	t.Cleanup(func() { ExecutableFileExtensions = old })

	_, err := FindInPath("i17s-plugin", []string{dir})
	require.Error(t, err, "the default extensions do not include .plug")

	for _, c := range []struct {
		name string
		set  func()
	}{
		{"assigned", func() { ExecutableFileExtensions = []string{".plug", ""} }},
		{"edited in place", func() {
			ExecutableFileExtensions = append([]string(nil), old...)
			ExecutableFileExtensions[0] = ".plug"
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.set()
			for name, find := range map[string]func(string, []string) (string, error){
				"shim": FindInPath, "cnirt": cnirt.FindInPath,
			} {
				got, err := find("i17s-plugin", []string{dir})
				require.NoError(t, err, name)
				assert.Equal(t, plugin, got, name)
			}
		})
	}
	// cnirt's own setting wins when both are set.
	oldOwn := cnirt.ExecutableFileExtensions
	t.Cleanup(func() { cnirt.ExecutableFileExtensions = oldOwn })
	cnirt.ExecutableFileExtensions = []string{".other"}
	_, err = FindInPath("i17s-plugin", []string{dir})
	assert.Error(t, err)
}
