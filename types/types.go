// Package types holds the data model shared by every CNI spec version:
// plugin and network configurations, IP networks, routes, DNS settings, the
// Result interface implemented by each version's result, and the error
// object plugins print.
//
// Version-specific results live in the sub-packages types/020 (0.1.0,
// 0.2.0), types/040 (0.3.0, 0.3.1, 0.4.0) and types/100 (1.0.0, 1.1.0);
// types/create builds the right one from JSON.
package types

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
)

// IPNet is a net.IPNet whose JSON form is the CIDR string "address/len",
// keeping the host bits of the address (10.1.2.3/24, not 10.1.2.0/24).
type IPNet net.IPNet

// ParseCIDR parses s as a CIDR like net.ParseCIDR, but keeps the full
// address in the returned network's IP instead of masking it.
func ParseCIDR(s string) (*net.IPNet, error) {
	ip, ipn, err := net.ParseCIDR(s)
	if err != nil {
		return nil, err
	}
	ipn.IP = ip
	return ipn, nil
}

// MarshalJSON encodes the network as a CIDR string.
func (n IPNet) MarshalJSON() ([]byte, error) {
	return json.Marshal((*net.IPNet)(&n).String())
}

// UnmarshalJSON decodes a CIDR string, keeping the address's host bits.
func (n *IPNet) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	parsed, err := ParseCIDR(s)
	if err != nil {
		return err
	}
	*n = IPNet(*parsed)
	return nil
}

// NetConf is the historical name of PluginConf.
type NetConf = PluginConf

// PluginConf holds the fields every plugin's configuration shares. Plugins
// embed it in their own configuration struct.
type PluginConf struct {
	// CNIVersion is the spec version of this configuration.
	CNIVersion string `json:"cniVersion,omitempty"`

	// Name is the network's name.
	Name string `json:"name,omitempty"`
	// Type names the plugin executable.
	Type string `json:"type,omitempty"`
	// Capabilities lists the capability arguments the plugin accepts.
	Capabilities map[string]bool `json:"capabilities,omitempty"`
	// IPAM names the IPAM plugin, when the plugin delegates addressing.
	IPAM IPAM `json:"ipam,omitempty"`
	// DNS holds the DNS settings the plugin should report.
	DNS DNS `json:"dns,omitempty"`

	// RawPrevResult is the previous plugin's result as decoded JSON.
	RawPrevResult map[string]interface{} `json:"prevResult,omitempty"`
	// PrevResult is RawPrevResult parsed into a versioned Result (see
	// version.ParsePrevResult).
	PrevResult Result `json:"-"`

	// ValidAttachments is set on GC: the attachments that must be kept.
	ValidAttachments []GCAttachment `json:"cni.dev/valid-attachments,omitempty"`
}

// GCAttachment names one attachment that garbage collection must keep.
type GCAttachment struct {
	// ContainerID is the attachment's container.
	ContainerID string `json:"containerID"`
	// IfName is the attachment's interface name.
	IfName string `json:"ifname"`
}

// pluginConfJSON is PluginConf with the DNS settings behind a pointer, so
// that empty DNS settings are left out of the encoding.
type pluginConfJSON struct {
	CNIVersion       string                 `json:"cniVersion,omitempty"`
	Name             string                 `json:"name,omitempty"`
	Type             string                 `json:"type,omitempty"`
	Capabilities     map[string]bool        `json:"capabilities,omitempty"`
	IPAM             IPAM                   `json:"ipam"`
	DNS              *DNS                   `json:"dns,omitempty"`
	RawPrevResult    map[string]interface{} `json:"prevResult,omitempty"`
	ValidAttachments []GCAttachment         `json:"cni.dev/valid-attachments,omitempty"`
}

// MarshalJSON encodes the configuration, leaving out empty DNS settings.
func (n *PluginConf) MarshalJSON() ([]byte, error) {
	out := pluginConfJSON{
		CNIVersion:       n.CNIVersion,
		Name:             n.Name,
		Type:             n.Type,
		Capabilities:     n.Capabilities,
		IPAM:             n.IPAM,
		RawPrevResult:    n.RawPrevResult,
		ValidAttachments: n.ValidAttachments,
	}
	if !n.DNS.IsEmpty() {
		out.DNS = &n.DNS
	}
	return json.Marshal(&out)
}

