package libcni_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	refcni "github.com/containernetworking/cni/libcni"

	"github.com/cnirt/cni/libcni"
)

// confBenchList is a realistic three-plugin configuration list.
const confBenchList = `{
  "cniVersion": "1.0.0",
  "cniVersions": ["0.4.0", "1.0.0", "1.1.0"],
  "name": "bench-net",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cni0",
      "isGateway": true,
      "ipMasq": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "198.18.0.0/16", "gateway": "198.18.0.1"}], [{"subnet": "2001:db8::/64"}]],
        "routes": [{"dst": "0.0.0.0/0"}, {"dst": "::/0"}]
      },
      "dns": {"nameservers": ["198.18.0.1"], "search": ["example.test"]}
    },
    {"type": "portmap", "capabilities": {"portMappings": true}, "snat": true},
    {"type": "tuning", "sysctl": {"net.ipv4.conf.all.log_martians": "1"}}
  ]
}`

func BenchmarkConfListFromBytes(b *testing.B) {
	data := []byte(confBenchList)
	b.Run("cnirt", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := libcni.ConfListFromBytes(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reference", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := refcni.ConfListFromBytes(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkLoadConfList looks up the last of 1000 networks in a directory
// of 1000 list files, the same directory for both libraries. "first" is a
// load without anything remembered (cnirt's LoadConfList); "repeated" is a
// load of the same files again, through a warmed libcni.ConfLoader for
// cnirt, right after something else in the directory changed (a file
// that is not a configuration, created and removed before each load,
// untimed), so that the loader lists the directory every time; "settled"
// is a load of the unchanged directory once it has stayed unchanged long
// enough for the loader to trust its listing (see libcni.ConfLoader), the
// steady state of a runtime's configuration directory. The reference has
// no cache, so its rows run the same call.
func BenchmarkLoadConfList(b *testing.B) {
	const files = 1000
	dir := b.TempDir()
	for i := range files {
		doc := strings.Replace(confBenchList, "bench-net", fmt.Sprintf("net-%04d", i), 1)
		confWrite(b, dir, fmt.Sprintf("%04d-net.conflist", i), doc)
	}
	last := fmt.Sprintf("net-%04d", files-1)
	var loader libcni.ConfLoader
	if _, err := loader.LoadConfList(dir, last); err != nil {
		b.Fatal(err)
	}
	settle := func() {
		// A load sees the directory's current version; after longer than
		// the loader's settling time the next load lists the directory the
		// last time.
		for _, wait := range []time.Duration{0, 3500 * time.Millisecond} {
			time.Sleep(wait)
			if _, err := loader.LoadConfList(dir, last); err != nil {
				b.Fatal(err)
			}
		}
	}
	// touch changes the directory's version (not its configuration
	// files), so the loader must list it again: outside the timed part,
	// before each "repeated" load, which otherwise would be "settled"
	// after the first seconds of the run.
	touched := filepath.Join(dir, "touched")
	touch := func(b *testing.B) {
		b.StopTimer()
		if err := os.WriteFile(touched, nil, 0o600); err != nil {
			b.Fatal(err)
		}
		if err := os.Remove(touched); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	for _, tt := range []struct {
		name    string
		prepare func()
		each    func(b *testing.B)
		cnirt   func(dir, name string) (*libcni.NetworkConfigList, error)
	}{
		{"first", nil, nil, libcni.LoadConfList},
		{"repeated", nil, touch, loader.LoadConfList},
		{"settled", settle, nil, loader.LoadConfList},
	} {
		b.Run(tt.name, func(b *testing.B) {
			if tt.prepare != nil {
				tt.prepare()
			}
			b.Run("cnirt", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if tt.each != nil {
						tt.each(b)
					}
					if _, err := tt.cnirt(dir, last); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("reference", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if tt.each != nil {
						tt.each(b)
					}
					if _, err := refcni.LoadConfList(dir, last); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

func BenchmarkInjectConf(b *testing.B) {
	l, err := libcni.ConfListFromBytes([]byte(confBenchList))
	if err != nil {
		b.Fatal(err)
	}
	rl, err := refcni.ConfListFromBytes([]byte(confBenchList))
	if err != nil {
		b.Fatal(err)
	}
	values := map[string]interface{}{
		"cniVersion": "1.0.0",
		"name":       "bench-net",
		"runtimeConfig": map[string]interface{}{
			"portMappings": []map[string]interface{}{{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}},
		},
	}
	b.Run("cnirt", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := libcni.InjectConf(l.Plugins[0], values); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reference", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := refcni.InjectConf(rl.Plugins[0], values); err != nil {
				b.Fatal(err)
			}
		}
	})
}
