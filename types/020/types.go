// Package types020 implements the results of CNI spec versions 0.1.0 and
// 0.2.0: at most one IPv4 and one IPv6 configuration, each with its own
// routes, plus DNS settings.
package types020

import (
	"encoding/json"
	"io"
	"net"
	"os"

	"github.com/cnirt/cni/pkg/jsonx"
	"github.com/cnirt/cni/types"
	"github.com/cnirt/cni/types/internal/codec"
	"github.com/cnirt/cni/types/internal/convert"
)

// ImplementedSpecVersion is the newest spec version this package's
// Result implements.
const ImplementedSpecVersion string = "0.2.0"

// supported lists the cniVersion values NewResult accepts; an absent
// version means 0.1.0.
func supported() []string { return []string{"", "0.1.0", ImplementedSpecVersion} }

func init() {
	convert.RegisterConverter("0.1.0", []string{ImplementedSpecVersion}, convertSame)
	convert.RegisterConverter(ImplementedSpecVersion, []string{"0.1.0"}, convertSame)
	convert.RegisterCreator(supported(), newResult)
}

// NewResult parses a 0.1.0 or 0.2.0 result from its JSON. A result
// without cniVersion is taken as 0.1.0.
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
	case "":
		r.CNIVersion = "0.1.0"
	case "0.1.0", ImplementedSpecVersion:
	default:
		return nil, &convert.VersionError{Version: r.CNIVersion, Supported: supported()}
	}
	return r, nil
}

// GetResult converts r to a 0.2.0 Result.
func GetResult(r types.Result) (*Result, error) {
	return codec.As[*Result](convert.Convert(r, ImplementedSpecVersion))
}

// convertSame converts between 0.1.0 and 0.2.0, whose results have the
// same shape: only the version changes, everything is deep-copied.
func convertSame(from types.Result, toVersion string) (types.Result, error) {
	r, ok := from.(*Result)
	if !ok {
		return nil, convert.Mismatch(from, toVersion)
	}
	return &Result{
		CNIVersion: toVersion,
		IP4:        r.IP4.Copy(),
		IP6:        r.IP6.Copy(),
		DNS:        codec.CopyDNS(&r.DNS),
	}, nil
}

// Result is the result of a 0.1.0 or 0.2.0 plugin.
type Result struct {
	// CNIVersion is the spec version of the result.
	CNIVersion string `json:"cniVersion,omitempty"`
	// IP4 is the IPv4 configuration, if any.
	IP4 *IPConfig `json:"ip4,omitempty"`
	// IP6 is the IPv6 configuration, if any.
	IP6 *IPConfig `json:"ip6,omitempty"`
	// DNS holds the DNS settings.
	DNS types.DNS `json:"dns,omitempty"`
}

// Version returns the result's spec version.
func (r *Result) Version() string {
	return r.CNIVersion
}

// GetAsVersion converts the result to version: 0.1.0 and 0.2.0 here,
// 0.3.x/0.4.0 and 1.x through the packages that implement them. A result
// without a version is first set to ImplementedSpecVersion.
func (r *Result) GetAsVersion(version string) (types.Result, error) {
	return codec.GetAsVersion(r, &r.CNIVersion, ImplementedSpecVersion, version)
}

// Print writes the result as indented JSON to standard output.
func (r *Result) Print() error {
	return r.PrintTo(os.Stdout)
}

// PrintTo writes the result as JSON indented by four spaces to writer.
func (r *Result) PrintTo(writer io.Writer) error {
	e := jsonx.NewEncoder(make([]byte, 0, 1024), "    ")
	return codec.Write(writer, &e, r.encode(&e))
}

// MarshalJSON encodes the result as compact JSON, in the form
// encoding/json gives for the struct.
func (r *Result) MarshalJSON() ([]byte, error) {
	e := jsonx.NewEncoder(make([]byte, 0, 256), "")
	return codec.Bytes(&e, r.encode(&e))
}

// UnmarshalJSON decodes a result with the semantics encoding/json has for
// the struct: members are matched to fields case-insensitively, unknown
// members are ignored, a repeated member overwrites (nested objects
// merge), and null leaves a field unchanged (nil for pointers).
func (r *Result) UnmarshalJSON(data []byte) error {
	return r.decode(data)
}

