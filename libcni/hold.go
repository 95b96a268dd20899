package libcni

import (
	"context"
	"fmt"
	"slices"

	"github.com/cnirt/cni/pkg/lock"
	"github.com/cnirt/cni/pkg/utils"
)

// heldKey is the context key of the locks taken by HoldContainer.
type heldKey struct{}

// held records the locks one HoldContainer call took, so that operations
// run with its context recognise them as their own.
type held struct {
	st          *state
	cacheDir    string
	containerID string
	networks    []string // sorted
}

// covers reports whether h already holds what an ADD, CHECK or DEL of
// containerID in network through c needs.
func (h *held) covers(c *CNIConfig, cacheDir, network, containerID string) bool {
	if h == nil || c.st == nil || h.st != c.st {
		return false
	}
	if h.cacheDir != cacheDir || h.containerID != containerID {
		return false
	}
	_, found := slices.BinarySearch(h.networks, network)
	return found
}

// HoldContainer takes, once, the locks that ADD, CHECK and DEL of
// containerID in the given networks take (each network shared, then the
// container exclusively, in the same order as a single operation) and
// returns a context that carries them. Operations of c run with that
// context (or one derived from it) on containerID in one of the networks
// do not take the locks again, so a runtime can run the ADDs of one
// container in several networks in parallel while no other operation on
// the container, from this process or another one sharing the cache
// directory, runs in between; operations on other containers or networks,
// or through another CNIConfig, lock as usual.
//
// Call release exactly once, when the operations are over; with
// removeContainerLock it also deletes the container's lock file (after the
// container's last DEL). Only a CNIConfig built by one of the constructors
// can hold locks; for others, and when serialization is off, the returned
// context is ctx and release does nothing. The waits for the locks are
// reported to the event hook as EventLockWait with Command "" (and
// Network "" for the container lock). Running operations on one
// container in parallel is a relaxation of the CNI specification, which
// asks runtimes not to; it is safe for plugins that keep per-attachment
// state (all of the reference plugins), and it is what
// github.com/containerd/go-cni does.
func (c *CNIConfig) HoldContainer(ctx context.Context, containerID string, networks ...string) (context.Context, func(removeContainerLock bool), error) {
	ctx = orBackground(ctx)
	if c.noSerialize || c.st == nil {
		return ctx, noUnlock, nil
	}
	if err := utils.ValidateContainerID(containerID); err != nil {
		return nil, nil, &InvalidRuntimeConfError{Field: "containerID", Err: err}
	}
	names := slices.Clone(networks)
	slices.Sort(names)
	names = slices.Compact(names)
	for _, n := range names {
		if err := utils.ValidateNetworkName(n); err != nil {
			return nil, nil, &InvalidRuntimeConfError{Network: n, Field: "network name", Err: err}
		}
	}
	cacheDir := c.cacheDirFor(nil)
	l, err := c.lockersFor(cacheDir)
	if err != nil {
		return nil, nil, err
	}
	var shared []*lock.Held
	releaseShared := func() {
		for i := len(shared) - 1; i >= 0; i-- {
			_ = shared[i].Unlock()
		}
	}
	for _, n := range names {
		start := c.stepStart()
		h, err := l.network.RLock(ctx, n)
		c.lockWaited(ctx, LockNetwork, "", n, containerID, start, err)
		if err != nil {
			releaseShared()
			return nil, nil, fmt.Errorf("network %q: waiting for the network lock: %w", n, err)
		}
		shared = append(shared, h)
	}
	start := c.stepStart()
	ch, err := l.container.Lock(ctx, containerID)
	c.lockWaited(ctx, LockContainer, "", "", containerID, start, err)
	if err != nil {
		releaseShared()
		return nil, nil, fmt.Errorf("waiting for the lock of container %q: %w", containerID, err)
	}
	h := &held{st: c.st, cacheDir: cacheDir, containerID: containerID, networks: names}
	release := func(remove bool) {
		if remove {
			_ = ch.UnlockAndRemove()
		} else {
			_ = ch.Unlock()
		}
		releaseShared()
	}
	return context.WithValue(ctx, heldKey{}, h), release, nil
}

// heldFrom returns the locks ctx carries, or nil.
func heldFrom(ctx context.Context) *held {
	h, _ := ctx.Value(heldKey{}).(*held)
	return h
}
