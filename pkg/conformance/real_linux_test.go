//go:build linux

package conformance_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/pkg/conformance"
	"github.com/cnirt/cni/pkg/plugintest"
	"github.com/cnirt/cni/pkg/plugintest/netns"
)

// realCase is one row of the real plugins' table: the plugin under test
// and the network that exercises it.
type realCase struct {
	plugin string
	// list is the configuration list; %DATA% is replaced by a fresh
	// host-local data directory.
	list      string
	ifname    string
	hostSetup []string
	// kernel is the link type ("ipvlan", "vrf", "dummy") the plugin
	// needs from the kernel; the row is skipped when it cannot be made.
	kernel string
}

// hostLocal is a host-local IPAM section with a pool of two addresses, so
// that a leaked address exhausts it within the suite's release probes.
const hostLocal = `{"type":"host-local","dataDir":"%DATA%","ranges":[[{"subnet":"198.18.128.0/24","rangeStart":"198.18.128.10","rangeEnd":"198.18.128.11"}]]}`

const ptp = `{"type":"ptp","ipMasq":false,"ipam":` + hostLocal + `}`

func chained(name, first string, rest ...string) string {
	return fmt.Sprintf(`{"cniVersion":"1.1.0","name":%q,"plugins":[%s]}`, name, strings.Join(append([]string{first}, rest...), ","))
}

// masterSetup gives macvlan and ipvlan a master link in the host namespace.
// A veth end serves: this project's test kernel has no dummy links.
var masterSetup = []string{"ip link add i18m0 type veth peer name i18m1 && ip link set i18m0 up && ip link set i18m1 up"}

func realCases() []realCase {
	return []realCase{
		{plugin: "bridge", list: chained("i18-bridge", `{"type":"bridge","bridge":"i18br0","isGateway":true,"ipMasq":false,"capabilities":{"mac":true,"ips":true},"ipam":`+hostLocal+`}`)},
		{plugin: "ptp", list: chained("i18-ptp", ptp)},
		{plugin: "macvlan", list: chained("i18-macvlan", `{"type":"macvlan","master":"i18m0","mode":"bridge","ipam":`+hostLocal+`}`), hostSetup: masterSetup},
		{plugin: "ipvlan", list: chained("i18-ipvlan", `{"type":"ipvlan","master":"i18m0","mode":"l2","ipam":`+hostLocal+`}`), hostSetup: masterSetup, kernel: "ipvlan"},
		{plugin: "host-device", list: chained("i18-hostdev", `{"type":"host-device","device":"i18hd0"}`), hostSetup: []string{"ip link add i18hd0 type veth peer name i18hd1"}},
		{plugin: "loopback", list: chained("i18-lo", `{"type":"loopback"}`), ifname: "lo"},
		{plugin: "host-local", list: chained("i18-hostlocal", `{"type":"ptp","ipMasq":false,"ipam":{"type":"host-local","dataDir":"%DATA%","ranges":[[{"subnet":"198.18.129.0/24","rangeStart":"198.18.129.10","rangeEnd":"198.18.129.11"}],[{"subnet":"2001:db8:18::/64","rangeStart":"2001:db8:18::10","rangeEnd":"2001:db8:18::11"}]]}}`)},
		{plugin: "static", list: chained("i18-static", `{"type":"macvlan","master":"i18m0","mode":"bridge","ipam":{"type":"static","addresses":[{"address":"198.18.130.5/24","gateway":"198.18.130.1"}]}}`), hostSetup: masterSetup},
		{plugin: "portmap", list: chained("i18-portmap", ptp, `{"type":"portmap","capabilities":{"portMappings":true}}`)},
		{plugin: "firewall", list: chained("i18-firewall", ptp, `{"type":"firewall","backend":"iptables"}`)},
		{plugin: "tuning", list: chained("i18-tuning", ptp, `{"type":"tuning","capabilities":{"mac":true},"sysctl":{"net.ipv4.conf.IFNAME.arp_notify":"1"}}`)},
		{plugin: "bandwidth", list: chained("i18-bandwidth", ptp, `{"type":"bandwidth","capabilities":{"bandwidth":true}}`)},
		{plugin: "sbr", list: chained("i18-sbr", ptp, `{"type":"sbr"}`)},
		{plugin: "vrf", list: chained("i18-vrf", ptp, `{"type":"vrf","vrfname":"i18vrf"}`), kernel: "vrf"},
		{plugin: "dummy", list: chained("i18-dummy", `{"type":"dummy","ipam":`+hostLocal+`}`), kernel: "dummy"},
	}
}

