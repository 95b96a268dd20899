//go:build !windows

package libcni_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	refcni "github.com/containernetworking/cni/libcni"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
)

// loaderList is a one-plugin list called name whose plugin is of type typ.
func loaderList(name, typ string) string {
	return `{"cniVersion":"1.0.0","name":"` + name + `","plugins":[{"type":"` + typ + `"}]}`
}

// loaderSingle is a single-plugin configuration called name of type typ.
func loaderSingle(name, typ string) string {
	return `{"cniVersion":"1.0.0","name":"` + name + `","type":"` + typ + `"}`
}

// loaderSetTime sets the access and modification times of path.
func loaderSetTime(t *testing.T, path string, when time.Time) {
	t.Helper()
	require.NoError(t, os.Chtimes(path, when, when))
}

// TestConfLoaderNoticesChanges warms a ConfLoader on a directory, changes
// the directory, and checks that the loader then answers every query as a
// load without a cache does (same values, same errors) and as the
// reference does (same plugin type, same error text).
func TestConfLoaderNoticesChanges(t *testing.T) {
	t.Parallel()
	past := time.Now().Add(-time.Hour).Truncate(time.Second)
	tests := []struct {
		name   string
		setup  func(t *testing.T, dir, outside string)
		change func(t *testing.T, dir, outside string)
		want   map[string]string // network -> plugin type after the change; "" for an error
	}{
		{
			name:   "file added before the matching one",
			setup:  func(t *testing.T, dir, _ string) { confWrite(t, dir, "20-b.conflist", loaderList("b", "ptp")) },
			change: func(t *testing.T, dir, _ string) { confWrite(t, dir, "10-b.conflist", loaderList("b", "bridge")) },
			want:   map[string]string{"b": "bridge", "c": ""},
		},
		{
			name: "matching file removed",
			setup: func(t *testing.T, dir, _ string) {
				confWrite(t, dir, "10-a.conflist", loaderList("a", "first"))
				confWrite(t, dir, "20-a.conflist", loaderList("a", "second"))
			},
			change: func(t *testing.T, dir, _ string) { require.NoError(t, os.Remove(filepath.Join(dir, "10-a.conflist"))) },
			want:   map[string]string{"a": "second"},
		},
		{
			name: "every file removed",
			setup: func(t *testing.T, dir, _ string) {
				confWrite(t, dir, "10-a.conflist", loaderList("a", "bridge"))
				confWrite(t, dir, "20-c.conf", loaderSingle("c", "ptp"))
			},
			change: func(t *testing.T, dir, _ string) {
				require.NoError(t, os.Remove(filepath.Join(dir, "10-a.conflist")))
				require.NoError(t, os.Remove(filepath.Join(dir, "20-c.conf")))
			},
			want: map[string]string{"a": "", "c": ""},
		},
		{
			name:   "directory removed",
			setup:  func(t *testing.T, dir, _ string) { confWrite(t, dir, "10-a.conflist", loaderList("a", "bridge")) },
			change: func(t *testing.T, dir, _ string) { require.NoError(t, os.RemoveAll(dir)) },
			want:   map[string]string{"a": ""},
		},
		{
			name: "replaced by rename: same name, size and time, new inode",
			setup: func(t *testing.T, dir, _ string) {
				loaderSetTime(t, confWrite(t, dir, "10-a.conflist", loaderList("a", "type1")), past)
			},
			change: func(t *testing.T, dir, outside string) {
				tmp := confWrite(t, dir, ".tmp", loaderList("a", "type2"))
				loaderSetTime(t, tmp, past)
				require.NoError(t, os.Rename(tmp, filepath.Join(dir, "10-a.conflist")))
			},
			want: map[string]string{"a": "type2"},
		},
		{
			name: "rewritten in place with another size",
			setup: func(t *testing.T, dir, _ string) {
				loaderSetTime(t, confWrite(t, dir, "10-a.conflist", loaderList("a", "short")), past)
			},
			change: func(t *testing.T, dir, _ string) {
				loaderSetTime(t, confWrite(t, dir, "10-a.conflist", loaderList("a", "much-longer")), past)
			},
			want: map[string]string{"a": "much-longer"},
		},
		{
			name: "rewritten in place with the same size and a new modification time",
			setup: func(t *testing.T, dir, _ string) {
				loaderSetTime(t, confWrite(t, dir, "10-a.conflist", loaderList("a", "type1")), past)
			},
			change: func(t *testing.T, dir, _ string) {
				loaderSetTime(t, confWrite(t, dir, "10-a.conflist", loaderList("a", "type2")), past.Add(time.Second))
			},
			want: map[string]string{"a": "type2"},
		},
		{
			name: "renamed to another network",
			setup: func(t *testing.T, dir, _ string) {
				confWrite(t, dir, "10-a.conflist", loaderList("a", "bridge"))
				confWrite(t, dir, "20-a.conflist", loaderList("a", "ptp"))
			},
			change: func(t *testing.T, dir, _ string) { confWrite(t, dir, "10-a.conflist", loaderList("z", "bridge")) },
			want:   map[string]string{"a": "ptp", "z": "bridge"},
		},
		{
			name: "symlink to a file whose target changes",
			setup: func(t *testing.T, dir, outside string) {
				target := confWrite(t, outside, "a.conflist", loaderList("a", "short"))
				require.NoError(t, os.Symlink(target, filepath.Join(dir, "10-a.conflist")))
			},
			change: func(t *testing.T, _, outside string) {
				confWrite(t, outside, "a.conflist", loaderList("a", "much-longer"))
			},
			want: map[string]string{"a": "much-longer"},
		},
		{
			name: "symlink retargeted",
			setup: func(t *testing.T, dir, outside string) {
				confWrite(t, outside, "one.conflist", loaderList("a", "one"))
				confWrite(t, outside, "two.conflist", loaderList("a", "two"))
				require.NoError(t, os.Symlink(filepath.Join(outside, "one.conflist"), filepath.Join(dir, "10-a.conflist")))
			},
			change: func(t *testing.T, dir, outside string) {
				link := filepath.Join(dir, "10-a.conflist")
				require.NoError(t, os.Remove(link))
				require.NoError(t, os.Symlink(filepath.Join(outside, "two.conflist"), link))
			},
			want: map[string]string{"a": "two"},
		},
		{
			name: "directories named like configurations are skipped",
			setup: func(t *testing.T, dir, _ string) {
				require.NoError(t, os.Mkdir(filepath.Join(dir, "10-a.conflist"), 0o755))
				require.NoError(t, os.Mkdir(filepath.Join(dir, "10-c.conf"), 0o755))
				confWrite(t, dir, "20-a.conflist", loaderList("a", "ptp"))
			},
			change: func(t *testing.T, dir, _ string) { confWrite(t, dir, "30-c.json", loaderSingle("c", "host-device")) },
			want:   map[string]string{"a": "ptp", "c": "host-device"},
		},
		{
			name: "directory replaced by a file of its name",
			setup: func(t *testing.T, dir, _ string) {
				require.NoError(t, os.Mkdir(filepath.Join(dir, "10-a.conflist"), 0o755))
				confWrite(t, dir, "20-a.conflist", loaderList("a", "ptp"))
			},
			change: func(t *testing.T, dir, _ string) {
				require.NoError(t, os.Remove(filepath.Join(dir, "10-a.conflist")))
				confWrite(t, dir, "10-a.conflist", loaderList("a", "bridge"))
			},
			want: map[string]string{"a": "bridge"},
		},
		{
			name: "file replaced by a directory of its name",
			setup: func(t *testing.T, dir, _ string) {
				confWrite(t, dir, "10-a.conflist", loaderList("a", "bridge"))
				confWrite(t, dir, "20-a.conflist", loaderList("a", "ptp"))
			},
			change: func(t *testing.T, dir, _ string) {
				require.NoError(t, os.Remove(filepath.Join(dir, "10-a.conflist")))
				require.NoError(t, os.Mkdir(filepath.Join(dir, "10-a.conflist"), 0o755))
			},
			want: map[string]string{"a": "ptp"},
		},
		{
			name:  "symlink to a directory appears",
			setup: func(t *testing.T, dir, _ string) { confWrite(t, dir, "20-a.conflist", loaderList("a", "ptp")) },
			change: func(t *testing.T, dir, outside string) {
				require.NoError(t, os.Symlink(outside, filepath.Join(dir, "10-a.conflist")))
			},
			want: map[string]string{"a": ""},
		},
		{
			name:  "dangling symlink appears",
			setup: func(t *testing.T, dir, _ string) { confWrite(t, dir, "20-a.conflist", loaderList("a", "ptp")) },
			change: func(t *testing.T, dir, outside string) {
				require.NoError(t, os.Symlink(filepath.Join(outside, "missing"), filepath.Join(dir, "10-a.conflist")))
			},
			want: map[string]string{"a": ""},
		},
		{
			name:  "file becomes malformed",
			setup: func(t *testing.T, dir, _ string) { confWrite(t, dir, "10-a.conflist", loaderList("a", "bridge")) },
			change: func(t *testing.T, dir, _ string) {
				confWrite(t, dir, "10-a.conflist", `{"name":"a","plugins":`)
				confWrite(t, dir, "05-x.conflist", `{"name":`)
			},
			want: map[string]string{"a": ""},
		},
		{
			name: "single-plugin files change",
			setup: func(t *testing.T, dir, _ string) {
				confWrite(t, dir, "10-other.conflist", loaderList("other", "bridge"))
				confWrite(t, dir, "20-c.conf", loaderSingle("c", "short"))
				confWrite(t, dir, "30-c.json", loaderSingle("c", "json"))
			},
			change: func(t *testing.T, dir, _ string) {
				confWrite(t, dir, "20-c.conf", loaderSingle("c", "much-longer"))
				confWrite(t, dir, "15-d.json", loaderSingle("d", "new"))
			},
			want: map[string]string{"c": "much-longer", "d": "new", "other": "bridge"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "net.d")
			require.NoError(t, os.Mkdir(dir, 0o755))
			outside := t.TempDir()
			tt.setup(t, dir, outside)
			var l libcni.ConfLoader
			for name := range tt.want {
				for range 2 {
					_, _ = l.LoadConfList(dir, name)
					_, _ = l.LoadConf(dir, name)
				}
			}
			tt.change(t, dir, outside)
			for name, wantType := range tt.want {
				for round := range 2 {
					got, gotErr := l.LoadConfList(dir, name)
					want, wantErr := libcni.LoadConfList(dir, name)
					assert.Equal(t, wantErr, gotErr, "%s, round %d", name, round)
					assert.Equal(t, want, got, "%s, round %d", name, round)
					ref, refErr := refcni.LoadConfList(dir, name)
					if wantType == "" {
						require.Error(t, gotErr, name)
						require.Error(t, refErr, name)
						// cnirt may add the file and position to the reference's text.
						assert.Contains(t, gotErr.Error(), refErr.Error(), name)
					} else {
						require.NoError(t, gotErr, name)
						require.NoError(t, refErr, name)
						assert.Equal(t, wantType, got.Plugins[0].Network.Type, name)
						assert.Equal(t, ref.Plugins[0].Network.Type, got.Plugins[0].Network.Type, name)
					}

					gotOne, gotErr := l.LoadConf(dir, name)
					wantOne, wantErr := libcni.LoadConf(dir, name)
					assert.Equal(t, wantErr, gotErr, "%s, round %d", name, round)
					assert.Equal(t, wantOne, gotOne, "%s, round %d", name, round)
				}
			}
		})
	}
}

