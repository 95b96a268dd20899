//go:build linux && (amd64 || arm64)

package libcni

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rememberedData returns the bytes l remembers of the file name in dir,
// or nil.
func rememberedData(l *ConfLoader, dir, name string) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.dirs[dir]
	if s == nil {
		return nil
	}
	for i, e := range s.ents {
		if e.name == name && s.files[i] != nil {
			return s.files[i].data
		}
	}
	return nil
}

// TestConfLoaderSettledDirectory lets a directory's listing settle (it is
// then not listed again while the directory's version stays), changes the
// directory, and checks that the change is noticed at once.
func TestConfLoaderSettledDirectory(t *testing.T) {
	t.Parallel()
	list := func(name, typ string) string {
		return `{"cniVersion":"1.0.0","name":"` + name + `","plugins":[{"type":"` + typ + `"}]}`
	}
	tests := []struct {
		name   string
		change func(t *testing.T, dir string)
		want   map[string]string // network -> plugin type; "" for an error
	}{
		{"file added", func(t *testing.T, dir string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "05-b.conflist"), []byte(list("b", "added")), 0o600))
		}, map[string]string{"a": "bridge", "b": "added"}},
		{"file removed", func(t *testing.T, dir string) {
			require.NoError(t, os.Remove(filepath.Join(dir, "10-a.conflist")))
		}, map[string]string{"a": "", "b": "ptp"}},
		{"file renamed over another", func(t *testing.T, dir string) {
			require.NoError(t, os.Rename(filepath.Join(dir, "10-a.conflist"), filepath.Join(dir, "20-b.conflist")))
		}, map[string]string{"a": "bridge", "b": ""}},
		{"file replaced by a directory", func(t *testing.T, dir string) {
			require.NoError(t, os.Remove(filepath.Join(dir, "10-a.conflist")))
			require.NoError(t, os.Mkdir(filepath.Join(dir, "10-a.conflist"), 0o700))
		}, map[string]string{"a": "", "b": "ptp"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, "10-a.conflist"), []byte(list("a", "bridge")), 0o600))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "20-b.conflist"), []byte(list("b", "ptp")), 0o600))
			var l ConfLoader
			_, err := l.LoadConfList(dir, "b")
			require.NoError(t, err)
			time.Sleep(dirSettle + 100*time.Millisecond)
			_, err = l.LoadConfList(dir, "b")
			require.NoError(t, err)
			l.mu.Lock()
			settled := l.dirs[dir].settled
			l.mu.Unlock()
			require.True(t, settled, "listed long enough after the directory's version was first seen")

			tt.change(t, dir)
			for name, wantType := range tt.want {
				got, gotErr := l.LoadConfList(dir, name)
				want, wantErr := LoadConfList(dir, name)
				assert.Equal(t, wantErr, gotErr, name)
				assert.Equal(t, want, got, name)
				if wantType == "" {
					assert.Error(t, gotErr, name)
				} else if assert.NoError(t, gotErr, name) {
					assert.Equal(t, wantType, got.Plugins[0].Network.Type, name)
				}
			}
		})
	}
}

// TestConfLoaderStatAhead covers the stats taken ahead by helpers in a
// directory of many files: the helpers start only with more than one core,
// and whatever changes between loads (a file rewritten in place before the
// match, one that can no longer be stat'ed, a match early in the listing)
// the loads agree with the uncached LoadConfList.
func TestConfLoaderStatAhead(t *testing.T) {
	t.Parallel()
	const files = 3*statAheadChunk*4 + 5 // several chunks, the last one short
	name := func(i int) string { return fmt.Sprintf("net-%04d", i) }
	file := func(i int) string { return fmt.Sprintf("%04d.conflist", i) }
	list := func(network, typ string) string {
		return `{"cniVersion":"1.0.0","name":"` + network + `","plugins":[{"type":"` + typ + `"}]}`
	}
	tests := []struct {
		name   string
		change func(t *testing.T, dir string)
		load   string
		want   string // plugin type; "" for an error
	}{
		{"unchanged, last network", func(*testing.T, string) {}, name(files - 1), "bridge"},
		{"unchanged, first network", func(*testing.T, string) {}, name(0), "bridge"},
		{"rewritten in place before the match", func(t *testing.T, dir string) {
			// A longer file: another size, so a stat tells.
			require.NoError(t, os.WriteFile(filepath.Join(dir, file(files/2)), []byte(list(name(files-1), "ptp-in-place")), 0o600))
		}, name(files - 1), "ptp-in-place"},
		{"dangling symlink before the match", func(t *testing.T, dir string) {
			require.NoError(t, os.Remove(filepath.Join(dir, file(files/3))))
			require.NoError(t, os.Symlink("missing-target", filepath.Join(dir, file(files/3))))
		}, name(files - 1), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for i := range files {
				require.NoError(t, os.WriteFile(filepath.Join(dir, file(i)), []byte(list(name(i), "bridge")), 0o600))
			}
			var l ConfLoader
			_, err := l.LoadConfList(dir, name(files-1))
			require.NoError(t, err)

			v, ok := l.snapshot(dir)
			require.True(t, ok)
			require.Equal(t, files, v.count(kindList))
			assert.Equal(t, runtime.GOMAXPROCS(0) > 1, v.ahead != nil, "helpers only with more than one core")
			v.close()
			assert.Nil(t, v.ahead, "close stops the helpers")

			tt.change(t, dir)
			for range 2 { // the second load goes by what the first one saw
				got, gotErr := l.LoadConfList(dir, tt.load)
				want, wantErr := LoadConfList(dir, tt.load)
				require.Equal(t, wantErr, gotErr)
				require.Equal(t, want, got)
				if tt.want == "" {
					require.Error(t, gotErr)
				} else {
					require.NoError(t, gotErr)
					assert.Equal(t, tt.want, got.Plugins[0].Network.Type)
				}
			}
		})
	}
}

// TestKeepsDirTimes: the settled-listing shortcut is taken only on file
// systems that update directory times; procfs is not one of them.
func TestKeepsDirTimes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dir  string
		want bool
	}{
		{"/dev/shm", true}, // tmpfs
		{"/proc", false},
		{"/proc/self", false},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			fd := openDirFD(tt.dir)
			require.NotEqual(t, noDir, fd, "open %s", tt.dir)
			defer syscall.Close(fd)
			assert.Equal(t, tt.want, keepsDirTimes(fd))
		})
	}
}
