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
// CNIConfig and cache directory, where the OS has them; see pkg/lock), so
// they serialize across processes sharing the cache directory, and between
// CNIConfig values of one process. Per operation no lock file is created,
// opened or removed: taking and releasing each key is one system call.

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
	temporary bool // made for one operation: closed by done
}

// done closes temporary lockers (those of a CNIConfig without state) once
// the operation has released its locks.
func (l *lockers) done() {
	if l.temporary {
		_ = l.network.Close()
		_ = l.container.Close()
	}
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
		return l, nil
	}
	l, err := newLockers(cacheDir)
	if err != nil {
		return nil, err
	}
	c.st.lockers[cacheDir] = l
	return l, nil
}

func noUnlock(bool) {}

// lockAttachment takes the network shared and the container exclusively
// for an ADD, CHECK or DEL, waiting as long as ctx allows. The returned
// function releases both; with removeContainerLock it also deletes the
// container's lock file (after a successful DEL).
func (c *CNIConfig) lockAttachment(ctx context.Context, command, cacheDir, network, containerID string) (unlock func(removeContainerLock bool), err error) {
	if c.noSerialize || heldFrom(ctx).covers(c, cacheDir, network, containerID) {
		return noUnlock, nil
	}
	l, err := c.lockersFor(cacheDir)
	if err != nil {
		return nil, err
	}
	start := c.stepStart()
	nh, err := l.network.RLock(ctx, network)
	c.lockWaited(ctx, LockNetwork, command, network, containerID, start, err)
	if err != nil {
		l.done()
		return nil, fmt.Errorf("network %q: waiting for the network lock: %w", network, err)
	}
	start = c.stepStart()
	ch, err := l.container.Lock(ctx, containerID)
	c.lockWaited(ctx, LockContainer, command, network, containerID, start, err)
	if err != nil {
		_ = nh.Unlock()
		l.done()
		return nil, fmt.Errorf("network %q: waiting for the lock of container %q: %w", network, containerID, err)
	}
	return func(remove bool) {
		if remove {
			_ = ch.UnlockAndRemove()
		} else {
			_ = ch.Unlock()
		}
		_ = nh.Unlock()
		l.done()
	}, nil
}

// lockContainer takes only the container lock; GC uses it for the DELs it
// issues while it already holds the network exclusively.
func (c *CNIConfig) lockContainer(ctx context.Context, command, cacheDir, network, containerID string) (unlock func(removeContainerLock bool), err error) {
	if c.noSerialize {
		return noUnlock, nil
	}
	l, err := c.lockersFor(cacheDir)
	if err != nil {
		return nil, err
	}
	start := c.stepStart()
	ch, err := l.container.Lock(ctx, containerID)
	c.lockWaited(ctx, LockContainer, command, network, containerID, start, err)
	if err != nil {
		l.done()
		return nil, fmt.Errorf("network %q: waiting for the lock of container %q: %w", network, containerID, err)
	}
	return func(remove bool) {
		if remove {
			_ = ch.UnlockAndRemove()
		} else {
			_ = ch.Unlock()
		}
		l.done()
	}, nil
}

// lockNetworkGC takes the network exclusively for a GC.
func (c *CNIConfig) lockNetworkGC(ctx context.Context, cacheDir, network string) (unlock func(), err error) {
	if c.noSerialize {
		return func() {}, nil
	}
	l, err := c.lockersFor(cacheDir)
	if err != nil {
		return nil, err
	}
	start := c.stepStart()
	nh, err := l.network.Lock(ctx, network)
	c.lockWaited(ctx, LockNetworkGC, "GC", network, "", start, err)
	if err != nil {
		l.done()
		return nil, fmt.Errorf("network %q: waiting for the network lock for GC: %w", network, err)
	}
	return func() {
		_ = nh.Unlock()
		l.done()
	}, nil
}
