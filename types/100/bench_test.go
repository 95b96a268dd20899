package types100_test

import (
	"io"
	"testing"

	ref040 "github.com/containernetworking/cni/pkg/types/040"
	_ "github.com/containernetworking/cni/pkg/types/100"

	types040 "github.com/cnirt/cni/types/040"
	_ "github.com/cnirt/cni/types/100"
)

// benchResult040 is a realistic 0.4.0 result: a bridge and a container
// interface, one IPv4 and one IPv6 address, two default routes and DNS.
const benchResult040 = `{
    "cniVersion": "0.4.0",
    "interfaces": [
        {"name": "cni0", "mac": "0a:58:c6:12:00:01"},
        {"name": "eth0", "mac": "0a:58:c6:12:00:05", "sandbox": "/var/run/netns/cni-1234"}
    ],
    "ips": [
        {"version": "4", "interface": 1, "address": "198.18.0.5/24", "gateway": "198.18.0.1"},
        {"version": "6", "interface": 1, "address": "2001:db8::5/64", "gateway": "2001:db8::1"}
    ],
    "routes": [
        {"dst": "0.0.0.0/0", "gw": "198.18.0.1"},
        {"dst": "::/0", "gw": "2001:db8::1"}
    ],
    "dns": {"nameservers": ["198.18.0.53"], "domain": "cluster.test", "search": ["ns.svc.cluster.test"], "options": ["ndots:5"]}
}`

// BenchmarkParseConvertPrint parses a 0.4.0 result, converts it to 1.0.0
// and back down to 0.3.1, and prints it, with cnirt and with the
// reference library.
func BenchmarkParseConvertPrint(b *testing.B) {
	data := []byte(benchResult040)
	b.Run("cnirt", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r, err := types040.NewResult(data)
			if err != nil {
				b.Fatal(err)
			}
			r100, err := r.GetAsVersion("1.0.0")
			if err != nil {
				b.Fatal(err)
			}
			r031, err := r100.GetAsVersion("0.3.1")
			if err != nil {
				b.Fatal(err)
			}
			if err := r031.PrintTo(io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reference", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r, err := ref040.NewResult(data)
			if err != nil {
				b.Fatal(err)
			}
			r100, err := r.GetAsVersion("1.0.0")
			if err != nil {
				b.Fatal(err)
			}
			r031, err := r100.GetAsVersion("0.3.1")
			if err != nil {
				b.Fatal(err)
			}
			if err := r031.PrintTo(io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	})
}
