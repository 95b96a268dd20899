package libcni_test

import (
	"context"
	"strconv"
	"testing"

	refcni "github.com/containernetworking/cni/libcni"

	"github.com/cnirt/cni/libcni"
)

// cachedBenchEntries is how many attachments BenchmarkGetCachedAttachments
// lists: one per container, as a node with many pods has.
const cachedBenchEntries = 5000

// BenchmarkGetCachedAttachments lists 5000 cached attachments (written by
// cnirt, in the format both libraries share) from one cache directory:
// "all" is what GC does, "one" looks for a single container.
func BenchmarkGetCachedAttachments(b *testing.B) {
	dir := b.TempDir()
	list, err := libcni.ConfListFromBytes(readDiffFixture(b, benchFixture))
	if err != nil {
		b.Fatal(err)
	}
	writer := libcni.NewCNIConfigWithOptions(diffPluginPath, &cnirtBenchExec{}, libcni.WithCacheDir(dir), libcni.WithSerialization(false))
	for i := range cachedBenchEntries {
		id, args := benchRuntime(uint64(i))
		rt := &libcni.RuntimeConf{ContainerID: id, NetNS: "/run/netns/" + id, IfName: "eth0", Args: args, CapabilityArgs: benchCaps}
		if _, err := writer.AddNetworkList(context.Background(), list, rt); err != nil {
			b.Fatal(err)
		}
	}
	one := "bench-" + strconv.Itoa(cachedBenchEntries/2)
	cnirt := libcni.NewCNIConfigWithCacheDir(diffPluginPath, dir, &cnirtBenchExec{})
	ref := refcni.NewCNIConfigWithCacheDir(diffPluginPath, dir, &refBenchExec{})
	for _, tt := range []struct {
		name string
		id   string
		want int
	}{
		{"all", "", cachedBenchEntries},
		{"one", one, 1},
	} {
		b.Run(tt.name, func(b *testing.B) {
			b.Run("cnirt", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					got, err := cnirt.GetCachedAttachments(tt.id)
					if err != nil || len(got) != tt.want {
						b.Fatalf("got %d attachments (%v), want %d", len(got), err, tt.want)
					}
				}
			})
			b.Run("reference", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					got, err := ref.GetCachedAttachments(tt.id)
					if err != nil || len(got) != tt.want {
						b.Fatalf("got %d attachments (%v), want %d", len(got), err, tt.want)
					}
				}
			})
		})
	}
}
