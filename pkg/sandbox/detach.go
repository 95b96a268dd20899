package sandbox

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/types"
)

// cached is one cached attachment of a sandbox, with the configuration it
// will be torn down or checked with.
type cached struct {
	att    *libcni.NetworkAttachment
	order  int
	config *libcni.NetworkConfigList // nil when neither cache nor directory has one
	err    error                     // why config is nil
}

// attachOrder returns the attach order recorded by Attach, or, for an
// attachment made otherwise, the number its interface name ends with
// (eth0 -> 0, net2 -> 2); ok is false when neither is known.
func attachOrder(a *libcni.NetworkAttachment) (int, bool) {
	switch v := a.CapabilityArgs[OrderCapability].(type) {
	case float64:
		return int(v), true
	case int:
		return v, true
	}
	if a.IfName == LoopbackIfName {
		return -1, true
	}
	i := len(a.IfName)
	for i > 0 && a.IfName[i-1] >= '0' && a.IfName[i-1] <= '9' {
		i--
	}
	if i < len(a.IfName) {
		if n, err := strconv.Atoi(a.IfName[i:]); err == nil {
			return n, true
		}
	}
	return 0, false
}

// cachedAttachments returns the sandbox's cached attachments in attach
// order, each with its configuration: the one cached at ADD time, or, when
// the cache holds none that loads, the current configuration of the
// network.
func (m *Manager) cachedAttachments(id string) ([]*cached, error) {
	atts, err := m.cni.GetCachedAttachments(id)
	if err != nil {
		return nil, fmt.Errorf("sandbox %q: listing cached attachments: %w", id, err)
	}
	set := m.set.Load()
	var out []*cached
	for _, a := range atts {
		if a.ContainerID != id {
			continue
		}
		c := &cached{att: a}
		var known bool
		c.order, known = attachOrder(a)
		if !known {
			c.order = int(^uint(0) >> 1) // unknown: attached last, detached first
		}
		c.config, c.err = configFromCache(a.Config)
		if c.config == nil || c.config.Name != a.Network {
			if n := findValid(set, a.Network); n != nil {
				c.config, c.err = n.Config, nil
			} else if c.err == nil {
				c.err = fmt.Errorf("cached configuration is of network %q", c.config.Name)
				c.config = nil
			}
		}
		out = append(out, c)
	}
	slices.SortStableFunc(out, func(a, b *cached) int {
		if a.order != b.order {
			return a.order - b.order
		}
		return cmpStrings(a.att.Network+"/"+a.att.IfName, b.att.Network+"/"+b.att.IfName)
	})
	return out, nil
}

func cmpStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// findValid returns the valid network called name of set, selected or
// not.
func findValid(set *NetworkSet, name string) *Network {
	if n := set.Network(name); n != nil {
		return n
	}
	for _, n := range set.Valid {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// configFromCache loads the configuration bytes a cache entry holds: a
// configuration list, or a single plugin configuration.
func configFromCache(data []byte) (*libcni.NetworkConfigList, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("the cache entry holds no configuration")
	}
	list, err := libcni.ConfListFromBytes(data)
	if err == nil && len(list.Plugins) > 0 {
		return list, nil
	}
	if l, serr := singleToList(data); serr == nil {
		return l, nil
	}
	if err == nil {
		err = fmt.Errorf("the cached configuration has no plugins")
	}
	return nil, fmt.Errorf("loading the cached configuration: %w", err)
}

// runtimeConf rebuilds the RuntimeConf of a cached attachment.
func (c *cached) runtimeConf(netns string) *libcni.RuntimeConf {
	rt := &libcni.RuntimeConf{
		ContainerID:    c.att.ContainerID,
		NetNS:          c.att.NetNS,
		IfName:         c.att.IfName,
		Args:           c.att.CniArgs,
		CapabilityArgs: c.att.CapabilityArgs,
	}
	if netns != "" {
		rt.NetNS = netns
	}
	return rt
}

func networkNames(cs []*cached) []string {
	names := make([]string, 0, len(cs))
	for _, c := range cs {
		names = append(names, c.att.Network)
	}
	return names
}

// onCached runs op for every cached attachment of the sandbox, in attach
// order or in reverse, holding the sandbox's locks, and collects the
// failures into a *SandboxError. With kept, failed attachments are marked
// as kept in the cache. The container lock file is removed when every op
// succeeded and removeLock is set.
func (m *Manager) onCached(ctx context.Context, sb Sandbox, name, verb string, reverse, kept, removeLock bool,
	op func(ctx context.Context, list *libcni.NetworkConfigList, rt *libcni.RuntimeConf) error) error {
	cs, err := m.cachedAttachments(sb.ID)
	if err != nil {
		return err
	}
	if len(cs) == 0 {
		return nil
	}
	ctx = libcni.ContextWithSandboxID(ctx, sb.ID)
	hctx, release, err := m.cni.HoldContainer(ctx, sb.ID, networkNames(cs)...)
	if err != nil {
		return fmt.Errorf("sandbox %q: %w", sb.ID, err)
	}
	if reverse {
		slices.Reverse(cs)
	}
	var failed *SandboxError
	for _, c := range cs {
		err := c.err
		if err == nil {
			err = op(hctx, c.config, c.runtimeConf(sb.NetNS))
		}
		if err != nil {
			if failed == nil {
				failed = &SandboxError{Sandbox: sb.ID, Op: name}
			}
			ne := newNetworkError(c.att.Network, c.att.IfName, verb, err)
			ne.Kept = kept
			failed.Failures = append(failed.Failures, ne)
		}
	}
	release(removeLock && failed == nil)
	if failed != nil {
		return failed
	}
	return nil
}

// Detach removes the sandbox from every network the cache says it is
// attached to, in reverse attach order, each with the configuration,
// CNI_ARGS and capability arguments cached at attach time, so a network
// whose file has since changed or gone is torn down as it was set up. A
// network that fails (a plugin missing now, say) keeps its cache entry for
// a later retry and does not stop the others; Detach then returns a
// *SandboxError naming each such network, and, for a missing plugin, which
// one. A sandbox with nothing cached detaches successfully, whatever is
// configured. sb.NetNS, when set, replaces the cached namespace path.
func (m *Manager) Detach(ctx context.Context, sb Sandbox) error {
	return m.onCached(ctx, sb, "detach", OpDel, true, true, true, m.cni.DelNetworkList)
}

// Check runs CHECK for every cached attachment of the sandbox, in attach
// order, with the configuration cached at attach time. It returns a
// *SandboxError naming each network that failed.
func (m *Manager) Check(ctx context.Context, sb Sandbox) error {
	return m.onCached(ctx, sb, "check", OpCheck, false, false, false, m.cni.CheckNetworkList)
}

// NetworkStatus is the STATUS of one network.
type NetworkStatus struct {
	// Network is the network's name.
	Network string
	// Err is nil when every plugin of the network is ready; otherwise a
	// *NetworkError reaching the plugin's *types.Error.
	Err error
}

// status runs STATUS for the networks of set, in parallel.
func (m *Manager) status(ctx context.Context, set *NetworkSet) []*NetworkError {
	out := make([]*NetworkError, len(set.Networks))
	var wg sync.WaitGroup
	for i, n := range set.Networks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = &NetworkError{Network: n.Name, Op: OpStatus}
			if err := m.cni.GetStatusNetworkList(ctx, n.Config); err != nil {
				out[i] = newNetworkError(n.Name, "", OpStatus, err)
			}
		}()
	}
	wg.Wait()
	return out
}

