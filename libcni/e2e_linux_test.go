//go:build linux

package libcni_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/pkg/plugintest/netns"
	"github.com/cnirt/cni/types"
	types100 "github.com/cnirt/cni/types/100"
)

// e2eContainer is one container of an end-to-end test: a namespace and the
// runtime configuration of its attachment.
type e2eContainer struct {
	ns     string
	nsPath string
	rt     *libcni.RuntimeConf
	result *types100.Result
}

func newContainer(t *testing.T, id string) *e2eContainer {
	t.Helper()
	name, path := newNetNS(t)
	return &e2eContainer{
		ns:     name,
		nsPath: path,
		rt:     &libcni.RuntimeConf{ContainerID: id, NetNS: path, IfName: "eth0"},
	}
}

// ip returns the container's address of the given family (4 or 6).
func (c *e2eContainer) ip(t *testing.T, family int) net.IP {
	t.Helper()
	for _, ipc := range c.result.IPs {
		if (ipc.Address.IP.To4() != nil) == (family == 4) {
			return ipc.Address.IP
		}
	}
	t.Fatalf("container %s has no IPv%d address in %v", c.rt.ContainerID, family, c.result)
	return nil
}

// hostIfaces returns the names of the host-side interfaces of the result.
func hostIfaces(r *types100.Result) []string {
	var names []string
	for _, i := range r.Interfaces {
		if i.Sandbox == "" && i.Mac != "" && strings.HasPrefix(i.Name, "veth") {
			names = append(names, i.Name)
		}
	}
	return names
}

// bridgeListJSON is the bridge network of the tests: bridge + host-local,
// portmap, firewall (accepts forwarded traffic even where the FORWARD policy
// is DROP, as on hosts running Docker) and tuning.
func bridgeListJSON(name, bridge, dataDir, subnet string) []byte {
	return []byte(fmt.Sprintf(`{
  "cniVersion": "1.1.0",
  "name": %q,
  "plugins": [
    {"type": "bridge", "bridge": %q, "isGateway": true, "ipMasq": false,
     "ipam": {"type": "host-local", "dataDir": %q, "ranges": [[{"subnet": %q}]]}},
    {"type": "portmap", "capabilities": {"portMappings": true}, "snat": false},
    {"type": "firewall"},
    {"type": "tuning", "sysctl": {"net.core.somaxconn": "1234"}}
  ]
}`, name, bridge, dataDir, subnet))
}

func addOK(ctx context.Context, t *testing.T, cni *libcni.CNIConfig, list *libcni.NetworkConfigList, c *e2eContainer) {
	t.Helper()
	res, err := cni.AddNetworkList(ctx, list, c.rt)
	require.NoError(t, err, "ADD %s to %s", c.rt.ContainerID, list.Name)
	r, err := types100.GetResult(res)
	require.NoError(t, err)
	c.result = r
}

