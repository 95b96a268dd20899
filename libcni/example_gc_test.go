package libcni_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/types"
	"github.com/cnirt/cni/version"
)

// recordingExec is an invoke.Exec that runs no program: it answers every
// plugin call itself and remembers the calls. Runtimes use the same hook to
// run plugins differently (in a sandbox, over RPC) or to test themselves.
type recordingExec struct {
	calls []string
}

func (e *recordingExec) ExecPlugin(_ context.Context, pluginPath string, _ []byte, environ []string) ([]byte, error) {
	var cmd, id string
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, "CNI_COMMAND="); ok {
			cmd = v
		}
		if v, ok := strings.CutPrefix(kv, "CNI_CONTAINERID="); ok {
			id = v
		}
	}
	e.calls = append(e.calls, strings.TrimSpace(cmd+" "+id))
	if cmd == "ADD" {
		return []byte(`{"cniVersion": "1.1.0", "ips": [{"address": "198.18.0.2/24"}]}`), nil
	}
	return nil, nil
}

func (e *recordingExec) FindInPath(plugin string, _ []string) (string, error) {
	return "/fake/" + plugin, nil
}

func (e *recordingExec) Decode(jsonBytes []byte) (version.PluginInfo, error) {
	var d version.PluginDecoder
	return d.Decode(jsonBytes)
}

// ExampleCNIConfig_GCNetworkList shows garbage collection: the runtime
// names the attachments it still uses, and every other cached attachment of
// the network is deleted (DEL) before each plugin gets a GC call listing the
// valid attachments.
func ExampleCNIConfig_GCNetworkList() {
	cacheDir, err := os.MkdirTemp("", "cnirt-example-gc-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(cacheDir)

	list, err := libcni.ConfListFromBytes([]byte(`{
  "cniVersion": "1.1.0", "name": "gc-net", "plugins": [{"type": "fake"}]
}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	exec := &recordingExec{}
	cni := libcni.NewCNIConfigWithCacheDir([]string{"/fake"}, cacheDir, exec)
	ctx := context.Background()

	for _, id := range []string{"keep-me", "stale"} {
		rt := &libcni.RuntimeConf{ContainerID: id, NetNS: "/var/run/netns/" + id, IfName: "eth0"}
		if _, err := cni.AddNetworkList(ctx, list, rt); err != nil {
			fmt.Println(err)
			return
		}
	}

	err = cni.GCNetworkList(ctx, list, &libcni.GCArgs{
		ValidAttachments: []types.GCAttachment{{ContainerID: "keep-me", IfName: "eth0"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("plugin calls:", strings.Join(exec.calls, ", "))

	left, err := cni.GetCachedAttachments("")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range left {
		fmt.Println("still cached:", a.ContainerID, a.IfName)
	}
	// Output:
	// plugin calls: ADD keep-me, ADD stale, DEL stale, GC
	// still cached: keep-me eth0
}
