// Package codec decodes and encodes the JSON pieces shared by the result
// types of every spec version (addresses, CIDRs, routes, DNS settings)
// with pkg/jsonx, reproducing the observable behaviour of the
// encoding/json based (un)marshalling of package types.
package codec

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"

	"github.com/cnirt/cni/pkg/jsonx"
	"github.com/cnirt/cni/types"
	"github.com/cnirt/cni/types/internal/convert"
)

// ParseCIDR parses s like types.ParseCIDR: the returned network keeps the
// host bits of the address, the address is in 16-byte form and the mask
// has the length of the address family. Errors are *net.ParseError, as
// from net.ParseCIDR.
func ParseCIDR(s string) (net.IPNet, error) {
	return parseCIDR(s, nil)
}

// parseCIDR is ParseCIDR taking the memory of the result from d when d is
// not nil.
func parseCIDR(s string, d *jsonx.Decoder) (net.IPNet, error) {
	slash := strings.IndexByte(s, '/')
	if slash < 0 {
		return net.IPNet{}, &net.ParseError{Type: "CIDR address", Text: s}
	}
	addr, err := netip.ParseAddr(s[:slash])
	if err != nil || addr.Zone() != "" {
		return net.IPNet{}, &net.ParseError{Type: "CIDR address", Text: s}
	}
	bits := 128
	if addr.Is4() {
		bits = 32
	}
	mask := s[slash+1:]
	n := 0
	for i := 0; i < len(mask); i++ {
		c := mask[i]
		if c < '0' || c > '9' || n > bits {
			return net.IPNet{}, &net.ParseError{Type: "CIDR address", Text: s}
		}
		n = n*10 + int(c-'0')
	}
	if len(mask) == 0 || n > bits {
		return net.IPNet{}, &net.ParseError{Type: "CIDR address", Text: s}
	}
	// One allocation holds the 16-byte address and the mask.
	var buf []byte
	if d != nil {
		buf = d.Alloc(16 + bits/8)
	} else {
		buf = make([]byte, 16+bits/8)
	}
	a16 := addr.As16()
	copy(buf, a16[:])
	m := buf[16:]
	for i := range m {
		switch {
		case n >= 8:
			m[i] = 0xff
			n -= 8
		case n > 0:
			m[i] = ^byte(0xff >> n)
			n = 0
		}
	}
	return net.IPNet{IP: net.IP(buf[:16:16]), Mask: net.IPMask(m[:len(m):len(m)])}, nil
}

// ParseIP parses s like net.ParseIP (16-byte result, zones refused); the
// error is the *net.ParseError net.IP.UnmarshalText returns.
func ParseIP(s string) (net.IP, error) {
	return parseIP(s, nil)
}

func parseIP(s string, d *jsonx.Decoder) (net.IP, error) {
	addr, err := netip.ParseAddr(s)
	if err != nil || addr.Zone() != "" {
		return nil, &net.ParseError{Type: "IP address", Text: s}
	}
	a16 := addr.As16()
	var ip net.IP
	if d != nil {
		ip = d.Alloc(16)
	} else {
		ip = make(net.IP, 16)
	}
	copy(ip, a16[:])
	return ip, nil
}

// DecodeCIDR reads a CIDR string like types.IPNet.UnmarshalJSON: null
// reads as the empty string, which is not a valid CIDR.
func DecodeCIDR(d *jsonx.Decoder) (net.IPNet, error) {
	b, _, err := d.ReadString()
	if err != nil {
		return net.IPNet{}, err
	}
	return parseCIDR(b, d)
}

// DecodeIP reads an IP address string into *dst like net.IP's
// UnmarshalText: null and "" give nil.
func DecodeIP(d *jsonx.Decoder, dst *net.IP) error {
	b, null, err := d.ReadString()
	if err != nil {
		if te, ok := err.(*jsonx.TypeError); ok {
			// encoding/json names the field's type, a text unmarshaler.
			te.Type = "net.IP"
		}
		return err
	}
	if null || len(b) == 0 {
		*dst = nil
		return nil
	}
	ip, err := parseIP(b, d)
	if err != nil {
		return err
	}
	*dst = ip
	return nil
}

