package libcni

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/cnirt/cni/invoke"
	"github.com/cnirt/cni/libcni/internal/rawjson"
	"github.com/cnirt/cni/pkg/utils"
	"github.com/cnirt/cni/types"
	"go.opentelemetry.io/otel/trace"
)

// CNIConfig runs the plugins of networks: it finds them on Path, derives
// each plugin's configuration, runs them in the order the CNI specification
// demands, caches results, and serializes operations on a container. It
// implements CNI.
//
// Build it with NewCNIConfig, NewCNIConfigWithCacheDir or
// NewCNIConfigWithOptions. A CNIConfig written as a struct literal
// (&CNIConfig{Path: ...}) works too, with the default options, but caches
// no plugin VERSION answers. A CNIConfig is safe for concurrent use.
type CNIConfig struct {
	// Path lists the directories searched for plugin executables.
	Path []string

	exec     invoke.Exec
	cacheDir string

	durable            bool
	noSerialize        bool
	rejectDuplicateAdd bool

	hook   EventHook
	tracer trace.Tracer

	st *state
}

var _ CNI = (*CNIConfig)(nil)

// NewCNIConfig returns a CNIConfig that finds plugins in path and runs them
// through exec; a nil exec runs them as processes (invoke.DefaultExec, with
// their stderr going to this process's stderr). The cache lives in the
// RuntimeConf's CacheDir or else in CacheDir.
func NewCNIConfig(path []string, exec invoke.Exec) *CNIConfig {
	return NewCNIConfigWithOptions(path, exec)
}

// NewCNIConfigWithCacheDir is NewCNIConfig with the cache (results and
// locks) in cacheDir.
func NewCNIConfigWithCacheDir(path []string, cacheDir string, exec invoke.Exec) *CNIConfig {
	return NewCNIConfigWithOptions(path, exec, WithCacheDir(cacheDir))
}

// NewCNIConfigWithOptions is NewCNIConfig with options: WithCacheDir,
// WithDurableCache, WithSerialization, WithRejectDuplicateAdd,
// WithEventHook and WithTracerProvider.
func NewCNIConfigWithOptions(path []string, exec invoke.Exec, opts ...Option) *CNIConfig {
	c := &CNIConfig{Path: path, exec: exec, st: newState()}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	return c
}

// execer returns the Exec plugins are run with.
func (c *CNIConfig) execer() invoke.Exec {
	if c.exec != nil {
		return c.exec
	}
	return &invoke.DefaultExec{RawExec: &invoke.RawExec{Stderr: os.Stderr}}
}

// args returns the environment description of one plugin run. With state
// the environment is built through its EnvCache, which rescans this
// process's environment only when it changed.
func (c *CNIConfig) args(command string, rt *RuntimeConf) invoke.CNIArgs {
	a := &invoke.Args{
		Command:     command,
		ContainerID: rt.ContainerID,
		NetNS:       rt.NetNS,
		PluginArgs:  rt.Args,
		IfName:      rt.IfName,
		Path:        strings.Join(c.Path, string(os.PathListSeparator)),
	}
	if c.st == nil {
		return a
	}
	return cachedEnvArgs{Args: a, env: &c.st.env}
}

// cachedEnvArgs are Args whose environment comes from an EnvCache; the
// embedded Args' Validate is kept.
type cachedEnvArgs struct {
	*invoke.Args
	env *invoke.EnvCache
}

// AsEnv implements invoke.CNIArgs.
func (a cachedEnvArgs) AsEnv() []string { return a.env.Environ(a.Args) }

// chain is what ADD, CHECK and DEL need to know about the plugins they run:
// a network list, or a single plugin configuration seen as a list of one.
type chain struct {
	name       string
	cniVersion string
	plugins    []*PluginConfig
	bytes      []byte // what the cache records as the configuration
	single     bool   // a single plugin configuration, not a list
}

func listChain(list *NetworkConfigList) *chain {
	return &chain{name: list.Name, cniVersion: list.CNIVersion, plugins: list.Plugins, bytes: list.Bytes}
}

func singleChain(net *PluginConfig) *chain {
	return &chain{name: net.Network.Name, cniVersion: net.Network.CNIVersion, plugins: []*PluginConfig{net}, bytes: net.Bytes, single: true}
}

