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
	conv, err := r.GetAsVersion(ImplementedSpecVersion)
	if err != nil {
		return nil, err
	}
	out, ok := conv.(*Result)
	if !ok {
		return nil, fmt.Errorf("failed to convert result: got %T, want *types100.Result", conv)
	}
	return out, nil
}

// NewResultFromResult converts result to a 1.1.0 Result.
func NewResultFromResult(result types.Result) (*Result, error) {
	conv, err := convert.Convert(result, ImplementedSpecVersion)
	if err != nil {
		return nil, err
	}
	out, ok := conv.(*Result)
	if !ok {
		return nil, fmt.Errorf("failed to convert result: got %T, want *types100.Result", conv)
	}
	return out, nil
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
	if err := r.encode(&e); err != nil {
		return nil, err
	}
	return e.Bytes(), nil
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
				slot.ip = *ip
				if ip.Interface != nil {
					slot.index = *ip.Interface
					slot.ip.Interface = &slot.index
				}
				out.IPs[i] = &slot.ip
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
			slot.ip = IPConfig{Address: ip.Address, Gateway: ip.Gateway}
			if ip.Interface != nil {
				slot.index = *ip.Interface
				slot.ip.Interface = &slot.index
			}
			out.IPs[i] = &slot.ip
		}
	}
	out.Routes = codec.CopyRoutes(r.Routes)
	return out, nil
}

// slot040 holds a converted 0.4.0 address together with the storage for
// its interface index.
type slot040 struct {
	ip    types040.IPConfig
	index int
}

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
			slot.ip = types040.IPConfig{Version: ver, Address: ip.Address, Gateway: ip.Gateway}
			if ip.Interface != nil {
				slot.index = *ip.Interface
				slot.ip.Interface = &slot.index
			}
			out.IPs[i] = &slot.ip
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
	if r.CNIVersion == "" {
		r.CNIVersion = ImplementedSpecVersion
	}
	return convert.Convert(r, version)
}

// Print writes the result as indented JSON to standard output.
func (r *Result) Print() error {
	return r.PrintTo(os.Stdout)
}

// PrintTo writes the result as JSON indented by four spaces to writer,
// with members in alphabetical order and empty DNS settings left out.
func (r *Result) PrintTo(writer io.Writer) error {
	e := jsonx.NewEncoder(make([]byte, 0, 2048), "    ")
	if err := r.encode(&e); err != nil {
		return err
	}
	_, err := writer.Write(e.Bytes())
	return err
}

func (r *Result) decode(data []byte) error {
	var d jsonx.Decoder
	d.Reset(data)
	null, err := d.ObjectStart("types100.Result")
	if err != nil {
		return err
	}
	if !null {
		for first := true; ; first = false {
			key, ok, err := d.ObjectKey(first)
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			switch {
			case jsonx.FoldKey(key, "cniVersion"):
				err = jsonx.InField(decodeVersion(&d, &r.CNIVersion), "cniVersion")
			case jsonx.FoldKey(key, "interfaces"):
				err = jsonx.InField(decodeInterfaces(&d, &r.Interfaces), "interfaces")
			case jsonx.FoldKey(key, "ips"):
				err = jsonx.InField(decodeIPs(&d, &r.IPs), "ips")
			case jsonx.FoldKey(key, "routes"):
				err = jsonx.InField(codec.DecodeRoutePtrs(&d, &r.Routes), "routes")
			case jsonx.FoldKey(key, "dns"):
				err = jsonx.InField(codec.DecodeDNS(&d, &r.DNS), "dns")
			default:
				err = d.Skip()
			}
			if err != nil {
				return err
			}
		}
	}
	return d.End()
}

// decodeVersion reads cniVersion, sharing the string of well-known
// versions instead of allocating.
func decodeVersion(d *jsonx.Decoder, dst *string) error {
	b, null, err := d.ReadStringBytes()
	if err != nil || null {
		return err
	}
	switch string(b) {
	case "1.0.0":
		*dst = "1.0.0"
	case "1.1.0":
		*dst = "1.1.0"
	default:
		*dst = string(b)
	}
	return nil
}

