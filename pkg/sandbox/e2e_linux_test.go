//go:build linux

package sandbox_test

import (
	"context"
	"errors"
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
	"github.com/cnirt/cni/pkg/plugintest"
	"github.com/cnirt/cni/pkg/plugintest/netns"
	"github.com/cnirt/cni/pkg/sandbox"
	types100 "github.com/cnirt/cni/types/100"
)

// The end-to-end test runs the real plugins in a real network namespace
// (see plugintest.RealPlugins for the prerequisites; with CI=true a missing
// one fails the test).

// TestE2ETwoNetworksInParallel: one sandbox on a bridge network and a ptp
// network (host-local addresses), attached in parallel; traffic reaches
// the sandbox on both; Detach leaves nothing behind.
func TestE2ETwoNetworksInParallel(t *testing.T) {
	pluginDir := plugintest.RealPlugins(t, "bridge", "ptp", "host-local", "loopback")
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()

	id := fmt.Sprintf("e2e-sb-%d", os.Getpid())
	bridge := fmt.Sprintf("cnisb%d", os.Getpid()%100000)
	ns := e2eSandboxNS(ctx, t, id, bridge)

	confDir, cacheDir, dataDir := t.TempDir(), t.TempDir(), t.TempDir()
	write := func(file, content string) {
		require.NoError(t, os.WriteFile(filepath.Join(confDir, file), []byte(content), 0o644))
	}
	write("10-bridge.conflist", fmt.Sprintf(`{"cniVersion":"1.1.0","name":"sb-bridge","plugins":[
  {"type":"bridge","bridge":%q,"isGateway":true,"ipMasq":false,
   "ipam":{"type":"host-local","dataDir":%q,"ranges":[[{"subnet":"198.18.40.0/24"}]]}}]}`, bridge, dataDir))
	write("20-ptp.conflist", fmt.Sprintf(`{"cniVersion":"1.1.0","name":"sb-ptp","plugins":[
  {"type":"ptp","ipMasq":false,
   "ipam":{"type":"host-local","dataDir":%q,"ranges":[[{"subnet":"198.18.41.0/24"}]]}}]}`, dataDir))

	// The event hook shows the plugin runs of the two networks overlap.
	var mu sync.Mutex
	adds := map[string][2]time.Time{}
	cni := libcni.NewCNIConfigWithOptions([]string{pluginDir}, nil, libcni.WithCacheDir(cacheDir),
		libcni.WithEventHook(func(_ context.Context, ev libcni.Event) {
			if ev.Kind == libcni.EventPluginRun && ev.Command == "ADD" && ev.PluginIndex == 0 {
				mu.Lock()
				adds[ev.Network] = [2]time.Time{ev.Start, ev.Start.Add(ev.Duration)}
				mu.Unlock()
			}
		}))
	m, err := sandbox.New(sandbox.WithConfDir(confDir), sandbox.WithCNI(cni),
		sandbox.WithMaxNetworks(2), sandbox.WithLoopback())
	require.NoError(t, err)
	require.NoError(t, m.Ready(ctx))

	sb := sandbox.Sandbox{ID: id, NetNS: ns.Path}
	t.Cleanup(func() { _ = m.Detach(context.Background(), sb) })
	start := time.Now()
	res, err := m.Attach(ctx, sb)
	took := time.Since(start)
	require.NoError(t, err)
	t.Logf("attached to %d networks in %v", len(res.Attachments), took)
	mu.Lock()
	br, pt := adds["sb-bridge"], adds["sb-ptp"]
	mu.Unlock()
	assert.True(t, br[0].Before(pt[1]) && pt[0].Before(br[1]), "the bridge and ptp ADDs overlap: %v %v", br, pt)

	require.Len(t, res.Attachments, 3)
	bridgeIf, ptpIf := res.Interfaces["eth0"], res.Interfaces["net1"]
	require.NotNil(t, bridgeIf)
	require.NotNil(t, ptpIf)
	assert.Equal(t, "sb-bridge", bridgeIf.Network)
	assert.Equal(t, "sb-ptp", ptpIf.Network)
	assert.Equal(t, ns.Path, bridgeIf.Sandbox)
	assert.NotEmpty(t, bridgeIf.MAC)
	require.Len(t, bridgeIf.IPs, 1)
	require.Len(t, ptpIf.IPs, 1)
	ipBridge, ipPtp := bridgeIf.IPs[0].Address.IP, ptpIf.IPs[0].Address.IP
	assert.True(t, (&net.IPNet{IP: net.IPv4(198, 18, 40, 0), Mask: net.CIDRMask(24, 32)}).Contains(ipBridge), "%s", ipBridge)
	assert.True(t, (&net.IPNet{IP: net.IPv4(198, 18, 41, 0), Mask: net.CIDRMask(24, 32)}).Contains(ipPtp), "%s", ipPtp)
	assert.Equal(t, ipBridge.String(), res.PrimaryIP().String())
	require.NoError(t, m.Check(ctx, sb))

	// Traffic from the host to the sandbox over each network.
	ln, err := netns.Listen(ns.Path, "tcp", ":0")
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- netns.ServeLines(ln, func(l string) string { return "echo:" + l }) }()
	port := ln.Addr().(*net.TCPAddr).Port
	for _, ip := range []net.IP{ipBridge, ipPtp} {
		rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
		addr := net.JoinHostPort(ip.String(), fmt.Sprint(port))
		got, err := netns.ExchangeRetry(rctx, "", "tcp", addr, "hi "+addr)
		rcancel()
		require.NoError(t, err, "TCP to %s", addr)
		assert.Equal(t, "echo:hi "+addr, got)
	}
	_ = ln.Close()
	<-served

	var hostVeths []string
	for _, a := range res.Attachments {
		r, err := resultInterfaces(a)
		require.NoError(t, err)
		hostVeths = append(hostVeths, r...)
	}
	require.Len(t, hostVeths, 2, "one host veth per network")

	require.NoError(t, m.Detach(ctx, sb))
	for _, v := range hostVeths {
		assert.False(t, netns.LinkExists(v), "host veth %s left behind", v)
	}
	brif, err := os.ReadDir(filepath.Join("/sys/class/net", bridge, "brif"))
	if !errors.Is(err, os.ErrNotExist) {
		require.NoError(t, err)
		assert.Empty(t, brif, "bridge ports left behind")
	}
	for _, netName := range []string{"sb-bridge", "sb-ptp"} {
		entries, _ := os.ReadDir(filepath.Join(dataDir, netName))
		for _, e := range entries {
			assert.Nil(t, net.ParseIP(e.Name()), "address reservation %s/%s left behind", netName, e.Name())
		}
	}
	require.NoError(t, netns.Do(ns.Path, func() error {
		for _, name := range []string{"eth0", "net1"} {
			if _, err := net.InterfaceByName(name); err == nil {
				return fmt.Errorf("interface %s still in the sandbox", name)
			}
		}
		return nil
	}))
	atts, err := libcni.NewCNIConfigWithCacheDir(nil, cacheDir, nil).GetCachedAttachments("")
	require.NoError(t, err)
	assert.Empty(t, atts, "cache entries left behind")
}

// resultInterfaces returns the host-side interfaces of an attachment.
func resultInterfaces(a *sandbox.Attachment) ([]string, error) {
	if a.Network == sandbox.LoopbackNetworkName {
		return nil, nil
	}
	r, err := types100.NewResultFromResult(a.Result)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, i := range r.Interfaces {
		if i.Sandbox == "" && strings.HasPrefix(i.Name, "veth") {
			names = append(names, i.Name)
		}
	}
	return names, nil
}

// e2eSandboxNS creates the network namespace id for a sandbox of an
// end-to-end test and names its bridge, removing both when the test ends
// (the bridge only if a plugin made it).
func e2eSandboxNS(ctx context.Context, t *testing.T, id, bridge string) *netns.NetNS {
	t.Helper()
	ns, err := netns.Create(ctx, id)
	require.NoError(t, err)
	t.Cleanup(func() { _ = ns.Delete(context.Background()) })
	t.Cleanup(func() {
		if netns.LinkExists(bridge) {
			_ = netns.IP(context.Background(), "link", "del", bridge)
		}
	})
	return ns
}