// DecodeString reads a string into *dst; null leaves *dst unchanged.
func DecodeString(d *jsonx.Decoder, dst *string) error {
	s, null, err := d.ReadString()
	if err == nil && !null {
		*dst = s
	}
	return err
}

// DecodeInt reads an integer into *dst; null leaves *dst unchanged.
func DecodeInt(d *jsonx.Decoder, dst *int) error {
	v, null, err := d.ReadInt()
	if err == nil && !null {
		*dst = v
	}
	return err
}

// DecodeIntPtr reads an optional integer into *dst; null sets it to nil.
func DecodeIntPtr(d *jsonx.Decoder, dst **int) error {
	v, null, err := d.ReadInt()
	if err != nil {
		return err
	}
	if null {
		*dst = nil
		return nil
	}
	if *dst == nil {
		*dst = new(int)
	}
	**dst = v
	return nil
}

// DecodeIntPtrInto is DecodeIntPtr using spare, when not nil, as the
// storage for a value that needs a new int.
func DecodeIntPtrInto(d *jsonx.Decoder, dst **int, spare *int) error {
	if *dst == nil && spare != nil {
		v, null, err := d.ReadInt()
		if err != nil || null {
			return err
		}
		*spare = v
		*dst = spare
		return nil
	}
	return DecodeIntPtr(d, dst)
}

// DecodeStrings reads an array of strings into *dst the way encoding/json
// decodes into an existing slice: elements are decoded over the old ones
// (a null element keeps the old value), the length becomes the array's,
// an empty array gives an empty non-nil slice, and null gives nil.
func DecodeStrings(d *jsonx.Decoder, dst *[]string) error {
	return DecodeList(d, dst, "[]string", func(v *string) error { return DecodeString(d, v) })
}

// Grow makes s[i] addressable for an array decoded element by element,
// keeping old elements within capacity as encoding/json does.
func Grow[T any](s []T, i int) []T {
	if i < len(s) {
		return s
	}
	if i < cap(s) {
		return s[:i+1]
	}
	grown := make([]T, i+1, max(2*cap(s), 4))
	copy(grown, s)
	return grown
}

// Take returns a pointer to a zero T from block, refilling block when it
// is empty, so that list elements are allocated a few at a time.
func Take[T any](block []T) (*T, []T) {
	if len(block) == 0 {
		block = make([]T, 2)
	}
	return &block[0], block[1:]
}

// DecodeDNS reads DNS settings into *dst, merging with what is there like
// encoding/json decoding into an existing struct; null changes nothing.
func DecodeDNS(d *jsonx.Decoder, dst *types.DNS) error {
	return jsonx.InStruct(DecodeObject(d, "types.DNS", func(key []byte) error {
		switch {
		case jsonx.FoldKey(key, "nameservers"):
			return jsonx.InField(DecodeStrings(d, &dst.Nameservers), "nameservers")
		case jsonx.FoldKey(key, "domain"):
			return jsonx.InField(DecodeString(d, &dst.Domain), "domain")
		case jsonx.FoldKey(key, "search"):
			return jsonx.InField(DecodeStrings(d, &dst.Search), "search")
		case jsonx.FoldKey(key, "options"):
			return jsonx.InField(DecodeStrings(d, &dst.Options), "options")
		}
		return d.Skip()
	}), "DNS")
}