// TestE2EBridge drives bridge + host-local + portmap + firewall + tuning with
// two containers through ADD, traffic, CHECK, STATUS, GC and DEL.
func TestE2EBridge(t *testing.T) {
	pluginDir := requireE2E(t)
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	cacheDir, dataDir := t.TempDir(), t.TempDir()
	bridge := uniqueIfName("cnirtbr")
	cleanupLink(t, bridge)
	const netName = "cnirt-e2e-bridge"
	list, err := libcni.ConfListFromBytes(bridgeListJSON(netName, bridge, dataDir, "198.18.10.0/24"))
	require.NoError(t, err)
	cni := libcni.NewCNIConfigWithCacheDir([]string{pluginDir}, cacheDir, nil)

	a := newContainer(t, uniqueName("e2e-a"))
	b := newContainer(t, uniqueName("e2e-b"))
	hostPort := 20000 + os.Getpid()%10000
	a.rt.CapabilityArgs = map[string]interface{}{
		"portMappings": []map[string]interface{}{{"hostPort": hostPort, "containerPort": 8080, "protocol": "tcp"}},
	}
	// Whatever happens, every attachment is deleted before the namespaces
	// and the bridge go (Cleanup runs last-in first-out).
	t.Cleanup(func() {
		for _, c := range []*e2eContainer{a, b} {
			if err := cni.DelNetworkList(context.Background(), list, c.rt); err != nil {
				t.Logf("cleanup DEL %s: %v", c.rt.ContainerID, err)
			}
		}
	})

	addOK(ctx, t, cni, list, a)
	addOK(ctx, t, cni, list, b)
	ipA, ipB := a.ip(t, 4), b.ip(t, 4)
	require.True(t, (&net.IPNet{IP: net.ParseIP("198.18.10.0"), Mask: net.CIDRMask(24, 32)}).Contains(ipA), "A got %s", ipA)
	require.NotEqual(t, ipA.String(), ipB.String())
	hostVeths := append(hostIfaces(a.result), hostIfaces(b.result)...)
	require.Len(t, hostVeths, 2, "host-side veths in results %v %v", a.result, b.result)
	assert.ElementsMatch(t, hostVeths, linksWithMaster(t, bridge))
	assert.Equal(t, map[string]string{
		ipA.String(): a.rt.ContainerID + "/eth0",
		ipB.String(): b.rt.ContainerID + "/eth0",
	}, hostLocalReservations(t, dataDir, netName))

	// tuning set the sysctl inside the container only.
	v, err := readNetNSFile(a.nsPath, "/proc/sys/net/core/somaxconn")
	require.NoError(t, err)
	assert.Equal(t, "1234", v)

	// Traffic across the bridge: B -> A and A -> B.
	srvA := startEchoServer(t, a.nsPath, net.JoinHostPort(ipA.String(), "8080"))
	srvB := startEchoServer(t, b.nsPath, ":0")
	require.NoError(t, tcpRoundTrip(b.nsPath, ipA, srvA.port()))
	require.NoError(t, tcpRoundTrip(a.nsPath, ipB, srvB.port()))
	// portmap: the host reaches A's port 8080 through the mapped host port
	// on the bridge's gateway address (DNAT in the nat OUTPUT chain).
	gw := a.result.IPs[0].Gateway
	require.NotNil(t, gw)
	require.NoError(t, tcpRoundTrip("", gw, hostPort), "port mapping %d -> %s:8080", hostPort, ipA)

	// The cache knows both attachments.
	for _, c := range []*e2eContainer{a, b} {
		atts, err := cni.GetCachedAttachments(c.rt.ContainerID)
		require.NoError(t, err)
		require.Len(t, atts, 1)
		assert.Equal(t, netName, atts[0].Network)
		assert.Equal(t, c.nsPath, atts[0].NetNS)
	}

	// CHECK passes on both, then fails once A's address is gone.
	require.NoError(t, cni.CheckNetworkList(ctx, list, a.rt))
	require.NoError(t, cni.CheckNetworkList(ctx, list, b.rt))
	require.NoError(t, netns.IP(ctx, "-n", a.ns, "addr", "flush", "dev", "eth0"))
	err = cni.CheckNetworkList(ctx, list, a.rt)
	require.Error(t, err, "CHECK must notice the missing address")
	_, isCNIError := err.(*types.Error)
	assert.True(t, isCNIError, "CHECK returns the bridge plugin's own error, as the reference: %T %v", err, err)

	require.NoError(t, cni.GetStatusNetworkList(ctx, list))

	// GC with only A valid releases B: its DEL ran (address, veth, cache).
	require.NoError(t, cni.GCNetworkList(ctx, list, &libcni.GCArgs{
		ValidAttachments: []types.GCAttachment{{ContainerID: a.rt.ContainerID, IfName: "eth0"}},
	}))
	assert.Equal(t, map[string]string{ipA.String(): a.rt.ContainerID + "/eth0"},
		hostLocalReservations(t, dataDir, netName), "GC released B's address and kept A's")
	atts, err := cni.GetCachedAttachments(b.rt.ContainerID)
	require.NoError(t, err)
	assert.Empty(t, atts, "GC removed B's cache entry")
	atts, err = cni.GetCachedAttachments(a.rt.ContainerID)
	require.NoError(t, err)
	assert.Len(t, atts, 1, "GC kept A's cache entry")
	assert.False(t, netns.LinkExists(hostIfaces(b.result)[0]), "GC removed B's host veth")

	// DEL twice each succeeds.
	for _, c := range []*e2eContainer{a, b} {
		for i := 0; i < 2; i++ {
			require.NoError(t, cni.DelNetworkList(ctx, list, c.rt), "DEL #%d of %s", i+1, c.rt.ContainerID)
		}
	}

	// Nothing left: veths, reservations, cache entries, container locks,
	// port-mapping rules.
	for _, v := range hostVeths {
		assert.False(t, netns.LinkExists(v), "host veth %s left behind", v)
	}
	assert.Empty(t, linksWithMaster(t, bridge))
	assert.Empty(t, hostLocalReservations(t, dataDir, netName))
	atts, err = cni.GetCachedAttachments("")
	require.NoError(t, err)
	assert.Empty(t, atts)
	assert.Empty(t, filesUnder(t, filepath.Join(cacheDir, "results")))
	assert.Empty(t, filesUnder(t, filepath.Join(cacheDir, "locks"), a.rt.ContainerID, b.rt.ContainerID))
	assert.Error(t, tcpRoundTripOnce("", gw, hostPort), "port mapping still answers after DEL")
}

