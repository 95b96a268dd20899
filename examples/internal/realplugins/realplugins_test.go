package realplugins

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPluginsArePinnedAndComplete(t *testing.T) {
	t.Parallel()
	var names []string
	for _, p := range Plugins() {
		names = append(names, p.Name)
		assert.True(t, strings.HasPrefix(p.Package, Module+"/plugins/"), p.Package)
		assert.Equal(t, p.Name, filepath.Base(p.Package))
	}
	assert.ElementsMatch(t, []string{"bridge", "ptp", "loopback", "host-local", "portmap", "tuning", "bandwidth", "firewall",
		"macvlan", "ipvlan", "host-device", "dummy", "static", "sbr", "vrf"}, names)
	assert.Regexp(t, `^v\d+\.\d+\.\d+$`, Version)
	// Callers get their own copy.
	p := Plugins()
	p[0].Name = "changed"
	assert.Equal(t, "bridge", Plugins()[0].Name)
}

func fakePlugin(t *testing.T, dir, name string, mode os.FileMode) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(dir, binaryName(name)), []byte("#!/bin/sh\n"), mode))
}

func TestMissing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	subset := []Plugin{{Name: "bridge"}, {Name: "ptp"}, {Name: "tuning"}}
	assert.Equal(t, []string{"bridge", "ptp", "tuning"}, Missing(dir, subset))
	fakePlugin(t, dir, "bridge", 0o755)
	require.NoError(t, os.Mkdir(filepath.Join(dir, binaryName("ptp")), 0o755)) // a directory is not a plugin
	want := []string{"ptp", "tuning"}
	if runtime.GOOS != "windows" {
		fakePlugin(t, dir, "tuning", 0o644) // not executable
	} else {
		want = []string{"ptp"}
		fakePlugin(t, dir, "tuning", 0o644)
	}
	assert.Equal(t, want, Missing(dir, subset))
	assert.Len(t, Missing(dir, nil), len(Plugins())-1)
}

func TestEnsureIsANoOpWhenPresent(t *testing.T) {
	dir := t.TempDir()
	for _, p := range Plugins() {
		fakePlugin(t, dir, p.Name, 0o755)
	}
	// With PATH empty, any attempt to run go would fail.
	t.Setenv("PATH", "")
	require.NoError(t, Ensure(context.Background(), dir))
}

func TestEnsureExplainsMissingGo(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PATH", "")
	err := EnsurePlugins(context.Background(), dir, []Plugin{{Name: "bridge", Package: Module + "/plugins/main/bridge"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "[bridge] missing in")
	assert.Contains(t, err.Error(), "go command is not on PATH")
}

func TestEnsureRefusesEmptyDir(t *testing.T) {
	t.Parallel()
	require.ErrorContains(t, Ensure(context.Background(), ""), "empty plugin directory")
}
