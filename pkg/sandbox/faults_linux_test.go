//go:build linux

package sandbox_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/pkg/plugintest"
	"github.com/cnirt/cni/pkg/sandbox"
)

// The fault tests make the file system fail under the Manager the way a
// node's does: a full disk (a small tmpfs), a read-only mount, a directory
// replaced or removed while in use, and plugins that die or answer
// nothing. They need root for the mounts.

// requireRoot fails with CI=true and skips elsewhere when not root.
func requireRoot(t *testing.T) bool {
	t.Helper()
	if os.Geteuid() != 0 {
		plugintest.RequireCI(t, "root privileges (the fault tests mount file systems)")
		return false
	}
	return true
}

// mountTmpfs mounts a tmpfs of size bytes on dir until the test ends.
func mountTmpfs(t *testing.T, dir string, size string) {
	t.Helper()
	require.NoError(t, syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size))
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
}

// fill writes to dir until its file system is full.
func fill(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "filler"))
	require.NoError(t, err)
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			require.ErrorIs(t, err, syscall.ENOSPC)
			return
		}
	}
}

// readOnly bind-mounts dir read-only on itself; the returned function
// makes it writable again (it is also undone when the test ends).
func readOnly(t *testing.T, dir string) func() {
	t.Helper()
	require.NoError(t, syscall.Mount(dir, dir, "", syscall.MS_BIND, ""))
	require.NoError(t, syscall.Mount("", dir, "", syscall.MS_REMOUNT|syscall.MS_BIND|syscall.MS_RDONLY, ""))
	done := false
	undo := func() {
		if !done {
			done = true
			_ = syscall.Unmount(dir, syscall.MNT_DETACH)
		}
	}
	t.Cleanup(undo)
	return undo
}

// TestAttachCacheFaults: an Attach whose cache cannot be written runs no
// plugin and returns an error naming the path and the cause (errors.Is
// reaches the errno); nothing is cached and no attach record is left. A
// cache directory removed between operations is made again.
func TestAttachCacheFaults(t *testing.T) {
	if !requireRoot(t) {
		return
	}
	t.Parallel()
	for _, tc := range []struct {
		name  string
		fault func(t *testing.T, cache string)
		errno syscall.Errno
	}{
		{"full (ENOSPC)", func(t *testing.T, cache string) { mountTmpfs(t, cache, "64k"); fill(t, cache) }, syscall.ENOSPC},
		{"read-only (EROFS)", func(t *testing.T, cache string) { readOnly(t, cache) }, syscall.EROFS},
		{"replaced by a file (ENOTDIR)", func(t *testing.T, cache string) {
			require.NoError(t, os.RemoveAll(cache))
			require.NoError(t, os.WriteFile(cache, []byte("x"), 0o644))
		}, syscall.ENOTDIR},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.write("1.conflist", e.debugNet("one", "", ""))
			m := e.manager()
			tc.fault(t, e.cache)

			_, err := m.Attach(t.Context(), sandbox.Sandbox{ID: "sb", NetNS: nsPath("sb")})
			require.ErrorIs(t, err, tc.errno)
			var pe *fs.PathError
			require.ErrorAs(t, err, &pe)
			assert.True(t, strings.HasPrefix(pe.Path, e.cache), "the error names a path in the cache: %v", err)
			assert.Empty(t, e.records(), "no plugin ran")
			if fi, serr := os.Stat(e.cache); serr == nil && fi.IsDir() {
				assert.NoFileExists(t, filepath.Join(e.cache, sandbox.IntentDirName, "sb.json"))
				assert.Empty(t, e.cached("sb"))
			}
		})
	}

	t.Run("removed while in use", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.write("1.conflist", e.debugNet("one", "", ""))
		m := e.manager()
		ctx := t.Context()
		_, err := m.Attach(ctx, sandbox.Sandbox{ID: "a", NetNS: nsPath("a")})
		require.NoError(t, err)
		require.NoError(t, m.Detach(ctx, sandbox.Sandbox{ID: "a"}))
		require.NoError(t, os.RemoveAll(e.cache))
		_, err = m.Attach(ctx, sandbox.Sandbox{ID: "b", NetNS: nsPath("b")})
		require.NoError(t, err)
		assert.Equal(t, []string{"one/eth0"}, e.cached("b"))
		require.NoError(t, m.Detach(ctx, sandbox.Sandbox{ID: "b"}))
		assert.Empty(t, e.cached("b"))
	})
}

