package sandbox

// Capability argument names of the CNI conventions, for WithCapability
// and ForNetwork.
const (
	CapPortMappings = "portMappings"
	CapBandwidth    = "bandwidth"
	CapIPRanges     = "ipRanges"
	CapDNS          = "dns"
	CapMAC          = "mac"
	CapIPs          = "ips"
	CapAliases      = "aliases"
	CapCgroupPath   = "cgroupPath"
)

// OrderCapability is the capability argument under which Attach records,
// in each attachment's cache entry, the attachment's position (a number
// from 0) in the sandbox's attach order. No plugin declares it, so libcni
// passes it to none.
const OrderCapability = "cnirt.dev/sandbox-attach-order"

// PortMapping is one entry of the portMappings capability.
type PortMapping struct {
	// HostPort is the port on the host.
	HostPort int `json:"hostPort"`
	// ContainerPort is the port in the sandbox.
	ContainerPort int `json:"containerPort"`
	// Protocol is "tcp", "udp" or "sctp".
	Protocol string `json:"protocol,omitempty"`
	// HostIP restricts the mapping to one host address.
	HostIP string `json:"hostIP,omitempty"`
}

// Bandwidth is the bandwidth capability: rates in bits per second,
// bursts in bits.
type Bandwidth struct {
	// IngressRate and IngressBurst limit traffic into the sandbox.
	IngressRate  uint64 `json:"ingressRate,omitempty"`
	IngressBurst uint64 `json:"ingressBurst,omitempty"`
	// EgressRate and EgressBurst limit traffic out of the sandbox.
	EgressRate  uint64 `json:"egressRate,omitempty"`
	EgressBurst uint64 `json:"egressBurst,omitempty"`
}

// IPRange is one range of the ipRanges capability.
type IPRange struct {
	// Subnet is the range's subnet in CIDR notation.
	Subnet string `json:"subnet"`
	// RangeStart and RangeEnd bound the addresses handed out.
	RangeStart string `json:"rangeStart,omitempty"`
	RangeEnd   string `json:"rangeEnd,omitempty"`
	// Gateway is the subnet's gateway.
	Gateway string `json:"gateway,omitempty"`
}

// DNS is the dns capability.
type DNS struct {
	// Servers are the name servers.
	Servers []string `json:"servers,omitempty"`
	// Searches are the search domains.
	Searches []string `json:"searches,omitempty"`
	// Options are resolver options.
	Options []string `json:"options,omitempty"`
}

// AttachOption sets what one Attach passes to the plugins.
type AttachOption func(*attachOptions)

type attachOptions struct {
	caps       map[string]interface{}
	args       [][2]string
	perNetwork map[string]*attachOptions
}

// WithPortMappings sets the portMappings capability.
func WithPortMappings(pm ...PortMapping) AttachOption {
	return WithCapability(CapPortMappings, append([]PortMapping{}, pm...))
}

// WithBandwidth sets the bandwidth capability.
func WithBandwidth(b Bandwidth) AttachOption { return WithCapability(CapBandwidth, b) }

// WithIPRanges sets the ipRanges capability: one set of ranges per
// address family or pool.
func WithIPRanges(ranges ...[]IPRange) AttachOption {
	return WithCapability(CapIPRanges, append([][]IPRange{}, ranges...))
}

// WithDNS sets the dns capability.
func WithDNS(d DNS) AttachOption { return WithCapability(CapDNS, d) }

// WithMAC sets the mac capability (use with ForNetwork when the sandbox
// has several networks).
func WithMAC(mac string) AttachOption { return WithCapability(CapMAC, mac) }

// WithIPs sets the ips capability, addresses in CIDR notation.
func WithIPs(ips ...string) AttachOption {
	return WithCapability(CapIPs, append([]string{}, ips...))
}

// WithAliases sets the aliases capability.
func WithAliases(aliases ...string) AttachOption {
	return WithCapability(CapAliases, append([]string{}, aliases...))
}

// WithCgroupPath sets the cgroupPath capability.
func WithCgroupPath(path string) AttachOption { return WithCapability(CapCgroupPath, path) }

// WithCapability sets the capability argument name to value, which must
// encode to JSON. libcni passes it only to the plugins that declare the
// capability.
func WithCapability(name string, value interface{}) AttachOption {
	return func(o *attachOptions) {
		if o.caps == nil {
			o.caps = map[string]interface{}{}
		}
		o.caps[name] = value
	}
}

// WithArgs appends a CNI_ARGS key/value pair.
func WithArgs(key, value string) AttachOption {
	return func(o *attachOptions) { o.args = append(o.args, [2]string{key, value}) }
}

// ForNetwork applies opts to the named network only, on top of (and
// overriding) the options for all networks.
func ForNetwork(network string, opts ...AttachOption) AttachOption {
	return func(o *attachOptions) {
		if o.perNetwork == nil {
			o.perNetwork = map[string]*attachOptions{}
		}
		sub := o.perNetwork[network]
		if sub == nil {
			sub = &attachOptions{}
			o.perNetwork[network] = sub
		}
		for _, opt := range opts {
			if opt != nil {
				opt(sub)
			}
		}
	}
}

// forNetwork returns the capability arguments and CNI_ARGS of network,
// with the attach order recorded.
func (o *attachOptions) forNetwork(network string, order int) (map[string]interface{}, [][2]string) {
	caps := make(map[string]interface{}, len(o.caps)+1)
	for k, v := range o.caps {
		caps[k] = v
	}
	args := append([][2]string(nil), o.args...)
	if sub := o.perNetwork[network]; sub != nil {
		for k, v := range sub.caps {
			caps[k] = v
		}
		args = append(args, sub.args...)
	}
	caps[OrderCapability] = order
	return caps, args
}
