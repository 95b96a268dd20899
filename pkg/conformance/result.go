package conformance

import (
	"encoding/json"
	"fmt"
	"net"
	"strings"
)

// linkState is one link of a namespace as the suite sees it.
type linkState struct {
	Name  string
	Index int
	MAC   string
	Up    bool
	Addrs []string
}

// wireResult is an ADD result of spec 0.3.0 to 1.1.0 as it appears on
// the wire; pointers tell absent from zero.
type wireResult struct {
	CNIVersion *string         `json:"cniVersion"`
	Interfaces []wireInterface `json:"interfaces"`
	IPs        []wireIP        `json:"ips"`
	Routes     []wireRoute     `json:"routes"`
	DNS        *wireDNS        `json:"dns"`
}

type wireInterface struct {
	Name    string `json:"name"`
	MAC     string `json:"mac"`
	MTU     *int   `json:"mtu"`
	Sandbox string `json:"sandbox"`
}

type wireIP struct {
	Version   *string `json:"version"`
	Address   string  `json:"address"`
	Gateway   string  `json:"gateway"`
	Interface *int    `json:"interface"`
}

type wireRoute struct {
	Dst string `json:"dst"`
	GW  string `json:"gw"`
}

type wireDNS struct {
	Nameservers []string `json:"nameservers"`
}

// singleJSON decodes out as exactly one JSON value into v and reports
// anything else on stdout.
func singleJSON(out string, v any) error {
	if strings.TrimSpace(out) == "" {
		return fmt.Errorf("stdout is empty")
	}
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("stdout is not one JSON value: %v", err)
	}
	if rest := strings.TrimSpace(out[dec.InputOffset():]); rest != "" {
		return fmt.Errorf("stdout has more after the JSON value: %q", clip(rest, 80))
	}
	return nil
}

// validateResult checks an ADD result against the rules of Section 5 for
// cniVersion, from a plugin run for container netns and interface ifname.
// It returns every problem found.
func validateResult(out, cniVersion, netns, ifname string) (*wireResult, []string) {
	var res wireResult
	if err := singleJSON(out, &res); err != nil {
		return nil, []string{err.Error()}
	}
	var probs []string
	bad := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	if res.CNIVersion == nil {
		bad("no cniVersion")
	} else if *res.CNIVersion != cniVersion {
		bad("cniVersion is %q, the configuration's is %q", *res.CNIVersion, cniVersion)
	}
	for i, itf := range res.Interfaces {
		if itf.Name == "" {
			bad("interfaces[%d] has no name", i)
		}
		if itf.MAC != "" {
			if _, err := net.ParseMAC(itf.MAC); err != nil {
				bad("interfaces[%d].mac %q: %v", i, itf.MAC, err)
			}
		}
		if itf.MTU != nil && *itf.MTU < 0 {
			bad("interfaces[%d].mtu %d is negative", i, *itf.MTU)
		}
		if itf.Sandbox != "" && netns != "" && itf.Sandbox != netns {
			bad("interfaces[%d].sandbox is %q, not CNI_NETNS %q", i, itf.Sandbox, netns)
		}
		if itf.Name == ifname && netns != "" && itf.Sandbox == "" {
			bad("interfaces[%d] %q is the container interface but has no sandbox", i, itf.Name)
		}
	}
	for i, ip := range res.IPs {
		addr, _, err := net.ParseCIDR(ip.Address)
		if err != nil {
			bad("ips[%d].address %q is not an address in CIDR notation", i, ip.Address)
		}
		if ip.Gateway != "" && net.ParseIP(ip.Gateway) == nil {
			bad("ips[%d].gateway %q is not an IP address", i, ip.Gateway)
		}
		if ip.Interface != nil && (*ip.Interface < 0 || *ip.Interface >= len(res.Interfaces)) {
			bad("ips[%d].interface is %d, out of range for %d interface(s)", i, *ip.Interface, len(res.Interfaces))
		}
		legacy := !versionAtLeast(cniVersion, "1.0.0")
		if legacy && addr != nil {
			want := "4"
			if addr.To4() == nil {
				want = "6"
			}
			if ip.Version == nil || *ip.Version != want {
				bad("ips[%d].version must be %q for %s in a %s result", i, want, ip.Address, cniVersion)
			}
		}
	}
	for i, rt := range res.Routes {
		if _, _, err := net.ParseCIDR(rt.Dst); err != nil {
			bad("routes[%d].dst %q is not in CIDR notation", i, rt.Dst)
		}
		if rt.GW != "" && net.ParseIP(rt.GW) == nil {
			bad("routes[%d].gw %q is not an IP address", i, rt.GW)
		}
	}
	if res.DNS != nil {
		for i, ns := range res.DNS.Nameservers {
			if net.ParseIP(ns) == nil {
				bad("dns.nameservers[%d] %q is not an IP address", i, ns)
			}
		}
	}
	return &res, probs
}

