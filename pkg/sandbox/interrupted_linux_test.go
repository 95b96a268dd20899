//go:build linux

package sandbox_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/pkg/sandbox"
)

// interruptEnv carries "confDir|binDir|cacheDir|netns" to the child of
// TestInterruptedAttach.
const interruptEnv = "CNIRT_INTERRUPT_CHILD"

// TestInterruptedAttachChild attaches a sandbox until it is killed; it
// runs only when started by TestInterruptedAttach.
func TestInterruptedAttachChild(t *testing.T) {
	v := os.Getenv(interruptEnv)
	if v == "" {
		t.Skip("started by TestInterruptedAttach only")
	}
	d := strings.Split(v, "|")
	m, err := sandbox.New(sandbox.WithConfDir(d[0]), sandbox.WithPluginDirs(d[1]), sandbox.WithCacheDir(d[2]), sandbox.WithMaxNetworks(2))
	require.NoError(t, err)
	_, err = m.Attach(context.Background(), sandbox.Sandbox{ID: "crashed", NetNS: d[3]})
	t.Fatalf("Attach returned (%v) before the kill", err)
}

// TestInterruptedAttach: a runtime killed while its Attach's plugins run
// leaves no cache entry for what they set up, only the attach record
// written before they started. A new Manager refuses to attach the
// sandbox again, and GC (the sandbox not live) or Detach DELs every
// network of the record with its recorded configuration, removes the
// record, and the sandbox can be attached again.
func TestInterruptedAttach(t *testing.T) {
	t.Parallel()
	// "uncached": a Detach of a Manager with WithUncachedDetach, which
	// leaves a sandbox with an attach record to that record (no DEL twice).
	for _, release := range []string{"gc", "detach", "uncached"} {
		t.Run(release, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.write("1.conflist", e.debugNet("one", "", `"sleep":{"ADD":"1500ms"}`))
			e.write("2.conflist", e.debugNet("two", "", `"sleep":{"ADD":"1500ms"}`))
			cmd := exec.Command(os.Args[0], "-test.run=^TestInterruptedAttachChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), interruptEnv+"="+strings.Join([]string{e.confDir, e.binDir, e.cache, nsPath("crashed")}, "|"))
			out := &strings.Builder{}
			cmd.Stdout, cmd.Stderr = out, out
			require.NoError(t, cmd.Start())
			record := filepath.Join(e.cache, sandbox.IntentDirName, "crashed.json")
			require.Eventually(t, func() bool { _, err := os.Stat(record); return err == nil }, 20*time.Second, 10*time.Millisecond, "the attach record")
			time.Sleep(300 * time.Millisecond) // the plugins run now
			require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
			_ = cmd.Wait()
			// The orphaned plugins finish what they set up.
			require.Eventually(t, func() bool { return len(filterCmd(e.calls(), "ADD")) == 2 }, 20*time.Second, 20*time.Millisecond, "%s", out)
			for _, r := range e.records() {
				assert.Equal(t, 0, r.ExitCode, "%s %s", r.Command, netName(t, r))
			}
			assert.Empty(t, e.cached("crashed"), "the killed runtime cached nothing")

			opts := []sandbox.Option{sandbox.WithMaxNetworks(2)}
			if release == "uncached" {
				opts = append(opts, sandbox.WithUncachedDetach())
			}
			m := e.manager(opts...)
			ctx := t.Context()
			sb := sandbox.Sandbox{ID: "crashed", NetNS: nsPath("crashed")}
			_, err := m.Attach(ctx, sb)
			require.ErrorIs(t, err, sandbox.ErrAlreadyAttached)
			assert.Contains(t, err.Error(), record)

			if release == "gc" {
				require.NoError(t, m.GC(ctx, nil))
			} else {
				require.NoError(t, m.Detach(ctx, sandbox.Sandbox{ID: "crashed"}))
			}
			assert.Equal(t, []string{"DEL two net1", "DEL one eth0"}, filterCmd(e.calls(), "DEL"))
			assert.NoFileExists(t, record)

			_, err = m.Attach(ctx, sb)
			require.NoError(t, err)
			assert.NoFileExists(t, record, "removed once the results are cached")
			assert.ElementsMatch(t, []string{"one/eth0", "two/net1"}, e.cached("crashed"))
		})
	}
}
