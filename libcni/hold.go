package libcni

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

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
	released    atomic.Bool
}

// active reports whether h is a hold whose locks are still taken.
func (h *held) active() bool { return h != nil && !h.released.Load() }

// holds reports whether network is one of the hold's networks.
func (h *held) holds(network string) bool {
	_, found := slices.BinarySearch(h.networks, network)
	return found
}

// coversAttachment decides how an ADD, CHECK or DEL of containerID in
// network through c, run with a context carrying h, locks: covered means
// h already holds what it needs, so it takes nothing; an error means it
// needs a lock h holds without covering the operation, which would wait
// for itself; otherwise it locks as usual.
func (h *held) coversAttachment(c *CNIConfig, command, cacheDir, network, containerID string) (covered bool, err error) {
	if !h.active() || h.cacheDir != cacheDir || h.containerID != containerID {
		return false, nil
	}
	if c.st != nil && h.st == c.st && h.holds(network) {
		return true, nil
	}
	return false, h.conflict(command, network, containerID)
}

// conflictsContainer returns the error for taking containerID's lock in
// cacheDir (as GC's DELs do) with a context carrying the active hold h of
// that container.
func (h *held) conflictsContainer(command, cacheDir, network, containerID string) error {
	if !h.active() || h.cacheDir != cacheDir || h.containerID != containerID {
		return nil
	}
	return h.conflict(command, network, containerID)
}

// conflictsNetworkGC returns the error for taking network exclusively in
// cacheDir for GC with a context carrying the active hold h, which holds
// the network shared.
func (h *held) conflictsNetworkGC(cacheDir, network string) error {
	if !h.active() || h.cacheDir != cacheDir || !h.holds(network) {
		return nil
	}
	return h.conflict("GC", network, "")
}

func (h *held) conflict(command, network, containerID string) *HoldConflictError {
	return &HoldConflictError{
		Command:     command,
		Network:     network,
		ContainerID: containerID,
		Held:        HeldLocks{ContainerID: h.containerID, Networks: slices.Clone(h.networks)},
	}
}

// HeldLocks names what one [CNIConfig.HoldContainer] call holds.
type HeldLocks struct {
	// ContainerID is the container held exclusively.
	ContainerID string
	// Networks are the networks held shared, sorted.
	Networks []string
}

// HoldConflictError is returned, before the operation takes any lock or
// runs any plugin, by an operation run with a context from
// [CNIConfig.HoldContainer]
// (or one derived from it) that needs a lock the hold has taken but does
// not cover: an ADD, CHECK or DEL of the held container in a network the
// hold does not name, or through another CNIConfig; a GC of a held
// network; the DEL of the held container that a GC issues; or another
// HoldContainer of the held container. Since the
// locks are not reentrant, such an operation would otherwise wait for its
// own hold until ctx ends. For the DEL of a stale attachment that a GC
// issues, the GC has already taken its network's lock and may have run
// other DELs; it goes on with the rest and returns this error among
// the others. Run such operations after release, or with a context that
// does not carry the hold.
type HoldConflictError struct {
	// Command is "ADD", "CHECK", "DEL", "GC" or "HoldContainer" (a nested
	// hold of the held container).
	Command string
	// Network is the operation's network; "" for a nested hold.
	Network string
	// ContainerID is the operation's container; "" for GC itself.
	ContainerID string
	// Held is what the context's hold holds.
	Held HeldLocks
}

// Error names the operation and the hold it conflicts with.
func (e *HoldConflictError) Error() string {
	var what string
	switch {
	case e.ContainerID != "" && e.Network != "":
		what = fmt.Sprintf("%s of container %q in network %q", e.Command, e.ContainerID, e.Network)
	case e.ContainerID != "":
		what = fmt.Sprintf("%s of container %q", e.Command, e.ContainerID)
	default:
		what = fmt.Sprintf("%s of network %q", e.Command, e.Network)
	}
	return fmt.Sprintf("%s: the context holds container %q in networks %q through HoldContainer, which does not cover it; waiting for the hold's own locks would never end",
		what, e.Held.ContainerID, e.Held.Networks)
}

// HoldContainer takes, once, the locks that ADD, CHECK and DEL of
// containerID in the given networks take (each network shared, then the
// container exclusively, in the same order as a single operation) and
// returns a context that carries them. Operations of c run with that
// context (or one derived from it) on containerID in one of the networks
// do not take the locks again, so a runtime can run the ADDs of one
// container in several networks in parallel while no other operation on
// the container, from this process or another one sharing the cache
// directory, runs in between; operations on other containers lock as
// usual. An operation with the context that would need a lock the hold
// has but does not cover (the container in another network, or through
// another CNIConfig; GC of a held network) fails at once with a
// [*HoldConflictError] instead of waiting for itself.
//
// Call release when the operations are over; later calls of release do
// nothing, and operations run with the context after release lock as
// usual. removeContainerLock is kept for symmetry with a single DEL: with
// lock files per key (systems without byte-range locks, see pkg/lock) it
// also deletes the container's lock file, after the container's last DEL;
// with byte-range locks there is no such file. Only a CNIConfig built by
// one of the constructors can hold locks; for others, and when
// serialization is off, the returned context is ctx and release does
// nothing. The waits for the locks are reported to the event hook as
// EventLockWait with Command "" (and Network "" for the container lock).
// Running operations on one container in parallel is a relaxation of the
// CNI specification, which asks runtimes not to; it is safe for plugins
// that keep per-attachment state (all of the reference plugins), and it is
// what github.com/containerd/go-cni does.
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
	if prev := heldFrom(ctx); prev.active() && prev.cacheDir == cacheDir && prev.containerID == containerID {
		// Nested holds of one container would wait for each other.
		return nil, nil, prev.conflict("HoldContainer", "", containerID)
	}
	l := c.lockersFor(cacheDir)
	var (
		shared []*lock.Held
		ch     *lock.Held
		handed bool
	)
	releaseShared := func() {
		for i := len(shared) - 1; i >= 0; i-- {
			_ = shared[i].Unlock()
		}
	}
	defer func() {
		// On failure, and when an event hook panics, nothing stays taken.
		if !handed {
			_ = ch.Unlock()
			releaseShared()
			l.done()
		}
	}()
	c.reportDegraded(ctx, l, "", "", containerID)
	for _, n := range names {
		start := c.stepStart()
		h, err := l.network.RLock(ctx, n)
		if err == nil {
			shared = append(shared, h)
		}
		c.lockWaited(ctx, LockNetwork, "", n, containerID, start, err)
		if err != nil {
			return nil, nil, fmt.Errorf("network %q: waiting for the network lock: %w", n, err)
		}
	}
	start := c.stepStart()
	ch, err := l.container.Lock(ctx, containerID)
	c.lockWaited(ctx, LockContainer, "", "", containerID, start, err)
	if err != nil {
		return nil, nil, fmt.Errorf("waiting for the lock of container %q: %w", containerID, err)
	}
	l.refreshNetwork()
	handed = true
	h := &held{st: c.st, cacheDir: cacheDir, containerID: containerID, networks: names}
	var once sync.Once
	release := func(remove bool) {
		once.Do(func() {
			h.released.Store(true)
			if remove {
				_ = ch.UnlockAndRemove()
			} else {
				_ = ch.Unlock()
			}
			releaseShared()
			l.done()
		})
	}
	return context.WithValue(ctx, heldKey{}, h), release, nil
}

// heldFrom returns the locks ctx carries, or nil.
func heldFrom(ctx context.Context) *held {
	h, _ := ctx.Value(heldKey{}).(*held)
	return h
}
