package libcni_test

// Side-by-side benchmarks of cnirt's libcni and the reference library
// (containernetworking/cni v1.3.1). Every benchmark has the sub-benchmarks
//
//	<Benchmark>/fake/cnirt, <Benchmark>/fake/reference
//	    an in-memory executor answering instantly: what is measured is the
//	    library's own work (config derivation, env, result parsing, cache);
//	<Benchmark>/noop/cnirt, <Benchmark>/noop/reference
//	    real processes of the noop example plugin (pkg/plugintest.Build).
//
// Run with:
//
//	go test ./libcni/ -run '^$' -bench 'AddDel' -benchmem -count 3

import (
	"context"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	refcni "github.com/containernetworking/cni/libcni"
	refinvoke "github.com/containernetworking/cni/pkg/invoke"
	refversion "github.com/containernetworking/cni/pkg/version"

	"github.com/cnirt/cni/invoke"
	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/pkg/plugintest"
	"github.com/cnirt/cni/version"
)

// benchFixture is a 1.0.0 list of three plugins (ipam/dns, portMappings,
// bandwidth); all of type noop so that the real-process variant can run it.
const benchFixture = "bench-3plugins.conflist"

// benchAddResult is what the in-memory executor answers to every ADD.
var benchAddResult = []byte(`{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","mac":"02:42:c6:12:3c:02","sandbox":"/run/netns/bench"}],` +
	`"ips":[{"address":"198.18.60.2/24","gateway":"198.18.60.1","interface":0}],"routes":[{"dst":"0.0.0.0/0","gw":"198.18.60.1"}],` +
	`"dns":{"nameservers":["198.18.60.53"]}}`)

// benchAnswer is the in-memory plugin: a result for ADD, nothing otherwise.
func benchAnswer(environ []string, runs *atomic.Int64) []byte {
	runs.Add(1)
	for i := len(environ) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(environ[i], "CNI_COMMAND="); ok {
			if v == "ADD" {
				return benchAddResult
			}
			return nil
		}
	}
	return nil
}

// cnirtBenchExec is cnirt's invoke.Exec answering in memory.
type cnirtBenchExec struct {
	runs atomic.Int64
	dec  version.PluginDecoder
}

func (e *cnirtBenchExec) ExecPlugin(_ context.Context, _ string, _ []byte, environ []string) ([]byte, error) {
	return benchAnswer(environ, &e.runs), nil
}

func (e *cnirtBenchExec) FindInPath(plugin string, _ []string) (string, error) {
	return "/fake/" + plugin, nil
}

func (e *cnirtBenchExec) Decode(jsonBytes []byte) (version.PluginInfo, error) {
	return e.dec.Decode(jsonBytes)
}

// refBenchExec is the reference's invoke.Exec answering in memory.
type refBenchExec struct {
	runs atomic.Int64
	dec  refversion.PluginDecoder
}

func (e *refBenchExec) ExecPlugin(_ context.Context, _ string, _ []byte, environ []string) ([]byte, error) {
	return benchAnswer(environ, &e.runs), nil
}

func (e *refBenchExec) FindInPath(plugin string, _ []string) (string, error) {
	return "/fake/" + plugin, nil
}

func (e *refBenchExec) Decode(jsonBytes []byte) (refversion.PluginInfo, error) {
	return e.dec.Decode(jsonBytes)
}

// benchCaps are offered on every ADD; plugins 2 and 3 each get one.
var benchCaps = map[string]any{
	"portMappings": []diffPortMapping{{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}},
	"bandwidth":    map[string]any{"ingressRate": 2048, "ingressBurst": 1600},
}

// addDelFunc runs ADD then DEL of the bench list for container number n.
type addDelFunc func(ctx context.Context, n uint64) error

func benchRuntime(n uint64) (id string, args [][2]string) {
	id = "bench-" + strconv.FormatUint(n, 10)
	return id, [][2]string{{"K8S_POD_NAMESPACE", "bench"}, {"K8S_POD_NAME", id}}
}

