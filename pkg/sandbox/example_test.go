package sandbox_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cnirt/cni/invoke"
	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/pkg/sandbox"
	"github.com/cnirt/cni/version"
)

// addressPlugin stands in for plugin processes: ADD answers with an
// address that depends on the network, every other verb succeeds. The
// plugins named in missing are not found.
type addressPlugin struct {
	version.PluginDecoder
	missing map[string]bool
}

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

func (p *addressPlugin) FindInPath(plugin string, paths []string) (string, error) {
	if p.missing[plugin] {
		return "", &invoke.NotFoundError{Plugin: plugin, Searched: paths}
	}
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
	pod := sandbox.Sandbox{ID: "pod1", NetNS: "/proc/self/ns/net"} // on Linux a network namespace is required
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

// Detach tears down from the cache; a network whose plugin is gone is
// reported precisely and kept for a retry, the others are torn down.
func ExampleManager_Detach() {
	dir, _ := os.MkdirTemp("", "sandbox-example-")
	defer os.RemoveAll(dir)
	_ = os.WriteFile(filepath.Join(dir, "10-pods.conflist"),
		[]byte(`{"cniVersion":"1.1.0","name":"pods","plugins":[{"type":"bridge"}]}`), 0o644)
	_ = os.WriteFile(filepath.Join(dir, "20-storage.conflist"),
		[]byte(`{"cniVersion":"1.1.0","name":"storage","plugins":[{"type":"macvlan"}]}`), 0o644)
	exec := &addressPlugin{missing: map[string]bool{}}
	cni := libcni.NewCNIConfigWithCacheDir([]string{"/opt/cni/bin"}, filepath.Join(dir, "cache"), exec)
	m, err := sandbox.New(sandbox.WithConfDir(dir), sandbox.WithCNI(cni), sandbox.WithMaxNetworks(2))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	pod := sandbox.Sandbox{ID: "pod1", NetNS: "/proc/self/ns/net"} // on Linux a network namespace is required
	if _, err := m.Attach(ctx, pod); err != nil {
		fmt.Println(err)
		return
	}

	// The storage network's file and plugin are removed while the pod runs.
	_ = os.Remove(filepath.Join(dir, "20-storage.conflist"))
	_, _ = m.Reload()
	exec.missing["macvlan"] = true

	err = m.Detach(ctx, pod)
	var se *sandbox.SandboxError
	if errors.As(err, &se) {
		f := se.Failures[0]
		fmt.Println(f.Network, f.IfName, f.Plugin, "missing:", f.PluginMissing, "kept:", f.Kept)
	}
	atts, _ := cni.GetCachedAttachments("pod1")
	for _, a := range atts {
		fmt.Println("still cached:", a.Network)
	}

	// Once the plugin is back, a retry finishes the job with the cached
	// configuration, although the file is gone.
	exec.missing["macvlan"] = false
	fmt.Println("retry:", m.Detach(ctx, pod))
	// Output:
	// storage net1 macvlan missing: true kept: true
	// still cached: storage
	// retry: <nil>
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
