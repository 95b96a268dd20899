package libcni

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cnirt/cni/invoke"
	"github.com/cnirt/cni/pkg/lock"
)

// All serialization of operations goes through the methods in this file.
//
// Two lock namespaces live under <cacheDir>/locks (see pkg/lock):
//
//   - locks/network/<network>: taken shared by every ADD, CHECK and DEL of
//     the network and exclusively by its GC, so GC waits for operations in
//     flight and holds back new ones until it is done;
//   - locks/container/<containerID>: taken exclusively by every ADD, CHECK
//     and DEL of the container, in any network, for the whole operation
//     including the cache write or removal.
//
// The network key is always taken before the container key. The locks are
// OS file locks (byte ranges of one file per namespace, opened once per
// CNIConfig and cache directory and kept until CNIConfig.Close, where the
// OS has them; see pkg/lock), so they serialize across processes sharing
// the cache directory, and between CNIConfig values of one process. Per
// operation no lock file is created, opened or removed: taking and
// releasing each key is one system call.

const (
	locksDir          = "locks"
	networkLocksDir   = "network"
	containerLocksDir = "container"
)

// lockFileCheckInterval bounds how often an operation checks that the
// container lock file it has open is still the one in the cache directory
// (a cache directory wiped while in use, see "Failure behaviour" in the
// README): an operation, once it holds the container lock, checks (one
// fstat) when at least this long has passed since the last check, and the
// first operation of a CNIConfig on a cache directory always does. A
// runtime's operations are usually further apart than this, so each of
// them checks; a burst of operations pays one fstat per interval, and a
// removal is noticed by the first operation that takes the lock at least
// this long after the check before it.
const lockFileCheckInterval = 100 * time.Millisecond

// state is the mutable part of a CNIConfig built by one of the
// constructors: lockers per cache directory and the plugin version cache.
// A CNIConfig written as a struct literal has none; it then creates (and
// closes) its lockers on every operation, caches no versions and builds
// each plugin environment from scratch.
type state struct {
	mu       sync.Mutex
	lockers  map[string]*lockers
	versions map[versionKey][]string
	env      invoke.EnvCache
}

func newState() *state {
	return &state{
		lockers:  map[string]*lockers{},
		versions: map[versionKey][]string{},
	}
}

// lockers are the two lock namespaces of one cache directory.
type lockers struct {
	network   *lock.Locker
	container *lock.Locker
	dir       string // the cache directory
	temporary bool   // made for one operation: closed by done
	st        *state // owner of a kept set; nil when temporary
	users     int    // operations and holds using a kept set; guarded by st.mu
	closing   bool   // CNIConfig.Close ran while in use; guarded by st.mu
	// degraded is why the lock files could not be set up, when the two
	// lockers are process-local (lock.NewProcessLocal) instead: a kept
	// degraded set is dropped when its last user is done, so that the
	// next operation tries the lock files again.
	degraded *LockSetupError
	// reopens is how many times the container locker has found its lock
	// file removed and reopened it, as last seen.
	reopens atomic.Int64
}

// done ends one use of l, taken by lockersFor, once the locks taken
// through it are released: temporary lockers (those of a CNIConfig without
// state) are closed, and so are kept ones that CNIConfig.Close left to
// their last user.
func (l *lockers) done() {
	if l.temporary {
		l.close()
		return
	}
	l.st.mu.Lock()
	l.users--
	last := l.users == 0 && l.closing
	if l.users == 0 && l.degraded != nil && !l.closing {
		if l.st.lockers[l.dir] == l {
			delete(l.st.lockers, l.dir)
		}
	}
	l.st.mu.Unlock()
	if last {
		l.close()
	}
}

// close releases the lock files' descriptors.
func (l *lockers) close() {
	_ = l.network.Close()
	_ = l.container.Close()
}

