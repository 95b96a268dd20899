//go:build !windows

package libcni_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/cnirt/cni/libcni"
)

// A cache directory that cannot be used (here a file stands where the
// directory should be): ADD fails before any plugin runs, with a
// *CacheError; DEL still runs its plugins and succeeds, and the event
// hook hears that the locks degraded and that the entry could not be
// removed.
func ExampleCacheError() {
	tmp, _ := os.MkdirTemp("", "cni-fault")
	defer os.RemoveAll(tmp)
	cacheDir := filepath.Join(tmp, "cache")
	_ = os.WriteFile(cacheDir, []byte("not a directory"), 0o600)

	hook := func(_ context.Context, ev libcni.Event) {
		var lse *libcni.LockSetupError
		var ce *libcni.CacheError
		switch {
		case errors.As(ev.Err, &lse):
			fmt.Printf("  event %s: not a directory: %v\n", ev.Kind, errors.Is(lse, syscall.ENOTDIR))
		case errors.As(ev.Err, &ce):
			fmt.Printf("  event %s: %s of %s failed\n", ev.Kind, ce.Op, filepath.Base(ce.File))
		}
	}
	cni := libcni.NewCNIConfigWithOptions([]string{"/opt/cni/bin"}, &printingExec{},
		libcni.WithCacheDir(cacheDir), libcni.WithEventHook(hook))
	defer cni.Close()
	list, _ := libcni.ConfListFromBytes([]byte(`{"cniVersion":"1.1.0","name":"example","plugins":[{"type":"bridge"}]}`))
	rt := &libcni.RuntimeConf{ContainerID: "ctr-1", NetNS: "/var/run/netns/ctr-1", IfName: "eth0"}

	_, err := cni.AddNetworkList(context.Background(), list, rt)
	var ce *libcni.CacheError
	if errors.As(err, &ce) {
		fmt.Printf("ADD: %s failed, plugins ran: %v, not a directory: %v\n", ce.Op, ce.PluginsRan, errors.Is(err, syscall.ENOTDIR))
	}
	err = cni.DelNetworkList(context.Background(), list, rt)
	fmt.Println("DEL:", err)
	// Output:
	//   event locks-degraded: not a directory: true
	//   event cache-write: write of example-ctr-1-eth0 failed
	// ADD: write failed, plugins ran: false, not a directory: true
	//   event locks-degraded: not a directory: true
	// DEL bridge (prevResult: false)
	//   event cache-remove: remove of example-ctr-1-eth0 failed
	// DEL: <nil>
}
