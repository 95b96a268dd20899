//go:build linux

package libcni_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
)

// cacheFault is one real fault of the cache directory, applied after an
// attachment ("c-old") was added.
type cacheFault struct {
	name string
	// apply makes the fault in env.cacheDir (base is the tmpfs holding
	// it) and returns the function that repairs it.
	apply func(t *testing.T, base string, env *faultEnv) (repair func())
	// errno is the cause writes fail with; 0 when they work.
	errno syscall.Errno
	// addPluginsRan: the ADD fails only after its plugins ran (a full
	// disk is found when the entry is written, not when it is created).
	addPluginsRan bool
	// readErrno is the cause cache reads fail with; 0 when they work.
	readErrno syscall.Errno
	// entryGone: the fault took c-old's entry with it.
	entryGone bool
	// degrades: a CNIConfig made after the fault cannot set up lock files
	// and runs with process-local locks.
	degrades bool
}

var cacheFaults = []cacheFault{
	{
		name: "read-only",
		apply: func(t *testing.T, _ string, env *faultEnv) func() {
			return remountReadOnly(t, env.cacheDir)
		},
		errno: syscall.EROFS, degrades: true,
	},
	{
		name: "full",
		apply: func(t *testing.T, base string, _ *faultEnv) func() {
			filler := fillFS(t, base)
			return func() { require.NoError(t, os.Remove(filler)) }
		},
		errno: syscall.ENOSPC, addPluginsRan: true,
	},
	{
		name: "not writable",
		apply: func(t *testing.T, _ string, env *faultEnv) func() {
			results := filepath.Join(env.cacheDir, "results")
			setImmutable(t, results, true)
			return func() { setImmutable(t, results, false) }
		},
		errno: syscall.EPERM,
	},
	{
		name: "removed",
		apply: func(t *testing.T, _ string, env *faultEnv) func() {
			require.NoError(t, os.RemoveAll(env.cacheDir))
			return func() {}
		},
		entryGone: true,
	},
	{
		name: "replaced by a file",
		apply: func(t *testing.T, _ string, env *faultEnv) func() {
			require.NoError(t, os.RemoveAll(env.cacheDir))
			require.NoError(t, os.WriteFile(env.cacheDir, []byte("not a directory"), 0o600))
			return func() { require.NoError(t, os.Remove(env.cacheDir)) }
		},
		errno: syscall.ENOTDIR, readErrno: syscall.ENOTDIR, entryGone: true, degrades: true,
	},
}

