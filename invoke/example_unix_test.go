//go:build unix

package invoke_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cnirt/cni/invoke"
)

// A plugin is run with the network configuration on stdin; its result is
// decoded into the configuration's CNI version. The run is bounded by the
// context.
func ExampleExecPluginWithResult() {
	dir, _ := os.MkdirTemp("", "cni-bin-")
	defer os.RemoveAll(dir)
	script := "#!/bin/sh\ncat >/dev/null\necho '{\"ips\":[{\"address\":\"198.18.0.2/24\"}]}'\n"
	_ = os.WriteFile(filepath.Join(dir, "demo"), []byte(script), 0o755)

	plugin, err := invoke.FindInPath("demo", []string{dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conf := []byte(`{"cniVersion":"1.0.0","name":"demo-net","type":"demo"}`)
	args := &invoke.Args{
		Command:     "ADD",
		ContainerID: "c1",
		NetNS:       "/var/run/netns/c1",
		IfName:      "eth0",
		Path:        strings.Join([]string{dir}, string(os.PathListSeparator)),
	}
	exec := &invoke.DefaultExec{RawExec: &invoke.RawExec{Stderr: os.Stderr}}
	result, err := invoke.ExecPluginWithResult(ctx, plugin, conf, args, exec)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(result.Version())
	_ = result.Print()
	// Output:
	// 1.0.0
	// {
	//     "cniVersion": "1.0.0",
	//     "ips": [
	//         {
	//             "address": "198.18.0.2/24"
	//         }
	//     ]
	// }
}
