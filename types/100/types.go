// Package types100 implements the results of CNI spec versions 1.0.0 and
// 1.1.0, which share one shape: interfaces, addresses (without the IP
// version field of 0.3.x/0.4.0), routes and DNS settings. Version 1.1.0
// adds the route fields mtu, advmss, priority, table and scope and the
// interface fields mtu, socketPath and pciID; they are simply left out
// when unset.
package types100

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/cnirt/cni/pkg/jsonx"
	"github.com/cnirt/cni/types"
	types040 "github.com/cnirt/cni/types/040"
	"github.com/cnirt/cni/types/internal/codec"
	"github.com/cnirt/cni/types/internal/convert"
)

// ImplementedSpecVersion is the newest spec version this package's
// Result implements.
const ImplementedSpecVersion string = "1.1.0"

func supported() []string { return []string{"1.0.0", ImplementedSpecVersion} }

func init() {
	// Up from older versions.
	convert.RegisterConverter("0.1.0", supported(), convertFrom02x)
	convert.RegisterConverter("0.2.0", supported(), convertFrom02x)
	for _, v := range []string{"0.3.0", "0.3.1", "0.4.0"} {
		convert.RegisterConverter(v, supported(), convertFrom04x)
	}
	// Between 1.0.0 and 1.1.0, and down.
	convert.RegisterConverter("1.0.0", []string{ImplementedSpecVersion}, convertSame)
	convert.RegisterConverter(ImplementedSpecVersion, []string{"1.0.0"}, convertSame)
	for _, v := range supported() {
		convert.RegisterConverter(v, []string{"0.3.0", "0.3.1", "0.4.0"}, convertTo04x)
		convert.RegisterConverter(v, []string{"0.1.0", "0.2.0"}, convertTo02x)
	}
	convert.RegisterCreator(supported(), newResult)
}

// NewResult parses a 1.0.0 or 1.1.0 result from its JSON.
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
	case "1.0.0", ImplementedSpecVersion:
		return r, nil
	}
	return nil, &convert.VersionError{Version: r.CNIVersion, Supported: supported()}
}

// GetResult converts r to a 1.1.0 Result.
func GetResult(r types.Result) (*Result, error) {
	return codec.As[*Result](r.GetAsVersion(ImplementedSpecVersion))
}

// NewResultFromResult converts result to a 1.1.0 Result.
func NewResultFromResult(result types.Result) (*Result, error) {
	return codec.As[*Result](convert.Convert(result, ImplementedSpecVersion))
}

// Result is the result of a 1.0.0 or 1.1.0 plugin.
type Result struct {
	// CNIVersion is the spec version of the result.
	CNIVersion string `json:"cniVersion,omitempty"`
	// Interfaces lists the interfaces the plugin created or configured.
	Interfaces []*Interface `json:"interfaces,omitempty"`
	// IPs lists the addresses assigned.
	IPs []*IPConfig `json:"ips,omitempty"`
	// Routes lists the routes configured.
	Routes []*types.Route `json:"routes,omitempty"`
	// DNS holds the DNS settings; left out of the JSON when empty.
	DNS types.DNS `json:"dns,omitempty"`
}

// MarshalJSON encodes the result as compact JSON with members in
// alphabetical order at every level, leaving out empty DNS settings.
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

// convertSame converts between 1.0.0 and 1.1.0: a deep copy with the new
// version.
func convertSame(from types.Result, toVersion string) (types.Result, error) {
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
	if len(r.IPs) > 0 {
		out.IPs = make([]*IPConfig, len(r.IPs))
		block := make([]ipSlot, len(r.IPs))
		for i, ip := range r.IPs {
			if ip != nil {
				slot := &block[i]
				slot.V = *ip
				if ip.Interface != nil {
					slot.Index = *ip.Interface
					slot.V.Interface = &slot.Index
				}
				out.IPs[i] = &slot.V
			}
		}
	}
	if r.Routes != nil {
		out.Routes = codec.CopyRoutes(r.Routes)
	}
	return out, nil
}

// convertFrom02x converts a 0.1.0/0.2.0 result through 0.4.0.
func convertFrom02x(from types.Result, toVersion string) (types.Result, error) {
	r040, err := convert.Convert(from, types040.ImplementedSpecVersion)
	if err != nil {
		return nil, fromOriginal(err, from)
	}
	return convertFrom04x(r040, toVersion)
}

