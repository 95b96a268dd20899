package libcni_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/cnirt/cni/libcni"
)

// ExampleLoadConfList loads a network by name from a configuration
// directory. The network's plugins come from the "plugins" array, followed
// by the ".conf" files of the directory named after the network.
func ExampleLoadConfList() {
	dir, err := os.MkdirTemp("", "cnirt-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	conflist := `{
  "cniVersion": "1.0.0",
  "cniVersions": ["0.4.0", "1.0.0", "1.1.0"],
  "name": "example-net",
  "disableGC": true,
  "plugins": [
    {"type": "bridge", "bridge": "cni0", "ipam": {"type": "host-local", "subnet": "198.18.0.0/24"}}
  ]
}`
	if err := os.WriteFile(filepath.Join(dir, "10-example.conflist"), []byte(conflist), 0o644); err != nil {
		fmt.Println(err)
		return
	}
	if err := os.Mkdir(filepath.Join(dir, "example-net"), 0o755); err != nil {
		fmt.Println(err)
		return
	}
	portmap := `{"type": "portmap", "capabilities": {"portMappings": true}}`
	if err := os.WriteFile(filepath.Join(dir, "example-net", "10-portmap.conf"), []byte(portmap), 0o644); err != nil {
		fmt.Println(err)
		return
	}

	list, err := libcni.LoadConfList(dir, "example-net")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("name:", list.Name)
	fmt.Println("version:", list.CNIVersion)
	fmt.Println("disableGC:", list.DisableGC)
	for i, p := range list.Plugins {
		fmt.Printf("plugin %d: %s %s\n", i, p.Network.Type, p.Bytes)
	}

	_, err = libcni.LoadConfList(dir, "other-net")
	fmt.Println(err == libcni.NotFoundError{Dir: dir, Name: "other-net"})
	// Output:
	// name: example-net
	// version: 1.1.0
	// disableGC: true
	// plugin 0: bridge {"type": "bridge", "bridge": "cni0", "ipam": {"type": "host-local", "subnet": "198.18.0.0/24"}}
	// plugin 1: portmap {"type": "portmap", "capabilities": {"portMappings": true}}
	// true
}

// ExampleConfLoader keeps one ConfLoader for the process: loading a
// network again from an unchanged directory then costs a stat per file,
// and a file replaced on disk is read again.
func ExampleConfLoader() {
	dir, err := os.MkdirTemp("", "cnirt-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	write := func(file, doc string) {
		tmp := filepath.Join(dir, ".tmp")
		if err := os.WriteFile(tmp, []byte(doc), 0o644); err == nil {
			err = os.Rename(tmp, filepath.Join(dir, file)) // replaced, as config tools do
			if err != nil {
				fmt.Println(err)
			}
		}
	}
	write("10-a.conflist", `{"cniVersion": "1.0.0", "name": "net-a", "plugins": [{"type": "bridge"}]}`)
	write("20-b.conflist", `{"cniVersion": "1.0.0", "name": "net-b", "plugins": [{"type": "macvlan"}]}`)

	var loader libcni.ConfLoader
	for range 2 {
		list, err := loader.LoadConfList(dir, "net-b")
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(list.Name, list.Plugins[0].Network.Type)
	}
	write("20-b.conflist", `{"cniVersion": "1.0.0", "name": "net-b", "plugins": [{"type": "ipvlan"}]}`)
	list, err := loader.LoadConfList(dir, "net-b")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(list.Name, list.Plugins[0].Network.Type)
	// Output:
	// net-b macvlan
	// net-b macvlan
	// net-b ipvlan
}