// tcpRoundTripOnce is a single quick attempt of tcpRoundTrip.
func tcpRoundTripOnce(fromNS string, ip net.IP, port int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return roundTrip(ctx, netns.Exchange, fromNS, ip, port)
}

// TestE2EPtpDualStack attaches two containers to a dual-stack ptp network
// and a loopback network, checks IPv4, IPv6 and loopback traffic, and
// deletes everything.
func TestE2EPtpDualStack(t *testing.T) {
	pluginDir := requireE2E(t)
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	cacheDir, dataDir := t.TempDir(), t.TempDir()
	const ptpName, loName = "cnirt-e2e-ptp", "cnirt-e2e-lo"
	ptp, err := libcni.ConfListFromBytes([]byte(fmt.Sprintf(`{
  "cniVersion": "1.1.0",
  "name": %q,
  "plugins": [
    {"type": "ptp", "ipMasq": false,
     "ipam": {"type": "host-local", "dataDir": %q,
              "ranges": [[{"subnet": "198.18.30.0/24"}], [{"subnet": "2001:db8:30::/64"}]],
              "routes": [{"dst": "198.18.0.0/15"}, {"dst": "2001:db8::/32"}]}},
    {"type": "firewall"}
  ]
}`, ptpName, dataDir)))
	require.NoError(t, err)
	lo, err := libcni.ConfListFromBytes([]byte(fmt.Sprintf(`{
  "cniVersion": "1.1.0", "name": %q, "plugins": [{"type": "loopback"}]
}`, loName)))
	require.NoError(t, err)
	cni := libcni.NewCNIConfigWithCacheDir([]string{pluginDir}, cacheDir, nil)

	x := newContainer(t, uniqueName("e2e-x"))
	y := newContainer(t, uniqueName("e2e-y"))
	loRT := func(c *e2eContainer) *libcni.RuntimeConf {
		rt := *c.rt
		rt.IfName = "lo"
		return &rt
	}
	t.Cleanup(func() {
		for _, c := range []*e2eContainer{x, y} {
			if err := cni.DelNetworkList(context.Background(), ptp, c.rt); err != nil {
				t.Logf("cleanup DEL ptp %s: %v", c.rt.ContainerID, err)
			}
			if err := cni.DelNetworkList(context.Background(), lo, loRT(c)); err != nil {
				t.Logf("cleanup DEL lo %s: %v", c.rt.ContainerID, err)
			}
		}
	})

	for _, c := range []*e2eContainer{x, y} {
		_, err := cni.AddNetworkList(ctx, lo, loRT(c))
		require.NoError(t, err, "ADD loopback")
		addOK(ctx, t, cni, ptp, c)
		require.NoError(t, cni.CheckNetworkList(ctx, ptp, c.rt))
		require.NoError(t, cni.CheckNetworkList(ctx, lo, loRT(c)))
	}
	hostVeths := append(hostIfaces(x.result), hostIfaces(y.result)...)
	require.Len(t, hostVeths, 2)
	for _, v := range hostVeths {
		assert.True(t, netns.LinkExists(v), "host veth %s", v)
	}
	assert.Len(t, hostLocalReservations(t, dataDir, ptpName), 4, "one v4 and one v6 address per container")

	for _, family := range []int{4, 6} {
		srvY := startEchoServer(t, y.nsPath, net.JoinHostPort(y.ip(t, family).String(), "0"))
		srvX := startEchoServer(t, x.nsPath, net.JoinHostPort(x.ip(t, family).String(), "0"))
		require.NoError(t, tcpRoundTrip(x.nsPath, y.ip(t, family), srvY.port()), "IPv%d x -> y", family)
		require.NoError(t, tcpRoundTrip(y.nsPath, x.ip(t, family), srvX.port()), "IPv%d y -> x", family)
	}
	// loopback brought lo up: the container reaches itself on 127.0.0.1 and ::1.
	for _, ip := range []string{"127.0.0.1", "::1"} {
		srv := startEchoServer(t, x.nsPath, net.JoinHostPort(ip, "0"))
		require.NoError(t, tcpRoundTrip(x.nsPath, net.ParseIP(ip), srv.port()))
	}

	for _, c := range []*e2eContainer{x, y} {
		require.NoError(t, cni.DelNetworkList(ctx, ptp, c.rt))
		require.NoError(t, cni.DelNetworkList(ctx, lo, loRT(c)))
	}
	for _, v := range hostVeths {
		assert.False(t, netns.LinkExists(v), "host veth %s left behind", v)
	}
	assert.Empty(t, hostLocalReservations(t, dataDir, ptpName))
	assert.Empty(t, filesUnder(t, filepath.Join(cacheDir, "results")))
}

