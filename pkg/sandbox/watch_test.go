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

// TestWatchReloads: changes are picked up after the debounce and
// reported to subscribers.
func TestWatchReloads(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	m := e.manager(sandbox.WithWatch(100*time.Millisecond), sandbox.WithMaxNetworks(3))
	sets, cancel := m.Subscribe()
	defer cancel()
	require.Empty(t, m.Networks().Networks)

	for i := 0; i < 3; i++ {
		e.write(fmt.Sprintf("%d.conflist", i), e.debugNet(fmt.Sprintf("w%d", i), "", ""))
	}
	e.write("9.conflist", "{broken")
	s := waitSet(t, sets, func(s *sandbox.NetworkSet) bool { return len(s.Networks) == 3 && len(s.Problems) == 1 })
	assert.Equal(t, []string{"w0:eth0", "w1:net1", "w2:net2"}, names(s.Networks))
	require.NoError(t, m.Ready(t.Context()))

	require.NoError(t, os.Remove(filepath.Join(e.confDir, "0.conflist")))
	s = waitSet(t, sets, func(s *sandbox.NetworkSet) bool { return len(s.Networks) == 2 })
	assert.Equal(t, []string{"w1:eth0", "w2:net1"}, names(s.Networks))

	require.NoError(t, m.Close())
	_, open := <-sets
	assert.False(t, open, "Close closes subscriptions")
}

// TestWatchDirectoryReplaced: the watch survives the configuration
// directory being removed or renamed and created again, twice.
func TestWatchDirectoryReplaced(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		away func(dir string) error
	}{
		{"removed", os.RemoveAll},
		{"renamed", func(dir string) error { return os.Rename(dir, dir+".old") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.confDir = filepath.Join(t.TempDir(), "net.d")
			require.NoError(t, os.Mkdir(e.confDir, 0o755))
			e.write("1.conflist", e.debugNet("before", "", ""))
			m := e.manager(sandbox.WithWatch(50 * time.Millisecond))
			sets, cancel := m.Subscribe()
			defer cancel()
			require.Equal(t, []string{"before:eth0"}, names(m.Networks().Networks))

			for round := 1; round <= 2; round++ {
				require.NoError(t, tc.away(e.confDir))
				waitSet(t, sets, func(s *sandbox.NetworkSet) bool { return len(s.Networks) == 0 })
				require.NoError(t, os.RemoveAll(e.confDir+".old"))
				require.NoError(t, os.Mkdir(e.confDir, 0o755))
				net := fmt.Sprintf("after%d", round)
				e.write("1.conflist", e.debugNet(net, "", ""))
				s := waitSet(t, sets, func(s *sandbox.NetworkSet) bool { return len(s.Networks) == 1 })
				assert.Equal(t, []string{net + ":eth0"}, names(s.Networks), "round %d", round)
			}
		})
	}
}

// TestWatchConfigMapSwap: a Kubernetes ConfigMap volume updates its files
// by pointing the "..data" symbolic link at a new directory with a
// rename; the files are links through "..data", and no event names a
// configuration file.
func TestWatchConfigMapSwap(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	version := func(v string) {
		dir := filepath.Join(e.confDir, ".."+v)
		require.NoError(t, os.Mkdir(dir, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "1.conflist"), []byte(e.debugNet(v, "", "")), 0o644))
	}
	version("v1")
	require.NoError(t, os.Symlink("..v1", filepath.Join(e.confDir, "..data")))
	require.NoError(t, os.Symlink(filepath.Join("..data", "1.conflist"), filepath.Join(e.confDir, "1.conflist")))
	m := e.manager(sandbox.WithWatch(50 * time.Millisecond))
	sets, cancel := m.Subscribe()
	defer cancel()
	require.Equal(t, []string{"v1:eth0"}, names(m.Networks().Networks))

	version("v2")
	require.NoError(t, os.Symlink("..v2", filepath.Join(e.confDir, "..data_tmp")))
	require.NoError(t, os.Rename(filepath.Join(e.confDir, "..data_tmp"), filepath.Join(e.confDir, "..data")))
	require.NoError(t, os.RemoveAll(filepath.Join(e.confDir, "..v1")))
	s := waitSet(t, sets, func(s *sandbox.NetworkSet) bool {
		return len(s.Networks) == 1 && s.Networks[0].Name == "v2"
	})
	assert.Empty(t, s.Problems)
}