// convertFrom04x drops the IP version field of each address.
func convertFrom04x(from types.Result, toVersion string) (types.Result, error) {
	r, ok := from.(*types040.Result)
	if !ok {
		return nil, convert.Mismatch(from, toVersion)
	}
	out := &Result{CNIVersion: toVersion, DNS: codec.CopyDNS(&r.DNS)}
	if len(r.Interfaces) > 0 {
		out.Interfaces = make([]*Interface, len(r.Interfaces))
		block := make([]Interface, len(r.Interfaces))
		for i, intf := range r.Interfaces {
			if intf == nil {
				return nil, convert.NullElement(from, toVersion, "interfaces", i)
			}
			block[i] = Interface{Name: intf.Name, Mac: intf.Mac, Sandbox: intf.Sandbox}
			out.Interfaces[i] = &block[i]
		}
	}
	if len(r.IPs) > 0 {
		out.IPs = make([]*IPConfig, len(r.IPs))
		block := make([]ipSlot, len(r.IPs))
		for i, ip := range r.IPs {
			if ip == nil {
				return nil, convert.NullElement(from, toVersion, "ips", i)
			}
			slot := &block[i]
			slot.V = IPConfig{Address: ip.Address, Gateway: ip.Gateway}
			if ip.Interface != nil {
				slot.Index = *ip.Interface
				slot.V.Interface = &slot.Index
			}
			out.IPs[i] = &slot.V
		}
	}
	out.Routes = codec.CopyRoutes(r.Routes)
	return out, nil
}

// slot040 holds a converted 0.4.0 address together with the storage for
// its interface index.
type slot040 = codec.IndexSlot[types040.IPConfig]

// convertTo04x adds the IP version field, derived from each address, and
// drops the 1.1.0 interface fields (the routes keep theirs).
func convertTo04x(from types.Result, toVersion string) (types.Result, error) {
	r, ok := from.(*Result)
	if !ok {
		return nil, convert.Mismatch(from, toVersion)
	}
	out := &types040.Result{CNIVersion: toVersion, DNS: codec.CopyDNS(&r.DNS)}
	if len(r.Interfaces) > 0 {
		out.Interfaces = make([]*types040.Interface, len(r.Interfaces))
		block := make([]types040.Interface, len(r.Interfaces))
		for i, intf := range r.Interfaces {
			if intf == nil {
				return nil, convert.NullElement(from, toVersion, "interfaces", i)
			}
			block[i] = types040.Interface{Name: intf.Name, Mac: intf.Mac, Sandbox: intf.Sandbox}
			out.Interfaces[i] = &block[i]
		}
	}
	if len(r.IPs) > 0 {
		out.IPs = make([]*types040.IPConfig, len(r.IPs))
		block := make([]slot040, len(r.IPs))
		for i, ip := range r.IPs {
			if ip == nil {
				return nil, convert.NullElement(from, toVersion, "ips", i)
			}
			ver := "6"
			if ip.Address.IP.To4() != nil {
				ver = "4"
			}
			slot := &block[i]
			slot.V = types040.IPConfig{Version: ver, Address: ip.Address, Gateway: ip.Gateway}
			if ip.Interface != nil {
				slot.Index = *ip.Interface
				slot.V.Interface = &slot.Index
			}
			out.IPs[i] = &slot.V
		}
	}
	out.Routes = codec.CopyRoutes(r.Routes)
	return out, nil
}

// convertTo02x converts through 0.4.0.
func convertTo02x(from types.Result, toVersion string) (types.Result, error) {
	r040, err := convertTo04x(from, types040.ImplementedSpecVersion)
	if err != nil {
		return nil, err
	}
	out, err := convert.Convert(r040, toVersion)
	return out, fromOriginal(err, from)
}

