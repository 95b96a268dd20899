package sandbox

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/pkg/utils"
	"github.com/cnirt/cni/types"
)

// cached is one cached attachment of a sandbox, with the configuration it
// will be torn down or checked with.
type cached struct {
	att    *libcni.NetworkAttachment
	order  int
	config *libcni.NetworkConfigList // nil when neither cache nor directory has one
	err    error                     // why config is nil
	// damaged is set for an entry that exists but cannot be read (see
	// damagedAttachments); uncached for an attachment the cache does not
	// have at all (see uncachedAttachments).
	damaged, uncached bool
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

// newCached describes the cached attachment a with its attach order and
// the configuration cached at ADD time; with set non-nil, the current
// configuration of the network stands in when the cache holds none that
// loads.
func newCached(a *libcni.NetworkAttachment, set *NetworkSet) *cached {
	c := &cached{att: a}
	var known bool
	c.order, known = attachOrder(a)
	if !known {
		c.order = math.MaxInt // unknown: attached last, detached first
	}
	c.config, c.err = configFromCache(a.Config)
	if set != nil && (c.config == nil || c.config.Name != a.Network) {
		if n := findValid(set, a.Network); n != nil {
			c.config, c.err = n.Config, nil
		} else if c.err == nil {
			c.err = fmt.Errorf("cached configuration is of network %q", c.config.Name)
			c.config = nil
		}
	}
	return c
}

// sortAttachOrder sorts cs by attach order (ties, which Attach does not
// make, by network and interface name).
func sortAttachOrder(cs []*cached) {
	slices.SortStableFunc(cs, func(a, b *cached) int {
		return cmp.Or(cmp.Compare(a.order, b.order),
			cmp.Compare(a.att.Network, b.att.Network),
			cmp.Compare(a.att.IfName, b.att.IfName))
	})
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
		out = append(out, newCached(a, set))
	}
	out = append(out, m.damagedAttachments(id, set, out)...)
	sortAttachOrder(out)
	return out, nil
}

// damagedAttachments returns the sandbox's cache entries that exist but
// cannot be read, such as an entry left empty by a crash or a file system
// that lost its data (cni#1055, containerd#9825). libcni's listing skips
// them, as the reference's does, so without this Detach would run no DEL
// for their networks and leak what the plugins set up. Each one found is
// a network of the current configuration at an interface name this
// Manager could have given it; it is torn down with that configuration,
// and its DEL, having no readable previous result, runs without one and
// removes the entry. listed are the attachments the listing already gave.
func (m *Manager) damagedAttachments(id string, set *NetworkSet, listed []*cached) []*cached {
	if set == nil {
		return nil
	}
	seen := map[[2]string]bool{}
	for _, c := range listed {
		seen[[2]string{c.att.Network, c.att.IfName}] = true
	}
	var out []*cached
	for _, n := range m.candidateNetworks(set) {
		for _, ifName := range m.candidateIfNames(set, n) {
			key := [2]string{n.Name, ifName}
			if seen[key] {
				continue
			}
			seen[key] = true
			if !m.cni.HasCacheEntry(n.Name, &libcni.RuntimeConf{ContainerID: id, IfName: ifName}) {
				continue
			}
			out = append(out, damagedCached(id, n, ifName))
		}
	}
	return out
}

// uncachedAttachments returns, for a sandbox the cache knows nothing of,
// the attachments Attach would make now with the current configuration
// (see WithUncachedDetach), in attach order; none when the sandbox has an
// attach record (Detach undoes that record's networks).
func (m *Manager) uncachedAttachments(id string) []*cached {
	if m.hasIntent(id) {
		return nil
	}
	set := m.set.Load()
	if set == nil {
		return nil
	}
	var out []*cached
	for i, n := range set.Networks {
		att := &libcni.NetworkAttachment{ContainerID: id, Network: n.Name, IfName: n.IfName}
		out = append(out, &cached{att: att, config: n.Config, order: i, uncached: true})
	}
	return out
}