// DecodeRoute reads a route object like types.Route.UnmarshalJSON: every
// field of *dst is replaced, so absent members read as zero. null gives a
// zero route.
func DecodeRoute(d *jsonx.Decoder, dst *types.Route) error {
	*dst = types.Route{}
	return DecodeObject(d, "types.route", func(key []byte) error {
		switch {
		case jsonx.FoldKey(key, "dst"):
			var err error
			dst.Dst, err = DecodeCIDR(d)
			return jsonx.InField(err, "dst")
		case jsonx.FoldKey(key, "gw"):
			return jsonx.InField(DecodeIP(d, &dst.GW), "gw")
		case jsonx.FoldKey(key, "mtu"):
			return jsonx.InField(DecodeInt(d, &dst.MTU), "mtu")
		case jsonx.FoldKey(key, "advmss"):
			return jsonx.InField(DecodeInt(d, &dst.AdvMSS), "advmss")
		case jsonx.FoldKey(key, "priority"):
			return jsonx.InField(DecodeInt(d, &dst.Priority), "priority")
		case jsonx.FoldKey(key, "table"):
			return jsonx.InField(DecodeIntPtr(d, &dst.Table), "table")
		case jsonx.FoldKey(key, "scope"):
			return jsonx.InField(DecodeIntPtr(d, &dst.Scope), "scope")
		}
		return d.Skip()
	})
}

// DecodeRoutePtrs reads an array of routes into a []*types.Route with
// encoding/json's slice semantics; null elements become nil.
func DecodeRoutePtrs(d *jsonx.Decoder, dst *[]*types.Route) error {
	return DecodePtrs(d, dst, "[]*types.Route", Same[types.Route],
		func(v, _ *types.Route) error { return DecodeRoute(d, v) })
}

// DecodeRoutes reads an array of routes into a []types.Route with
// encoding/json's slice semantics.
func DecodeRoutes(d *jsonx.Decoder, dst *[]types.Route) error {
	return DecodeList(d, dst, "[]types.Route", func(v *types.Route) error { return DecodeRoute(d, v) })
}

// AppendIP appends the text form of ip (as net.IP.String, without
// allocating for 4- and 16-byte addresses).
func AppendIP(b []byte, ip net.IP) []byte {
	if p4 := ip.To4(); p4 != nil {
		return netip.AddrFrom4([4]byte(p4)).AppendTo(b)
	}
	if len(ip) == net.IPv6len {
		return netip.AddrFrom16([16]byte(ip)).AppendTo(b)
	}
	return append(b, ip.String()...)
}

// AppendCIDR appends n in the form (*net.IPNet).String gives.
func AppendCIDR(b []byte, n *net.IPNet) []byte {
	ip := n.IP.To4()
	if ip == nil {
		ip = n.IP
		if len(ip) != net.IPv6len {
			return append(b, "<nil>"...)
		}
	}
	m := n.Mask
	switch len(m) {
	case net.IPv4len:
		if len(ip) != net.IPv4len {
			return append(b, "<nil>"...)
		}
	case net.IPv6len:
		if len(ip) == net.IPv4len {
			m = m[12:]
		}
	default:
		return append(b, "<nil>"...)
	}
	ones, bits := m.Size()
	if ones == 0 && bits == 0 {
		// Non-canonical mask: let the standard library spell it.
		return append(b, n.String()...)
	}
	b = AppendIP(b, ip)
	b = append(b, '/')
	if ones >= 100 {
		b = append(b, byte('0'+ones/100))
		ones %= 100
		b = append(b, byte('0'+ones/10), byte('0'+ones%10))
	} else if ones >= 10 {
		b = append(b, byte('0'+ones/10), byte('0'+ones%10))
	} else {
		b = append(b, byte('0'+ones))
	}
	return b
}

// EncodeCIDR writes n as a string value.
func EncodeCIDR(e *jsonx.Encoder, n *net.IPNet) {
	var tmp [64]byte
	e.StringBytes(AppendCIDR(tmp[:0], n))
}

// EncodeIP writes ip as a string value, failing like net.IP.MarshalText
// for an address that is neither 4 nor 16 bytes long.
func EncodeIP(e *jsonx.Encoder, ip net.IP) error {
	if len(ip) != net.IPv4len && len(ip) != net.IPv6len {
		_, err := ip.MarshalText()
		return err
	}
	var tmp [64]byte
	e.StringBytes(AppendIP(tmp[:0], ip))
	return nil
}

// EncodeStrings writes a string array.
func EncodeStrings(e *jsonx.Encoder, s []string) {
	e.ArrayStart()
	for _, v := range s {
		e.String(v)
	}
	e.ArrayEnd()
}