// IPAM names the IPAM plugin a plugin delegates address management to.
type IPAM struct {
	// Type names the IPAM plugin executable.
	Type string `json:"type,omitempty"`
}

// IsEmpty reports whether no IPAM plugin is named.
func (i *IPAM) IsEmpty() bool {
	return i.Type == ""
}

// NetConfList is the decoded form of a network configuration list.
type NetConfList struct {
	// CNIVersion is the spec version of the list.
	CNIVersion string `json:"cniVersion,omitempty"`

	// Name is the network's name.
	Name string `json:"name,omitempty"`
	// DisableCheck turns CHECK into a no-op.
	DisableCheck bool `json:"disableCheck,omitempty"`
	// DisableGC turns GC into a no-op.
	DisableGC bool `json:"disableGC,omitempty"`
	// Plugins is the chain of plugins.
	Plugins []*PluginConf `json:"plugins,omitempty"`
}

// Result is implemented by the result of every spec version.
type Result interface {
	// Version is the spec version the result is in.
	Version() string

	// GetAsVersion converts the result to another spec version, or fails
	// when that version cannot express it.
	GetAsVersion(version string) (Result, error)

	// Print writes the result's JSON to standard output.
	Print() error

	// PrintTo writes the result's JSON to writer.
	PrintTo(writer io.Writer) error
}

// PrintResult converts result to version and prints it to standard output.
func PrintResult(result Result, version string) error {
	converted, err := result.GetAsVersion(version)
	if err != nil {
		return err
	}
	return converted.Print()
}

// DNS holds the DNS settings of a result or configuration.
type DNS struct {
	// Nameservers lists name server addresses, in priority order.
	Nameservers []string `json:"nameservers,omitempty"`
	// Domain is the local domain for short host names.
	Domain string `json:"domain,omitempty"`
	// Search lists the search domains, in priority order.
	Search []string `json:"search,omitempty"`
	// Options lists resolver options.
	Options []string `json:"options,omitempty"`
}

// IsEmpty reports whether no DNS setting is present.
func (d *DNS) IsEmpty() bool {
	return len(d.Nameservers) == 0 && d.Domain == "" && len(d.Search) == 0 && len(d.Options) == 0
}

// Copy returns a deep copy of d, or nil when d is nil.
func (d *DNS) Copy() *DNS {
	if d == nil {
		return nil
	}
	return &DNS{
		Nameservers: append([]string(nil), d.Nameservers...),
		Domain:      d.Domain,
		Search:      append([]string(nil), d.Search...),
		Options:     append([]string(nil), d.Options...),
	}
}

// Route is a route of a result. MTU, AdvMSS, Priority, Table and Scope are
// spec 1.1.0 additions; zero and nil mean "not set".
type Route struct {
	// Dst is the destination network.
	Dst net.IPNet
	// GW is the next hop; nil means the default gateway of the interface.
	GW net.IP
	// MTU is the route's MTU.
	MTU int
	// AdvMSS is the advertised maximum segment size.
	AdvMSS int
	// Priority is the route's priority (metric).
	Priority int
	// Table is the routing table, when not the main table.
	Table *int
	// Scope is the route's scope.
	Scope *int
}

// String describes the route for logs.
func (r *Route) String() string {
	return fmt.Sprintf("{Dst:%+v GW:%v MTU:%d AdvMSS:%d Priority:%d Table:%s Scope:%s}",
		r.Dst, r.GW, r.MTU, r.AdvMSS, r.Priority, optInt(r.Table), optInt(r.Scope))
}

func optInt(p *int) string {
	if p == nil {
		return "<nil>"
	}
	return strconv.Itoa(*p)
}

// Copy returns a deep copy of r, or nil when r is nil.
func (r *Route) Copy() *Route {
	if r == nil {
		return nil
	}
	out := *r
	out.Table = copyInt(r.Table)
	out.Scope = copyInt(r.Scope)
	return &out
}

