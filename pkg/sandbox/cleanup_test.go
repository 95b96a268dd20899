package sandbox_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/pkg/sandbox"
)

// expired returns a context that has ended already.
func expired(t *testing.T) context.Context {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	return ctx
}

// TestCleanupOutlivesCallerContext: Detach and GC, the runtime's cleanup,
// still run their DELs to the end when the caller's context has expired
// before they start or expires while a DEL runs (containerd#5438: an
// expired context must not leak the sandbox's addresses). GC covers both
// of its DEL paths: libcni's GCNetworkList for a configured network and
// its own DEL of a network no longer configured.
func TestCleanupOutlivesCallerContext(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// ctx is the caller's context.
		ctx func(t *testing.T) context.Context
		// run runs the cleanup of sandbox id.
		run func(ctx context.Context, m *sandbox.Manager, e *env, id string) error
	}{
		{"detach, expired before", expired, func(ctx context.Context, m *sandbox.Manager, _ *env, id string) error {
			return m.Detach(ctx, sandbox.Sandbox{ID: id})
		}},
		{"detach, expires during DEL", expiresSoon, func(ctx context.Context, m *sandbox.Manager, _ *env, id string) error {
			return m.Detach(ctx, sandbox.Sandbox{ID: id})
		}},
		{"gc of configured networks, expired before", expired, func(ctx context.Context, m *sandbox.Manager, _ *env, _ string) error {
			return m.GC(ctx, nil)
		}},
		{"gc of configured networks, expires during DEL", expiresSoon, func(ctx context.Context, m *sandbox.Manager, _ *env, _ string) error {
			return m.GC(ctx, nil)
		}},
		{"gc of networks no longer configured, expired before", expired, gcUnconfigured},
		{"gc of networks no longer configured, expires during DEL", expiresSoon, gcUnconfigured},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.write("1.conflist", e.debugNet("one", "", `"sleep":{"DEL":"400ms"}`))
			e.write("2.conflist", e.debugNet("two", "", `"sleep":{"DEL":"400ms"}`))
			m := e.manager(sandbox.WithMaxNetworks(2))
			_, err := m.Attach(t.Context(), sandbox.Sandbox{ID: "sb", NetNS: nsPath("sb")})
			require.NoError(t, err)

			require.NoError(t, tc.run(tc.ctx(t), m, e, "sb"))
			assert.Empty(t, e.cached("sb"))
			var dels []string
			for _, r := range e.records() {
				if r.Command == "DEL" {
					assert.Equal(t, 0, r.ExitCode, "DEL %s ran to its end", netName(t, r))
					dels = append(dels, netName(t, r))
				}
			}
			assert.ElementsMatch(t, []string{"one", "two"}, dels)
		})
	}
}

// expiresSoon returns a context that expires while the first DEL (400 ms)
// runs.
func expiresSoon(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	t.Cleanup(cancel)
	return ctx
}

// gcUnconfigured removes every network's file and GCs with nothing live,
// so that GC DELs each attachment with its cached configuration.
func gcUnconfigured(ctx context.Context, m *sandbox.Manager, e *env, _ string) error {
	for _, f := range []string{"1.conflist", "2.conflist"} {
		if err := os.Remove(filepath.Join(e.confDir, f)); err != nil {
			return err
		}
	}
	if _, err := m.Reload(); err != nil {
		return err
	}
	return m.GC(ctx, nil)
}

// TestCleanupTimeoutBoundsCleanup: once the caller's context has ended,
// WithCleanupTimeout bounds Detach and GC; a DEL cut short keeps its cache
// entry, and a later Detach releases it.
func TestCleanupTimeoutBoundsCleanup(t *testing.T) {
	t.Parallel()
	for _, op := range []string{"detach", "gc"} {
		t.Run(op, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.write("1.conflist", e.debugNet("slow", "", `"sleep":{"DEL":"3s"}`))
			m := e.manager(sandbox.WithCleanupTimeout(300 * time.Millisecond))
			sb := sandbox.Sandbox{ID: "sb", NetNS: nsPath("sb")}
			_, err := m.Attach(t.Context(), sb)
			require.NoError(t, err)

			start := time.Now()
			if op == "detach" {
				err = m.Detach(expired(t), sb)
			} else {
				err = m.GC(expired(t), nil)
			}
			took := time.Since(start)
			var se *sandbox.SandboxError
			require.ErrorAs(t, err, &se)
			require.Len(t, se.Failures, 1)
			assert.ErrorIs(t, err, context.DeadlineExceeded, "the cleanup timeout is the cause")
			if op == "detach" {
				assert.True(t, se.Failures[0].Kept)
			}
			assert.Less(t, took, 2500*time.Millisecond, "the cleanup timeout ended the DEL")
			assert.Equal(t, []string{"slow/eth0"}, e.cached("sb"))

			// A later Detach with time enough releases it.
			require.NoError(t, m.Detach(t.Context(), sb))
			assert.Empty(t, e.cached("sb"))
		})
	}
}