// fromOriginal makes a conversion error raised at an intermediate step
// name the version the caller converted from.
func fromOriginal(err error, from types.Result) error {
	if ce, ok := err.(*convert.ConversionError); ok {
		ce.From = from.Version()
	}
	return err
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

// PrintTo writes the result as JSON indented by four spaces to writer,
// with members in alphabetical order and empty DNS settings left out.
func (r *Result) PrintTo(writer io.Writer) error {
	e := jsonx.NewEncoder(make([]byte, 0, 2048), "    ")
	return codec.Write(writer, &e, r.encode(&e))
}

func (r *Result) decode(data []byte) error {
	var d jsonx.Decoder
	d.Reset(data)
	err := codec.DecodeListResult(&d, "types100.Result", &r.CNIVersion, &r.Routes, &r.DNS,
		func() error {
			return codec.DecodePtrs(&d, &r.Interfaces, "[]*types100.Interface", codec.Same[Interface],
				func(v, _ *Interface) error { return v.decode(&d) })
		},
		func() error {
			return codec.DecodeIndexed(&d, &r.IPs, "[]*types100.IPConfig",
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

// encode writes the result in the layout of the reference encoding: keys
// sorted at every level, DNS left out when empty.
func (r *Result) encode(e *jsonx.Encoder) error {
	e.ObjectStart()
	if r.CNIVersion != "" {
		e.Key("cniVersion")
		e.String(r.CNIVersion)
	}
	if !r.DNS.IsEmpty() {
		e.Key("dns")
		codec.EncodeDNS(e, &r.DNS, true)
	}
	err := codec.EncodeArray(e, "interfaces", r.Interfaces, func(i *Interface) error {
		i.encode(e)
		return nil
	})
	if err == nil {
		err = codec.EncodeArray(e, "ips", r.IPs, func(c *IPConfig) error { return c.encode(e, true) })
	}
	if err == nil {
		err = codec.EncodeArray(e, "routes", r.Routes, func(rt *types.Route) error {
			return codec.EncodeRoute(e, rt, true)
		})
	}
	if err != nil {
		return err
	}
	e.ObjectEnd()
	return nil
}

// Interface describes an interface the plugin created or configured.
type Interface struct {
	// Name is the interface name.
	Name string `json:"name"`
	// Mac is the hardware address, if any.
	Mac string `json:"mac,omitempty"`
	// Mtu is the interface MTU (spec 1.1.0); 0 means unset.
	Mtu int `json:"mtu,omitempty"`
	// Sandbox is the path of the network namespace holding the
	// interface; empty for interfaces on the host.
	Sandbox string `json:"sandbox,omitempty"`
	// SocketPath is the path of a socket for userspace networking
	// interfaces such as vhost-user (spec 1.1.0).
	SocketPath string `json:"socketPath,omitempty"`
	// PciID is the PCI address of a passed-through device (spec 1.1.0).
	PciID string `json:"pciID,omitempty"`
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
	return jsonx.InStruct(codec.DecodeObject(d, "types100.Interface", func(key []byte) error {
		switch {
		case jsonx.FoldKey(key, "mtu"):
			return jsonx.InField(codec.DecodeInt(d, &i.Mtu), "mtu")
		case jsonx.FoldKey(key, "socketPath"):
			return jsonx.InField(codec.DecodeString(d, &i.SocketPath), "socketPath")
		case jsonx.FoldKey(key, "pciID"):
			return jsonx.InField(codec.DecodeString(d, &i.PciID), "pciID")
		}
		return codec.DecodeInterfaceMember(d, key, &i.Name, &i.Mac, &i.Sandbox)
	}), "Interface")
}

// encode writes the interface with members in alphabetical order.
func (i *Interface) encode(e *jsonx.Encoder) {
	if i == nil {
		e.Null()
		return
	}
	e.ObjectStart()
	if i.Mac != "" {
		e.Key("mac")
		e.String(i.Mac)
	}
	if i.Mtu != 0 {
		e.Key("mtu")
		e.Int(i.Mtu)
	}
	e.Key("name")
	e.String(i.Name)
	if i.PciID != "" {
		e.Key("pciID")
		e.String(i.PciID)
	}
	if i.Sandbox != "" {
		e.Key("sandbox")
		e.String(i.Sandbox)
	}
	if i.SocketPath != "" {
		e.Key("socketPath")
		e.String(i.SocketPath)
	}
	e.ObjectEnd()
}

// Int returns a pointer to a copy of v, for IPConfig.Interface.
func Int(v int) *int {
	return &v
}

// IPConfig is one address of a result.
type IPConfig struct {
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

// MarshalJSON encodes the configuration as {"interface", "address",
// "gateway"}, leaving out an unset interface and gateway.
func (c *IPConfig) MarshalJSON() ([]byte, error) {
	e := jsonx.NewEncoder(make([]byte, 0, 128), "")
	return codec.Bytes(&e, c.encode(&e, false))
}

// UnmarshalJSON decodes {"interface", "address", "gateway"}, replacing
// every field of c.
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
	return codec.DecodeObject(d, "types100.ipConfig", func(key []byte) error {
		return codec.DecodeAddressMember(d, key, &c.Interface, spare, &c.Address, &c.Gateway)
	})
}

// encode writes the configuration; sorted puts members in alphabetical
// order (address, gateway, interface) as the result encoding does.
func (c *IPConfig) encode(e *jsonx.Encoder, sorted bool) error {
	if c == nil {
		e.Null()
		return nil
	}
	e.ObjectStart()
	if !sorted && c.Interface != nil {
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
	if sorted && c.Interface != nil {
		e.Key("interface")
		e.Int(*c.Interface)
	}
	e.ObjectEnd()
	return nil
}

var (
	_ json.Marshaler   = (*Result)(nil)
	_ json.Unmarshaler = (*Result)(nil)
	_ types.Result     = (*Result)(nil)
)
