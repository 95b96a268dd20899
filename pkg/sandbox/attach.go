package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"syscall"

	"github.com/cnirt/cni/invoke"
	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/types"
	types100 "github.com/cnirt/cni/types/100"
)

// Sandbox identifies a sandbox: its ID (CNI_CONTAINERID) and the path of
// its network namespace (CNI_NETNS).
type Sandbox struct {
	// ID is the sandbox's ID.
	ID string
	// NetNS is the path of its network namespace. Detach and Check use
	// the path cached at attach time when it is empty.
	NetNS string
}

// Attachment is the outcome of one network of an Attach.
type Attachment struct {
	// Network is the network's name.
	Network string
	// IfName is the interface in the sandbox.
	IfName string
	// Order is the attachment's position in the attach order.
	Order int
	// Result is the network's result, in the network's version.
	Result types.Result
}

// IPConfig is one address of an interface.
type IPConfig struct {
	// Address is the address with its prefix length.
	Address net.IPNet
	// Gateway is the default gateway for the address, if any.
	Gateway net.IP
}

// Interface is one interface of the sandbox.
type Interface struct {
	// Network is the network that set it up.
	Network string
	// Name is the interface name.
	Name string
	// MAC is its hardware address, "" when the plugins did not report it.
	MAC string
	// Sandbox is the namespace path the plugins reported.
	Sandbox string
	// IPs are its addresses.
	IPs []IPConfig
}

// Result is the aggregated outcome of an Attach.
type Result struct {
	// Sandbox is the sandbox's ID.
	Sandbox string
	// Attachments are the networks' results, in attach order.
	Attachments []*Attachment
	// Interfaces are the sandbox's interfaces by name.
	Interfaces map[string]*Interface
	// Generation is that of the NetworkSet the Attach used.
	Generation uint64
}

// PrimaryIP returns the sandbox's primary address: the first IPv4
// address of the first non-loopback network that has one, else its first
// IPv6 address; nil when no network gave an address.
func (r *Result) PrimaryIP() net.IP {
	for _, a := range r.Attachments {
		iface := r.Interfaces[a.IfName]
		if iface == nil || len(iface.IPs) == 0 || a.IfName == LoopbackIfName {
			continue
		}
		for _, ip := range iface.IPs {
			if ip.Address.IP.To4() != nil {
				return ip.Address.IP
			}
		}
		return iface.IPs[0].Address.IP
	}
	return nil
}

// ErrAlreadyAttached is returned (wrapped) by Attach when the cache
// already holds attachments of the sandbox.
var ErrAlreadyAttached = errors.New("sandbox is already attached")

// Attach adds the sandbox to every selected network, in parallel (up to
// WithParallelism at once), with the capability arguments and CNI_ARGS of
// opts, and returns the aggregated result. It uses the set of networks
// that is current when it starts, whatever reloads happen meanwhile.
//
// When any network fails, every network whose ADD succeeded, and every
// network that failed, is DELeted again (rollback), and Attach returns a
// *SandboxError naming each failed network and why. Without selected
// networks it returns a *NotReadyError, and for a sandbox the cache (or
// the record of an interrupted Attach) says is attached already an error
// wrapping ErrAlreadyAttached. None of these runs a plugin, and neither
// does an Attach whose cache cannot be listed, nor one that cannot record
// itself before its plugins run (see IntentDirName), nor one whose
// sb.NetNS is refused (*InvalidNetNSError: on Linux, a path that is
// empty, relative or not a network namespace). An Attach that starts
// while a GC of the Manager runs waits for it (see GC).
func (m *Manager) Attach(ctx context.Context, sb Sandbox, opts ...AttachOption) (*Result, error) {
	if bad := validateNetNS(sb.ID, "attach", "", sb.NetNS, netnsLive); bad != nil {
		return nil, bad
	}
	m.gcMu.RLock()
	defer m.gcMu.RUnlock()
	set := m.set.Load()
	if nr := m.notReady(set); nr != nil {
		return nil, nr
	}
	var ao attachOptions
	for _, o := range opts {
		if o != nil {
			o(&ao)
		}
	}
	names := make([]string, len(set.Networks))
	for i, n := range set.Networks {
		names[i] = n.Name
	}
	ctx = libcni.ContextWithSandboxID(ctx, sb.ID)
	hctx, release, err := m.cni.HoldContainer(ctx, sb.ID, names...)
	if err != nil {
		return nil, fmt.Errorf("sandbox %q: %w", sb.ID, err)
	}

	// The CNI specification forbids a second ADD without a DEL; the
	// check runs under the sandbox's locks, so it cannot race another
	// Attach or Detach of the sandbox.
	atts, err := m.cni.GetCachedAttachments(sb.ID)
	if err != nil {
		release(false)
		return nil, fmt.Errorf("sandbox %q: listing cached attachments: %w", sb.ID, err)
	}
	if len(atts) > 0 {
		release(false)
		nets := make([]string, 0, len(atts))
		for _, a := range atts {
			nets = append(nets, a.Network+"/"+a.IfName)
		}
		return nil, fmt.Errorf("sandbox %q: %w (cached: %s); Detach it first", sb.ID, ErrAlreadyAttached, strings.Join(nets, ", "))
	}
	if in, err := m.readIntent(sb.ID); in != nil || err != nil {
		release(false)
		if err != nil {
			return nil, fmt.Errorf("sandbox %q: reading its attach record: %w", sb.ID, err)
		}
		return nil, fmt.Errorf("sandbox %q: %w (an interrupted attach is recorded in %s); Detach it first", sb.ID, ErrAlreadyAttached, m.intentPath(sb.ID))
	}

	results := make([]types.Result, len(set.Networks))
	errs := make([]error, len(set.Networks))
	rts := make([]*libcni.RuntimeConf, len(set.Networks))
	sem := make(chan struct{}, m.opts.parallelism)
	var wg sync.WaitGroup
	for i, n := range set.Networks {
		caps, args := ao.forNetwork(n.Name, i)
		rts[i] = &libcni.RuntimeConf{ContainerID: sb.ID, NetNS: sb.NetNS, IfName: n.IfName, Args: args, CapabilityArgs: caps}
	}
	// Recorded before any plugin runs, so that Detach or GC can undo what
	// the plugins set up if this process dies before the results are
	// cached; an Attach that cannot record it runs no plugin.
	if err := m.writeIntent(sb, set, rts); err != nil {
		release(false)
		return nil, fmt.Errorf("sandbox %q: recording the attach before running any plugin: %w", sb.ID, err)
	}
	for i, n := range set.Networks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-hctx.Done():
				errs[i] = hctx.Err()
				return
			}
			defer func() { <-sem }()
			results[i], errs[i] = m.cni.AddNetworkList(hctx, n.Config, rts[i])
		}()
	}
	wg.Wait()

	var failed *SandboxError
	for i, err := range errs {
		if err != nil {
			if failed == nil {
				failed = &SandboxError{Sandbox: sb.ID, Op: "attach"}
			}
			failed.Failures = append(failed.Failures, newNetworkError(set.Networks[i].Name, rts[i].IfName, OpAdd, err))
		}
	}
	if failed != nil {
		if m.rollback(hctx, set, rts, errs, failed) {
			_ = m.removeIntent(sb.ID)
		}
		release(true)
		return nil, failed
	}
	// The results are cached now; a record that cannot be removed only
	// makes a later Attach of the same ID wait for a Detach.
	_ = m.removeIntent(sb.ID)
	release(false)

	res := &Result{Sandbox: sb.ID, Interfaces: map[string]*Interface{}, Generation: set.Generation}
	for i, n := range set.Networks {
		res.Attachments = append(res.Attachments, &Attachment{Network: n.Name, IfName: rts[i].IfName, Order: i, Result: results[i]})
		if iface := sandboxInterface(n.Name, rts[i].IfName, results[i]); iface != nil {
			res.Interfaces[iface.Name] = iface
		}
	}
	return res, nil
}