// newCnirtAddDel prepares cnirt; exec nil means real processes found in path.
func newCnirtAddDel(b *testing.B, path []string, exec invoke.Exec) addDelFunc {
	b.Helper()
	list, err := libcni.ConfListFromBytes(readDiffFixture(b, benchFixture))
	if err != nil {
		b.Fatal(err)
	}
	cfg := libcni.NewCNIConfigWithCacheDir(path, b.TempDir(), exec)
	return func(ctx context.Context, n uint64) error {
		id, args := benchRuntime(n)
		rt := &libcni.RuntimeConf{ContainerID: id, NetNS: "/run/netns/" + id, IfName: "eth0", Args: args, CapabilityArgs: benchCaps}
		if _, err := cfg.AddNetworkList(ctx, list, rt); err != nil {
			return err
		}
		return cfg.DelNetworkList(ctx, list, rt)
	}
}

// newRefAddDel prepares the reference; exec nil means real processes.
func newRefAddDel(b *testing.B, path []string, exec refinvoke.Exec) addDelFunc {
	b.Helper()
	list, err := refcni.ConfListFromBytes(readDiffFixture(b, benchFixture))
	if err != nil {
		b.Fatal(err)
	}
	cfg := refcni.NewCNIConfigWithCacheDir(path, b.TempDir(), exec)
	return func(ctx context.Context, n uint64) error {
		id, args := benchRuntime(n)
		rt := &refcni.RuntimeConf{ContainerID: id, NetNS: "/run/netns/" + id, IfName: "eth0", Args: args, CapabilityArgs: benchCaps}
		if _, err := cfg.AddNetworkList(ctx, list, rt); err != nil {
			return err
		}
		return cfg.DelNetworkList(ctx, list, rt)
	}
}

// benchPeers runs body for the four variants: fake and noop executors,
// each with cnirt and the reference.
func benchPeers(b *testing.B, body func(b *testing.B, op addDelFunc)) {
	b.Run("fake", func(b *testing.B) {
		b.Run("cnirt", func(b *testing.B) {
			exec := &cnirtBenchExec{}
			body(b, newCnirtAddDel(b, diffPluginPath, exec))
			checkRuns(b, exec.runs.Load())
		})
		b.Run("reference", func(b *testing.B) {
			exec := &refBenchExec{}
			body(b, newRefAddDel(b, diffPluginPath, exec))
			checkRuns(b, exec.runs.Load())
		})
	})
	b.Run("noop", func(b *testing.B) {
		dir := plugintest.Build(b, plugintest.NoopPlugin)
		b.Run("cnirt", func(b *testing.B) {
			body(b, newCnirtAddDel(b, []string{dir}, nil))
		})
		b.Run("reference", func(b *testing.B) {
			body(b, newRefAddDel(b, []string{dir}, nil))
		})
	})
}

// checkRuns makes sure the fake executor really ran three plugins for ADD
// and three for DEL per iteration, so that a library skipping work cannot
// look fast.
func checkRuns(b *testing.B, runs int64) {
	b.Helper()
	if want := int64(6 * b.N); runs != want {
		b.Fatalf("plugin runs = %d, want %d (3 ADD + 3 DEL per iteration)", runs, want)
	}
}

// BenchmarkAddDelList measures ADD followed by DEL of a 3-plugin list, each
// iteration on a new container, from one goroutine.
func BenchmarkAddDelList(b *testing.B) {
	benchPeers(b, func(b *testing.B, op addDelFunc) {
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := op(ctx, uint64(i)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkAddDelParallel2 measures the same ADD+DEL on distinct containers
// from two goroutines at once (GOMAXPROCS 2, parallelism 1), which is where
// cnirt's per-container serialization could cost throughput against the
// reference, which does no locking at all.
func BenchmarkAddDelParallel2(b *testing.B) {
	benchPeers(b, func(b *testing.B, op addDelFunc) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
		b.SetParallelism(1)
		ctx := context.Background()
		var next atomic.Uint64
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := op(ctx, next.Add(1)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