// EncodeDNS writes DNS settings, leaving out empty members. With sorted,
// members are in alphabetical order (the order of a re-encoded map, which
// the 1.x result encoding uses), else in declaration order.
func EncodeDNS(e *jsonx.Encoder, dns *types.DNS, sorted bool) {
	e.ObjectStart()
	if sorted && dns.Domain != "" {
		e.Key("domain")
		e.String(dns.Domain)
	}
	if len(dns.Nameservers) > 0 {
		e.Key("nameservers")
		EncodeStrings(e, dns.Nameservers)
	}
	if !sorted && dns.Domain != "" {
		e.Key("domain")
		e.String(dns.Domain)
	}
	if sorted && len(dns.Options) > 0 {
		e.Key("options")
		EncodeStrings(e, dns.Options)
	}
	if len(dns.Search) > 0 {
		e.Key("search")
		EncodeStrings(e, dns.Search)
	}
	if !sorted && len(dns.Options) > 0 {
		e.Key("options")
		EncodeStrings(e, dns.Options)
	}
	e.ObjectEnd()
}

// EncodeRoute writes a route like types.Route.MarshalJSON, or null for a
// nil route; sorted as for EncodeDNS.
func EncodeRoute(e *jsonx.Encoder, r *types.Route, sorted bool) error {
	if r == nil {
		e.Null()
		return nil
	}
	e.ObjectStart()
	if sorted {
		encodeInt(e, "advmss", r.AdvMSS)
	}
	e.Key("dst")
	EncodeCIDR(e, &r.Dst)
	if len(r.GW) > 0 {
		e.Key("gw")
		if err := EncodeIP(e, r.GW); err != nil {
			return err
		}
	}
	encodeInt(e, "mtu", r.MTU)
	if !sorted {
		encodeInt(e, "advmss", r.AdvMSS)
	}
	encodeInt(e, "priority", r.Priority)
	if sorted {
		encodeIntPtr(e, "scope", r.Scope)
		encodeIntPtr(e, "table", r.Table)
	} else {
		encodeIntPtr(e, "table", r.Table)
		encodeIntPtr(e, "scope", r.Scope)
	}
	e.ObjectEnd()
	return nil
}

// CopyRoutes deep-copies routes into one backing array; nil elements
// stay nil. It returns an empty non-nil slice for no routes, as the
// version conversions do.
func CopyRoutes(from []*types.Route) []*types.Route {
	out := make([]*types.Route, len(from))
	if len(from) == 0 {
		return out
	}
	block := make([]types.Route, len(from))
	for i, r := range from {
		if r == nil {
			continue
		}
		block[i] = *r
		if r.Table != nil {
			v := *r.Table
			block[i].Table = &v
		}
		if r.Scope != nil {
			v := *r.Scope
			block[i].Scope = &v
		}
		out[i] = &block[i]
	}
	return out
}

// CopyDNS deep-copies DNS settings by value.
// Empty lists stay nil; the others share one backing array, each capped
// at its length so appending to one cannot overwrite another.
func CopyDNS(d *types.DNS) types.DNS {
	out := types.DNS{Domain: d.Domain}
	n := len(d.Nameservers) + len(d.Search) + len(d.Options)
	if n == 0 {
		return out
	}
	all := make([]string, 0, n)
	cut := func(src []string) []string {
		if len(src) == 0 {
			return nil
		}
		start := len(all)
		all = append(all, src...)
		return all[start:len(all):len(all)]
	}
	out.Nameservers = cut(d.Nameservers)
	out.Search = cut(d.Search)
	out.Options = cut(d.Options)
	return out
}

// DecodeObject reads an object, calling member for each key with d placed
// at the member's value; member must consume the value (d.Skip for an
// unknown key). null reads as an empty object. what names the Go type in
// errors.
func DecodeObject(d *jsonx.Decoder, what string, member func(key []byte) error) error {
	null, err := d.ObjectStart(what)
	if err != nil || null {
		return err
	}
	for first := true; ; first = false {
		key, ok, err := d.ObjectKey(first)
		if err != nil || !ok {
			return err
		}
		if err := member(key); err != nil {
			return err
		}
	}
}