func (ch *chain) pluginErr(i int, verb, path string, err error) error {
	p := ch.plugins[i]
	pe := &PluginError{Network: ch.name, Plugin: p.Network.Type, Index: i, Verb: verb, Path: path, Err: err}
	if !ch.single {
		// A plugin object of a list rarely has a name of its own; a
		// single plugin's name is the network's, already in the text.
		pe.Name = p.Network.Name
	}
	return pe
}

// run runs plugin i of the chain with the given command and stdin request.
// When withResult is set the plugin's result is decoded and returned.
func (c *CNIConfig) run(ctx context.Context, ch *chain, i int, command, verb string, req *request, rt *RuntimeConf, withResult bool) (res types.Result, err error) {
	p := ch.plugins[i]
	exec := c.execer()
	runCtx := ctx
	if c.tracer != nil {
		var endSpan func(error)
		runCtx, endSpan = c.startSpan(ctx, command, ch.name, p.Network.Type, i, rt)
		defer func() { endSpan(err) }()
	}
	obs := c.newRunObserver(&runCtx, command, ch.name, p.Network.Type, i, rt)
	if obs != nil {
		exec = obs.exec(exec)
	}
	var (
		path  string
		stdin []byte
	)
	path, err = exec.FindInPath(p.Network.Type, c.Path)
	if err == nil {
		stdin, err = buildRequest(p, req)
	}
	if err == nil {
		args := c.args(command, rt)
		if withResult {
			res, err = invoke.ExecPluginWithResult(runCtx, path, stdin, args, exec)
		} else {
			err = invoke.ExecPluginWithoutResult(runCtx, path, stdin, args, exec)
		}
	}
	if err != nil {
		err = ch.pluginErr(i, verb, path, err)
		res = nil
	}
	if obs != nil {
		obs.done(ctx, c, path, err)
	}
	return res, err
}

// add runs ADD on every plugin in order, each getting the previous one's
// result, caches the last result and returns it in the chain's version.
// The attachment lock is held by the caller.
func (c *CNIConfig) add(ctx context.Context, ch *chain, rt *RuntimeConf) (types.Result, error) {
	if c.rejectDuplicateAdd {
		start := c.stepStart()
		entry, _, err := c.readCache(ch.name, rt)
		c.cacheAccessed(ctx, EventCacheRead, "ADD", ch.name, rt, start, err)
		if err == nil && entry != nil {
			return nil, fmt.Errorf("network %q container %q interface %q: %w", ch.name, rt.ContainerID, rt.IfName, ErrAttachmentExists)
		}
	}
	var (
		result  types.Result
		encoded []byte
	)
	for i := range ch.plugins {
		req := request{network: ch.name, cniVersion: ch.cniVersion, prevResult: encoded, capabilityArgs: rt.CapabilityArgs}
		res, err := c.run(ctx, ch, i, "ADD", verbAdd, &req, rt, true)
		if err != nil {
			return nil, err
		}
		result = res
		if encoded, err = json.Marshal(res); err != nil {
			return nil, ch.pluginErr(i, verbAdd, "", fmt.Errorf("encoding the result: %w", err))
		}
	}
	start := c.stepStart()
	err := c.writeCache(ch.name, ch.bytes, encoded, rt)
	c.cacheAccessed(ctx, EventCacheWrite, "ADD", ch.name, rt, start, err)
	if err != nil {
		return nil, fmt.Errorf("failed to set network %q cached result: %w", ch.name, err)
	}
	if result == nil || ch.cniVersion == "" || result.Version() == ch.cniVersion {
		return result, nil
	}
	converted, err := result.GetAsVersion(ch.cniVersion)
	if err != nil {
		return nil, fmt.Errorf("network %q: converting the result (version %q) to the configuration's version %q: %w",
			ch.name, result.Version(), ch.cniVersion, err)
	}
	return converted, nil
}

// check runs CHECK on every plugin in order with the cached result. The
// attachment lock is held by the caller.
func (c *CNIConfig) check(ctx context.Context, ch *chain, rt *RuntimeConf) error {
	cached, err := c.readCachedResult(ctx, "CHECK", ch.name, ch.cniVersion, rt)
	if err != nil {
		return fmt.Errorf("failed to get network %q cached result: %w", ch.name, err)
	}
	prev, err := encodeResult(cached)
	if err != nil {
		return fmt.Errorf("failed to get network %q cached result: %w", ch.name, err)
	}
	for i := range ch.plugins {
		req := request{network: ch.name, cniVersion: ch.cniVersion, prevResult: prev, capabilityArgs: rt.CapabilityArgs}
		if _, err := c.run(ctx, ch, i, "CHECK", verbCheck, &req, rt, false); err != nil {
			return err
		}
	}
	return nil
}

