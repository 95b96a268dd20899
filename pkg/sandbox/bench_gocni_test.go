package sandbox_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	gocni "github.com/containerd/go-cni"
	reflibcni "github.com/containernetworking/cni/libcni"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/pkg/plugintest"
	"github.com/cnirt/cni/pkg/sandbox"
)

// benchConfDir writes three networks of the noop example plugin, each
// answering ADD with one address.
func benchConfDir(b *testing.B) string {
	dir := b.TempDir()
	for i := 0; i < 3; i++ {
		conf := fmt.Sprintf(`{"cniVersion":"1.1.0","name":"bench%d","plugins":[{"type":"noop",
"result":{"cniVersion":"1.1.0","ips":[{"address":"198.18.%d.2/24","gateway":"198.18.%d.1"}]}}]}`, i, i, i)
		require.NoError(b, os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d-bench.conflist", i)), []byte(conf), 0o644))
	}
	return dir
}

// BenchmarkAttach3Networks attaches one sandbox to three networks of the
// noop plugin (real processes) with cnirt's Manager and with containerd's
// go-cni Setup, in the same run; the DEL that follows each attach is not
// timed. The caches live under TMPDIR: run once with TMPDIR=/dev/shm and
// once on disk.
func BenchmarkAttach3Networks(b *testing.B) {
	bin := plugintest.Build(b, plugintest.NoopPlugin)
	confDir := benchConfDir(b)
	ctx := context.Background()

	b.Run("cnirt", func(b *testing.B) {
		m, err := sandbox.New(sandbox.WithConfDir(confDir), sandbox.WithPluginDirs(bin),
			sandbox.WithCacheDir(b.TempDir()), sandbox.WithMaxNetworks(3))
		require.NoError(b, err)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			sb := sandbox.Sandbox{ID: fmt.Sprintf("bench-%d", i), NetNS: "/var/run/netns/bench"}
			res, err := m.Attach(ctx, sb)
			if err != nil || len(res.Attachments) != 3 {
				b.Fatalf("attach: %v", err)
			}
			b.StopTimer()
			if err := m.Detach(ctx, sb); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	})

	b.Run("go-cni", func(b *testing.B) {
		// go-cni keeps its cache where the reference library's package
		// variable says; point it at a directory of the benchmark's.
		saved := reflibcni.CacheDir
		reflibcni.CacheDir = b.TempDir()
		defer func() { reflibcni.CacheDir = saved }()
		c, err := gocni.New(gocni.WithPluginDir([]string{bin}), gocni.WithPluginConfDir(confDir),
			gocni.WithPluginMaxConfNum(3), gocni.WithMinNetworkCount(3))
		require.NoError(b, err)
		require.NoError(b, c.Load(gocni.WithDefaultConf))
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			id := fmt.Sprintf("bench-%d", i)
			res, err := c.Setup(ctx, id, "/var/run/netns/bench")
			if err != nil || len(res.Interfaces) == 0 && len(res.Raw()) != 3 {
				b.Fatalf("setup: %v", err)
			}
			b.StopTimer()
			if err := c.Remove(ctx, id, "/var/run/netns/bench"); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	})
}