func decodeInterfaces(d *jsonx.Decoder, dst *[]*Interface) error {
	null, err := d.ArrayStart("[]*types100.Interface")
	if err != nil {
		return err
	}
	if null {
		*dst = nil
		return nil
	}
	s := *dst
	var block []Interface
	i := 0
	for ; ; i++ {
		ok, err := d.ArrayNext(i == 0)
		if err != nil {
			return jsonx.InIndex(err, i)
		}
		if !ok {
			break
		}
		s = codec.Grow(s, i)
		isNull, err := d.ReadNull()
		if err != nil {
			return jsonx.InIndex(err, i)
		}
		if isNull {
			s[i] = nil
			continue
		}
		if s[i] == nil {
			s[i], block = codec.Take(block)
		}
		if err := s[i].decode(d); err != nil {
			return jsonx.InIndex(err, i)
		}
	}
	if i == 0 {
		s = []*Interface{}
	}
	*dst = s[:i]
	return nil
}

// ipSlot holds a decoded address together with the storage for its
// interface index, so both come from one allocation.
type ipSlot struct {
	ip    IPConfig
	index int
}

func decodeIPs(d *jsonx.Decoder, dst *[]*IPConfig) error {
	null, err := d.ArrayStart("[]*types100.IPConfig")
	if err != nil {
		return err
	}
	if null {
		*dst = nil
		return nil
	}
	s := *dst
	var block []ipSlot
	i := 0
	for ; ; i++ {
		ok, err := d.ArrayNext(i == 0)
		if err != nil {
			return jsonx.InIndex(err, i)
		}
		if !ok {
			break
		}
		s = codec.Grow(s, i)
		isNull, err := d.ReadNull()
		if err != nil {
			return jsonx.InIndex(err, i)
		}
		if isNull {
			s[i] = nil
			continue
		}
		var spare *int
		if s[i] == nil {
			var slot *ipSlot
			slot, block = codec.Take(block)
			s[i], spare = &slot.ip, &slot.index
		}
		if err := s[i].decode(d, spare); err != nil {
			return jsonx.InIndex(err, i)
		}
	}
	if i == 0 {
		s = []*IPConfig{}
	}
	*dst = s[:i]
	return nil
}

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
	if len(r.Interfaces) > 0 {
		e.Key("interfaces")
		e.ArrayStart()
		for _, intf := range r.Interfaces {
			intf.encode(e)
		}
		e.ArrayEnd()
	}
	if len(r.IPs) > 0 {
		e.Key("ips")
		e.ArrayStart()
		for _, ip := range r.IPs {
			if err := ip.encode(e, true); err != nil {
				return err
			}
		}
		e.ArrayEnd()
	}
	if len(r.Routes) > 0 {
		e.Key("routes")
		e.ArrayStart()
		for _, rt := range r.Routes {
			if err := codec.EncodeRoute(e, rt, true); err != nil {
				return err
			}
		}
		e.ArrayEnd()
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
	null, err := d.ObjectStart("types100.Interface")
	if err != nil || null {
		return err
	}
	for first := true; ; first = false {
		key, ok, err := d.ObjectKey(first)
		if err != nil || !ok {
			return err
		}
		switch {
		case jsonx.FoldKey(key, "name"):
			err = jsonx.InField(codec.DecodeString(d, &i.Name), "name")
		case jsonx.FoldKey(key, "mac"):
			err = jsonx.InField(codec.DecodeString(d, &i.Mac), "mac")
		case jsonx.FoldKey(key, "mtu"):
			err = jsonx.InField(codec.DecodeInt(d, &i.Mtu), "mtu")
		case jsonx.FoldKey(key, "sandbox"):
			err = jsonx.InField(codec.DecodeString(d, &i.Sandbox), "sandbox")
		case jsonx.FoldKey(key, "socketPath"):
			err = jsonx.InField(codec.DecodeString(d, &i.SocketPath), "socketPath")
		case jsonx.FoldKey(key, "pciID"):
			err = jsonx.InField(codec.DecodeString(d, &i.PciID), "pciID")
		default:
			err = d.Skip()
		}
		if err != nil {
			return err
		}
	}
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
	if err := c.encode(&e, false); err != nil {
		return nil, err
	}
	return e.Bytes(), nil
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
	null, err := d.ObjectStart("types100.IPConfig")
	if err != nil || null {
		return err
	}
	for first := true; ; first = false {
		key, ok, err := d.ObjectKey(first)
		if err != nil || !ok {
			return err
		}
		switch {
		case jsonx.FoldKey(key, "interface"):
			err = jsonx.InField(codec.DecodeIntPtrInto(d, &c.Interface, spare), "interface")
		case jsonx.FoldKey(key, "address"):
			c.Address, err = codec.DecodeCIDR(d)
			err = jsonx.InField(err, "address")
		case jsonx.FoldKey(key, "gateway"):
			err = jsonx.InField(codec.DecodeIP(d, &c.Gateway), "gateway")
		default:
			err = d.Skip()
		}
		if err != nil {
			return err
		}
	}
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
