package sandbox_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/pkg/sandbox"
	"github.com/cnirt/cni/version"
)

// addressPlugin stands in for plugin processes: ADD answers with an
// address that depends on the network, every other verb succeeds.
type addressPlugin struct{ version.PluginDecoder }

func (addressPlugin) ExecPlugin(_ context.Context, _ string, stdin []byte, environ []string) ([]byte, error) {
	cmd, ifName := "", ""
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, "CNI_COMMAND="); ok {
			cmd = v
		}
		if v, ok := strings.CutPrefix(kv, "CNI_IFNAME="); ok {
			ifName = v
		}
	}
	if cmd != "ADD" {
		return nil, nil
	}
	octet := "1"
	if strings.Contains(string(stdin), `"name":"storage"`) {
		octet = "2"
	}
	return []byte(fmt.Sprintf(`{"cniVersion":"1.1.0","interfaces":[{"name":%q,"sandbox":"/var/run/netns/pod1"}],
"ips":[{"address":"198.18.%s.10/24","interface":0}]}`, ifName, octet)), nil
}

func (addressPlugin) FindInPath(plugin string, _ []string) (string, error) {
	return "/opt/cni/bin/" + plugin, nil
}

// Attach a sandbox to the first two networks of a directory, then detach
// it from what the cache recorded.
func Example() {
	dir, _ := os.MkdirTemp("", "sandbox-example-")
	defer os.RemoveAll(dir)
	confDir := filepath.Join(dir, "net.d")
	_ = os.Mkdir(confDir, 0o755)
	_ = os.WriteFile(filepath.Join(confDir, "10-pods.conflist"),
		[]byte(`{"cniVersion":"1.1.0","name":"pods","plugins":[{"type":"bridge"}]}`), 0o644)
	_ = os.WriteFile(filepath.Join(confDir, "20-storage.conflist"),
		[]byte(`{"cniVersion":"1.1.0","name":"storage","plugins":[{"type":"macvlan"}]}`), 0o644)
	_ = os.WriteFile(filepath.Join(confDir, "30-broken.conf"), []byte(`{"name": }`), 0o644)

	cni := libcni.NewCNIConfigWithCacheDir([]string{"/opt/cni/bin"}, filepath.Join(dir, "cache"), &addressPlugin{})
	m, err := sandbox.New(sandbox.WithConfDir(confDir), sandbox.WithCNI(cni), sandbox.WithMaxNetworks(2))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	for _, p := range m.Networks().Problems {
		fmt.Println("skipped:", filepath.Base(p.File), "line", p.Line, "column", p.Column)
	}

	ctx := context.Background()
	pod := sandbox.Sandbox{ID: "pod1", NetNS: "/var/run/netns/pod1"}
	res, err := m.Attach(ctx, pod, sandbox.WithArgs("K8S_POD_NAME", "web"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range res.Attachments {
		fmt.Println(a.Network, a.IfName, res.Interfaces[a.IfName].IPs[0].Address.String())
	}
	fmt.Println("primary:", res.PrimaryIP())
	fmt.Println("detach:", m.Detach(ctx, pod))
	// Output:
	// skipped: 30-broken.conf line 1 column 10
	// pods eth0 198.18.1.10/24
	// storage net1 198.18.2.10/24
	// primary: 198.18.1.10
	// detach: <nil>
}

// Ready explains why sandboxes cannot be attached yet.
func ExampleManager_Ready() {
	dir, _ := os.MkdirTemp("", "sandbox-example-")
	defer os.RemoveAll(dir)
	m, err := sandbox.New(sandbox.WithConfDir(dir), sandbox.WithCacheDir(filepath.Join(dir, "cache")))
	if err != nil {
		fmt.Println(err)
		return
	}
	err = m.Ready(context.Background())
	fmt.Println(strings.ReplaceAll(err.Error(), dir, "DIR"))
	// A sandbox with nothing cached detaches, even with no network.
	fmt.Println(m.Detach(context.Background(), sandbox.Sandbox{ID: "pod1"}))
	// Output:
	// network not ready: no valid network configuration in DIR
	// <nil>
}
