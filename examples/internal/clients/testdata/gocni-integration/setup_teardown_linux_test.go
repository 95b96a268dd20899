// Integration tests of github.com/containerd/go-cni with the real bridge,
// host-local and loopback plugins. The clients driver copies this file into
// the integration directory of two scratch copies of go-cni's module (one
// unmodified, one whose go.mod replaces github.com/containernetworking/cni
// with cnirt) and runs the test binary as root inside a private network
// and mount namespace, with GOCNI_IT_PLUGINS naming the plugin directory.
// Every address is in 198.18.193.0/24 and 2001:db8:17:193::/64, ipMasq is
// off, and names carry the tag i17c.
package integration

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	cni "github.com/containerd/go-cni"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	netName = "i17c-gocni"
	bridge  = "i17c-gocni0"
	subnet4 = "198.18.193.0/24"
	subnet6 = "2001:db8:17:193::/64"
)

func conflist(cniVersion, dataDir string) string {
	return fmt.Sprintf(`{
  "cniVersion": %q,
  "name": %q,
  "plugins": [
    {
      "type": "bridge",
      "bridge": %q,
      "isGateway": true,
      "ipMasq": false,
      "ipam": {
        "type": "host-local",
        "dataDir": %q,
        "ranges": [[{"subnet": %q}], [{"subnet": %q}]],
        "routes": [{"dst": "198.18.0.0/15"}, {"dst": "2001:db8::/32"}]
      }
    }
  ]
}`, cniVersion, netName, bridge, dataDir, subnet4, subnet6)
}

// env returns what every test needs: root, the plugin directory and the
// private namespace the driver made.
func env(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("GOCNI_IT_PLUGINS")
	if dir == "" || os.Geteuid() != 0 {
		t.Fatal("run by the clients driver: needs root and GOCNI_IT_PLUGINS (the directory of bridge, host-local and loopback)")
	}
	if os.Getenv("GOCNI_IT_PRIVATE") != "1" {
		t.Fatal("run by the clients driver inside a private network namespace (GOCNI_IT_PRIVATE=1)")
	}
	return dir
}

// newNS creates a named network namespace and removes it when the test ends.
func newNS(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("ip", "netns", "add", name).CombinedOutput()
	require.NoError(t, err, "ip netns add %s: %s", name, out)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	return "/run/netns/" + name
}

// nsAddrs lists the addresses of ifname inside the named namespace.
func nsAddrs(t *testing.T, ns, ifname string) string {
	t.Helper()
	out, err := exec.Command("ip", "-n", ns, "-o", "addr", "show", "dev", ifname).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return string(out)
}

// vethCount counts the veths of the test's namespace (the bridge's side).
func vethCount(t *testing.T) int {
	t.Helper()
	out, err := exec.Command("ip", "-o", "link", "show", "type", "veth").CombinedOutput()
	require.NoError(t, err, "%s", out)
	n := 0
	for _, line := range strings.Split(string(out), "\n") {
		if strings.TrimSpace(line) != "" {
			n++
		}
	}
	return n
}

// reservations lists host-local's reserved addresses in dataDir.
func reservations(t *testing.T, dataDir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dataDir, netName))
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	var ips []string
	for _, e := range entries {
		if net.ParseIP(e.Name()) != nil {
			ips = append(ips, e.Name())
		}
	}
	return ips
}