func (r *Result) decode(data []byte) error {
	var d jsonx.Decoder
	d.Reset(data)
	err := codec.DecodeObject(&d, "types020.Result", func(key []byte) error {
		switch {
		case jsonx.FoldKey(key, "cniVersion"):
			return jsonx.InField(codec.DecodeString(&d, &r.CNIVersion), "cniVersion")
		case jsonx.FoldKey(key, "ip4"):
			return jsonx.InField(decodeIPConfigPtr(&d, &r.IP4), "ip4")
		case jsonx.FoldKey(key, "ip6"):
			return jsonx.InField(decodeIPConfigPtr(&d, &r.IP6), "ip6")
		case jsonx.FoldKey(key, "dns"):
			return jsonx.InField(codec.DecodeDNS(&d, &r.DNS), "dns")
		}
		return d.Skip()
	})
	if err != nil {
		// Named as encoding/json names a field of the reference's Result.
		return jsonx.InStruct(err, "Result")
	}
	return d.End()
}

func decodeIPConfigPtr(d *jsonx.Decoder, dst **IPConfig) error {
	null, err := d.ReadNull()
	if err != nil {
		return err
	}
	if null {
		*dst = nil
		return nil
	}
	if *dst == nil {
		*dst = &IPConfig{}
	}
	return (*dst).decode(d)
}

func (r *Result) encode(e *jsonx.Encoder) error {
	e.ObjectStart()
	if r.CNIVersion != "" {
		e.Key("cniVersion")
		e.String(r.CNIVersion)
	}
	if r.IP4 != nil {
		e.Key("ip4")
		if err := r.IP4.encode(e); err != nil {
			return err
		}
	}
	if r.IP6 != nil {
		e.Key("ip6")
		if err := r.IP6.encode(e); err != nil {
			return err
		}
	}
	e.Key("dns")
	codec.EncodeDNS(e, &r.DNS, false)
	e.ObjectEnd()
	return nil
}

// IPConfig is one address of a 0.1.0/0.2.0 result with its gateway and
// routes.
type IPConfig struct {
	// IP is the address with its prefix length.
	IP net.IPNet
	// Gateway is the default gateway, if any.
	Gateway net.IP
	// Routes are the routes reachable through this address.
	Routes []types.Route
}

// Copy returns a deep copy of i, or nil when i is nil.
func (i *IPConfig) Copy() *IPConfig {
	if i == nil {
		return nil
	}
	out := &IPConfig{IP: i.IP, Gateway: i.Gateway}
	for k := range i.Routes {
		out.Routes = append(out.Routes, *i.Routes[k].Copy())
	}
	return out
}

// MarshalJSON encodes the configuration as {"ip", "gateway", "routes"},
// leaving out an empty gateway and empty routes.
func (c *IPConfig) MarshalJSON() ([]byte, error) {
	e := jsonx.NewEncoder(make([]byte, 0, 128), "")
	return codec.Bytes(&e, c.encode(&e))
}

// UnmarshalJSON decodes {"ip", "gateway", "routes"}, replacing every
// field of c.
func (c *IPConfig) UnmarshalJSON(data []byte) error {
	var d jsonx.Decoder
	d.Reset(data)
	if err := c.decode(&d); err != nil {
		return err
	}
	return d.End()
}

func (c *IPConfig) decode(d *jsonx.Decoder) error {
	*c = IPConfig{}
	return codec.DecodeObject(d, "types020.ipConfig", func(key []byte) error {
		switch {
		case jsonx.FoldKey(key, "ip"):
			var err error
			c.IP, err = codec.DecodeCIDR(d)
			return jsonx.InField(err, "ip")
		case jsonx.FoldKey(key, "gateway"):
			return jsonx.InField(codec.DecodeIP(d, &c.Gateway), "gateway")
		case jsonx.FoldKey(key, "routes"):
			return jsonx.InField(codec.DecodeRoutes(d, &c.Routes), "routes")
		}
		return d.Skip()
	})
}

func (c *IPConfig) encode(e *jsonx.Encoder) error {
	e.ObjectStart()
	e.Key("ip")
	codec.EncodeCIDR(e, &c.IP)
	if len(c.Gateway) > 0 {
		e.Key("gateway")
		if err := codec.EncodeIP(e, c.Gateway); err != nil {
			return err
		}
	}
	err := codec.EncodeArray(e, "routes", c.Routes, func(rt types.Route) error {
		return codec.EncodeRoute(e, &rt, false)
	})
	if err != nil {
		return err
	}
	e.ObjectEnd()
	return nil
}

var (
	_ json.Marshaler   = (*Result)(nil)
	_ json.Unmarshaler = (*Result)(nil)
	_ types.Result     = (*Result)(nil)
)
