//go:build linux

package sandbox_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/pkg/plugintest"
	"github.com/cnirt/cni/pkg/sandbox"
)

// sandboxNobodyEnv names the directory TestSandboxUnprivileged prepares for
// its child, which runs as nobodyUID (root ignores file permissions, so
// these faults are only seen by another user).
const sandboxNobodyEnv = "CNIRT_SANDBOX_NOBODY_DIR"

// nobodyUID is the user the child runs as.
const nobodyUID = plugintest.NobodyUID

// TestSandboxUnprivileged: a configuration directory or file the runtime
// cannot read, and a cache directory it cannot write, seen through
// pkg/sandbox by a runtime that is not root.
func TestSandboxUnprivileged(t *testing.T) {
	if os.Getenv(sandboxNobodyEnv) != "" {
		return
	}
	if !requireRoot(t) {
		return
	}
	root := t.TempDir()
	e := newEnv(t)
	conf := func(name string) string {
		return fmt.Sprintf(`{"cniVersion":"1.1.0","name":%q,"plugins":[{"type":"debug","debugFile":%q}]}`,
			name, filepath.Join(root, "log", "debug.log"))
	}
	mk := func(dir string, mode fs.FileMode, owner int) {
		require.NoError(t, os.Mkdir(filepath.Join(root, dir), mode))
		require.NoError(t, os.Chmod(filepath.Join(root, dir), mode))
		require.NoError(t, os.Chown(filepath.Join(root, dir), owner, owner))
	}
	// log: nobody's, so that a plugin run by the child could log there.
	mk("log", 0o755, nobodyUID)
	// closed.d: root's, unreadable to nobody.
	mk("closed.d", 0o700, 0)
	require.NoError(t, os.WriteFile(filepath.Join(root, "closed.d", "10-a.conflist"), []byte(conf("a")), 0o644))
	// open.d: readable, one file of two unreadable to nobody.
	mk("open.d", 0o755, 0)
	require.NoError(t, os.WriteFile(filepath.Join(root, "open.d", "10-a.conflist"), []byte(conf("a")), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(root, "open.d", "20-b.conflist"), []byte(conf("b")), 0o644))
	// own.d: nobody's, which the child makes unreadable under a Manager.
	mk("own.d", 0o755, nobodyUID)
	require.NoError(t, os.WriteFile(filepath.Join(root, "own.d", "10-b.conflist"), []byte(conf("b")), 0o644))
	// cache: root's, not writable to nobody.
	mk("cache", 0o755, 0)
	// bin: the debug plugin, where nobody can run it.
	mk("bin", 0o755, 0)
	data, err := os.ReadFile(plugintest.Exe(e.binDir, "debug"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(plugintest.Exe(filepath.Join(root, "bin"), "debug"), data, 0o755))
	plugintest.RunTestAsNobody(t, root, "TestSandboxUnprivilegedChild", sandboxNobodyEnv+"="+root)
	assert.NoFileExists(t, filepath.Join(root, "log", "debug.log"), "no plugin may have run")
	entries, err := os.ReadDir(filepath.Join(root, "cache"))
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing may have been written to the cache")
}

// TestSandboxUnprivilegedChild is the body of TestSandboxUnprivileged's
// child; it does nothing unless started by it.
func TestSandboxUnprivilegedChild(t *testing.T) {
	root := os.Getenv(sandboxNobodyEnv)
	if root == "" {
		return
	}
	require.Equal(t, nobodyUID, os.Geteuid())
	dir := func(name string) string { return filepath.Join(root, name) }
	base := []sandbox.Option{sandbox.WithPluginDirs(dir("bin")), sandbox.WithCacheDir(dir("cache"))}

	// An unreadable configuration directory: New fails, naming it.
	_, err := sandbox.New(append(base, sandbox.WithConfDir(dir("closed.d")))...)
	require.ErrorIs(t, err, fs.ErrPermission)
	assert.Contains(t, err.Error(), dir("closed.d"))

	// An unreadable file: a problem naming the file; the others load.
	m, err := sandbox.New(append(base, sandbox.WithConfDir(dir("open.d")))...)
	require.NoError(t, err)
	defer m.Close()
	set := m.Networks()
	require.Len(t, set.Problems, 1)
	assert.Equal(t, filepath.Join(dir("open.d"), "10-a.conflist"), set.Problems[0].File)
	assert.ErrorIs(t, set.Problems[0].Err, fs.ErrPermission)
	assert.Equal(t, []string{"b:eth0"}, names(set.Networks))

	// A cache directory the runtime cannot write: Attach fails naming the
	// cause, before any plugin runs (the parent checks the debug log).
	_, err = m.Attach(t.Context(), sandbox.Sandbox{ID: "sb-nobody", NetNS: "/proc/self/ns/net"})
	require.Error(t, err)
	assert.ErrorIs(t, err, fs.ErrPermission)

	// A directory made unreadable under a running Manager: Reload fails,
	// naming it, and the Manager keeps the networks it had.
	own, err := sandbox.New(append(base, sandbox.WithConfDir(dir("own.d")))...)
	require.NoError(t, err)
	defer own.Close()
	before := own.Networks()
	require.Equal(t, []string{"b:eth0"}, names(before.Networks))
	require.NoError(t, os.Chmod(dir("own.d"), 0o000))
	defer os.Chmod(dir("own.d"), 0o755)
	_, err = own.Reload()
	require.ErrorIs(t, err, fs.ErrPermission)
	assert.Contains(t, err.Error(), dir("own.d"))
	assert.Same(t, before, own.Networks(), "the previous set stays in force")
	var pe *fs.PathError
	assert.True(t, errors.As(err, &pe))
}
