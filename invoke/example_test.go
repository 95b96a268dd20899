package invoke_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/cnirt/cni/invoke"
	"github.com/cnirt/cni/types"
	"github.com/cnirt/cni/version"
)

func ExampleFindInPath() {
	dir, _ := os.MkdirTemp("", "cni-bin-")
	defer os.RemoveAll(dir)
	_ = os.WriteFile(filepath.Join(dir, "bridge"), []byte("#!/bin/sh\n"), 0o755)

	path, err := invoke.FindInPath("bridge", []string{"relative/ignored", dir})
	fmt.Println(filepath.Base(path), err)

	_, err = invoke.FindInPath("macvlan", []string{dir})
	var nf *invoke.NotFoundError
	fmt.Println(errors.Is(err, fs.ErrNotExist), errors.As(err, &nf), nf.Plugin)

	_, err = invoke.FindInPath("../bridge", []string{dir})
	fmt.Println(err)
	// Output:
	// bridge <nil>
	// true true macvlan
	// invalid plugin name: ../bridge
}

func ExampleArgs_Validate() {
	args := &invoke.Args{
		Command:    "ADD",
		PluginArgs: [][2]string{{"K8S_POD_NAME", "web;IgnoreUnknown=true"}},
	}
	fmt.Println(args.Validate())
	// Output:
	// invalid CNI_ARGS entry "K8S_POD_NAME" (value "web;IgnoreUnknown=true"): value contains ';'
}

// busyPlugin stands in for a plugin that reports a CNI error object.
type busyPlugin struct{ version.PluginDecoder }

func (busyPlugin) ExecPlugin(context.Context, string, []byte, []string) ([]byte, error) {
	return nil, types.NewError(types.ErrTryAgainLater, "address pool locked", "retry later")
}

func (busyPlugin) FindInPath(plugin string, paths []string) (string, error) {
	return invoke.FindInPath(plugin, paths)
}

// The plugin's own error object comes back as the *types.Error it printed.
func ExampleExecPluginWithResult_pluginError() {
	conf := []byte(`{"cniVersion":"1.1.0","name":"net","type":"host-local"}`)
	_, err := invoke.ExecPluginWithResult(context.Background(), "/opt/cni/bin/host-local", conf,
		&invoke.Args{Command: "ADD", ContainerID: "c1", IfName: "eth0"}, &busyPlugin{})

	fmt.Println(err)
	var ce *types.Error
	if errors.As(err, &ce) && ce.Code == types.ErrTryAgainLater {
		fmt.Println("try again:", ce.Msg)
	}
	// Output:
	// address pool locked; retry later
	// try again: address pool locked
}