// del runs DEL on every plugin in reverse order with the cached result
// (0.4.0 and later), then removes the cache entry. A missing, empty or
// corrupt entry does not stop the DEL: the plugins then get no prevResult.
// The attachment lock is held by the caller.
func (c *CNIConfig) del(ctx context.Context, ch *chain, rt *RuntimeConf) error {
	var prev []byte
	if atLeast(ch.cniVersion, "0.4.0") {
		if cached, err := c.readCachedResult(ctx, "DEL", ch.name, ch.cniVersion, rt); err == nil {
			// An entry that cannot be encoded is as good as a corrupt one.
			prev, _ = encodeResult(cached)
		}
	}
	for i := len(ch.plugins) - 1; i >= 0; i-- {
		req := request{network: ch.name, cniVersion: ch.cniVersion, prevResult: prev, capabilityArgs: rt.CapabilityArgs}
		if _, err := c.run(ctx, ch, i, "DEL", verbDel, &req, rt, false); err != nil {
			return err
		}
	}
	start := c.stepStart()
	err := c.removeCache(ch.name, rt)
	c.cacheAccessed(ctx, EventCacheRemove, "DEL", ch.name, rt, start, err)
	if err != nil {
		return fmt.Errorf("network %q: removing the cached result: %w", ch.name, err)
	}
	return nil
}

// readCachedResult is cachedResult, reported as an EventCacheRead.
func (c *CNIConfig) readCachedResult(ctx context.Context, command, network, cniVersion string, rt *RuntimeConf) (types.Result, error) {
	start := c.stepStart()
	res, err := c.cachedResult(network, cniVersion, rt)
	c.cacheAccessed(ctx, EventCacheRead, command, network, rt, start, err)
	return res, err
}

// readCachedConfig is cachedConfig, reported as an EventCacheRead.
func (c *CNIConfig) readCachedConfig(network string, rt *RuntimeConf) ([]byte, *RuntimeConf, error) {
	start := c.stepStart()
	conf, out, err := c.cachedConfig(network, rt)
	c.cacheAccessed(context.Background(), EventCacheRead, "", network, rt, start, err)
	return conf, out, err
}

func encodeResult(r types.Result) ([]byte, error) {
	if r == nil {
		return nil, nil
	}
	return json.Marshal(r)
}

// withAttachmentLock validates, takes the attachment lock and runs op.
// The locks are released also when op panics (an event hook may).
func (c *CNIConfig) withAttachmentLock(ctx context.Context, command string, ch *chain, rt *RuntimeConf, removeOnSuccess bool, op func() error) (err error) {
	unlock, err := c.lockAttachment(ctx, command, c.cacheDirFor(rt), ch.name, rt.ContainerID)
	if err != nil {
		return err
	}
	ok := false
	defer func() { unlock(ok && removeOnSuccess && err == nil) }()
	err = op()
	ok = true
	return err
}

// AddNetworkList adds the attachment rt to the network: it runs ADD on the
// network's plugins in order, giving each the previous plugin's result as
// prevResult, records the configuration and the final result in the cache
// and returns that result, in the network's version. Identifiers, CNI_ARGS
// and the version are checked before any plugin runs. A plugin failure is
// a *PluginError naming the plugin, its position and the operation.
func (c *CNIConfig) AddNetworkList(ctx context.Context, list *NetworkConfigList, rt *RuntimeConf) (types.Result, error) {
	ctx = orBackground(ctx)
	if err := checkList(list); err != nil {
		return nil, asFirstPluginFailure(list, err)
	}
	if err := c.checkRuntime(list.Name, rt); err != nil {
		return nil, asFirstPluginFailure(list, err)
	}
	ch := listChain(list)
	var result types.Result
	err := c.withAttachmentLock(ctx, "ADD", ch, rt, false, func() (err error) {
		result, err = c.add(ctx, ch, rt)
		return err
	})
	return result, err
}