// newLockers opens the lock files of cacheDir. Where they cannot be opened
// or created (a read-only, full or unwritable file system, a file where a
// directory should be), locking must not be the reason an operation, above
// all a DEL, cannot run: the lockers are then process-local, and degraded
// says why.
//
// The network locker does not check its lock file for removal at each
// acquisition; the container locker does, at most once per
// lockFileCheckInterval (one fstat), and refreshNetwork catches up when it
// finds its file removed (both live in <cacheDir>/locks, so a removal
// usually takes both).
func newLockers(cacheDir string) *lockers {
	base := filepath.Join(cacheDir, locksDir)
	l := &lockers{dir: cacheDir}
	n, err := lock.New(filepath.Join(base, networkLocksDir), lock.WithoutStaleCheck())
	if err == nil {
		var ct *lock.Locker
		if ct, err = lock.New(filepath.Join(base, containerLocksDir), lock.WithStaleCheckInterval(lockFileCheckInterval)); err == nil {
			l.network, l.container = n, ct
			return l
		}
		_ = n.Close()
	}
	l.degraded = &LockSetupError{Dir: base, Err: err}
	l.network = lock.NewProcessLocal(filepath.Join(base, networkLocksDir))
	l.container = lock.NewProcessLocal(filepath.Join(base, containerLocksDir))
	return l
}

// refreshNetwork reopens the network lock file when the container locker
// has found the container lock file removed since this was last checked
// (see lock.Locker.Reopens): the directory holding both was probably
// removed. Called with the container lock held; no system call unless
// the container locker reopened.
func (l *lockers) refreshNetwork() {
	n, _ := l.container.Reopens()
	if int64(n) == l.reopens.Load() {
		return
	}
	l.reopens.Store(int64(n))
	_, _ = l.network.Refresh()
}

// reportDegraded emits an EventLocksDegraded when l is degraded.
func (c *CNIConfig) reportDegraded(ctx context.Context, l *lockers, command, network, containerID string) {
	if l.degraded == nil || c.hook == nil {
		return
	}
	c.emit(ctx, &Event{Kind: EventLocksDegraded, Command: command, Network: network, ContainerID: containerID,
		Start: time.Now(), Err: l.degraded})
}

// lockersFor returns the lockers of cacheDir for one use, which the caller
// ends with done. A CNIConfig built by a constructor keeps them (with one
// open descriptor per namespace) until Close; one without state makes
// temporary ones.
func (c *CNIConfig) lockersFor(cacheDir string) *lockers {
	if c.st == nil {
		l := newLockers(cacheDir)
		l.temporary = true
		return l
	}
	c.st.mu.Lock()
	defer c.st.mu.Unlock()
	if l, ok := c.st.lockers[cacheDir]; ok {
		l.users++
		return l
	}
	l := newLockers(cacheDir)
	l.st = c.st
	l.users = 1
	c.st.lockers[cacheDir] = l
	return l
}

// Close releases what c keeps open between operations: the descriptors of
// the lock files of each cache directory it has used (two per directory).
// Operations in flight, and holds of [CNIConfig.HoldContainer] not yet
// released, keep theirs until they end, so Close never weakens a lock in
// use. c stays usable: a later operation opens the lock files again. A
// runtime keeps one CNIConfig for its life and need not call Close; a
// program that makes many CNIConfig values should close each one it drops
// (the garbage collector would otherwise close the descriptors only at
// some later point). Close returns nil; a CNIConfig not made by a
// constructor keeps nothing open.
func (c *CNIConfig) Close() error {
	if c == nil || c.st == nil {
		return nil
	}
	c.st.mu.Lock()
	var idle []*lockers
	for dir, l := range c.st.lockers {
		delete(c.st.lockers, dir)
		if l.users == 0 {
			idle = append(idle, l)
		} else {
			l.closing = true
		}
	}
	c.st.mu.Unlock()
	for _, l := range idle {
		l.close()
	}
	return nil
}

func noUnlock(bool) {}

