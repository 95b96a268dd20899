// Package types040 implements the results of CNI spec versions 0.3.0,
// 0.3.1 and 0.4.0: a list of interfaces, a list of addresses (each with an
// IP version and an optional index into the interfaces), routes and DNS
// settings.
package types040

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/cnirt/cni/pkg/jsonx"
	"github.com/cnirt/cni/types"
	types020 "github.com/cnirt/cni/types/020"
	"github.com/cnirt/cni/types/internal/codec"
	"github.com/cnirt/cni/types/internal/convert"
)

// ImplementedSpecVersion is the newest spec version this package's
// Result implements.
const ImplementedSpecVersion string = "0.4.0"

func supported() []string { return []string{"0.3.0", "0.3.1", ImplementedSpecVersion} }

func init() {
	// Up from 0.1.0/0.2.0, and between the 0.3.x/0.4.0 versions.
	convert.RegisterConverter("0.1.0", supported(), convertFrom02x)
	convert.RegisterConverter("0.2.0", supported(), convertFrom02x)
	convert.RegisterConverter("0.3.0", supported(), convertInternal)
	convert.RegisterConverter("0.3.1", supported(), convertInternal)
	convert.RegisterConverter(ImplementedSpecVersion, []string{"0.3.0", "0.3.1"}, convertInternal)
	// Down to 0.1.0/0.2.0.
	for _, v := range supported() {
		convert.RegisterConverter(v, []string{"0.1.0", "0.2.0"}, convertTo02x)
	}
	convert.RegisterCreator(supported(), newResult)
}

// NewResult parses a 0.3.0, 0.3.1 or 0.4.0 result from its JSON.
func NewResult(data []byte) (types.Result, error) {
	return newResult(data, "")
}

// newResult parses a result; one without cniVersion is taken to be in
// fallbackVersion when that is not empty.
func newResult(data []byte, fallbackVersion string) (types.Result, error) {
	r := &Result{}
	if err := r.decode(data); err != nil {
		return nil, err
	}
	if r.CNIVersion == "" {
		r.CNIVersion = fallbackVersion
	}
	switch r.CNIVersion {
	case "0.3.0", "0.3.1", ImplementedSpecVersion:
		return r, nil
	}
	return nil, &convert.VersionError{Version: r.CNIVersion, Supported: supported()}
}

// GetResult converts r to a 0.4.0 Result.
func GetResult(r types.Result) (*Result, error) {
	return codec.As[*Result](r.GetAsVersion(ImplementedSpecVersion))
}

// NewResultFromResult converts result to a 0.4.0 Result.
func NewResultFromResult(result types.Result) (*Result, error) {
	return codec.As[*Result](convert.Convert(result, ImplementedSpecVersion))
}

// Result is the result of a 0.3.0, 0.3.1 or 0.4.0 plugin.
type Result struct {
	// CNIVersion is the spec version of the result.
	CNIVersion string `json:"cniVersion,omitempty"`
	// Interfaces lists the interfaces the plugin created or configured.
	Interfaces []*Interface `json:"interfaces,omitempty"`
	// IPs lists the addresses assigned.
	IPs []*IPConfig `json:"ips,omitempty"`
	// Routes lists the routes configured.
	Routes []*types.Route `json:"routes,omitempty"`
	// DNS holds the DNS settings.
	DNS types.DNS `json:"dns,omitempty"`
}

// convertFrom02x turns the single IPv4 and IPv6 configurations of a
// 0.1.0/0.2.0 result into address entries (IPv4 first) and gathers their
// routes.
func convertFrom02x(from types.Result, toVersion string) (types.Result, error) {
	r, ok := from.(*types020.Result)
	if !ok {
		return nil, convert.Mismatch(from, toVersion)
	}
	out := &Result{CNIVersion: toVersion, DNS: codec.CopyDNS(&r.DNS)}
	var routes []*types.Route
	for _, c := range []struct {
		cfg *types020.IPConfig
		ver string
	}{{r.IP4, "4"}, {r.IP6, "6"}} {
		if c.cfg == nil {
			continue
		}
		out.IPs = append(out.IPs, &IPConfig{Version: c.ver, Address: c.cfg.IP, Gateway: c.cfg.Gateway})
		for k := range c.cfg.Routes {
			routes = append(routes, &c.cfg.Routes[k])
		}
	}
	out.Routes = codec.CopyRoutes(routes)
	return out, nil
}

// convertInternal converts between 0.3.0, 0.3.1 and 0.4.0, which share
// one shape: a deep copy with the new version.
func convertInternal(from types.Result, toVersion string) (types.Result, error) {
	r, ok := from.(*Result)
	if !ok {
		return nil, convert.Mismatch(from, toVersion)
	}
	out := &Result{CNIVersion: toVersion, DNS: codec.CopyDNS(&r.DNS)}
	if len(r.Interfaces) > 0 {
		out.Interfaces = make([]*Interface, len(r.Interfaces))
		block := make([]Interface, len(r.Interfaces))
		for i, intf := range r.Interfaces {
			if intf != nil {
				block[i] = *intf
				out.Interfaces[i] = &block[i]
			}
		}
	}
	out.IPs = copyIPs(r.IPs)
	out.Routes = codec.CopyRoutes(r.Routes)
	return out, nil
}