// CheckNetworkList runs CHECK on the network's plugins in order, each
// getting the cached result of the attachment's ADD as prevResult. It
// fails with an error wrapping ErrorCheckNotSupp for networks older than
// 0.4.0 and does nothing when the network sets disableCheck.
func (c *CNIConfig) CheckNetworkList(ctx context.Context, list *NetworkConfigList, rt *RuntimeConf) error {
	ctx = orBackground(ctx)
	if err := checkList(list); err != nil {
		return err
	}
	if !atLeast(list.CNIVersion, "0.4.0") {
		return fmt.Errorf("configuration version %q %w", list.CNIVersion, errorCheckNotSupp())
	}
	if list.DisableCheck {
		return nil
	}
	if err := c.checkRuntime(list.Name, rt); err != nil {
		return err
	}
	ch := listChain(list)
	return c.withAttachmentLock(ctx, "CHECK", ch, rt, false, func() error { return c.check(ctx, ch, rt) })
}

// DelNetworkList removes the attachment rt from the network: it runs DEL
// on the network's plugins in reverse order, each getting the cached result
// as prevResult (0.4.0 and later), then removes the cache entry. It
// succeeds when repeated and when the cache entry is missing, empty or
// corrupt (the plugins then get no prevResult).
func (c *CNIConfig) DelNetworkList(ctx context.Context, list *NetworkConfigList, rt *RuntimeConf) error {
	ctx = orBackground(ctx)
	if err := checkList(list); err != nil {
		return err
	}
	if err := c.checkRuntime(list.Name, rt); err != nil {
		return err
	}
	ch := listChain(list)
	return c.withAttachmentLock(ctx, "DEL", ch, rt, true, func() error { return c.del(ctx, ch, rt) })
}

// asFirstPluginFailure presents a refused identifier of an ADD on a list as
// the reference library does: as a failure of the first plugin, whose
// reason (errors.Unwrap) is pkg/utils' *types.Error.
func asFirstPluginFailure(list *NetworkConfigList, err error) error {
	var irc *InvalidRuntimeConfError
	var te *types.Error
	if !errors.As(err, &irc) || !errors.As(irc.Err, &te) || len(list.Plugins) == 0 {
		return err
	}
	switch irc.Field {
	case "containerID", "network name", "ifName":
		p := list.Plugins[0]
		irc.Plugin, irc.Name, irc.Verb = p.Network.Type, p.Network.Name, verbAdd
	}
	return err
}

// AddNetwork is AddNetworkList for a single plugin configuration, whose own
// name and cniVersion are used; the plugin's bytes are what the cache
// records.
func (c *CNIConfig) AddNetwork(ctx context.Context, net *PluginConfig, rt *RuntimeConf) (types.Result, error) {
	ctx = orBackground(ctx)
	if err := checkSingle(net); err != nil {
		return nil, err
	}
	if err := c.checkRuntime(net.Network.Name, rt); err != nil {
		return nil, err
	}
	ch := singleChain(net)
	var result types.Result
	err := c.withAttachmentLock(ctx, "ADD", ch, rt, false, func() (err error) {
		result, err = c.add(ctx, ch, rt)
		return err
	})
	return result, err
}

// CheckNetwork is CheckNetworkList for a single plugin configuration.
func (c *CNIConfig) CheckNetwork(ctx context.Context, net *PluginConfig, rt *RuntimeConf) error {
	ctx = orBackground(ctx)
	if err := checkSingle(net); err != nil {
		return err
	}
	if !atLeast(net.Network.CNIVersion, "0.4.0") {
		return fmt.Errorf("configuration version %q %w", net.Network.CNIVersion, errorCheckNotSupp())
	}
	if err := c.checkRuntime(net.Network.Name, rt); err != nil {
		return err
	}
	ch := singleChain(net)
	return c.withAttachmentLock(ctx, "CHECK", ch, rt, false, func() error { return c.check(ctx, ch, rt) })
}

// DelNetwork is DelNetworkList for a single plugin configuration.
func (c *CNIConfig) DelNetwork(ctx context.Context, net *PluginConfig, rt *RuntimeConf) error {
	ctx = orBackground(ctx)
	if err := checkSingle(net); err != nil {
		return err
	}
	if err := c.checkRuntime(net.Network.Name, rt); err != nil {
		return err
	}
	ch := singleChain(net)
	return c.withAttachmentLock(ctx, "DEL", ch, rt, true, func() error { return c.del(ctx, ch, rt) })
}