// damagedCached describes the unreadable cache entry of sandbox id in
// network n at ifName, to be torn down with n's current configuration.
func damagedCached(id string, n *Network, ifName string) *cached {
	att := &libcni.NetworkAttachment{ContainerID: id, Network: n.Name, IfName: ifName}
	c := &cached{att: att, config: n.Config, damaged: true}
	var known bool
	if c.order, known = attachOrder(att); !known {
		c.order = math.MaxInt
	}
	return c
}

// delDamaged DELs the damaged entry c found by GC, holding the sandbox's
// lock for the network, unless the entry has gone since GC listed the
// cache (a Detach removed it). byGC holds the files this GC's DELs have
// removed: every split of such a file (see damagedOwners) is DELeted,
// since which one made it cannot be told.
func (m *Manager) delDamaged(ctx context.Context, c *cached, byGC map[string]bool) error {
	id := c.att.ContainerID
	file := c.att.Network + "-" + id + "-" + c.att.IfName
	hctx, release, err := m.cni.HoldContainer(libcni.ContextWithSandboxID(ctx, id), id, c.att.Network)
	if err != nil {
		return err
	}
	defer release(false)
	if !byGC[file] && !m.cni.HasCacheEntry(c.att.Network, &libcni.RuntimeConf{ContainerID: id, IfName: c.att.IfName}) {
		return nil
	}
	err = m.cni.DelNetworkList(hctx, c.config, c.runtimeConf(""))
	if err == nil {
		byGC[file] = true
	}
	return err
}

// damagedOwners returns every attachment whose unreadable cache entry the
// file name could be: a file is named "<network>-<sandbox>-<ifName>", and
// all three may contain '-', so a name is split at each network of the
// current configuration it starts with and each interface name that
// network could have been given (see candidateIfNames). A name that
// splits two ways gives two owners: the caller leaves the file alone when
// either could be a live sandbox's, and otherwise DELs every owner (a DEL
// for an attachment that does not exist is harmless; see delDamaged). Splits
// whose sandbox ID libcni would refuse are left out: no ADD can have made
// them.
func (m *Manager) damagedOwners(set *NetworkSet, name string) []*cached {
	var out []*cached
	for _, n := range m.candidateNetworks(set) {
		rest, ok := strings.CutPrefix(name, n.Name+"-")
		if !ok {
			continue
		}
		for _, ifName := range m.candidateIfNames(set, n) {
			id, ok := strings.CutSuffix(rest, "-"+ifName)
			if !ok || utils.ValidateContainerID(id) != nil {
				continue
			}
			out = append(out, damagedCached(id, n, ifName))
		}
	}
	return out
}

// candidateNetworks returns the networks of set a sandbox may be attached
// to: every valid one, and the loopback network when it is selected.
func (m *Manager) candidateNetworks(set *NetworkSet) []*Network {
	out := slices.Clone(set.Valid)
	for _, n := range set.Networks {
		if n.Loopback {
			out = append(out, n)
		}
	}
	return out
}

