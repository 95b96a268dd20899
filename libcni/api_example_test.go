package libcni_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/version"
)

// printingExec stands in for real plugin processes in the examples: every
// "run" prints the verb and plugin, and ADD answers with an address.
type printingExec struct{ version.PluginDecoder }

func (printingExec) ExecPlugin(_ context.Context, pluginPath string, stdin []byte, environ []string) ([]byte, error) {
	var conf struct {
		CNIVersion string          `json:"cniVersion"`
		PrevResult json.RawMessage `json:"prevResult"`
	}
	if err := json.Unmarshal(stdin, &conf); err != nil {
		return nil, err
	}
	var command string
	for _, e := range environ {
		if len(e) > 12 && e[:12] == "CNI_COMMAND=" {
			command = e[12:]
		}
	}
	fmt.Printf("%s %s (prevResult: %v)\n", command, filepath.Base(pluginPath), conf.PrevResult != nil)
	if command == "ADD" {
		return fmt.Appendf(nil, `{"cniVersion":%q,"ips":[{"address":"198.18.0.10/24"}]}`, conf.CNIVersion), nil
	}
	return nil, nil
}

func (printingExec) FindInPath(plugin string, paths []string) (string, error) {
	return filepath.Join(paths[0], plugin), nil
}

func ExampleCNIConfig_AddNetworkList() {
	confDir, _ := os.MkdirTemp("", "cni-conf")
	defer os.RemoveAll(confDir)
	cacheDir, _ := os.MkdirTemp("", "cni-cache")
	defer os.RemoveAll(cacheDir)
	_ = os.WriteFile(filepath.Join(confDir, "10-example.conflist"), []byte(`{
  "cniVersion": "1.1.0",
  "name": "example",
  "plugins": [
    {"type": "bridge", "bridge": "cni0"},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}`), 0o644)

	list, err := libcni.LoadConfList(confDir, "example")
	if err != nil {
		fmt.Println(err)
		return
	}
	cni := libcni.NewCNIConfigWithOptions([]string{"/opt/cni/bin"}, &printingExec{},
		libcni.WithCacheDir(cacheDir))
	rt := &libcni.RuntimeConf{ContainerID: "c1", NetNS: "/var/run/netns/c1", IfName: "eth0"}
	ctx := context.Background()

	result, err := cni.AddNetworkList(ctx, list, rt)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("result version:", result.Version())
	if err := cni.CheckNetworkList(ctx, list, rt); err != nil {
		fmt.Println(err)
	}
	attachments, _ := cni.GetCachedAttachments("c1")
	fmt.Println("cached:", attachments[0].Network, attachments[0].IfName)
	if err := cni.DelNetworkList(ctx, list, rt); err != nil {
		fmt.Println(err)
	}
	attachments, _ = cni.GetCachedAttachments("c1")
	fmt.Println("cached after DEL:", len(attachments))
	// Output:
	// ADD bridge (prevResult: false)
	// ADD portmap (prevResult: true)
	// result version: 1.1.0
	// CHECK bridge (prevResult: true)
	// CHECK portmap (prevResult: true)
	// cached: example eth0
	// DEL portmap (prevResult: true)
	// DEL bridge (prevResult: true)
	// cached after DEL: 0
}

func ExampleNewCNIConfigWithOptions() {
	cacheDir, _ := os.MkdirTemp("", "cni-cache")
	defer os.RemoveAll(cacheDir)
	cni := libcni.NewCNIConfigWithOptions([]string{"/opt/cni/bin"}, &printingExec{},
		libcni.WithCacheDir(cacheDir),
		libcni.WithDurableCache(true),
		libcni.WithRejectDuplicateAdd(true))
	list, _ := libcni.ConfListFromBytes([]byte(`{"cniVersion":"1.0.0","name":"net1","plugins":[{"type":"ptp"}]}`))
	rt := &libcni.RuntimeConf{ContainerID: "c1", NetNS: "/var/run/netns/c1", IfName: "eth0"}

	_, err := cni.AddNetworkList(context.Background(), list, rt)
	fmt.Println("first ADD:", err)
	_, err = cni.AddNetworkList(context.Background(), list, rt)
	fmt.Println("second ADD:", err)
	// Output:
	// ADD ptp (prevResult: false)
	// first ADD: <nil>
	// second ADD: network "net1" container "c1" interface "eth0": attachment already added (ADD without DEL in between)
}