// rollback DELs, in reverse order, every network of a failed Attach: the
// ones that succeeded, and the failed ones, whose plugins may have set up
// part of the attachment. Failed DELs of the networks that had succeeded
// are recorded in failed.Rollback; those of failed networks are ignored
// (the ADD error already stands for them). It reports whether every DEL
// succeeded.
func (m *Manager) rollback(ctx context.Context, set *NetworkSet, rts []*libcni.RuntimeConf, addErrs []error, failed *SandboxError) bool {
	ok := true
	ctx = context.WithoutCancel(ctx)
	ctx, cancel := context.WithTimeout(ctx, m.opts.cleanupTimeout)
	defer cancel()
	for i := len(set.Networks) - 1; i >= 0; i-- {
		n := set.Networks[i]
		err := m.cni.DelNetworkList(ctx, n.Config, rts[i])
		ok = ok && (err == nil || nothingRan(addErrs[i]))
		if addErrs[i] != nil {
			continue
		}
		if err != nil {
			ne := newNetworkError(n.Name, rts[i].IfName, OpRollback, err)
			ne.Kept = true
			failed.Rollback = append(failed.Rollback, ne)
			continue
		}
		failed.RolledBack = append(failed.RolledBack, n.Name)
	}
	return ok
}

// nothingRan reports whether a failed ADD ran no plugin at all: the
// chain's first plugin was not found, or could not be started because
// its executable was being written (ETXTBSY).
func nothingRan(addErr error) bool {
	var pe *libcni.PluginError
	var nf *invoke.NotFoundError
	return errors.As(addErr, &pe) && pe.Index == 0 && (errors.As(addErr, &nf) || errors.Is(addErr, syscall.ETXTBSY))
}

// sandboxInterface extracts the sandbox interface ifName from a result,
// with the addresses assigned to it (or, when the result names no
// interfaces, all its addresses).
func sandboxInterface(network, ifName string, r types.Result) *Interface {
	if r == nil {
		return nil
	}
	res, err := types100.NewResultFromResult(r)
	if err != nil {
		return nil
	}
	iface := &Interface{Network: network, Name: ifName}
	idx := -1
	for i, in := range res.Interfaces {
		if in != nil && in.Name == ifName && (in.Sandbox != "" || idx < 0) {
			idx = i
			iface.MAC = in.Mac
			iface.Sandbox = in.Sandbox
		}
	}
	for _, ip := range res.IPs {
		if ip == nil {
			continue
		}
		if idx >= 0 && ip.Interface != nil && *ip.Interface != idx {
			continue
		}
		if idx >= 0 && ip.Interface == nil && len(res.Interfaces) > 1 {
			continue
		}
		iface.IPs = append(iface.IPs, IPConfig{Address: ip.Address, Gateway: ip.Gateway})
	}
	return iface
}