func copyIPs(from []*IPConfig) []*IPConfig {
	if len(from) == 0 {
		return nil
	}
	out := make([]*IPConfig, len(from))
	block := make([]ipSlot, len(from))
	for i, c := range from {
		if c == nil {
			continue
		}
		block[i].V = *c
		if c.Interface != nil {
			block[i].Index = *c.Interface
			block[i].V.Interface = &block[i].Index
		}
		out[i] = &block[i].V
	}
	return out
}

// convertTo02x keeps the first IPv4 and the first IPv6 address (by their
// version field) and the routes of each family; it fails when the result
// has neither, as 0.1.0/0.2.0 results need an address.
func convertTo02x(from types.Result, toVersion string) (types.Result, error) {
	r, ok := from.(*Result)
	if !ok {
		return nil, convert.Mismatch(from, toVersion)
	}
	out := &types020.Result{CNIVersion: toVersion, DNS: codec.CopyDNS(&r.DNS)}
	for i, ip := range r.IPs {
		if ip == nil {
			return nil, convert.NullElement(from, toVersion, "ips", i)
		}
		switch {
		case ip.Version == "4" && out.IP4 == nil:
			out.IP4 = &types020.IPConfig{IP: ip.Address, Gateway: ip.Gateway}
		case ip.Version == "6" && out.IP6 == nil:
			out.IP6 = &types020.IPConfig{IP: ip.Address, Gateway: ip.Gateway}
		}
		if out.IP4 != nil && out.IP6 != nil {
			break
		}
	}
	for i, rt := range r.Routes {
		if rt == nil {
			return nil, convert.NullElement(from, toVersion, "routes", i)
		}
		target := out.IP6
		if rt.Dst.IP.To4() != nil {
			target = out.IP4
		}
		if target != nil {
			target.Routes = append(target.Routes, types.Route{Dst: rt.Dst, GW: rt.GW})
		}
	}
	if out.IP4 == nil && out.IP6 == nil {
		return nil, &convert.ConversionError{From: r.CNIVersion, To: toVersion,
			Reason: "cannot convert: no valid IP addresses"}
	}
	return out, nil
}

// Version returns the result's spec version.
func (r *Result) Version() string {
	return r.CNIVersion
}

// GetAsVersion converts the result to version (any version from 0.1.0 to
// 1.1.0 where a conversion exists). A result without a version is first
// set to ImplementedSpecVersion.
func (r *Result) GetAsVersion(version string) (types.Result, error) {
	return codec.GetAsVersion(r, &r.CNIVersion, ImplementedSpecVersion, version)
}

// Print writes the result as indented JSON to standard output.
func (r *Result) Print() error {
	return r.PrintTo(os.Stdout)
}

// PrintTo writes the result as JSON indented by four spaces to writer.
func (r *Result) PrintTo(writer io.Writer) error {
	e := jsonx.NewEncoder(make([]byte, 0, 2048), "    ")
	return codec.Write(writer, &e, r.encode(&e))
}

// MarshalJSON encodes the result as compact JSON, in the form
// encoding/json gives for the struct.
func (r *Result) MarshalJSON() ([]byte, error) {
	e := jsonx.NewEncoder(make([]byte, 0, 512), "")
	return codec.Bytes(&e, r.encode(&e))
}

// UnmarshalJSON decodes a result with the semantics encoding/json has for
// the struct: members are matched to fields case-insensitively, unknown
// members are ignored, a repeated member overwrites (objects already
// decoded are decoded into again), and null leaves a field unchanged (nil
// for slices and pointers).
func (r *Result) UnmarshalJSON(data []byte) error {
	return r.decode(data)
}

func (r *Result) decode(data []byte) error {
	var d jsonx.Decoder
	d.Reset(data)
	err := codec.DecodeListResult(&d, "types040.Result", &r.CNIVersion, &r.Routes, &r.DNS,
		func() error {
			return codec.DecodePtrs(&d, &r.Interfaces, "[]*types040.Interface", codec.Same[Interface],
				func(v, _ *Interface) error { return v.decode(&d) })
		},
		func() error {
			return codec.DecodeIndexed(&d, &r.IPs, "[]*types040.IPConfig",
				func(v *IPConfig, spare *int) error { return v.decode(&d, spare) })
		})
	if err != nil {
		// Named as encoding/json names a field of the reference's Result.
		return jsonx.InStruct(err, "Result")
	}
	return d.End()
}

// ipSlot holds an address together with the storage for its interface
// index, so both come from one allocation.
type ipSlot = codec.IndexSlot[IPConfig]