func copyInt(p *int) *int {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// routeJSON is the wire form of a Route.
type routeJSON struct {
	Dst      IPNet  `json:"dst"`
	GW       net.IP `json:"gw,omitempty"`
	MTU      int    `json:"mtu,omitempty"`
	AdvMSS   int    `json:"advmss,omitempty"`
	Priority int    `json:"priority,omitempty"`
	Table    *int   `json:"table,omitempty"`
	Scope    *int   `json:"scope,omitempty"`
}

// UnmarshalJSON decodes a route object.
func (r *Route) UnmarshalJSON(data []byte) error {
	var w routeJSON
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*r = Route{
		Dst:      net.IPNet(w.Dst),
		GW:       w.GW,
		MTU:      w.MTU,
		AdvMSS:   w.AdvMSS,
		Priority: w.Priority,
		Table:    w.Table,
		Scope:    w.Scope,
	}
	return nil
}

// MarshalJSON encodes the route object.
func (r Route) MarshalJSON() ([]byte, error) {
	return json.Marshal(routeJSON{
		Dst:      IPNet(r.Dst),
		GW:       r.GW,
		MTU:      r.MTU,
		AdvMSS:   r.AdvMSS,
		Priority: r.Priority,
		Table:    r.Table,
		Scope:    r.Scope,
	})
}

// Well-known error codes of the CNI specification. Codes 100 and above
// belong to plugins.
const (
	ErrUnknown                     uint = iota // 0
	ErrIncompatibleCNIVersion                  // 1
	ErrUnsupportedField                        // 2
	ErrUnknownContainer                        // 3
	ErrInvalidEnvironmentVariables             // 4
	ErrIOFailure                               // 5
	ErrDecodingFailure                         // 6
	ErrInvalidNetworkConfig                    // 7
	ErrInvalidNetNS                            // 8
	ErrTryAgainLater               uint = 11
	ErrInternal                    uint = 999
)

// Well-known STATUS error codes of spec 1.1.0, with the reference
// library's names and values.
const (
	// ErrPluginNotAvailable means the plugin is not available: it cannot
	// service ADD requests for now.
	ErrPluginNotAvailable uint = 50
	// ErrLimitedConnectivity means the plugin is not available and the
	// containers already in the network may have limited connectivity.
	ErrLimitedConnectivity uint = 51
)

// Error is the error object a plugin prints on failure. It is a Go error;
// its JSON form is the spec's {"code", "msg", "details"}.
type Error struct {
	// Code is a well-known code (see the Err constants) or a plugin's own
	// (100 and above).
	Code uint `json:"code"`
	// Msg is a short description.
	Msg string `json:"msg"`
	// Details gives more context, when known.
	Details string `json:"details,omitempty"`

	// cause is what Unwrap returns; not part of the JSON form.
	cause error
}

// NewError returns an Error with the given code, message and details.
func NewError(code uint, msg, details string) *Error {
	return &Error{Code: code, Msg: msg, Details: details}
}

// WrapError returns an Error with the given code, message and details
// whose Unwrap gives cause, so errors.Is and errors.As reach it. The cause
// is not part of the error's text or JSON form. invoke uses it to return a
// failed plugin run as a *types.Error, as the reference library does,
// while keeping its own typed reason (an *invoke.ExitError) reachable.
func WrapError(code uint, msg, details string, cause error) *Error {
	return &Error{Code: code, Msg: msg, Details: details, cause: cause}
}

// Unwrap returns the cause given to WrapError, or nil.
func (e *Error) Unwrap() error { return e.cause }

// Error returns the message, followed by "; details" when there are
// details.
func (e *Error) Error() string {
	if e.Details == "" {
		return e.Msg
	}
	return e.Msg + "; " + e.Details
}

// Print writes the error's JSON to standard output.
func (e *Error) Print() error {
	return prettyPrint(os.Stdout, e)
}

// prettyPrint writes obj as JSON indented by four spaces, the layout
// plugins print.
func prettyPrint(w io.Writer, obj interface{}) error {
	data, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, data, "", "    "); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}
