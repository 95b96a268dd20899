package libcni

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/cnirt/cni/internal/errfmt"
	"github.com/cnirt/cni/invoke"
	"github.com/cnirt/cni/pkg/utils"
	"github.com/cnirt/cni/version"
)

// versionRank returns the position of v among the spec versions this
// library supports (oldest first). An empty version counts as 0.1.0, the
// version a configuration without cniVersion has under the specification.
func versionRank(v string) (int, bool) {
	if v == "" {
		v = "0.1.0"
	}
	i := slices.Index(version.All.SupportedVersions(), v)
	return i, i >= 0
}

// atLeast reports whether the (already checked) version v is min or newer.
func atLeast(v, min string) bool {
	a, _ := versionRank(v)
	b, _ := versionRank(min)
	return a >= b
}

// requireKnownVersion refuses a cniVersion this library cannot drive, before any
// plugin runs, listing the supported versions.
func requireKnownVersion(network, v string) error {
	if _, ok := versionRank(v); ok {
		return nil
	}
	uv := &UnsupportedVersionError{Versions: []string{v}, Supported: version.All.SupportedVersions()}
	if _, _, _, err := version.ParseVersion(v); err != nil {
		uv.Err = err
	}
	return &InvalidRuntimeConfError{Network: network, Field: "cniVersion", Err: uv}
}

// checkList refuses a network list that cannot be run: nil, unnamed or
// badly named (the name is part of cache file paths), an unsupported
// version, or a plugin without configuration.
func checkList(list *NetworkConfigList) error {
	if err := checkListShape(list); err != nil {
		return err
	}
	if err := utils.ValidateNetworkName(list.Name); err != nil {
		return &InvalidRuntimeConfError{Network: list.Name, Field: "network name", Err: err}
	}
	return requireKnownVersion(list.Name, list.CNIVersion)
}

// checkListShape refuses a list that is nil or has a plugin without its
// decoded configuration; it does not look at the name or the version
// (STATUS and validation, which build no cache path, take any name).
func checkListShape(list *NetworkConfigList) error {
	if list == nil {
		return errors.New("no network configuration list given (nil)")
	}
	for i, p := range list.Plugins {
		if err := checkPlugin(p); err != nil {
			return &InvalidRuntimeConfError{Network: list.Name, Field: fmt.Sprintf("config: plugins[%d]", i), Err: err}
		}
	}
	return nil
}

// checkPlugin refuses a plugin configuration without its decoded part.
func checkPlugin(p *PluginConfig) error {
	if err := checkDecoded(p); err != nil {
		return err
	}
	if p.Network.Type == "" {
		return errors.New("plugin configuration has no type")
	}
	return nil
}

// checkSingle is checkList for AddNetwork and friends.
func checkSingle(net *PluginConfig) error {
	if err := checkPlugin(net); err != nil {
		return &InvalidRuntimeConfError{Field: "config", Err: err}
	}
	if err := utils.ValidateNetworkName(net.Network.Name); err != nil {
		return &InvalidRuntimeConfError{Network: net.Network.Name, Field: "network name", Err: err}
	}
	return requireKnownVersion(net.Network.Name, net.Network.CNIVersion)
}