// TestWatchReloadsUnderChurn: a directory that never stays quiet for the
// debounce is reloaded anyway.
func TestWatchReloadsUnderChurn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	m := e.manager(sandbox.WithWatch(200 * time.Millisecond))
	sets, cancel := m.Subscribe()
	defer cancel()
	e.write("1.conflist", e.debugNet("churned", "", ""))
	stop := make(chan struct{})
	churned := make(chan struct{})
	go func() {
		defer close(churned)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				_ = os.WriteFile(filepath.Join(e.confDir, "9.conf"), []byte("{churn"), 0o644)
			}
		}
	}()
	s := waitSet(t, sets, func(s *sandbox.NetworkSet) bool { return len(s.Networks) == 1 })
	close(stop)
	<-churned
	assert.Equal(t, []string{"churned:eth0"}, names(s.Networks))
}

// TestWatchErrors: a failed reload (the directory replaced by a file) is
// reported to the WithWatchErrors function, and the watch goes on once
// the directory is back.
func TestWatchErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.confDir = filepath.Join(t.TempDir(), "net.d")
	errs := make(chan error, 100)
	m := e.manager(sandbox.WithWatch(50*time.Millisecond), sandbox.WithWatchErrors(func(err error) {
		select {
		case errs <- err:
		default:
		}
	}))
	sets, cancel := m.Subscribe()
	defer cancel()

	require.NoError(t, os.Remove(e.confDir))
	require.NoError(t, os.WriteFile(e.confDir, []byte("not a directory"), 0o644))
	select {
	case err := <-errs:
		assert.ErrorContains(t, err, "reading configuration directory "+e.confDir)
	case <-time.After(10 * time.Second):
		t.Fatal("no watch error within 10s")
	}

	require.NoError(t, os.Remove(e.confDir))
	require.NoError(t, os.Mkdir(e.confDir, 0o755))
	e.write("1.conflist", e.debugNet("back", "", ""))
	s := waitSet(t, sets, func(s *sandbox.NetworkSet) bool { return len(s.Networks) == 1 })
	assert.Equal(t, []string{"back:eth0"}, names(s.Networks))
}

// TestInFlightAttachKeepsItsSet: an Attach running while the directory is
// emptied and reloaded finishes with the networks it started with.
func TestInFlightAttachKeepsItsSet(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	threeSleepy(e)
	held := newSignal()
	m := e.manager(sandbox.WithMaxNetworks(3), sandbox.WithCNI(e.hookedCNI(onEvent(held, holdTaken("inflight")))))
	done := make(chan error, 1)
	var res *sandbox.Result
	go func() {
		var err error
		res, err = m.Attach(t.Context(), sandbox.Sandbox{ID: "inflight", NetNS: nsPath("i")})
		done <- err
	}()
	// The Attach has chosen its set once it holds the sandbox.
	held.wait(t, "hold of the Attach")
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

// TestReloadWhileAttaching: attaches run without pause while the directory
// flips between two versions of three networks and is reloaded; every
// Attach sees one whole version, never a mix, and each version is used by
// an Attach that starts after its reload.
func TestReloadWhileAttaching(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	writeVersion := func(v string) {
		for i := 0; i < 3; i++ {
			e.write(fmt.Sprintf("%d.conflist", i), e.debugNet(fmt.Sprintf("%s%d", v, i), "", ""))
		}
	}
	writeVersion("a")
	m := e.manager(sandbox.WithMaxNetworks(3))

	var stop atomic.Bool
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[string]int{}
	attached := make(chan struct{}, 1)
	defer func() { stop.Store(true); wg.Wait() }()
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				id := fmt.Sprintf("r%d-%d", w, i)
				res, err := m.Attach(t.Context(), sandbox.Sandbox{ID: id, NetNS: nsPath(id)})
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
				select {
				case attached <- struct{}{}:
				default:
				}
				if !assert.NoError(t, m.Detach(t.Context(), sandbox.Sandbox{ID: id})) {
					return
				}
			}
		}()
	}
	// waitSeen waits until more than n attaches used version v.
	waitSeen := func(v string, n int) {
		deadline := time.After(10 * time.Second)
		for {
			mu.Lock()
			got := seen[v]
			mu.Unlock()
			if got > n {
				return
			}
			select {
			case <-attached:
			case <-deadline:
				t.Fatalf("no attach with version %q within 10s", v)
			}
		}
	}
	waitSeen("a", 0)
	for _, v := range []string{"b", "a", "b"} {
		writeVersion(v)
		mu.Lock()
		before := seen[v]
		mu.Unlock()
		_, err := m.Reload()
		require.NoError(t, err)
		waitSeen(v, before)
	}
	stop.Store(true)
	wg.Wait()
	t.Logf("attaches per version: %v", seen)
}