// Status runs STATUS for every selected network, in parallel, and
// returns the outcome per network in attach order.
func (m *Manager) Status(ctx context.Context) []NetworkStatus {
	sts := m.status(ctx, m.set.Load())
	out := make([]NetworkStatus, len(sts))
	for i, s := range sts {
		out[i].Network = s.Network
		if s.Err != nil {
			out[i].Err = s
		}
	}
	return out
}

// GC garbage-collects every network: the valid networks of the directory
// (selected or not) with libcni's GCNetworkList, which DELs the cached
// attachments of sandboxes not in live and runs the plugins' GC, and the
// networks that are no longer configured but still have cached
// attachments, whose stale attachments are DELeted with their cached
// configurations. It returns a *SandboxError (Sandbox "") naming each
// network that failed.
func (m *Manager) GC(ctx context.Context, live []string) error {
	set := m.set.Load()
	liveSet := map[string]bool{}
	for _, id := range live {
		liveSet[id] = true
	}
	all, err := m.cni.GetCachedAttachments("")
	if err != nil {
		return fmt.Errorf("gc: listing cached attachments: %w", err)
	}
	var valid []types.GCAttachment
	for _, a := range all {
		if liveSet[a.ContainerID] {
			valid = append(valid, types.GCAttachment{ContainerID: a.ContainerID, IfName: a.IfName})
		}
	}
	var failed *SandboxError
	fail := func(ne *NetworkError) {
		if failed == nil {
			failed = &SandboxError{Op: "gc"}
		}
		failed.Failures = append(failed.Failures, ne)
	}
	configured := map[string]bool{}
	nets := append([]*Network(nil), set.Valid...)
	if m.opts.loopback && len(set.Networks) > 0 && set.Networks[0].Loopback {
		nets = append(nets, set.Networks[0])
	}
	for _, n := range nets {
		configured[n.Name] = true
		if err := m.cni.GCNetworkList(ctx, n.Config, &libcni.GCArgs{ValidAttachments: valid}); err != nil {
			fail(newNetworkError(n.Name, "", OpGC, err))
		}
	}
	for _, a := range all {
		if configured[a.Network] || liveSet[a.ContainerID] {
			continue
		}
		c := &cached{att: a}
		c.config, c.err = configFromCache(a.Config)
		err := c.err
		if err == nil {
			err = m.cni.DelNetworkList(libcni.ContextWithSandboxID(ctx, a.ContainerID), c.config, c.runtimeConf(""))
		}
		if err != nil {
			ne := newNetworkError(a.Network, a.IfName, OpDel, fmt.Errorf("sandbox %q: %w", a.ContainerID, err))
			ne.Kept = true
			fail(ne)
		}
	}
	if failed != nil {
		return failed
	}
	return nil
}