func TestSetupCheckRemove(t *testing.T) {
	plugins := env(t)
	// go-cni's go.mod says go 1.21: loop variables are shared.
	for i, tc := range []struct {
		name       string
		cniVersion string
		fromDir    bool // else from bytes
		loopback   bool // go-cni's own loopback network (cniVersion 0.3.1) first
		serially   bool
	}{
		{name: "1.0.0 from a config dir with loopback", cniVersion: "1.0.0", fromDir: true, loopback: true},
		{name: "1.1.0 from a config dir with loopback", cniVersion: "1.1.0", fromDir: true, loopback: true},
		{name: "1.1.0 from bytes serially", cniVersion: "1.1.0", serially: true},
		{name: "1.0.0 from bytes", cniVersion: "1.0.0"},
	} {
		i, tc := i, tc
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			dataDir := filepath.Join(tmp, "ipam")
			confDir := filepath.Join(tmp, "net.d")
			require.NoError(t, os.MkdirAll(confDir, 0o755))
			list := conflist(tc.cniVersion, dataDir)
			require.NoError(t, os.WriteFile(filepath.Join(confDir, "10-i17c.conflist"), []byte(list), 0o644))

			var opts []cni.Opt
			networks := 1
			if tc.loopback {
				opts = append(opts, cni.WithLoNetwork)
				networks++
			}
			if tc.fromDir {
				opts = append(opts, cni.WithDefaultConf)
			} else {
				opts = append(opts, cni.WithConfListBytes([]byte(list)))
			}
			l, err := cni.New(cni.WithPluginDir([]string{plugins}), cni.WithPluginConfDir(confDir), cni.WithMinNetworkCount(networks))
			require.NoError(t, err)
			require.NoError(t, l.Load(opts...))
			require.NoError(t, l.Status(), "STATUS (1.1.0) or readiness (1.0.0)")
			cfg := l.GetConfig()
			require.Len(t, cfg.Networks, networks)
			assert.Equal(t, netName, cfg.Networks[networks-1].Config.Name)
			assert.Equal(t, tc.cniVersion, cfg.Networks[networks-1].Config.CNIVersion)
			// From a directory the network is eth0 whatever came before;
			// from bytes it is named after its position.
			ifName := "eth0"
			if !tc.fromDir && tc.loopback {
				ifName = "eth1"
			}
			assert.Equal(t, ifName, cfg.Networks[networks-1].IFName)

			ns := fmt.Sprintf("i17c-gocni-%d", i)
			path := newNS(t, ns)
			ctx := context.Background()
			id := fmt.Sprintf("i17c-setup-%d", i)
			var res *cni.Result
			if tc.serially {
				res, err = l.SetupSerially(ctx, id, path)
			} else {
				res, err = l.Setup(ctx, id, path)
			}
			require.NoError(t, err)
			eth := res.Interfaces[ifName]
			require.NotNil(t, eth, "%s in %v", ifName, res.Interfaces)
			require.Len(t, eth.IPConfigs, 2)
			_, v4, _ := net.ParseCIDR(subnet4)
			_, v6, _ := net.ParseCIDR(subnet6)
			assert.True(t, v4.Contains(eth.IPConfigs[0].IP), "%v in %s", eth.IPConfigs[0].IP, subnet4)
			assert.True(t, v6.Contains(eth.IPConfigs[1].IP), "%v in %s", eth.IPConfigs[1].IP, subnet6)
			addrs := nsAddrs(t, ns, ifName)
			assert.Contains(t, addrs, eth.IPConfigs[0].IP.String())
			assert.Contains(t, addrs, eth.IPConfigs[1].IP.String())
			assert.Len(t, reservations(t, dataDir), 2)
			if tc.loopback {
				// go-cni's loopback network says cniVersion 0.3.1, which
				// has no CHECK: the library refuses before running a plugin.
				err := l.Check(ctx, id, path)
				require.Error(t, err)
				assert.Contains(t, err.Error(), `configuration version "0.3.1" does not support the CHECK command`)
			} else {
				assert.NoError(t, l.Check(ctx, id, path))
			}

			require.NoError(t, l.Remove(ctx, id, path))
			assert.Empty(t, reservations(t, dataDir), "host-local reservations after Remove")
			assert.Equal(t, 0, vethCount(t), "veths after Remove")
			// A second Remove is harmless, as the runtimes expect.
			assert.NoError(t, l.Remove(ctx, id, path))
		})
	}
}

func TestParallelPods(t *testing.T) {
	plugins := env(t)
	tmp := t.TempDir()
	dataDir := filepath.Join(tmp, "ipam")
	l, err := cni.New(cni.WithPluginDir([]string{plugins}), cni.WithMinNetworkCount(2))
	require.NoError(t, err)
	// The pod network first, so it is eth0, then go-cni's loopback.
	require.NoError(t, l.Load(cni.WithConfListBytes([]byte(conflist("1.1.0", dataDir))), cni.WithLoNetwork))
	const pods = 8
	paths := make([]string, pods)
	for i := 0; i < pods; i++ {
		paths[i] = newNS(t, fmt.Sprintf("i17c-gocni-par%d", i))
	}
	ctx := context.Background()
	ips := make([]string, pods)
	errs := make([]error, pods)
	var wg sync.WaitGroup
	for i := 0; i < pods; i++ {
		i := i
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := l.Setup(ctx, fmt.Sprintf("i17c-par-%d", i), paths[i])
			if err == nil {
				ips[i] = res.Interfaces["eth0"].IPConfigs[0].IP.String()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for i := 0; i < pods; i++ {
		require.NoError(t, errs[i], "pod %d", i)
		assert.False(t, seen[ips[i]], "address %s given twice", ips[i])
		seen[ips[i]] = true
	}
	assert.Len(t, reservations(t, dataDir), 2*pods)
	assert.Equal(t, pods, vethCount(t))
	for i := 0; i < pods; i++ {
		i := i
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = l.Remove(ctx, fmt.Sprintf("i17c-par-%d", i), paths[i])
		}()
	}
	wg.Wait()
	for i := 0; i < pods; i++ {
		assert.NoError(t, errs[i], "remove pod %d", i)
	}
	assert.Empty(t, reservations(t, dataDir))
	assert.Equal(t, 0, vethCount(t))
	entries, err := os.ReadDir("/var/lib/cni/results")
	if !os.IsNotExist(err) {
		require.NoError(t, err)
	}
	assert.Empty(t, entries, "cached results after Remove")
}