// checkRuntime validates what ends up in the plugin's environment and in
// the cache file path, before any plugin runs or path is built.
func (c *CNIConfig) checkRuntime(network string, rt *RuntimeConf) error {
	if rt == nil {
		return &InvalidRuntimeConfError{Network: network, Field: "runtime configuration", Err: errors.New("RuntimeConf is nil")}
	}
	if err := utils.ValidateContainerID(rt.ContainerID); err != nil {
		return &InvalidRuntimeConfError{Network: network, Field: "containerID", Err: err}
	}
	if err := utils.ValidateInterfaceName(rt.IfName); err != nil {
		return &InvalidRuntimeConfError{Network: network, Field: "ifName", Err: err}
	}
	if strings.ContainsAny(rt.IfName, `\`) {
		// A path separator on Windows; it would escape the cache directory.
		return &InvalidRuntimeConfError{Network: network, Field: "ifName",
			Err: fmt.Errorf("interface name %q contains a backslash", rt.IfName)}
	}
	// The cache file is named <network>-<containerID>-<ifName>; refuse an
	// attachment whose name no file system could hold before any plugin
	// runs, rather than failing to cache a result that is already set up.
	if n := len(network) + len(rt.ContainerID) + len(rt.IfName) + 2; n > maxCacheNameBytes {
		return &InvalidRuntimeConfError{Network: network, Field: "containerID",
			Err: fmt.Errorf("network name, container ID and interface name together are %d bytes; the cache file name allows %d", n, maxCacheNameBytes)}
	}
	if err := invoke.ValidateArgs(c.args("ADD", rt)); err != nil {
		field := "CNI_ARGS"
		var ae *invoke.ArgsError
		if errors.As(err, &ae) && ae.Var != "" {
			field = ae.Var
		}
		return &InvalidRuntimeConfError{Network: network, Field: field, Err: err}
	}
	return nil
}

// maxCacheNameBytes is the longest file name common file systems accept.
const maxCacheNameBytes = 255

// versionKey identifies one plugin executable as it is on disk.
type versionKey struct {
	path  string
	size  int64
	mtime time.Time
}

// pluginVersions returns the versions the plugin at path supports, asking
// it (VERSION) only when the executable changed since the last answer.
func (c *CNIConfig) pluginVersions(ctx context.Context, network, pluginType string, index int, path string) ([]string, error) {
	var key versionKey
	cacheable := false
	if c.st != nil {
		if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
			key = versionKey{path: path, size: fi.Size(), mtime: fi.ModTime()}
			cacheable = true
			c.st.mu.Lock()
			v, ok := c.st.versions[key]
			c.st.mu.Unlock()
			if ok {
				return v, nil
			}
		}
	}
	info, err := c.versionInfo(ctx, network, pluginType, index, path)
	if err != nil {
		return nil, err
	}
	versions := info.SupportedVersions()
	if cacheable {
		c.st.mu.Lock()
		// Forget older answers for the same path.
		for k := range c.st.versions {
			if k.path == path {
				delete(c.st.versions, k)
			}
		}
		c.st.versions[key] = versions
		c.st.mu.Unlock()
	}
	return versions, nil
}

// validatePlugin checks that the plugin exists and supports cniVersion.
func (c *CNIConfig) validatePlugin(ctx context.Context, network string, index int, pluginType, cniVersion string) error {
	path, err := c.execer().FindInPath(pluginType, c.Path)
	if err != nil {
		return err
	}
	if cniVersion == "" {
		cniVersion = "0.1.0"
	}
	versions, err := c.pluginVersions(ctx, network, pluginType, index, path)
	if err != nil {
		return err
	}
	if slices.Contains(versions, cniVersion) {
		return nil
	}
	return &VersionNotSupportedError{Plugin: pluginType, Version: cniVersion, Supported: versions}
}

// VersionNotSupportedError reports a plugin that does not support the
// network's version.
type VersionNotSupportedError struct {
	// Plugin is the plugin's type.
	Plugin string
	// Version is the network's cniVersion.
	Version string
	// Supported lists the versions the plugin supports.
	Supported []string
}

// Error returns the reference's text, `plugin t does not support config
// version "v"`; ValidateNetworkList's error adds the supported versions.
func (e *VersionNotSupportedError) Error() string {
	return fmt.Sprintf("plugin %s does not support config version %q", e.Plugin, e.Version)
}

// enabledCaps adds the capabilities p declares true to set.
func enabledCaps(p *PluginConfig, set map[string]struct{}) {
	for capability, on := range p.Network.Capabilities {
		if on {
			set[capability] = struct{}{}
		}
	}
}

func sortedKeys(set map[string]struct{}) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ValidateNetworkList checks that every plugin of the network can be found
// and supports the network's version (and so the operations that version
// has), and returns the capabilities the plugins declare, sorted. All
// failures are reported in a *ValidationError. Plugins' VERSION answers are
// remembered per executable (path, size and modification time), so
// validating again does not run unchanged plugins. A version this library
// does not know is reported by the plugins that do not support it, as with
// the reference library.
func (c *CNIConfig) ValidateNetworkList(ctx context.Context, list *NetworkConfigList) ([]string, error) {
	ctx = orBackground(ctx)
	if err := checkListShape(list); err != nil {
		return nil, err
	}
	caps := map[string]struct{}{}
	verr := &ValidationError{Network: list.Name}
	for i, p := range list.Plugins {
		if err := c.validatePlugin(ctx, list.Name, i, p.Network.Type, list.CNIVersion); err != nil {
			verr.Errs = append(verr.Errs, err)
			desc := fmt.Sprintf("plugins[%d] type=%q", i, p.Network.Type)
			var vns *VersionNotSupportedError
			if errors.As(err, &vns) {
				desc += " supports " + strings.Join(vns.Supported, ", ")
			}
			verr.Plugins = append(verr.Plugins, desc)
		}
		enabledCaps(p, caps)
	}
	if len(verr.Errs) > 0 {
		return nil, verr
	}
	return sortedKeys(caps), nil
}

// ValidationError lists what ValidateNetworkList found wrong, one error per
// failing plugin.
type ValidationError struct {
	// Network is the network's name.
	Network string
	// Errs holds one error per failing plugin, in plugin order.
	Errs []error
	// Plugins describes the plugin of each error: `plugins[i] type="t"`,
	// with the versions it supports when that is the problem.
	Plugins []string
}

// Error returns the reference library's text: the errors in brackets,
// separated by spaces.
func (e *ValidationError) Error() string {
	return fmt.Sprintf("%v", e.Errs)
}

// Format implements fmt.Formatter: %+v gives Error() followed by the
// network and the failing plugins, ` (network "n": plugins[i] type="t"
// ...)`; the other verbs format Error() as for any error.
func (e *ValidationError) Format(f fmt.State, verb rune) {
	if errfmt.Verbose(f, verb) {
		fmt.Fprintf(f, "%s (network %q: %s)", e.Error(), e.Network, strings.Join(e.Plugins, ", "))
		return
	}
	errfmt.Plain(f, verb, e.Error())
}

// Unwrap returns the errors, for errors.Is and errors.As.
func (e *ValidationError) Unwrap() []error { return e.Errs }

// ValidateNetwork is ValidateNetworkList for a single plugin configuration.
func (c *CNIConfig) ValidateNetwork(ctx context.Context, net *PluginConfig) ([]string, error) {
	ctx = orBackground(ctx)
	if err := checkPlugin(net); err != nil {
		return nil, &InvalidRuntimeConfError{Field: "config", Err: err}
	}
	if err := c.validatePlugin(ctx, net.Network.Name, 0, net.Network.Type, net.Network.CNIVersion); err != nil {
		return nil, err
	}
	caps := map[string]struct{}{}
	enabledCaps(net, caps)
	return sortedKeys(caps), nil
}

// GetVersionInfo runs the plugin of the given type with VERSION and returns
// its answer. Plugins too old to know VERSION are reported as supporting
// 0.1.0.
func (c *CNIConfig) GetVersionInfo(ctx context.Context, pluginType string) (version.PluginInfo, error) {
	ctx = orBackground(ctx)
	path, err := c.execer().FindInPath(pluginType, c.Path)
	if err != nil {
		return nil, err
	}
	return c.versionInfo(ctx, "", pluginType, -1, path)
}

// versionInfo runs the plugin at path with VERSION, reported as an
// EventPluginRun.
func (c *CNIConfig) versionInfo(ctx context.Context, network, pluginType string, index int, path string) (info version.PluginInfo, err error) {
	exec := c.execer()
	runCtx := ctx
	if c.tracer != nil {
		var endSpan func(error)
		runCtx, endSpan = c.startSpan(ctx, "VERSION", network, pluginType, index, nil)
		defer func() { endSpan(err) }()
	}
	obs := c.newRunObserver(&runCtx, "VERSION", network, pluginType, index, nil)
	if obs == nil {
		return invoke.GetVersionInfo(runCtx, path, exec)
	}
	info, err = invoke.GetVersionInfo(runCtx, path, obs.exec(exec))
	obs.done(ctx, c, path, err)
	return info, err
}