func (r *Result) encode(e *jsonx.Encoder) error {
	e.ObjectStart()
	if r.CNIVersion != "" {
		e.Key("cniVersion")
		e.String(r.CNIVersion)
	}
	err := codec.EncodeArray(e, "interfaces", r.Interfaces, func(i *Interface) error {
		i.encode(e)
		return nil
	})
	if err == nil {
		err = codec.EncodeArray(e, "ips", r.IPs, func(c *IPConfig) error { return c.encode(e) })
	}
	if err == nil {
		err = codec.EncodeArray(e, "routes", r.Routes, func(rt *types.Route) error {
			return codec.EncodeRoute(e, rt, false)
		})
	}
	if err != nil {
		return err
	}
	e.Key("dns")
	codec.EncodeDNS(e, &r.DNS, false)
	e.ObjectEnd()
	return nil
}

// Interface describes an interface the plugin created or configured.
type Interface struct {
	// Name is the interface name.
	Name string `json:"name"`
	// Mac is the hardware address, if any.
	Mac string `json:"mac,omitempty"`
	// Sandbox is the path of the network namespace holding the
	// interface; empty for interfaces on the host.
	Sandbox string `json:"sandbox,omitempty"`
}

// String formats the interface's fields for logs.
func (i *Interface) String() string {
	return fmt.Sprintf("%+v", *i)
}

// Copy returns a copy of i, or nil when i is nil.
func (i *Interface) Copy() *Interface {
	if i == nil {
		return nil
	}
	c := *i
	return &c
}

func (i *Interface) decode(d *jsonx.Decoder) error {
	return jsonx.InStruct(codec.DecodeObject(d, "types040.Interface", func(key []byte) error {
		return codec.DecodeInterfaceMember(d, key, &i.Name, &i.Mac, &i.Sandbox)
	}), "Interface")
}

func (i *Interface) encode(e *jsonx.Encoder) {
	if i == nil {
		e.Null()
		return
	}
	e.ObjectStart()
	e.Key("name")
	e.String(i.Name)
	if i.Mac != "" {
		e.Key("mac")
		e.String(i.Mac)
	}
	if i.Sandbox != "" {
		e.Key("sandbox")
		e.String(i.Sandbox)
	}
	e.ObjectEnd()
}

// Int returns a pointer to a copy of v, for IPConfig.Interface.
func Int(v int) *int {
	return &v
}

// IPConfig is one address of a result.
type IPConfig struct {
	// Version is the IP version, "4" or "6".
	Version string
	// Interface is the index into the result's Interfaces of the
	// interface holding the address, if known.
	Interface *int
	// Address is the address with its prefix length.
	Address net.IPNet
	// Gateway is the default gateway, if any.
	Gateway net.IP
}

// String formats the configuration's fields for logs.
func (i *IPConfig) String() string {
	return fmt.Sprintf("%+v", *i)
}

// Copy returns a deep copy of i, or nil when i is nil.
func (i *IPConfig) Copy() *IPConfig {
	if i == nil {
		return nil
	}
	c := *i
	if i.Interface != nil {
		c.Interface = Int(*i.Interface)
	}
	return &c
}

// MarshalJSON encodes the configuration as {"version", "interface",
// "address", "gateway"}, leaving out an unset interface and gateway.
func (c *IPConfig) MarshalJSON() ([]byte, error) {
	e := jsonx.NewEncoder(make([]byte, 0, 128), "")
	return codec.Bytes(&e, c.encode(&e))
}

// UnmarshalJSON decodes {"version", "interface", "address", "gateway"},
// replacing every field of c.
func (c *IPConfig) UnmarshalJSON(data []byte) error {
	var d jsonx.Decoder
	d.Reset(data)
	if err := c.decode(&d, nil); err != nil {
		return err
	}
	return d.End()
}

// decode reads an address object, replacing every field of c; spare, when
// not nil, is used as the storage of the interface index.
func (c *IPConfig) decode(d *jsonx.Decoder, spare *int) error {
	*c = IPConfig{}
	return codec.DecodeObject(d, "types040.ipConfig", func(key []byte) error {
		if jsonx.FoldKey(key, "version") {
			return jsonx.InField(codec.DecodeInterned(d, &c.Version), "version")
		}
		return codec.DecodeAddressMember(d, key, &c.Interface, spare, &c.Address, &c.Gateway)
	})
}

func (c *IPConfig) encode(e *jsonx.Encoder) error {
	if c == nil {
		e.Null()
		return nil
	}
	e.ObjectStart()
	e.Key("version")
	e.String(c.Version)
	if c.Interface != nil {
		e.Key("interface")
		e.Int(*c.Interface)
	}
	e.Key("address")
	codec.EncodeCIDR(e, &c.Address)
	if len(c.Gateway) > 0 {
		e.Key("gateway")
		if err := codec.EncodeIP(e, c.Gateway); err != nil {
			return err
		}
	}
	e.ObjectEnd()
	return nil
}

var (
	_ json.Marshaler   = (*Result)(nil)
	_ json.Unmarshaler = (*Result)(nil)
	_ types.Result     = (*Result)(nil)
)
