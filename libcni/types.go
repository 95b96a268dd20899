// Package libcni is the runtime side of the Container Network Interface: it
// loads network configurations, runs the plugins of a network in the order
// the CNI specification demands, caches what each attachment was given and
// returned, and serializes operations on the same container.
//
// The exported API matches the reference library
// (github.com/containernetworking/cni/libcni v1.3.1) so that a runtime can
// switch by rewriting its import paths.
package libcni

import (
	"context"
	"errors"

	"github.com/cnirt/cni/pkg/shimvar"
	"github.com/cnirt/cni/types"
	"github.com/cnirt/cni/version"
)

// CacheDir is the directory under which results and lock files are kept when
// neither the CNIConfig nor the RuntimeConf names one. It is a variable only
// for compatibility with the reference library; prefer
// NewCNIConfigWithCacheDir. While it keeps its default, the compat shim's
// libcni.CacheDir (github.com/cnirt/cni/compat/libcni) is used instead, so
// a runtime setting the variable through the shim gets what it set.
var CacheDir = defaultCacheDir

// defaultCacheDir is CacheDir's initial value.
const defaultCacheDir = "/var/lib/cni"

// ErrorCheckNotSupp is returned (wrapped) when CHECK is asked of a network
// whose version predates 0.4.0. Test for it with errors.Is. The compat
// shim's libcni.ErrorCheckNotSupp holds the same value, so errors.Is
// matches through either.
var ErrorCheckNotSupp = errCheckNotSupp

// errCheckNotSupp is ErrorCheckNotSupp's initial value.
var errCheckNotSupp = errors.New("does not support the CHECK command")

// cacheDirSetting is the package-level cache directory in force: CacheDir,
// or, while CacheDir holds its default, the compat shim's libcni.CacheDir
// (see pkg/shimvar for why both exist and which wins).
func cacheDirSetting() string {
	return shimvar.CacheDir.Effective(CacheDir, func(v string) bool { return v == defaultCacheDir })
}

// errorCheckNotSupp is the error CHECK wraps for networks older than
// 0.4.0: ErrorCheckNotSupp, or the compat shim's while ErrorCheckNotSupp
// holds its initial value.
func errorCheckNotSupp() error {
	return shimvar.ErrorCheckNotSupp.Effective(ErrorCheckNotSupp, func(v error) bool { return v == errCheckNotSupp })
}

// CNICacheV1 is the value of the "kind" field of a cache file written in the
// reference library's first cache format, which cnirt reads and writes.
const CNICacheV1 = "cniCacheV1"

// RuntimeConf describes one attachment of a container to a network: which
// container, which namespace, which interface name, and the per-attachment
// arguments the runtime passes to the plugins.
type RuntimeConf struct {
	// ContainerID identifies the container (CNI_CONTAINERID).
	ContainerID string
	// NetNS is the path of the container's network namespace (CNI_NETNS).
	NetNS string
	// IfName is the interface to create inside the container (CNI_IFNAME).
	IfName string
	// Args are the CNI_ARGS key/value pairs, in order.
	Args [][2]string
	// CapabilityArgs holds the capability arguments (for example
	// "portMappings"); each is passed in runtimeConfig only to the plugins
	// that declare the capability.
	CapabilityArgs map[string]interface{}

	// CacheDir, when set, overrides the CNIConfig's cache directory for
	// this attachment.
	CacheDir string
}

// NetworkConfig is the historical name of PluginConfig.
type NetworkConfig = PluginConfig

// PluginConfig is one plugin's configuration: the decoded well-known fields
// and the raw JSON object as it was loaded, with every plugin-specific key.
type PluginConfig struct {
	// Network holds the fields every plugin configuration shares.
	Network *types.PluginConf
	// Bytes is the plugin's JSON object as loaded.
	Bytes []byte
}

// NetworkConfigList is a network: a name, a spec version and the chain of
// plugins that implement it.
type NetworkConfigList struct {
	// Name is the network's name.
	Name string
	// CNIVersion is the spec version the network's plugins are driven with.
	CNIVersion string
	// DisableCheck turns CHECK into a no-op that succeeds.
	DisableCheck bool
	// DisableGC turns GC into a no-op that succeeds.
	DisableGC bool
	// LoadOnlyInlinedPlugins, when set, means the plugins come only from
	// the "plugins" array and not from the network's plugin directory.
	LoadOnlyInlinedPlugins bool
	// Plugins is the chain, in ADD order.
	Plugins []*PluginConfig
	// Bytes is the configuration list as loaded.
	Bytes []byte
}

// NetworkAttachment is what the cache remembers of one attachment; it is
// returned by GetCachedAttachments.
type NetworkAttachment struct {
	// ContainerID is the attachment's container.
	ContainerID string
	// Network is the network's name.
	Network string
	// IfName is the interface name inside the container.
	IfName string
	// Config is the network configuration the attachment was added with.
	Config []byte
	// NetNS is the network namespace path at ADD time.
	NetNS string
	// CniArgs are the CNI_ARGS pairs given at ADD time.
	CniArgs [][2]string
	// CapabilityArgs are the capability arguments given at ADD time.
	CapabilityArgs map[string]interface{}
}

// GCArgs are the arguments of a garbage collection.
type GCArgs struct {
	// ValidAttachments lists the attachments the runtime still uses; every
	// other cached attachment of the network is deleted.
	ValidAttachments []types.GCAttachment
}

// CNI is the interface of a CNI runtime library; CNIConfig implements it.
type CNI interface {
	AddNetworkList(ctx context.Context, net *NetworkConfigList, rt *RuntimeConf) (types.Result, error)
	CheckNetworkList(ctx context.Context, net *NetworkConfigList, rt *RuntimeConf) error
	DelNetworkList(ctx context.Context, net *NetworkConfigList, rt *RuntimeConf) error
	GetNetworkListCachedResult(net *NetworkConfigList, rt *RuntimeConf) (types.Result, error)
	GetNetworkListCachedConfig(net *NetworkConfigList, rt *RuntimeConf) ([]byte, *RuntimeConf, error)

	AddNetwork(ctx context.Context, net *PluginConfig, rt *RuntimeConf) (types.Result, error)
	CheckNetwork(ctx context.Context, net *PluginConfig, rt *RuntimeConf) error
	DelNetwork(ctx context.Context, net *PluginConfig, rt *RuntimeConf) error
	GetNetworkCachedResult(net *PluginConfig, rt *RuntimeConf) (types.Result, error)
	GetNetworkCachedConfig(net *PluginConfig, rt *RuntimeConf) ([]byte, *RuntimeConf, error)

	ValidateNetworkList(ctx context.Context, net *NetworkConfigList) ([]string, error)
	ValidateNetwork(ctx context.Context, net *PluginConfig) ([]string, error)

	GCNetworkList(ctx context.Context, net *NetworkConfigList, args *GCArgs) error
	GetStatusNetworkList(ctx context.Context, net *NetworkConfigList) error

	GetCachedAttachments(containerID string) ([]*NetworkAttachment, error)

	GetVersionInfo(ctx context.Context, pluginType string) (version.PluginInfo, error)
}
