package invoke

import (
	"context"
	"testing"

	refinvoke "github.com/containernetworking/cni/pkg/invoke"
)

// Benchmarks run cnirt and the reference library side by side:
//
//	go test -run '^$' -bench . -benchmem ./invoke/

func BenchmarkArgsAsEnv(b *testing.B) {
	kv := [][2]string{{"IgnoreUnknown", "true"}, {"K8S_POD_NAMESPACE", "default"}, {"K8S_POD_NAME", "web-0"}}
	b.Run("cnirt", func(b *testing.B) {
		b.ReportAllocs()
		a := &Args{Command: "ADD", ContainerID: "c1", NetNS: "/run/netns/c1", IfName: "eth0", Path: "/opt/cni/bin", PluginArgs: kv}
		for b.Loop() {
			_ = a.AsEnv()
		}
	})
	b.Run("reference", func(b *testing.B) {
		b.ReportAllocs()
		a := &refinvoke.Args{Command: "ADD", ContainerID: "c1", NetNS: "/run/netns/c1", IfName: "eth0", Path: "/opt/cni/bin", PluginArgs: kv}
		for b.Loop() {
			_ = a.AsEnv()
		}
	})
}

func BenchmarkExecPluginWithResultDecode(b *testing.B) {
	conf := []byte(`{"cniVersion":"1.1.0","name":"n","type":"bridge"}`)
	outputs := map[string][]byte{
		"versioned":   []byte(`{"cniVersion":"1.1.0","interfaces":[{"name":"eth0","sandbox":"/run/netns/c1"}],"ips":[{"address":"198.18.0.2/24","gateway":"198.18.0.1","interface":0}],"routes":[{"dst":"0.0.0.0/0"}],"dns":{"nameservers":["198.18.0.53"]}}`),
		"unversioned": []byte(`{"interfaces":[{"name":"eth0","sandbox":"/run/netns/c1"}],"ips":[{"address":"198.18.0.2/24","gateway":"198.18.0.1","interface":0}],"routes":[{"dst":"0.0.0.0/0"}],"dns":{"nameservers":["198.18.0.53"]}}`),
	}
	for name, out := range outputs {
		b.Run(name, func(b *testing.B) {
			b.Run("cnirt", func(b *testing.B) {
				b.ReportAllocs()
				f := &fakeExec{stdout: out}
				args := &Args{Command: "ADD"}
				for b.Loop() {
					if _, err := ExecPluginWithResult(context.Background(), "/p", conf, args, f); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("reference", func(b *testing.B) {
				b.ReportAllocs()
				f := &refFakeExec{stdout: out}
				args := &refinvoke.Args{Command: "ADD"}
				for b.Loop() {
					if _, err := refinvoke.ExecPluginWithResult(context.Background(), "/p", conf, args, f); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

func BenchmarkExecPluginProcess(b *testing.B) {
	plugin := testPlugin(b)
	conf := testConf(b, "1.0.0", map[string]any{"stdout": `{"cniVersion":"1.0.0","ips":[{"address":"198.18.0.2/24"}]}`})
	b.Run("cnirt", func(b *testing.B) {
		b.ReportAllocs()
		e := &DefaultExec{RawExec: &RawExec{}}
		for b.Loop() {
			if _, err := ExecPluginWithResult(context.Background(), plugin, conf, &Args{Command: "ADD"}, e); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reference", func(b *testing.B) {
		b.ReportAllocs()
		e := &refinvoke.DefaultExec{RawExec: &refinvoke.RawExec{}}
		for b.Loop() {
			if _, err := refinvoke.ExecPluginWithResult(context.Background(), plugin, conf, &refinvoke.Args{Command: "ADD"}, e); err != nil {
				b.Fatal(err)
			}
		}
	})
}