// TestE2ESoak runs 200 ADD/DEL cycles of the bridge network, four
// containers at a time, and then looks for anything leaked.
func TestE2ESoak(t *testing.T) {
	pluginDir := requireE2E(t)
	t.Parallel()
	workers, cycles := 4, 50
	if testing.Short() {
		cycles = 5
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	cacheDir, dataDir := t.TempDir(), t.TempDir()
	bridge := uniqueIfName("cnirtsk")
	cleanupLink(t, bridge)
	const netName = "cnirt-e2e-soak"
	// The lean form of the bridge network (bridge + host-local + portmap)
	// keeps 200 cycles within about a minute on two cores; firewall and
	// tuning are covered by TestE2EBridge.
	list, err := libcni.ConfListFromBytes([]byte(fmt.Sprintf(`{
  "cniVersion": "1.1.0",
  "name": %q,
  "plugins": [
    {"type": "bridge", "bridge": %q, "isGateway": true, "ipMasq": false,
     "ipam": {"type": "host-local", "dataDir": %q, "ranges": [[{"subnet": "198.18.20.0/24"}]]}},
    {"type": "portmap", "capabilities": {"portMappings": true}, "snat": false}
  ]
}`, netName, bridge, dataDir)))
	require.NoError(t, err)
	cni := libcni.NewCNIConfigWithCacheDir([]string{pluginDir}, cacheDir, nil)

	var (
		mu    sync.Mutex
		ids   []string
		veths []string // host-side veths named in ADD results
		wg    sync.WaitGroup
	)
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		_, nsPath := newNetNS(t)
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < cycles; i++ {
				rt := &libcni.RuntimeConf{ContainerID: uniqueName(fmt.Sprintf("soak%d", w)), NetNS: nsPath, IfName: "eth0"}
				mu.Lock()
				ids = append(ids, rt.ContainerID)
				mu.Unlock()
				res, addErr := cni.AddNetworkList(ctx, list, rt)
				if addErr == nil {
					if r, err := types100.GetResult(res); err == nil {
						mu.Lock()
						veths = append(veths, hostIfaces(r)...)
						mu.Unlock()
					}
				}
				// Every ADD is followed by a DEL, even a failed one.
				delErr := cni.DelNetworkList(ctx, list, rt)
				if addErr != nil || delErr != nil {
					errs <- fmt.Errorf("worker %d cycle %d (%s): add: %v, del: %v", w, i, rt.ContainerID, addErr, delErr)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	require.Len(t, ids, workers*cycles)

	// Every host veth named by an ADD is gone. (Counting all host veths
	// would be disturbed by tests running in parallel.)
	require.Len(t, veths, workers*cycles, "one host veth per ADD")
	var leaked []string
	for _, v := range veths {
		if netns.LinkExists(v) {
			leaked = append(leaked, v)
		}
	}
	assert.Empty(t, leaked, "veths leaked on the host")
	assert.Empty(t, linksWithMaster(t, bridge), "links left on the bridge")
	assert.Empty(t, hostLocalReservations(t, dataDir, netName), "addresses still reserved")
	assert.Empty(t, filesUnder(t, filepath.Join(cacheDir, "results")), "cache entries left")
	assert.Empty(t, filesUnder(t, filepath.Join(cacheDir, "locks"), ids...), "container lock files left")
	atts, err := cni.GetCachedAttachments("")
	require.NoError(t, err)
	assert.Empty(t, atts)
	if b, err := json.Marshal(filesUnder(t, cacheDir)); err == nil {
		t.Logf("cache dir after soak: %s", b)
	}
}