// TestFaultCache runs ADD, CHECK, the cached-result read, STATUS, DEL and
// GC on a cache directory that is full, read-only, not writable, removed
// or replaced by a file, both through the CNIConfig that was running when
// the fault came ("running") and through one made afterwards ("restarted"),
// then repairs the fault and checks that a DEL or GC leaves nothing behind.
//
// The outcomes: an ADD whose entry cannot be created fails before any
// plugin runs with a *CacheError (Op "write", the entry's path, the
// cause); a full disk is found only when the entry is written, after the
// plugins (PluginsRan), and the runtime's DEL then releases the
// attachment. DEL always succeeds once its plugins do; an entry it cannot
// remove is reported (EventCacheRemove with a *CacheError) and removed by
// a later DEL or GC. Lock files that cannot be set up degrade the locks
// (EventLocksDegraded with a *LockSetupError) instead of failing. No
// temporary file is left behind.
func TestFaultCache(t *testing.T) {
	requireFaultRoot(t)
	ctx := context.Background()
	for _, f := range cacheFaults {
		for _, which := range []string{"running", "restarted"} {
			t.Run(f.name+"/"+which, func(t *testing.T) {
				base := t.TempDir()
				mountTmpfs(t, base, faultSizeLimit)
				env := newFaultEnv(t, filepath.Join(base, "cache"))
				var runningLog, log faultLog
				running := env.cni(t, &runningLog)
				_, err := running.AddNetworkList(ctx, env.list, faultRT("c-old"))
				require.NoError(t, err)

				repair := f.apply(t, base, env)
				c := running
				if which == "restarted" {
					c = env.cni(t, &log)
				} else {
					runningLog.take(0)
				}
				l := &log
				if c == running {
					l = &runningLog
				}

				// ADD.
				_, err = c.AddNetworkList(ctx, env.list, faultRT("c-new"))
				if f.errno == 0 {
					require.NoError(t, err)
					require.NoError(t, c.DelNetworkList(ctx, env.list, faultRT("c-new")))
				} else {
					var ce *libcni.CacheError
					require.ErrorAs(t, err, &ce)
					assert.Equal(t, "write", ce.Op)
					assert.Equal(t, env.entryFile("c-new"), ce.File)
					assert.ErrorIs(t, err, f.errno)
					assert.Equal(t, f.addPluginsRan, ce.PluginsRan)
					wantRuns := 0
					if f.addPluginsRan {
						wantRuns = 2 // the two debug plugins of the chain
					}
					assert.Equal(t, wantRuns, env.runs(t, "ADD", "c-new"), "plugin runs of the failed ADD")
					assert.NoFileExists(t, env.entryFile("c-new"))
					if f.addPluginsRan {
						// What the reference leaves to the runtime: DEL.
						require.NoError(t, c.DelNetworkList(ctx, env.list, faultRT("c-new")))
						assert.Equal(t, 2, env.runs(t, "DEL", "c-new"))
					}
				}
				assert.Empty(t, env.temps(t), "temporary files left")

				// CHECK and the cached result.
				err = c.CheckNetworkList(ctx, env.list, faultRT("c-old"))
				cached, cacheErr := c.GetNetworkListCachedResult(env.list, faultRT("c-old"))
				switch {
				case f.readErrno != 0:
					assert.ErrorIs(t, err, f.readErrno)
					assert.ErrorIs(t, cacheErr, f.readErrno)
				case f.entryGone:
					assert.NoError(t, err)
					assert.NoError(t, cacheErr)
					assert.Nil(t, cached)
				default:
					assert.NoError(t, err)
					assert.NoError(t, cacheErr)
					assert.NotNil(t, cached)
				}

				// STATUS.
				assert.NoError(t, c.GetStatusNetworkList(ctx, env.list))

				// DEL succeeds once its plugins do.
				l.take(0)
				require.NoError(t, c.DelNetworkList(ctx, env.list, faultRT("c-old")))
				assert.Equal(t, 2, env.runs(t, "DEL", "c-old"))
				removes := l.take(libcni.EventCacheRemove)
				require.Len(t, removes, 1)
				kept := f.errno != 0 && f.errno != syscall.ENOSPC && !f.entryGone
				if f.errno != 0 && f.errno != syscall.ENOSPC {
					var ce *libcni.CacheError
					require.ErrorAs(t, removes[0].Err, &ce, "the hook is told about the entry DEL could not remove")
					assert.Equal(t, "remove", ce.Op)
					assert.Equal(t, env.entryFile("c-old"), ce.File)
					assert.ErrorIs(t, removes[0].Err, f.errno)
				} else {
					assert.NoError(t, removes[0].Err)
				}
				if kept {
					assert.FileExists(t, env.entryFile("c-old"))
				} else {
					assert.NoFileExists(t, env.entryFile("c-old"))
				}

				// GC of everything.
				err = c.GCNetworkList(ctx, env.list, &libcni.GCArgs{})
				if f.readErrno != 0 {
					assert.ErrorIs(t, err, f.readErrno, "GC cannot list the cache")
				} else {
					assert.NoError(t, err)
				}
				if kept {
					assert.Equal(t, 4, env.runs(t, "DEL", "c-old"), "GC DELs (both debug plugins again) the entry DEL could not remove")
				}

				degraded := l.take(libcni.EventLocksDegraded)
				if f.degrades && c != running {
					require.NotEmpty(t, degraded, "locks degrade instead of failing")
					var lse *libcni.LockSetupError
					require.ErrorAs(t, degraded[0].Err, &lse)
					assert.Equal(t, filepath.Join(env.cacheDir, "locks"), lse.Dir)
					assert.ErrorIs(t, degraded[0].Err, f.errno)
				} else {
					assert.Empty(t, degraded)
				}

				// Repaired, a DEL or GC leaves nothing behind, and the
				// CNIConfig that degraded its locks uses lock files again.
				repair()
				l.take(0)
				_, err = c.AddNetworkList(ctx, env.list, faultRT("c-back"))
				require.NoError(t, err)
				require.NoError(t, c.DelNetworkList(ctx, env.list, faultRT("c-back")))
				assert.Empty(t, l.take(libcni.EventLocksDegraded), "lock files are used again")
				var after faultLog
				again := env.cni(t, &after)
				require.NoError(t, again.GCNetworkList(ctx, env.list, &libcni.GCArgs{}))
				atts, err := again.GetCachedAttachments("")
				require.NoError(t, err)
				assert.Empty(t, atts)
				assert.NoFileExists(t, env.entryFile("c-old"))
				assert.Empty(t, env.temps(t))
				assert.Empty(t, after.take(libcni.EventLocksDegraded))
			})
		}
	}
}