// TestDetachAndGCReadOnlyCache: a cache that turns read-only after the
// Attach. Check and Status work (they write nothing). Detach and GC
// succeed once the plugins' DEL did, as libcni's DEL does: the entry that
// cannot be removed stays (libcni reports it to the event hook as a
// *libcni.CacheError) and a later GC, the sandbox not live, runs the DEL
// again and removes it once the cache is writable.
func TestDetachAndGCReadOnlyCache(t *testing.T) {
	if !requireRoot(t) {
		return
	}
	t.Parallel()
	for _, op := range []string{"detach", "gc"} {
		t.Run(op, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.write("1.conflist", e.debugNet("one", "", ""))
			var mu sync.Mutex
			var removeErrs []error
			cni := e.hookedCNI(func(_ context.Context, ev libcni.Event) {
				var ce *libcni.CacheError
				if ev.Kind == libcni.EventCacheRemove && errors.As(ev.Err, &ce) {
					mu.Lock()
					removeErrs = append(removeErrs, ev.Err)
					mu.Unlock()
				}
			})
			m := e.manager(sandbox.WithCNI(cni))
			ctx := t.Context()
			sb := sandbox.Sandbox{ID: "sb", NetNS: nsPath("sb")}
			_, err := m.Attach(ctx, sb)
			require.NoError(t, err)
			writable := readOnly(t, e.cache)
			// CHECK only reads the cache.
			require.NoError(t, m.Check(ctx, sandbox.Sandbox{ID: "sb"}))
			assert.NoError(t, m.Status(ctx)[0].Err)

			if op == "detach" {
				require.NoError(t, m.Detach(ctx, sandbox.Sandbox{ID: "sb"}))
			} else {
				require.NoError(t, m.GC(ctx, nil))
			}
			assert.Equal(t, []string{"DEL one eth0"}, filterCmd(e.calls(), "DEL"))
			assert.Equal(t, []string{"one/eth0"}, e.cached("sb"), "the entry stays")
			mu.Lock()
			require.Len(t, removeErrs, 1)
			assert.ErrorIs(t, removeErrs[0], syscall.EROFS)
			mu.Unlock()

			writable()
			require.NoError(t, m.GC(ctx, nil))
			assert.Empty(t, e.cached("sb"))
			assert.Len(t, filterCmd(e.calls(), "DEL"), 2, "GC ran the DEL again")
		})
	}
}

// scriptPlugin installs a shell-script plugin called name.
func (e *env) scriptPlugin(name, body string) {
	e.t.Helper()
	require.NoError(e.t, os.WriteFile(filepath.Join(e.binDir, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755))
}

// TestAttachPluginFaults: plugins that fail under the Manager. Each Attach
// fails with a *SandboxError naming the network and the cause, is rolled
// back, and leaves nothing cached.
func TestAttachPluginFaults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		setup func(e *env)
		check func(t *testing.T, err error)
		// record: the attach record stays, since the rollback DEL failed
		// after a plugin of the chain had run its ADD; a later Detach or
		// GC retries it.
		record bool
	}{
		{"plugin killed by a signal mid-ADD", func(e *env) {
			e.scriptPlugin("dies", `[ "$CNI_COMMAND" = ADD ] && kill -KILL $$; exit 0`)
			e.write("2.conflist", `{"cniVersion":"1.1.0","name":"two","plugins":[{"type":"dies"}]}`)
		}, func(t *testing.T, err error) {
			var ee *exec.ExitError
			require.ErrorAs(t, err, &ee)
			assert.Equal(t, syscall.SIGKILL, ee.Sys().(syscall.WaitStatus).Signal())
		}, false},
		{"plugin exits 0 without output on ADD", func(e *env) {
			e.scriptPlugin("mute", `exit 0`)
			e.write("2.conflist", `{"cniVersion":"1.1.0","name":"two","plugins":[{"type":"mute"}]}`)
		}, func(t *testing.T, err error) {
			// The empty output is not a result: the plugin is named.
			var pe *libcni.PluginError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, "mute", pe.Plugin)
			assert.Equal(t, "two", pe.Network)
		}, false},
		{"plugin directory missing", func(e *env) {
			e.write("2.conflist", e.debugNet("two", "", ""))
			require.NoError(e.t, os.RemoveAll(e.binDir))
		}, func(t *testing.T, err error) {
			var se *sandbox.SandboxError
			require.ErrorAs(t, err, &se)
			for _, f := range se.Failures {
				assert.True(t, f.PluginMissing, "%v", f)
			}
		}, false},
		{"second plugin of a chain missing", func(e *env) {
			e.write("2.conflist", `{"cniVersion":"1.1.0","name":"two","plugins":[{"type":"debug","debugFile":`+jsonString(e.log)+`},{"type":"absent"}]}`)
		}, func(t *testing.T, err error) {
			var se *sandbox.SandboxError
			require.ErrorAs(t, err, &se)
			require.Len(t, se.Failures, 1)
			assert.True(t, se.Failures[0].PluginMissing)
			assert.Equal(t, "absent", se.Failures[0].Plugin)
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.write("1.conflist", e.debugNet("one", "", ""))
			tc.setup(e)
			m := e.manager(sandbox.WithMaxNetworks(2))
			_, err := m.Attach(t.Context(), sandbox.Sandbox{ID: "sb", NetNS: nsPath("sb")})
			var se *sandbox.SandboxError
			require.ErrorAs(t, err, &se, "%v", err)
			tc.check(t, err)
			assert.Empty(t, e.cached("sb"))
			record := filepath.Join(e.cache, sandbox.IntentDirName, "sb.json")
			if tc.record {
				assert.FileExists(t, record)
			} else {
				assert.NoFileExists(t, record)
			}
		})
	}
}