// GetNetworkListCachedResult returns the result cached by the attachment's
// ADD, converted to the network's version, or (nil, nil) when there is
// none.
func (c *CNIConfig) GetNetworkListCachedResult(list *NetworkConfigList, rt *RuntimeConf) (types.Result, error) {
	if list == nil {
		return nil, checkList(list)
	}
	if err := c.checkCacheKey(list.Name, rt); err != nil {
		return nil, err
	}
	return c.readCachedResult(context.Background(), "", list.Name, list.CNIVersion, rt)
}

// GetNetworkCachedResult is GetNetworkListCachedResult for a single plugin
// configuration.
func (c *CNIConfig) GetNetworkCachedResult(net *PluginConfig, rt *RuntimeConf) (types.Result, error) {
	if err := checkDecoded(net); err != nil {
		return nil, err
	}
	if err := c.checkCacheKey(net.Network.Name, rt); err != nil {
		return nil, err
	}
	return c.readCachedResult(context.Background(), "", net.Network.Name, net.Network.CNIVersion, rt)
}

// GetNetworkListCachedConfig returns the configuration bytes the
// attachment was added with, and a copy of rt whose Args and
// CapabilityArgs are the cached ones; (nil, nil, nil) when nothing is
// cached.
func (c *CNIConfig) GetNetworkListCachedConfig(list *NetworkConfigList, rt *RuntimeConf) ([]byte, *RuntimeConf, error) {
	if list == nil {
		return nil, nil, checkList(list)
	}
	if err := c.checkCacheKey(list.Name, rt); err != nil {
		return nil, nil, err
	}
	return c.readCachedConfig(list.Name, rt)
}

// GetNetworkCachedConfig is GetNetworkListCachedConfig for a single plugin
// configuration.
func (c *CNIConfig) GetNetworkCachedConfig(net *PluginConfig, rt *RuntimeConf) ([]byte, *RuntimeConf, error) {
	if err := checkDecoded(net); err != nil {
		return nil, nil, err
	}
	if err := c.checkCacheKey(net.Network.Name, rt); err != nil {
		return nil, nil, err
	}
	return c.readCachedConfig(net.Network.Name, rt)
}

// CacheKeyError reports a cache lookup whose network name, container ID or
// interface name is empty; its text is the reference library's.
type CacheKeyError struct {
	Network, ContainerID, IfName string
}

// Error returns `cache file path requires network name (...), container ID
// (...), and interface name (...)`.
func (e *CacheKeyError) Error() string {
	return fmt.Sprintf("cache file path requires network name (%q), container ID (%q), and interface name (%q)", e.Network, e.ContainerID, e.IfName)
}

// checkDecoded refuses a plugin configuration that is nil or was not
// decoded; the cache getters need nothing more of it than its name.
func checkDecoded(net *PluginConfig) error {
	switch {
	case net == nil:
		return errors.New("plugin configuration is nil")
	case net.Network == nil:
		return errors.New("plugin configuration has no decoded Network")
	}
	return nil
}

// checkCacheKey validates the names a cache file path is built from. An
// empty one is reported first, with the reference's text.
func (c *CNIConfig) checkCacheKey(network string, rt *RuntimeConf) error {
	if rt != nil && (network == "" || rt.ContainerID == "" || rt.IfName == "") {
		return &CacheKeyError{Network: network, ContainerID: rt.ContainerID, IfName: rt.IfName}
	}
	if err := utils.ValidateNetworkName(network); err != nil {
		return &InvalidRuntimeConfError{Network: network, Field: "network name", Err: err}
	}
	return c.checkRuntime(network, rt)
}

// GetCachedAttachments lists the attachments recorded in the cache, all of
// them or only those of containerID, ordered by cache file name. Entries
// that cannot be read or decoded are skipped.
func (c *CNIConfig) GetCachedAttachments(containerID string) ([]*NetworkAttachment, error) {
	return cachedAttachments(c.cacheDirFor(nil), containerID, "")
}