// TestConfLoaderManyFiles checks the loader on a directory large enough
// to need several directory reads, as files come and go.
func TestConfLoaderManyFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const files = 3000 // some 40 bytes each in a listing: several reads
	for i := range files {
		confWrite(t, dir, filepathName(i), loaderList(networkName(i), "bridge"))
	}
	var l libcni.ConfLoader
	check := func(names ...string) {
		t.Helper()
		for _, name := range names {
			got, gotErr := l.LoadConfList(dir, name)
			want, wantErr := libcni.LoadConfList(dir, name)
			require.Equal(t, wantErr, gotErr, name)
			require.Equal(t, want, got, name)
		}
	}
	check(networkName(files-1), networkName(0), "missing")
	check(networkName(files-1), networkName(0), "missing")
	require.NoError(t, os.Remove(filepath.Join(dir, filepathName(files-7))))
	confWrite(t, dir, "0000-first.conflist", loaderList(networkName(files-1), "ptp"))
	check(networkName(files-1), networkName(files-7), "missing")
	got, err := l.LoadConfList(dir, networkName(files-1))
	require.NoError(t, err)
	assert.Equal(t, "ptp", got.Plugins[0].Network.Type)
}

// filepathName names the file of network i, the names of varying length.
func filepathName(i int) string {
	return strings.Repeat("x", i%7) + "net-" + networkName(i) + ".conflist"
}