// DecodeList reads an array into *dst the way encoding/json decodes into
// an existing slice: each element is decoded by elem over the old value,
// the length becomes the array's, an empty array gives an empty non-nil
// slice, and null gives nil. what names the Go type in errors.
func DecodeList[T any](d *jsonx.Decoder, dst *[]T, what string, elem func(v *T) error) error {
	null, err := d.ArrayStart(what)
	if err != nil {
		return err
	}
	if null {
		*dst = nil
		return nil
	}
	s := *dst
	i := 0
	for ; ; i++ {
		ok, err := d.ArrayNext(i == 0)
		if err != nil {
			return jsonx.InIndex(err, i)
		}
		if !ok {
			break
		}
		s = Grow(s, i)
		if err := elem(&s[i]); err != nil {
			return jsonx.InIndex(err, i)
		}
	}
	if i == 0 {
		s = []T{}
	}
	*dst = s[:i]
	return nil
}

// DecodePtrs is DecodeList for a slice of pointers: null elements become
// nil, and a missing element is taken from blocks of S (a T, or a T with
// storage beside it) and reached through slot. elem decodes into v; fresh
// is the new S behind v, or nil when v was already there.
func DecodePtrs[T, S any](d *jsonx.Decoder, dst *[]*T, what string, slot func(*S) *T, elem func(v *T, fresh *S) error) error {
	var block []S
	return DecodeList(d, dst, what, func(p **T) error {
		null, err := d.ReadNull()
		if err != nil {
			return err
		}
		if null {
			*p = nil
			return nil
		}
		var fresh *S
		if *p == nil {
			fresh, block = Take(block)
			*p = slot(fresh)
		}
		return elem(*p, fresh)
	})
}

// Same returns p, as the slot function of DecodePtrs when S is T.
func Same[T any](p *T) *T { return p }

// DecodeInterned reads a string into *dst, sharing the storage of the
// well-known values (spec versions, IP versions) instead of allocating;
// null leaves *dst unchanged.
func DecodeInterned(d *jsonx.Decoder, dst *string) error {
	b, null, err := d.ReadStringBytes()
	if err != nil || null {
		return err
	}
	switch string(b) {
	case "0.1.0":
		*dst = "0.1.0"
	case "0.2.0":
		*dst = "0.2.0"
	case "0.3.0":
		*dst = "0.3.0"
	case "0.3.1":
		*dst = "0.3.1"
	case "0.4.0":
		*dst = "0.4.0"
	case "1.0.0":
		*dst = "1.0.0"
	case "1.1.0":
		*dst = "1.1.0"
	case "4":
		*dst = "4"
	case "6":
		*dst = "6"
	default:
		*dst = string(b)
	}
	return nil
}

// DecodeListResult reads the members of a result of the 0.3.x to 1.x
// shape into version, routes and dns; the interfaces and ips members are
// read by the version's own functions, which decode from d.
func DecodeListResult(d *jsonx.Decoder, what string, version *string, routes *[]*types.Route, dns *types.DNS, interfaces, ips func() error) error {
	return DecodeObject(d, what, func(key []byte) error {
		switch {
		case jsonx.FoldKey(key, "cniVersion"):
			return jsonx.InField(DecodeInterned(d, version), "cniVersion")
		case jsonx.FoldKey(key, "interfaces"):
			return jsonx.InField(interfaces(), "interfaces")
		case jsonx.FoldKey(key, "ips"):
			return jsonx.InField(ips(), "ips")
		case jsonx.FoldKey(key, "routes"):
			return jsonx.InField(DecodeRoutePtrs(d, routes), "routes")
		case jsonx.FoldKey(key, "dns"):
			return jsonx.InField(DecodeDNS(d, dns), "dns")
		}
		return d.Skip()
	})
}

