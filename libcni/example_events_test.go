package libcni_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/cnirt/cni/libcni"
)

// A hook that sums up where an operation's time goes, per plugin. Durations
// vary from run to run, so this example prints only what does not.
func ExampleWithEventHook() {
	cacheDir, _ := os.MkdirTemp("", "cni-cache")
	defer os.RemoveAll(cacheDir)
	list, err := libcni.ConfListFromBytes([]byte(`{
  "cniVersion": "1.1.0",
  "name": "example",
  "plugins": [
    {"type": "bridge", "bridge": "cni0"},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	var pluginTime time.Duration
	hook := func(ctx context.Context, ev libcni.Event) {
		switch ev.Kind {
		case libcni.EventPluginRun:
			pluginTime += ev.Duration
			fmt.Printf("  event: %s plugins[%d] %s exit %d, sandbox %q\n", ev.Command, ev.PluginIndex, ev.PluginType, ev.ExitCode, ev.SandboxID)
		case libcni.EventLockWait:
			fmt.Printf("  event: waited for the %s lock\n", ev.Lock)
		default:
			fmt.Printf("  event: %s\n", ev.Kind)
		}
	}
	cni := libcni.NewCNIConfigWithOptions([]string{"/opt/cni/bin"}, &printingExec{},
		libcni.WithCacheDir(cacheDir), libcni.WithEventHook(hook))

	// A sandbox manager labels its operations; every event carries the label.
	ctx := libcni.ContextWithSandboxID(context.Background(), "pod-1234")
	ctx = libcni.ContextWithEventAttrs(ctx, slog.String("pod", "default/web"))
	rt := &libcni.RuntimeConf{ContainerID: "ctr-1", NetNS: "/var/run/netns/ctr-1", IfName: "eth0"}
	if _, err := cni.AddNetworkList(ctx, list, rt); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("plugin time measured:", pluginTime > 0)
	// Output:
	//   event: waited for the network lock
	//   event: waited for the container lock
	// ADD bridge (prevResult: false)
	//   event: ADD plugins[0] bridge exit 0, sandbox "pod-1234"
	// ADD portmap (prevResult: true)
	//   event: ADD plugins[1] portmap exit 0, sandbox "pod-1234"
	//   event: cache-write
	// plugin time measured: true
}

// The slog hook logs failures at Warn/Error and every step at Debug.
func ExampleNewSlogHook() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		// Drop what varies from run to run.
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "duration" {
				return slog.Attr{}
			}
			return a
		},
	}))
	cni := libcni.NewCNIConfigWithOptions([]string{"/opt/cni/bin"}, &printingExec{},
		libcni.WithSerialization(false), libcni.WithEventHook(libcni.NewSlogHook(logger)))
	_ = cni.GetStatusNetworkList(context.Background(), &libcni.NetworkConfigList{
		Name: "example", CNIVersion: "1.1.0",
		Plugins: []*libcni.PluginConfig{mustConf(`{"type":"bridge"}`)},
	})
	// Output:
	// STATUS bridge (prevResult: false)
	// level=DEBUG msg="CNI plugin ran" event=plugin-run command=STATUS network=example plugin_type=bridge plugin_index=0 plugin_path=/opt/cni/bin/bridge exit_code=0 stdin_bytes=55 stdout_bytes=0
}

func mustConf(s string) *libcni.PluginConfig {
	p, err := libcni.ConfFromBytes([]byte(s))
	if err != nil {
		panic(err)
	}
	return p
}