func TestRealPlugins(t *testing.T) {
	var names []string
	for _, c := range realCases() {
		names = append(names, c.plugin)
	}
	dir := plugintest.RealPlugins(t, names...)
	if dir == "" {
		return
	}
	only := os.Getenv("CNIRT_CONFORMANCE_ONLY")
	for _, c := range realCases() {
		if only != "" && only != c.plugin {
			continue
		}
		t.Run(c.plugin, func(t *testing.T) {
			t.Parallel()
			if c.kernel != "" {
				if err := kernelHas(c.kernel); err != nil {
					t.Skipf("this kernel cannot run %s: %v", c.plugin, err)
				}
			}
			list, err := libcni.ConfListFromBytes([]byte(strings.ReplaceAll(c.list, "%DATA%", t.TempDir())))
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			rep, err := conformance.Run(ctx, list, conformance.Options{
				PluginDirs: []string{dir}, IfName: c.ifname, HostSetup: c.hostSetup, NamePrefix: "i18",
			})
			require.NoError(t, err)
			var sb strings.Builder
			_ = rep.WriteTable(&sb)
			t.Log("\n" + sb.String())
			if d := os.Getenv("CNIRT_CONFORMANCE_DUMP"); d != "" {
				f, err := os.Create(d + "/" + c.plugin + ".json")
				require.NoError(t, err)
				_ = rep.WriteJSON(f)
				_ = f.Close()
			}
			var got []string
			for _, f := range rep.Failed() {
				got = append(got, f.Check)
			}
			sort.Strings(got)
			assert.Equal(t, expectedFindings[c.plugin], got, "findings of %s", c.plugin)
			for _, res := range rep.Results {
				if res.Status == conformance.Skip {
					assert.Contains(t, expectedSkips[c.plugin], res.Check, "unexpected skip of %s: %s", res.Check, res.Reason)
				}
			}
		})
	}
}

// expectedFindings are the real plugins' deviations, sorted by check name
// (each explained in README.md, "Plugin conformance suite"). A row whose
// list chains ptp also shows ptp's findings.
var expectedFindings = map[string][]string{
	"bridge":      {"bad-input", "gc"},
	"ptp":         {"bad-input", "gc"},
	"macvlan":     {"bad-input", "gc"},
	"host-device": {"bad-input", "del-netns-gone", "del-twice", "del-without-add"},
	"loopback":    {"bad-input"},
	"host-local":  {"bad-input", "gc"},
	"static":      {"bad-input"},
	"portmap":     {"bad-input", "gc"},
	"firewall":    {"bad-input", "gc"},
	"tuning":      {"bad-input", "gc"},
	"bandwidth":   {"bad-input", "gc"},
	"sbr":         {"bad-input", "check-after-add", "del-netns-gone", "gc"},
}

// single are the checks that do not apply to a one-plugin list without
// capabilities.
var single = []string{"chain-prevresult", "capabilities"}

// expectedSkips are the checks that do not apply to a row.
var expectedSkips = map[string][]string{
	"bridge":      {"chain-prevresult"},
	"ptp":         single,
	"macvlan":     single,
	"host-device": append([]string{"gc"}, single...), // one device: no second attachment
	"loopback":    single,
	"host-local":  single,
	"static":      single,
	"firewall":    {"capabilities"},
	"sbr":         {"capabilities"},
}

// kernelHas reports whether a link of type kind can be made, trying in a
// scratch namespace.
func kernelHas(kind string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ns, err := netns.Create(ctx, fmt.Sprintf("i18-probe-%s-%d", kind, os.Getpid()))
	if err != nil {
		return err
	}
	defer func() { _ = ns.Delete(ctx) }()
	args := []string{"-n", ns.Name, "link", "add", "i18probe"}
	switch kind {
	case "ipvlan":
		if err := netns.IP(ctx, "-n", ns.Name, "link", "add", "i18pm", "type", "veth", "peer", "name", "i18pp"); err != nil {
			return err
		}
		args = append(args, "link", "i18pm", "type", "ipvlan")
	case "vrf":
		args = append(args, "type", "vrf", "table", "18")
	default:
		args = append(args, "type", kind)
	}
	return netns.IP(ctx, args...)
}
