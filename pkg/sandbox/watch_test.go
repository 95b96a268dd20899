package sandbox_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/pkg/sandbox"
)

// waitSet waits for a set on sets that satisfies ok.
func waitSet(t *testing.T, sets <-chan *sandbox.NetworkSet, ok func(*sandbox.NetworkSet) bool) *sandbox.NetworkSet {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case s, open := <-sets:
			require.True(t, open, "subscription closed")
			if ok(s) {
				return s
			}
		case <-deadline:
			t.Fatal("no matching network set within 10s")
			return nil
		}
	}
}

// TestWatchReloads: changes are picked up after the debounce, in one
// reload for a burst of writes, and reported to subscribers.
func TestWatchReloads(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	m := e.manager(sandbox.WithWatch(100*time.Millisecond), sandbox.WithMaxNetworks(3))
	sets, cancel := m.Subscribe()
	defer cancel()
	require.Empty(t, m.Networks().Networks)
	gen := m.Networks().Generation

	for i := 0; i < 3; i++ {
		e.write(fmt.Sprintf("%d.conflist", i), e.debugNet(fmt.Sprintf("w%d", i), "", ""))
	}
	e.write("9.conflist", "{broken")
	s := waitSet(t, sets, func(s *sandbox.NetworkSet) bool { return len(s.Networks) == 3 })
	assert.Equal(t, []string{"w0:eth0", "w1:net1", "w2:net2"}, names(s.Networks))
	assert.Len(t, s.Problems, 1)
	// Four files, each created and written: without debouncing that is at
	// least four reloads.
	assert.LessOrEqual(t, s.Generation-gen, uint64(3), "a burst of writes is debounced into fewer reloads")
	require.NoError(t, m.Ready(t.Context()))

	require.NoError(t, os.Remove(filepath.Join(e.confDir, "0.conflist")))
	s = waitSet(t, sets, func(s *sandbox.NetworkSet) bool { return len(s.Networks) == 2 })
	assert.Equal(t, []string{"w1:eth0", "w2:net1"}, names(s.Networks))

	require.NoError(t, m.Close())
	_, open := <-sets
	assert.False(t, open, "Close closes subscriptions")
}

// TestInFlightAttachKeepsItsSet: an Attach running while the directory is
// emptied and reloaded finishes with the networks it started with.
func TestInFlightAttachKeepsItsSet(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	threeSleepy(e)
	m := e.manager(sandbox.WithMaxNetworks(3))
	done := make(chan error, 1)
	var res *sandbox.Result
	go func() {
		var err error
		res, err = m.Attach(t.Context(), sandbox.Sandbox{ID: "inflight", NetNS: "/var/run/netns/i"})
		done <- err
	}()
	time.Sleep(30 * time.Millisecond)
	for _, f := range []string{"00-n0.conflist", "01-n1.conflist", "02-n2.conflist"} {
		require.NoError(t, os.Remove(filepath.Join(e.confDir, f)))
	}
	set, err := m.Reload()
	require.NoError(t, err)
	require.Empty(t, set.Networks)
	require.NoError(t, <-done)
	require.Len(t, res.Attachments, 3)
	assert.Less(t, res.Generation, set.Generation)
	require.NoError(t, m.Detach(t.Context(), sandbox.Sandbox{ID: "inflight"}))
	assert.Len(t, filterCmd(e.calls(), "DEL"), 3)
}

// TestReloadWhileAttaching: attaches run without pause while the watched
// directory flips between two versions of three networks; every Attach
// sees one whole version, never a mix, and both versions are seen.
func TestReloadWhileAttaching(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	writeVersion := func(v string) {
		for i := 0; i < 3; i++ {
			e.write(fmt.Sprintf("%d.conflist", i), e.debugNet(fmt.Sprintf("%s%d", v, i), "", ""))
		}
	}
	writeVersion("a")
	m := e.manager(sandbox.WithWatch(300*time.Millisecond), sandbox.WithMaxNetworks(3))
	sets, cancel := m.Subscribe()
	defer cancel()

	var stop atomic.Bool
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[string]int{}
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				id := fmt.Sprintf("r%d-%d", w, i)
				res, err := m.Attach(t.Context(), sandbox.Sandbox{ID: id, NetNS: "/var/run/netns/" + id})
				if !assert.NoError(t, err) {
					return
				}
				var vs []string
				for _, a := range res.Attachments {
					vs = append(vs, a.Network[:1])
				}
				assert.Len(t, vs, 3)
				assert.Equal(t, strings.Repeat(vs[0], 3), strings.Join(vs, ""), "attach %s saw a mixed set %v", id, vs)
				mu.Lock()
				seen[vs[0]]++
				mu.Unlock()
				assert.NoError(t, m.Detach(t.Context(), sandbox.Sandbox{ID: id}))
			}
		}()
	}
	for _, v := range []string{"b", "a", "b"} {
		time.Sleep(150 * time.Millisecond)
		writeVersion(v)
		waitSet(t, sets, func(s *sandbox.NetworkSet) bool {
			return len(s.Networks) == 3 && strings.HasPrefix(s.Networks[0].Name, v)
		})
	}
	time.Sleep(150 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	t.Logf("attaches per version: %v", seen)
	assert.Positive(t, seen["a"])
	assert.Positive(t, seen["b"])
}