// TestConfigDirFaults: the configuration directory removed or emptied
// under a watching Manager, and a file half-written. The set of networks
// says why it cannot attach; a removed directory keeps the last set; a
// half-written file is skipped and reported, never half-read.
func TestConfigDirFaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("1.conflist", e.debugNet("one", "", ""))
	m := e.manager(sandbox.WithWatch(0))
	ctx := t.Context()
	require.NoError(t, m.Ready(ctx))

	// A file half-written: truncated JSON.
	full := e.debugNet("zero", "", "")
	e.write("0.conflist", full[:len(full)/2])
	require.Eventually(t, func() bool { return len(m.Networks().Problems) == 1 }, 10*time.Second, 10*time.Millisecond, "the watch reloads")
	set := m.Networks()
	assert.Equal(t, filepath.Join(e.confDir, "0.conflist"), set.Problems[0].File)
	assert.Equal(t, "one", set.Networks[0].Name, "the half-written file is skipped")

	// Emptied.
	for _, f := range []string{"0.conflist", "1.conflist"} {
		require.NoError(t, os.Remove(filepath.Join(e.confDir, f)))
	}
	_, err := m.Reload()
	require.NoError(t, err)
	err = m.Ready(ctx)
	require.ErrorIs(t, err, sandbox.ErrNotReady)
	_, err = m.Attach(ctx, sandbox.Sandbox{ID: "sb", NetNS: nsPath("sb")})
	require.ErrorIs(t, err, sandbox.ErrNotReady)

	// Removed (a DaemonSet replacing it): like an emptied directory, as
	// in the reference's ConfFiles; Attach is refused without running a
	// plugin, Detach works from the cache, and the watch loads the
	// directory again once it is back.
	e.write("1.conflist", e.debugNet("one", "", ""))
	_, err = m.Reload()
	require.NoError(t, err)
	_, err = m.Attach(ctx, sandbox.Sandbox{ID: "sb", NetNS: nsPath("sb")})
	require.NoError(t, err)
	require.NoError(t, os.RemoveAll(e.confDir))
	set, err = m.Reload()
	require.NoError(t, err)
	assert.Empty(t, set.Networks)
	var nr *sandbox.NotReadyError
	require.ErrorAs(t, m.Ready(ctx), &nr)
	assert.Equal(t, e.confDir, nr.Dir)
	adds := len(filterCmd(e.calls(), "ADD"))
	_, err = m.Attach(ctx, sandbox.Sandbox{ID: "sb2", NetNS: nsPath("sb2")})
	require.ErrorIs(t, err, sandbox.ErrNotReady)
	assert.Len(t, filterCmd(e.calls(), "ADD"), adds, "no plugin ran")
	require.NoError(t, m.Detach(ctx, sandbox.Sandbox{ID: "sb"}))
	assert.Empty(t, e.cached("sb"))

	require.NoError(t, os.Mkdir(e.confDir, 0o755))
	e.write("1.conflist", e.debugNet("one", "", ""))
	require.Eventually(t, func() bool { return m.Ready(ctx) == nil }, 10*time.Second, 20*time.Millisecond, "the watch loads the directory again")
	assert.False(t, errors.Is(m.Ready(ctx), sandbox.ErrNotReady))
}

