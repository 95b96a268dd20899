package sandbox_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

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

	newCnirt := func(b *testing.B) *sandbox.Manager {
		m, err := sandbox.New(sandbox.WithConfDir(confDir), sandbox.WithPluginDirs(bin),
			sandbox.WithCacheDir(b.TempDir()), sandbox.WithMaxNetworks(3))
		require.NoError(b, err)
		return m
	}
	cnirtAttach := func(b *testing.B, m *sandbox.Manager, i int) (detach func()) {
		sb := sandbox.Sandbox{ID: fmt.Sprintf("bench-%d", i), NetNS: nsPath("bench")}
		res, err := m.Attach(ctx, sb)
		if err != nil || len(res.Attachments) != 3 {
			b.Fatalf("attach: %v", err)
		}
		return func() {
			if err := m.Detach(ctx, sb); err != nil {
				b.Fatal(err)
			}
		}
	}
	newGoCNI := func(b *testing.B) gocni.CNI {
		// go-cni keeps its cache where the reference library's package
		// variable says; point it at a directory of the benchmark's.
		saved := reflibcni.CacheDir
		reflibcni.CacheDir = b.TempDir()
		b.Cleanup(func() { reflibcni.CacheDir = saved })
		c, err := gocni.New(gocni.WithPluginDir([]string{bin}), gocni.WithPluginConfDir(confDir),
			gocni.WithPluginMaxConfNum(3), gocni.WithMinNetworkCount(3))
		require.NoError(b, err)
		require.NoError(b, c.Load(gocni.WithDefaultConf))
		return c
	}
	goCNISetup := func(b *testing.B, c gocni.CNI, i int) (remove func()) {
		id := fmt.Sprintf("bench-%d", i)
		res, err := c.Setup(ctx, id, "/var/run/netns/bench")
		if err != nil || len(res.Raw()) != 3 {
			b.Fatalf("setup: %v", err)
		}
		return func() {
			if err := c.Remove(ctx, id, "/var/run/netns/bench"); err != nil {
				b.Fatal(err)
			}
		}
	}
	timed := func(b *testing.B, attach func(i int) func()) {
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			undo := attach(i)
			b.StopTimer()
			undo()
			b.StartTimer()
		}
	}

	b.Run("cnirt", func(b *testing.B) {
		m := newCnirt(b)
		timed(b, func(i int) func() { return cnirtAttach(b, m, i) })
	})
	b.Run("go-cni", func(b *testing.B) {
		c := newGoCNI(b)
		timed(b, func(i int) func() { return goCNISetup(b, c, i) })
	})
	// Both in one loop, alternating which goes first, so that the load of
	// a shared machine weighs on both alike; reported as ms per attach.
	b.Run("interleaved", func(b *testing.B) {
		m, c := newCnirt(b), newGoCNI(b)
		var tCnirt, tGoCNI time.Duration
		for i := 0; i < b.N; i++ {
			for k := 0; k < 2; k++ {
				start := time.Now()
				if (i+k)%2 == 0 {
					undo := cnirtAttach(b, m, i)
					tCnirt += time.Since(start)
					undo()
				} else {
					undo := goCNISetup(b, c, i)
					tGoCNI += time.Since(start)
					undo()
				}
			}
		}
		b.ReportMetric(float64(tCnirt.Microseconds())/1e3/float64(b.N), "cnirt-ms/attach")
		b.ReportMetric(float64(tGoCNI.Microseconds())/1e3/float64(b.N), "go-cni-ms/attach")
		b.ReportMetric(0, "ns/op")
	})
}