// DecodeInterfaceMember reads the interface member key shared by every
// version that lists interfaces (name, mac, sandbox), skipping any other.
func DecodeInterfaceMember(d *jsonx.Decoder, key []byte, name, mac, sandbox *string) error {
	switch {
	case jsonx.FoldKey(key, "name"):
		return jsonx.InField(DecodeString(d, name), "name")
	case jsonx.FoldKey(key, "mac"):
		return jsonx.InField(DecodeString(d, mac), "mac")
	case jsonx.FoldKey(key, "sandbox"):
		return jsonx.InField(DecodeString(d, sandbox), "sandbox")
	}
	return d.Skip()
}

// DecodeAddressMember reads the address member key shared by the 0.3.x
// to 1.x IP configurations (interface, address, gateway), skipping any
// other; spare, when not nil, is the storage for the interface index.
func DecodeAddressMember(d *jsonx.Decoder, key []byte, iface **int, spare *int, addr *net.IPNet, gw *net.IP) error {
	switch {
	case jsonx.FoldKey(key, "interface"):
		return jsonx.InField(DecodeIntPtrInto(d, iface, spare), "interface")
	case jsonx.FoldKey(key, "address"):
		var err error
		*addr, err = DecodeCIDR(d)
		return jsonx.InField(err, "address")
	case jsonx.FoldKey(key, "gateway"):
		return jsonx.InField(DecodeIP(d, gw), "gateway")
	}
	return d.Skip()
}

// EncodeArray writes key and items as an array, each item written by
// enc, unless items is empty.
func EncodeArray[T any](e *jsonx.Encoder, key string, items []T, enc func(T) error) error {
	if len(items) == 0 {
		return nil
	}
	e.Key(key)
	e.ArrayStart()
	for _, it := range items {
		if err := enc(it); err != nil {
			return err
		}
	}
	e.ArrayEnd()
	return nil
}

// encodeInt writes key and v unless v is 0.
func encodeInt(e *jsonx.Encoder, key string, v int) {
	if v != 0 {
		e.Key(key)
		e.Int(v)
	}
}

// encodeIntPtr writes key and *v unless v is nil.
func encodeIntPtr(e *jsonx.Encoder, key string, v *int) {
	if v != nil {
		e.Key(key)
		e.Int(*v)
	}
}

// IndexSlot holds a decoded or converted address together with the
// storage for its interface index, so both come from one allocation.
type IndexSlot[T any] struct {
	// V is the address.
	V T
	// Index is the storage V's interface index may point at.
	Index int
}

// DecodeIndexed is DecodePtrs for addresses allocated in IndexSlots:
// elem decodes into v, using spare, when not nil, as the storage of the
// interface index.
func DecodeIndexed[T any](d *jsonx.Decoder, dst *[]*T, what string, elem func(v *T, spare *int) error) error {
	return DecodePtrs(d, dst, what, func(s *IndexSlot[T]) *T { return &s.V },
		func(v *T, fresh *IndexSlot[T]) error {
			if fresh != nil {
				return elem(v, &fresh.Index)
			}
			return elem(v, nil)
		})
}

// As returns conv, the outcome of a conversion, as an R, failing when the
// conversion did or when conv is of another type.
func As[R types.Result](conv types.Result, err error) (R, error) {
	var zero R
	if err != nil {
		return zero, err
	}
	out, ok := conv.(R)
	if !ok {
		return zero, fmt.Errorf("failed to convert result: got %T, want %T", conv, zero)
	}
	return out, nil
}

// GetAsVersion converts r, whose version is *version, to toVersion,
// first setting an empty *version to impl.
func GetAsVersion(r types.Result, version *string, impl, toVersion string) (types.Result, error) {
	if *version == "" {
		*version = impl
	}
	return convert.Convert(r, toVersion)
}

// Bytes returns what e holds, or err (from filling e) when it is set.
func Bytes(e *jsonx.Encoder, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	return e.Bytes(), nil
}

// Write writes what e holds to w, or returns err (from filling e) when
// it is set.
func Write(w io.Writer, e *jsonx.Encoder, err error) error {
	if err != nil {
		return err
	}
	_, err = w.Write(e.Bytes())
	return err
}