// TestStatusPluginDirMissing: STATUS with the plugin directory gone names
// the missing plugin; Ready says not ready.
func TestStatusPluginDirMissing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("1.conflist", e.debugNet("one", "", ""))
	m := e.manager()
	require.NoError(t, os.RemoveAll(e.binDir))
	sts := m.Status(t.Context())
	require.Len(t, sts, 1)
	var ne *sandbox.NetworkError
	require.ErrorAs(t, sts[0].Err, &ne)
	assert.True(t, ne.PluginMissing)
	assert.Equal(t, "debug", ne.Plugin)
	require.ErrorIs(t, m.Ready(t.Context()), sandbox.ErrNotReady)
}

// TestAttachPluginBeingReplaced: a plugin executable open for writing
// (being replaced) cannot be started (ETXTBSY). libcni retries the start
// for about 0.6 s, so a replacement that ends within that attaches; one
// that does not fails the Attach with errors.Is(err, syscall.ETXTBSY),
// nothing cached, and no attach record left, since no plugin ran.
func TestAttachPluginBeingReplaced(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		hold time.Duration
		ok   bool
	}{
		{"replaced within the retries", 100 * time.Millisecond, true},
		{"still being written", 3 * time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.write("1.conflist", e.debugNet("one", "", ""))
			m := e.manager()
			w, err := os.OpenFile(filepath.Join(e.binDir, "debug"), os.O_WRONLY, 0)
			require.NoError(t, err)
			timer := time.AfterFunc(tc.hold, func() { _ = w.Close() })
			defer func() {
				timer.Stop()
				_ = w.Close()
			}()
			_, err = m.Attach(t.Context(), sandbox.Sandbox{ID: "sb", NetNS: nsPath("sb")})
			if tc.ok {
				require.NoError(t, err)
				assert.Equal(t, []string{"one/eth0"}, e.cached("sb"))
				return
			}
			require.ErrorIs(t, err, syscall.ETXTBSY)
			var pe *libcni.PluginError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, "debug", pe.Plugin)
			assert.Empty(t, e.cached("sb"))
			assert.NoFileExists(t, filepath.Join(e.cache, sandbox.IntentDirName, "sb.json"))
		})
	}
}

// TestCacheReplacedByFile: with the cache directory replaced by a file,
// Detach, Check and GC cannot list what is attached: each fails with
// ENOTDIR naming the cache and runs no plugin (GC stops before the
// plugins' GC too, since it cannot know which attachments are valid).
func TestCacheReplacedByFile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("1.conflist", e.debugNet("one", "", ""))
	m := e.manager()
	ctx := t.Context()
	_, err := m.Attach(ctx, sandbox.Sandbox{ID: "sb", NetNS: nsPath("sb")})
	require.NoError(t, err)
	runs := len(e.records())
	saved := e.cache + ".saved"
	require.NoError(t, os.Rename(e.cache, saved))
	require.NoError(t, os.WriteFile(e.cache, []byte("x"), 0o644))

	for name, op := range map[string]func() error{
		"detach": func() error { return m.Detach(ctx, sandbox.Sandbox{ID: "sb"}) },
		"check":  func() error { return m.Check(ctx, sandbox.Sandbox{ID: "sb"}) },
		"gc":     func() error { return m.GC(ctx, nil) },
	} {
		err := op()
		require.ErrorIs(t, err, syscall.ENOTDIR, name)
		assert.Contains(t, err.Error(), e.cache, name)
	}
	assert.Len(t, e.records(), runs, "no plugin ran")

	// The directory back: Detach releases the sandbox.
	require.NoError(t, os.Remove(e.cache))
	require.NoError(t, os.Rename(saved, e.cache))
	require.NoError(t, m.Detach(ctx, sandbox.Sandbox{ID: "sb"}))
	assert.Empty(t, e.cached("sb"))
}