// GetStatusNetworkList asks every plugin of the network whether it is
// ready (STATUS) and returns the first failure, a *PluginError wrapping the
// plugin's error. Networks older than 1.1.0 have no STATUS; for them it
// returns nil, as the reference library does.
func (c *CNIConfig) GetStatusNetworkList(ctx context.Context, list *NetworkConfigList) error {
	ctx = orBackground(ctx)
	if err := checkList(list); err != nil {
		return err
	}
	if !atLeast(list.CNIVersion, "1.1.0") {
		return nil
	}
	ch := listChain(list)
	rt := &RuntimeConf{}
	for i := range ch.plugins {
		req := request{network: ch.name, cniVersion: ch.cniVersion}
		if _, err := c.run(ctx, ch, i, "STATUS", verbStatus, &req, rt, false); err != nil {
			return err
		}
	}
	return nil
}

// GCNetworkList garbage-collects the network: it runs DEL (with the cached
// CNI_ARGS and capability arguments) for every cached attachment of the
// network that is not in args.ValidAttachments, then, for networks of
// version 1.1.0 and later, runs GC on every plugin with the valid
// attachments in "cni.dev/valid-attachments". Nothing happens when the
// network sets disableGC. It holds the network exclusively while it runs.
// All failures are returned, joined.
func (c *CNIConfig) GCNetworkList(ctx context.Context, list *NetworkConfigList, args *GCArgs) error {
	ctx = orBackground(ctx)
	if err := checkList(list); err != nil {
		return err
	}
	if list.DisableGC {
		return nil
	}
	cacheDir := c.cacheDirFor(nil)
	unlock, err := c.lockNetworkGC(ctx, cacheDir, list.Name)
	if err != nil {
		return err
	}
	defer unlock()

	var errs []error
	valid := map[types.GCAttachment]struct{}{}
	if args != nil {
		for _, a := range args.ValidAttachments {
			valid[a] = struct{}{}
		}
	}
	ch := listChain(list)
	attachments, err := cachedAttachments(cacheDir, "", list.Name)
	if err != nil {
		errs = append(errs, fmt.Errorf("network %q: listing cached attachments: %w", list.Name, err))
	}
	for _, a := range attachments {
		if a.Network != list.Name {
			continue
		}
		if _, ok := valid[types.GCAttachment{ContainerID: a.ContainerID, IfName: a.IfName}]; ok {
			continue
		}
		rt := &RuntimeConf{
			ContainerID:    a.ContainerID,
			NetNS:          a.NetNS,
			IfName:         a.IfName,
			Args:           a.CniArgs,
			CapabilityArgs: a.CapabilityArgs,
		}
		if err := c.gcDel(ctx, ch, cacheDir, rt); err != nil {
			errs = append(errs, fmt.Errorf("failed to delete stale attachment %s %s: %w", rt.ContainerID, rt.IfName, err))
		}
	}

	if atLeast(list.CNIVersion, "1.1.0") {
		var extra []rawjson.Member
		if args != nil {
			validJSON, err := json.Marshal(args.ValidAttachments)
			if err == nil && args.ValidAttachments == nil {
				validJSON = []byte("[]")
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("network %q: encoding valid attachments: %w", list.Name, err))
				return errors.Join(errs...)
			}
			extra = []rawjson.Member{{Key: keyValidAttachments, Value: validJSON}, {Key: keyAttachments, Value: validJSON}}
		}
		rt := &RuntimeConf{}
		for i := range ch.plugins {
			req := request{network: ch.name, cniVersion: ch.cniVersion, extra: extra}
			if _, err := c.run(ctx, ch, i, "GC", verbGC, &req, rt, false); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// gcDel deletes one stale attachment for GC, which already holds the
// network exclusively: only the container lock is taken.
func (c *CNIConfig) gcDel(ctx context.Context, ch *chain, cacheDir string, rt *RuntimeConf) (err error) {
	rt.CacheDir = cacheDir
	if err := c.checkRuntime(ch.name, rt); err != nil {
		return err
	}
	unlock, err := c.lockContainer(ctx, "DEL", cacheDir, ch.name, rt.ContainerID)
	if err != nil {
		return err
	}
	ok := false
	defer func() { unlock(ok && err == nil) }()
	err = c.del(ctx, ch, rt)
	ok = true
	return err
}

// orBackground returns ctx, or context.Background() when a caller passed
// nil (the reference library tolerates that for most operations).
func orBackground(ctx context.Context) context.Context {
	if ctx == nil {
		return context.Background()
	}
	return ctx
}
