package libcni

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"

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
	temporary bool   // made for one operation: closed by done
	st        *state // owner of a kept set; nil when temporary
	users     int    // operations and holds using a kept set; guarded by st.mu
	closing   bool   // CNIConfig.Close ran while in use; guarded by st.mu
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

func newLockers(cacheDir string) (*lockers, error) {
	base := filepath.Join(cacheDir, locksDir)
	n, err := lock.New(filepath.Join(base, networkLocksDir))
	if err != nil {
		return nil, fmt.Errorf("setting up network locks: %w", err)
	}
	ct, err := lock.New(filepath.Join(base, containerLocksDir))
	if err != nil {
		_ = n.Close()
		return nil, fmt.Errorf("setting up container locks: %w", err)
	}
	return &lockers{network: n, container: ct}, nil
}

// lockersFor returns the lockers of cacheDir for one use, which the caller
// ends with done. A CNIConfig built by a constructor keeps them (with one
// open descriptor per namespace) until Close; one without state makes
// temporary ones.
func (c *CNIConfig) lockersFor(cacheDir string) (*lockers, error) {
	if c.st == nil {
		l, err := newLockers(cacheDir)
		if err == nil {
			l.temporary = true
		}
		return l, err
	}
	c.st.mu.Lock()
	defer c.st.mu.Unlock()
	if l, ok := c.st.lockers[cacheDir]; ok {
		l.users++
		return l, nil
	}
	l, err := newLockers(cacheDir)
	if err != nil {
		return nil, err
	}
	l.st = c.st
	l.users = 1
	c.st.lockers[cacheDir] = l
	return l, nil
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
	l, err := c.lockersFor(cacheDir)
	if err != nil {
		return nil, err
	}
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
	l, err := c.lockersFor(cacheDir)
	if err != nil {
		return nil, err
	}
	var ch *lock.Held
	handed := false
	defer func() {
		if !handed { // a panicking event hook
			_ = ch.Unlock()
			l.done()
		}
	}()
	start := c.stepStart()
	ch, err = l.container.Lock(ctx, containerID)
	c.lockWaited(ctx, LockContainer, command, network, containerID, start, err)
	if err != nil {
		return nil, fmt.Errorf("network %q: waiting for the lock of container %q: %w", network, containerID, err)
	}
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
	l, err := c.lockersFor(cacheDir)
	if err != nil {
		return nil, err
	}
	var nh *lock.Held
	handed := false
	defer func() {
		if !handed { // a panicking event hook
			_ = nh.Unlock()
			l.done()
		}
	}()
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
