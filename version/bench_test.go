package version_test

import (
	"testing"

	refversion "github.com/containernetworking/cni/pkg/version"

	"github.com/cnirt/cni/version"
)

var benchAnswer = []byte(`{"cniVersion":"1.1.0","supportedVersions":["0.1.0","0.2.0","0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}`)

func BenchmarkGreaterThanOrEqualTo(b *testing.B) {
	b.Run("cnirt", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if ok, err := version.GreaterThanOrEqualTo("1.1.0", "0.4.0"); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
	b.Run("reference", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if ok, err := refversion.GreaterThanOrEqualTo("1.1.0", "0.4.0"); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
}

func BenchmarkPluginDecoder(b *testing.B) {
	b.Run("cnirt", func(b *testing.B) {
		b.ReportAllocs()
		var dec version.PluginDecoder
		for i := 0; i < b.N; i++ {
			if _, err := dec.Decode(benchAnswer); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reference", func(b *testing.B) {
		b.ReportAllocs()
		var dec refversion.PluginDecoder
		for i := 0; i < b.N; i++ {
			if _, err := dec.Decode(benchAnswer); err != nil {
				b.Fatal(err)
			}
		}
	})
}
