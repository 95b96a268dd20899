package invoke

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	refinvoke "github.com/containernetworking/cni/pkg/invoke"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeExecutable(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte("#!/bin/sh\n"), mode))
}

func TestFindInPath(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dirA, dirB, empty := filepath.Join(root, "a"), filepath.Join(root, "b"), filepath.Join(root, "empty")
	require.NoError(t, os.MkdirAll(empty, 0o755))
	writeExecutable(t, filepath.Join(dirA, "alpha"), 0o755)
	writeExecutable(t, filepath.Join(dirB, "alpha"), 0o755)
	writeExecutable(t, filepath.Join(dirB, "beta"), 0o755)
	require.NoError(t, os.MkdirAll(filepath.Join(dirA, "adir"), 0o755))
	writeExecutable(t, filepath.Join(dirB, "adir"), 0o755)
	writeExecutable(t, filepath.Join(dirA, "noexec"), 0o644)
	writeExecutable(t, filepath.Join(dirB, "noexec"), 0o755)

	cwd, err := os.Getwd()
	require.NoError(t, err)
	relB, err := filepath.Rel(cwd, dirB)
	require.NoError(t, err)

	cases := []struct {
		name     string
		plugin   string
		paths    []string
		want     string
		wantErr  string
		searched []string
		ignored  []string
	}{
		{name: "first directory wins", plugin: "alpha", paths: []string{dirA, dirB}, want: filepath.Join(dirA, "alpha")},
		{name: "later directory", plugin: "beta", paths: []string{empty, dirA, dirB}, want: filepath.Join(dirB, "beta")},
		{name: "directories are skipped", plugin: "adir", paths: []string{dirA, dirB}, want: filepath.Join(dirB, "adir")},
		{name: "missing", plugin: "gamma", paths: []string{dirA, dirB}, wantErr: `failed to find plugin "gamma" in path [` + dirA + " " + dirB + "]", searched: []string{dirA, dirB}},
		{name: "relative directories ignored", plugin: "beta", paths: []string{relB, "", dirA}, wantErr: fmt.Sprintf("failed to find plugin %q in path %s", "beta", []string{relB, "", dirA}), searched: []string{dirA}, ignored: []string{relB, ""}},
		{name: "empty name", plugin: "", paths: []string{dirA}, wantErr: "no plugin name provided"},
		{name: "separator", plugin: "a" + string(os.PathSeparator) + "alpha", paths: []string{root}, wantErr: "invalid plugin name: a"},
		// Directories, never plugins: not found, as with the reference.
		{name: "dot", plugin: ".", paths: []string{dirA}, wantErr: fmt.Sprintf("failed to find plugin %q in path [%s]", ".", dirA), searched: []string{dirA}},
		{name: "dot dot", plugin: "..", paths: []string{dirA}, wantErr: fmt.Sprintf("failed to find plugin %q in path [%s]", "..", dirA), searched: []string{dirA}},
		{name: "no paths", plugin: "alpha", paths: nil, wantErr: "no paths provided"},
	}
	if runtime.GOOS != "windows" {
		cases = append(cases, struct {
			name     string
			plugin   string
			paths    []string
			want     string
			wantErr  string
			searched []string
			ignored  []string
		}{name: "not executable is skipped", plugin: "noexec", paths: []string{dirA, dirB}, want: filepath.Join(dirB, "noexec")})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := FindInPath(tc.plugin, tc.paths)
			got2, err2 := (&RawExec{}).FindInPath(tc.plugin, tc.paths)
			assert.Equal(t, got, got2)
			assert.Equal(t, err, err2)
			if tc.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, tc.want, got)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
			assert.Empty(t, got)
			if tc.searched != nil {
				var nf *NotFoundError
				require.ErrorAs(t, err, &nf)
				assert.Equal(t, tc.plugin, nf.Plugin)
				assert.Equal(t, tc.searched, nf.Searched)
				assert.Equal(t, tc.ignored, nf.Ignored)
				assert.ErrorIs(t, err, fs.ErrNotExist)
			}
		})
	}

	t.Run("reference agrees on plain lookups", func(t *testing.T) {
		t.Parallel()
		for _, plugin := range []string{"alpha", "beta", "adir"} {
			want, err := refinvoke.FindInPath(plugin, []string{dirA, dirB})
			require.NoError(t, err)
			got, err := FindInPath(plugin, []string{dirA, dirB})
			require.NoError(t, err)
			assert.Equal(t, want, got, plugin)
		}
	})
}

// TestFindInPathExtensions checks the Windows-style suffix search by
// setting ExecutableFileExtensions for the duration of the test.
func TestFindInPathExtensions(t *testing.T) {
	dir := t.TempDir()
	writeExecutable(t, filepath.Join(dir, "both.exe"), 0o755)
	writeExecutable(t, filepath.Join(dir, "both"), 0o755)
	writeExecutable(t, filepath.Join(dir, "bare"), 0o755)

	saved := ExecutableFileExtensions
	t.Cleanup(func() { ExecutableFileExtensions = saved })
	ExecutableFileExtensions = []string{".exe", ""}

	got, err := FindInPath("both", []string{dir})
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "both.exe"), got)
	got, err = FindInPath("bare", []string{dir})
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "bare"), got)
}