// candidateIfNames returns the interface names network n may have been
// given in a sandbox: its name in the current selection and every name
// its position could give.
func (m *Manager) candidateIfNames(set *NetworkSet, n *Network) []string {
	if n.Loopback {
		return []string{LoopbackIfName}
	}
	var out []string
	for _, sel := range set.Networks {
		if sel.Name == n.Name {
			out = append(out, sel.IfName)
		}
	}
	positions := max(len(set.Valid), len(m.opts.names))
	for i := 0; i < positions; i++ {
		if name := m.opts.ifName(n.Name, i); !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
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

// holdTries bounds how often holdCached takes the sandbox's locks before
// it gives up on a cache that keeps naming networks its hold lacks.
const holdTries = 3

// holdCached takes the sandbox's locks for every network the cache names
// for it, and returns the hold's context and release with the cached
// attachments, listed while the locks are held. The cache is listed
// before too, to know which networks to hold, but an Attach in flight may
// write more entries until it releases the sandbox: when the listing
// under the locks names a network the hold lacks, holdCached releases and
// holds again with that network added.
func (m *Manager) holdCached(ctx context.Context, id string) (context.Context, func(bool), []*cached, error) {
	cs, err := m.cachedAttachments(id)
	if err != nil {
		return nil, nil, nil, err
	}
	want := networkNames(cs)
	for try := 1; ; try++ {
		hctx, release, err := m.cni.HoldContainer(ctx, id, want...)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("sandbox %q: %w", id, err)
		}
		cs, err = m.cachedAttachments(id)
		if err != nil {
			release(false)
			return nil, nil, nil, err
		}
		var missing []string
		for _, n := range networkNames(cs) {
			if !slices.Contains(want, n) && !slices.Contains(missing, n) {
				missing = append(missing, n)
			}
		}
		if len(missing) == 0 {
			return hctx, release, cs, nil
		}
		release(false)
		if try == holdTries {
			return nil, nil, nil, fmt.Errorf("sandbox %q: the cache kept naming networks not held (%q) after %d tries to hold its locks", id, missing, holdTries)
		}
		want = append(want, missing...)
	}
}

// onCached runs op for every cached attachment of the sandbox, in attach
// order or in reverse, holding the sandbox's locks, and collects the
// failures into a *SandboxError. With kept, failed attachments are marked
// as kept in the cache. The container lock file is removed when every op
// succeeded and removeLock is set, or when nothing was cached.
//
// need says what the namespace path of each attachment must be: sb.NetNS
// is checked first and refuses the whole operation; a cached path is
// checked per attachment, whose failure is reported without running its
// plugins.
func (m *Manager) onCached(ctx context.Context, sb Sandbox, name, verb string, reverse, kept, removeLock bool, need netnsNeed,
	op func(ctx context.Context, list *libcni.NetworkConfigList, rt *libcni.RuntimeConf) error) error {
	if sb.NetNS != "" || need == netnsForm {
		if bad := validateNetNS(sb.ID, name, "", sb.NetNS, need); bad != nil {
			return bad
		}
	}
	ctx = libcni.ContextWithSandboxID(ctx, sb.ID)
	hctx, release, cs, err := m.holdCached(ctx, sb.ID)
	if err != nil {
		return err
	}
	if len(cs) == 0 && verb == OpDel && m.opts.uncachedDetach {
		if uc := m.uncachedAttachments(sb.ID); len(uc) > 0 {
			// Hold the networks that are DELeted, and decide under that
			// hold: an Attach that finished in between has cached its
			// attachments (or left its record) by then.
			release(false)
			if hctx, release, err = m.cni.HoldContainer(ctx, sb.ID, networkNames(uc)...); err != nil {
				return fmt.Errorf("sandbox %q: %w", sb.ID, err)
			}
			if cs, err = m.cachedAttachments(sb.ID); err != nil {
				release(false)
				return err
			}
			if len(cs) == 0 && !m.hasIntent(sb.ID) {
				cs = uc
			} else {
				// Something is known of the sandbox now: hold what the
				// cache names and tear that down instead.
				release(false)
				if hctx, release, cs, err = m.holdCached(ctx, sb.ID); err != nil {
					return err
				}
			}
		}
	}
	if len(cs) == 0 {
		// Decided under the locks: no Attach of the sandbox is in flight.
		release(true)
		return nil
	}
	if reverse {
		slices.Reverse(cs)
	}
	var failed *SandboxError
	for _, c := range cs {
		err := c.err
		rt := c.runtimeConf(sb.NetNS)
		if err == nil && sb.NetNS == "" && need == netnsLive {
			if bad := validateNetNS(sb.ID, name, c.att.Network, rt.NetNS, need); bad != nil {
				err = bad
			}
		}
		if err == nil {
			err = op(hctx, c.config, rt)
		}
		if err != nil {
			if failed == nil {
				failed = &SandboxError{Sandbox: sb.ID, Op: name}
			}
			ne := newNetworkError(c.att.Network, c.att.IfName, verb, err)
			ne.Kept = kept && !c.uncached // nothing in the cache to keep
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
// network that fails (a plugin missing now, say) keeps its cache entry for a
// later retry and does not stop the others; Detach then returns a
// *SandboxError naming each such network, and, for a missing plugin, which
// one. A sandbox with nothing cached detaches successfully, whatever is
// configured (with WithUncachedDetach it is DELeted from the current
// selection instead, for a cache that can be lost). The cache is read while
// the sandbox's locks are held, so a Detach that races the sandbox's Attach
// waits for it and detaches every network it set up. sb.NetNS, when set,
// replaces the cached namespace path.
//
// On Linux a relative sb.NetNS is refused with an *InvalidNetNSError
// before any lock is taken or plugin run; a path that no longer exists,
// or is no longer a namespace, is passed to the plugins as it is, since a
// DEL must succeed after the sandbox's namespace is gone. The DELs are
// cleanup: when ctx ends (or has ended already), Detach goes on for at
// most the Manager's cleanup timeout (WithCleanupTimeout) instead of
// killing a plugin halfway through its DEL. Detach also undoes an Attach
// of the sandbox that was interrupted (see IntentDirName): every network
// of its record without a cache entry is DELeted with the recorded
// configuration.
func (m *Manager) Detach(ctx context.Context, sb Sandbox) error {
	if bad := validateNetNS(sb.ID, "detach", "", sb.NetNS, netnsForm); bad != nil {
		return bad
	}
	ctx, cancel := m.cleanupContext(ctx)
	defer cancel()
	err := m.onCached(ctx, sb, "detach", OpDel, true, true, true, netnsForm, m.cni.DelNetworkList)
	return joinSandboxErrors(err, m.releaseIntent(ctx, sb.ID, "detach", sb.NetNS))
}

// joinSandboxErrors joins the errors of two steps of one sandbox
// operation: two *SandboxError become one.
func joinSandboxErrors(a, b error) error {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	var sa, sb *SandboxError
	if errors.As(a, &sa) && errors.As(b, &sb) && sa == a && sb == b {
		sa.Failures = append(sa.Failures, sb.Failures...)
		return sa
	}
	return errors.Join(a, b)
}

// Check runs CHECK for every cached attachment of the sandbox, in attach
// order, with the configuration cached at attach time, reading the cache
// under the sandbox's locks as Detach does. It returns a *SandboxError
// naming each network that failed. On Linux the namespace path must be a
// network namespace now: a refused sb.NetNS returns an *InvalidNetNSError
// before any plugin runs, and a refused cached path fails that network
// (its NetworkError wraps the *InvalidNetNSError) without running its
// plugins.
func (m *Manager) Check(ctx context.Context, sb Sandbox) error {
	return m.onCached(ctx, sb, "check", OpCheck, false, false, false, netnsLive, m.cni.CheckNetworkList)
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
// configurations, each sandbox's in reverse attach order. It returns a
// *SandboxError (Sandbox "") naming each network that failed.
//
// The attachments GC keeps (and tells the plugins are valid) are, for
// each live sandbox, those the cache holds and every one the current
// configuration could give it (each interface name at any position). GC
// waits for the Attaches of this Manager in flight, and Attaches that
// start while it runs wait for it, so the cache it lists holds everything
// they set up. An Attach of another process is covered only by the
// names the configuration gives (it would write its cache entries after
// GC has listed the cache).
//
// GC also undoes the interrupted Attaches (see IntentDirName) of the
// sandboxes not in live, as Detach does, and DELs their cache entries that
// cannot be read (left empty by a crash, cni#1055), which libcni's listing
// skips: an entry of a network of the current configuration, found by
// its file name (see libcni.CNIConfig.UnreadableCacheEntries), is DELeted
// with that configuration, which removes it.
//
// GC is cleanup: when ctx ends (or has ended already), it goes on for at
// most the Manager's cleanup timeout (WithCleanupTimeout), so a GC called
// with an expired context still releases what it finds stale.
func (m *Manager) GC(ctx context.Context, live []string) error {
	ctx, cancel := m.cleanupContext(ctx)
	defer cancel()
	m.gcMu.Lock()
	defer m.gcMu.Unlock()
	set := m.set.Load()
	liveSet := map[string]bool{}
	for _, id := range live {
		liveSet[id] = true
	}
	all, err := m.cni.GetCachedAttachments("")
	if err != nil {
		return fmt.Errorf("gc: listing cached attachments: %w", err)
	}
	valid := m.gcValid(set, live, all)
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
	var stale []*cached
	for _, a := range all {
		if !configured[a.Network] && !liveSet[a.ContainerID] {
			stale = append(stale, newCached(a, nil))
		}
	}
	// Unreadable entries (see damagedAttachments) of sandboxes not live:
	// the listing, and so GCNetworkList, skips them, and without a DEL
	// their plugins would keep what they set up (a host-local address).
	// A file whose name could be a live sandbox's is left to its Detach.
	damaged, err := m.cni.UnreadableCacheEntries(all)
	if err != nil {
		fail(&NetworkError{Op: OpGC, Err: fmt.Errorf("listing unreadable cache entries: %w", err)})
	}
	for _, name := range damaged {
		owners := m.damagedOwners(set, name)
		if !slices.ContainsFunc(owners, func(c *cached) bool { return liveSet[c.att.ContainerID] }) {
			stale = append(stale, owners...)
		}
	}
	delDamagedFiles := map[string]bool{}
	// By sandbox, each in reverse attach order.
	sortAttachOrder(stale)
	slices.Reverse(stale)
	slices.SortStableFunc(stale, func(a, b *cached) int { return cmp.Compare(a.att.ContainerID, b.att.ContainerID) })
	for _, c := range stale {
		err := c.err
		if err == nil && c.damaged {
			err = m.delDamaged(ctx, c, delDamagedFiles)
		} else if err == nil {
			err = m.cni.DelNetworkList(libcni.ContextWithSandboxID(ctx, c.att.ContainerID), c.config, c.runtimeConf(""))
		}
		if err != nil {
			ne := newNetworkError(c.att.Network, c.att.IfName, OpDel, fmt.Errorf("sandbox %q: %w", c.att.ContainerID, err))
			ne.Kept = true
			fail(ne)
		}
	}
	// Interrupted Attaches of sandboxes not live: what their plugins may
	// have set up without a cache entry.
	ids, err := m.intentSandboxes()
	if err != nil {
		fail(&NetworkError{Op: OpGC, Err: fmt.Errorf("listing attach records: %w", err)})
	}
	for _, id := range ids {
		if liveSet[id] {
			continue
		}
		err := m.releaseIntent(ctx, id, "gc", "")
		var se *SandboxError
		switch {
		case errors.As(err, &se):
			for _, f := range se.Failures {
				f.Err = fmt.Errorf("sandbox %q: %w", id, f.Err)
				fail(f)
			}
		case err != nil:
			fail(&NetworkError{Op: OpDel, Err: fmt.Errorf("sandbox %q: interrupted attach: %w", id, err)})
		}
	}
	if failed != nil {
		return failed
	}
	return nil
}

// gcValid returns the attachments GC keeps (see GC), sorted.
func (m *Manager) gcValid(set *NetworkSet, live []string, all []*libcni.NetworkAttachment) []types.GCAttachment {
	ifNames := map[string]bool{}
	for _, n := range set.Networks {
		ifNames[n.IfName] = true
	}
	if m.opts.loopback {
		ifNames[LoopbackIfName] = true
	}
	positions := max(len(set.Valid), len(m.opts.names))
	for _, n := range set.Valid {
		for i := 0; i < positions; i++ {
			ifNames[m.opts.ifName(n.Name, i)] = true
		}
	}
	for _, name := range m.opts.names {
		for i := 0; i < positions; i++ {
			ifNames[m.opts.ifName(name, i)] = true
		}
	}
	keep := map[types.GCAttachment]bool{}
	for _, id := range live {
		for ifName := range ifNames {
			keep[types.GCAttachment{ContainerID: id, IfName: ifName}] = true
		}
	}
	liveSet := map[string]bool{}
	for _, id := range live {
		liveSet[id] = true
	}
	for _, a := range all {
		if liveSet[a.ContainerID] {
			keep[types.GCAttachment{ContainerID: a.ContainerID, IfName: a.IfName}] = true
		}
	}
	valid := make([]types.GCAttachment, 0, len(keep))
	for a := range keep {
		valid = append(valid, a)
	}
	slices.SortFunc(valid, func(a, b types.GCAttachment) int {
		return cmp.Or(cmp.Compare(a.ContainerID, b.ContainerID), cmp.Compare(a.IfName, b.IfName))
	})
	return valid
}