// lockAttachment takes the network shared and the container exclusively
// for an ADD, CHECK or DEL, waiting as long as ctx allows. The returned
// function releases both; with removeContainerLock it also deletes the
// container's lock file (after a successful DEL) where locks are files per
// key; with byte-range locks there is no such file and it does nothing
// more.
func (c *CNIConfig) lockAttachment(ctx context.Context, command, cacheDir, network, containerID string) (unlock func(removeContainerLock bool), err error) {
	if c.noSerialize {
		return noUnlock, nil
	}
	if covered, err := heldFrom(ctx).coversAttachment(c, command, cacheDir, network, containerID); covered || err != nil {
		return noUnlock, err
	}
	l := c.lockersFor(cacheDir)
	// Until the locks are handed to the caller, a panicking event hook
	// must not leave them taken.
	var nh, ch *lock.Held
	handed := false
	defer func() {
		if !handed {
			_ = ch.Unlock() // nil-safe: ErrNotHeld
			_ = nh.Unlock()
			l.done()
		}
	}()
	c.reportDegraded(ctx, l, command, network, containerID)
	start := c.stepStart()
	nh, err = l.network.RLock(ctx, network)
	c.lockWaited(ctx, LockNetwork, command, network, containerID, start, err)
	if err != nil {
		return nil, fmt.Errorf("network %q: waiting for the network lock: %w", network, err)
	}
	start = c.stepStart()
	ch, err = l.container.Lock(ctx, containerID)
	c.lockWaited(ctx, LockContainer, command, network, containerID, start, err)
	if err != nil {
		return nil, fmt.Errorf("network %q: waiting for the lock of container %q: %w", network, containerID, err)
	}
	l.refreshNetwork()
	handed = true
	return unlocker(l, nh, ch), nil
}

// lockContainer takes only the container lock; GC uses it for the DELs it
// issues while it already holds the network exclusively.
func (c *CNIConfig) lockContainer(ctx context.Context, command, cacheDir, network, containerID string) (unlock func(removeContainerLock bool), err error) {
	if c.noSerialize {
		return noUnlock, nil
	}
	if err := heldFrom(ctx).conflictsContainer(command, cacheDir, network, containerID); err != nil {
		return nil, err
	}
	l := c.lockersFor(cacheDir)
	var ch *lock.Held
	handed := false
	defer func() {
		if !handed { // a panicking event hook
			_ = ch.Unlock()
			l.done()
		}
	}()
	c.reportDegraded(ctx, l, command, network, containerID)
	start := c.stepStart()
	ch, err = l.container.Lock(ctx, containerID)
	c.lockWaited(ctx, LockContainer, command, network, containerID, start, err)
	if err != nil {
		return nil, fmt.Errorf("network %q: waiting for the lock of container %q: %w", network, containerID, err)
	}
	l.refreshNetwork()
	handed = true
	return unlocker(l, nil, ch), nil
}

// lockNetworkGC takes the network exclusively for a GC.
func (c *CNIConfig) lockNetworkGC(ctx context.Context, cacheDir, network string) (unlock func(), err error) {
	if c.noSerialize {
		return func() {}, nil
	}
	if err := heldFrom(ctx).conflictsNetworkGC(cacheDir, network); err != nil {
		return nil, err
	}
	l := c.lockersFor(cacheDir)
	var nh *lock.Held
	handed := false
	defer func() {
		if !handed { // a panicking event hook
			_ = nh.Unlock()
			l.done()
		}
	}()
	c.reportDegraded(ctx, l, "GC", network, "")
	// GC is no hot path: check the network lock file (see newLockers).
	_, _ = l.network.Refresh()
	start := c.stepStart()
	nh, err = l.network.Lock(ctx, network)
	c.lockWaited(ctx, LockNetworkGC, "GC", network, "", start, err)
	if err != nil {
		return nil, fmt.Errorf("network %q: waiting for the network lock for GC: %w", network, err)
	}
	handed = true
	release := unlocker(l, nh, nil)
	return func() { release(false) }, nil
}

// unlocker returns the function releasing the container lock ch (when not
// nil; with removeContainerLock also its lock file, where there is one)
// and then the network lock nh (when not nil), ending the use of l. Built
// here, from parameters, so that the closure copies them: the callers'
// variables are also seen by their deferred clean-ups and would otherwise
// be moved to the heap.
func unlocker(l *lockers, nh, ch *lock.Held) func(removeContainerLock bool) {
	return func(remove bool) {
		if ch != nil {
			if remove {
				_ = ch.UnlockAndRemove()
			} else {
				_ = ch.Unlock()
			}
		}
		if nh != nil {
			_ = nh.Unlock()
		}
		l.done()
	}
}