// networkName names network i.
func networkName(i int) string { return fmt.Sprintf("n%05d", i) }

// TestConfLoaderConcurrent loads through one ConfLoader from several
// goroutines while files are replaced, for the race detector; every load
// finds one of the versions written.
func TestConfLoaderConcurrent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for i := range 50 {
		confWrite(t, dir, filepathName(i), loaderList(networkName(i), "bridge"))
	}
	var l libcni.ConfLoader
	done := make(chan struct{})
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			for {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				got, err := l.LoadConfList(dir, networkName(49))
				if err != nil {
					errs <- err
					return
				}
				if typ := got.Plugins[0].Network.Type; typ != "bridge" && typ != "ptp" {
					errs <- fmt.Errorf("unexpected type %q", typ)
					return
				}
			}
		}()
	}
	for i := range 200 {
		typ := "bridge"
		if i%2 == 0 {
			typ = "ptp"
		}
		tmp := confWrite(t, dir, ".tmp", loaderList(networkName(49), typ))
		require.NoError(t, os.Rename(tmp, filepath.Join(dir, filepathName(49))))
		if i%10 == 0 {
			confWrite(t, dir, fmt.Sprintf("extra-%d.conf", i), loaderSingle("extra", "x"))
		}
	}
	close(done)
	for range 4 {
		require.NoError(t, <-errs)
	}
	got, err := l.LoadConfList(dir, networkName(49))
	require.NoError(t, err)
	assert.Equal(t, "bridge", got.Plugins[0].Network.Type, "the last version written")
}
