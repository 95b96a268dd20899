package skel_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/cnirt/cni/pkg/skel"
	"github.com/cnirt/cni/types"
	"github.com/cnirt/cni/version"
)

// A Dispatcher runs a plugin against an explicit environment and streams,
// here a DEL that the plugin refuses.
func ExampleDispatcher_Main() {
	env := map[string]string{
		"CNI_COMMAND":     "DEL",
		"CNI_CONTAINERID": "ctr1",
		"CNI_IFNAME":      "eth0",
		"CNI_PATH":        "/opt/cni/bin",
	}
	d := &skel.Dispatcher{
		Getenv: func(k string) string { return env[k] },
		Stdin:  strings.NewReader(`{"cniVersion":"1.0.0","name":"net1","type":"example"}`),
		Stdout: os.Stdout,
	}
	funcs := skel.CNIFuncs{
		Del: func(args *skel.CmdArgs) error {
			return types.NewError(types.ErrTryAgainLater, "busy with "+args.ContainerID, "")
		},
	}
	code := d.Main(funcs, version.All, "example plugin")
	fmt.Println("exit status", code)
	// Output:
	// {
	//     "cniVersion": "1.0.0",
	//     "code": 11,
	//     "msg": "busy with ctr1"
	// }
	// exit status 1
}
