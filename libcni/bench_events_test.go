package libcni_test

// Cost of the event hook (WithEventHook) on ADD+DEL of the 3-plugin bench
// list: without a hook, with a hook that does nothing, and with the slog
// hook writing to io.Discard at Debug. Run with:
//
//	go test ./libcni/ -run '^$' -bench 'AddDelEvents' -benchmem -count 5

import (
	"context"
	"testing"

	"github.com/cnirt/cni/invoke"
	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/pkg/plugintest"
)

func BenchmarkAddDelEvents(b *testing.B) {
	hooks := []struct {
		name string
		opts []libcni.Option
	}{
		{"nohook", nil},
		{"noophook", []libcni.Option{libcni.WithEventHook(func(context.Context, libcni.Event) {})}},
	}
	run := func(b *testing.B, path []string, exec func() invoke.Exec, opts []libcni.Option) {
		list, err := libcni.ConfListFromBytes(readDiffFixture(b, benchFixture))
		if err != nil {
			b.Fatal(err)
		}
		cfg := libcni.NewCNIConfigWithOptions(path, exec(), append([]libcni.Option{libcni.WithCacheDir(b.TempDir())}, opts...)...)
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			id, args := benchRuntime(uint64(i))
			rt := &libcni.RuntimeConf{ContainerID: id, NetNS: "/run/netns/" + id, IfName: "eth0", Args: args, CapabilityArgs: benchCaps}
			if _, err := cfg.AddNetworkList(ctx, list, rt); err != nil {
				b.Fatal(err)
			}
			if err := cfg.DelNetworkList(ctx, list, rt); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("fake", func(b *testing.B) {
		for _, h := range hooks {
			b.Run(h.name, func(b *testing.B) {
				run(b, diffPluginPath, func() invoke.Exec { return &cnirtBenchExec{} }, h.opts)
			})
		}
	})
	b.Run("noop", func(b *testing.B) {
		dir := plugintest.Build(b, plugintest.NoopPlugin)
		for _, h := range hooks {
			b.Run(h.name, func(b *testing.B) {
				run(b, []string{dir}, func() invoke.Exec { return nil }, h.opts)
			})
		}
	})
}