// wireError is an error object (Section 5, Error).
type wireError struct {
	CNIVersion string   `json:"cniVersion"`
	Code       *float64 `json:"code"`
	Msg        *string  `json:"msg"`
	Details    string   `json:"details"`
}

// definedCode reports whether the spec defines code (the table of
// Section 5) or leaves it to plugins (100 and up).
func definedCode(code int) bool {
	switch {
	case code >= 1 && code <= 7, code == 11, code == 50, code == 51:
		return true
	}
	return code >= 100
}

// errorProblems checks a failed run: non-zero exit and an error object on
// stdout whose code is one the spec allows. It returns the problems and
// the code (0 when there is none).
func errorProblems(ex Exchange) (int, []string) {
	var probs []string
	if ex.ExitCode == 0 {
		probs = append(probs, "exited 0 although it reported an error")
	}
	if ex.StartError != "" && ex.ExitCode < 0 {
		return 0, append(probs, "did not exit on its own: "+ex.StartError)
	}
	var e wireError
	if err := singleJSON(ex.Stdout, &e); err != nil {
		return 0, append(probs, "no error object: "+err.Error())
	}
	code := 0
	switch {
	case e.Code == nil:
		probs = append(probs, "the error object has no code")
	case *e.Code != float64(int(*e.Code)):
		probs = append(probs, fmt.Sprintf("error code %v is not an integer", *e.Code))
	default:
		code = int(*e.Code)
		if !definedCode(code) {
			probs = append(probs, fmt.Sprintf("error code %d is reserved and undefined by the spec (defined: 1-7, 11, 50, 51; plugin-specific: 100+)", code))
		}
	}
	if e.Msg == nil || *e.Msg == "" {
		probs = append(probs, "the error object has no msg")
	}
	return code, probs
}

// containerAddrs returns the addresses the result puts on the interface
// at index idx.
func (res *wireResult) addrsOf(idx int) []string {
	var out []string
	for _, ip := range res.IPs {
		if ip.Interface != nil && *ip.Interface == idx {
			out = append(out, ip.Address)
		}
	}
	return out
}

// sameAddr reports whether two CIDR strings name the same address and
// prefix length.
func sameAddr(a, b string) bool {
	ia, na, err1 := net.ParseCIDR(a)
	ib, nb, err2 := net.ParseCIDR(b)
	if err1 != nil || err2 != nil {
		return false
	}
	oa, _ := na.Mask.Size()
	ob, _ := nb.Mask.Size()
	return ia.Equal(ib) && oa == ob
}

// resultIPs returns the addresses (without prefix) of a raw result.
func resultIPs(raw []byte) []string {
	var res wireResult
	if json.Unmarshal(raw, &res) != nil {
		return nil
	}
	var out []string
	for _, ip := range res.IPs {
		if a, _, err := net.ParseCIDR(ip.Address); err == nil {
			out = append(out, a.String())
		}
	}
	return out
}