// TestFaultLockFilesRemovedWhileInUse wipes the cache directory (rm -rf)
// under a running CNIConfig: a CNIConfig made afterwards (another process
// in real life; two CNIConfig values exclude each other like two
// processes) creates new lock files, and the running one notices that its
// open lock file is gone at its next operation that checks (one at least
// LockFileCheckInterval after the previous check), opens the new one, and
// so still waits for the other's hold of the container.
func TestFaultLockFilesRemovedWhileInUse(t *testing.T) {
	requireFaultRoot(t)
	ctx := context.Background()
	env := newFaultEnv(t, filepath.Join(t.TempDir(), "cache"))
	var log faultLog
	running := env.cni(t, &log)
	_, err := running.AddNetworkList(ctx, env.list, faultRT("c1"))
	require.NoError(t, err)

	require.NoError(t, os.RemoveAll(env.cacheDir))
	other := env.cni(t, &log)
	holdCtx, release, err := other.HoldContainer(ctx, "c1", env.list.Name)
	require.NoError(t, err)
	_ = holdCtx
	// An operation checks its lock file when the last check is at least
	// this old; the ADD above checked (or skipped the check) just now.
	time.Sleep(libcni.LockFileCheckInterval)

	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	err = running.DelNetworkList(short, env.list, faultRT("c1"))
	require.ErrorIs(t, err, context.DeadlineExceeded, "the running CNIConfig must wait for the new lock file's holder")
	assert.Zero(t, env.runs(t, "DEL", "c1"), "no plugin ran while the container was held")

	release(false)
	require.NoError(t, running.DelNetworkList(ctx, env.list, faultRT("c1")))
	assert.Equal(t, 2, env.runs(t, "DEL", "c1"))

	// The network lock file too: a GC of the running CNIConfig waits for
	// the network a hold of the other one holds on the new file.
	require.NoError(t, os.RemoveAll(env.cacheDir))
	_, release, err = other.HoldContainer(ctx, "c2", env.list.Name)
	require.NoError(t, err)
	short2, cancel2 := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel2()
	err = running.GCNetworkList(short2, env.list, &libcni.GCArgs{})
	require.ErrorIs(t, err, context.DeadlineExceeded, "GC must wait for the new network lock file's holder")
	release(false)
	require.NoError(t, running.GCNetworkList(ctx, env.list, &libcni.GCArgs{}))
	assert.Empty(t, log.take(libcni.EventLocksDegraded))
}

// TestFaultNoSerializationChecksCacheFirst: with WithSerialization(false)
// no lock file is opened, and an ADD on a cache directory where nothing
// can be recorded still fails before any plugin runs.
func TestFaultNoSerializationChecksCacheFirst(t *testing.T) {
	requireFaultRoot(t)
	ctx := context.Background()
	env := newFaultEnv(t, filepath.Join(t.TempDir(), "cache"))
	require.NoError(t, os.MkdirAll(env.cacheDir, 0o700))
	remountReadOnly(t, env.cacheDir)
	var log faultLog
	c := env.cni(t, &log, libcni.WithSerialization(false))
	_, err := c.AddNetworkList(ctx, env.list, faultRT("c1"))
	var ce *libcni.CacheError
	require.ErrorAs(t, err, &ce)
	assert.False(t, ce.PluginsRan)
	assert.ErrorIs(t, err, syscall.EROFS)
	assert.Zero(t, env.runs(t, "ADD", "c1"))
	writes := log.take(libcni.EventCacheWrite)
	require.Len(t, writes, 1)
	assert.ErrorIs(t, writes[0].Err, syscall.EROFS)
	require.NoError(t, c.DelNetworkList(ctx, env.list, faultRT("c1")), "DEL still runs")
	assert.Equal(t, 2, env.runs(t, "DEL", "c1"))
}

// TestFaultFIFOInCache: a FIFO where a cache entry should be does not
// block a DEL, the cached-result read or the listing: it reads as empty
// (a corrupt entry), and DEL removes it.
func TestFaultFIFOInCache(t *testing.T) {
	ctx := context.Background()
	env := newFaultEnv(t, filepath.Join(t.TempDir(), "cache"))
	c := env.cni(t, &faultLog{})
	require.NoError(t, os.MkdirAll(filepath.Join(env.cacheDir, "results"), 0o700))
	require.NoError(t, syscall.Mkfifo(env.entryFile("c1"), 0o600))

	done := make(chan struct{})
	go func() {
		defer close(done)
		res, err := c.GetNetworkListCachedResult(env.list, faultRT("c1"))
		assert.Error(t, err, "an empty entry is not a result")
		assert.Nil(t, res)
		atts, err := c.GetCachedAttachments("c1")
		assert.NoError(t, err)
		assert.Empty(t, atts)
		assert.NoError(t, c.DelNetworkList(ctx, env.list, faultRT("c1")))
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("blocked on the FIFO")
	}
	assert.NoFileExists(t, env.entryFile("c1"))
	assert.Equal(t, 2, env.runs(t, "DEL", "c1"))
}
