//go:build linux

package libcni_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
)

const (
	faultConfA = `{"cniVersion":"1.1.0","name":"a","plugins":[{"type":"noop"}]}`
	faultConfB = `{"cniVersion":"1.1.0","name":"b","plugins":[{"type":"noop"},{"type":"debug"}]}`
)

// TestFaultConfDir loads networks from a configuration directory that is
// removed, emptied, holds a half-written file or a FIFO, or a name that
// cannot be read, through the package functions and through a ConfLoader
// that had loaded the directory before the fault. Each case says what the
// caller sees; none blocks, and a half-written file is never read back
// once it is complete.
func TestFaultConfDir(t *testing.T) {
	tests := []struct {
		name  string
		fault func(t *testing.T, dir string)
		// load is the network loaded after the fault; check its outcome.
		load  string
		check func(t *testing.T, dir string, l *libcni.NetworkConfigList, err error)
	}{
		{
			name:  "removed",
			fault: func(t *testing.T, dir string) { require.NoError(t, os.RemoveAll(dir)) },
			load:  "a",
			check: func(t *testing.T, dir string, _ *libcni.NetworkConfigList, err error) {
				var none libcni.NoConfigsFoundError
				require.ErrorAs(t, err, &none)
				assert.Equal(t, dir, none.Dir)
			},
		},
		{
			name: "emptied",
			fault: func(t *testing.T, dir string) {
				require.NoError(t, os.Remove(filepath.Join(dir, "10-a.conflist")))
				require.NoError(t, os.Remove(filepath.Join(dir, "20-b.conflist")))
			},
			load: "a",
			check: func(t *testing.T, dir string, _ *libcni.NetworkConfigList, err error) {
				var none libcni.NoConfigsFoundError
				require.ErrorAs(t, err, &none)
				assert.Equal(t, dir, none.Dir)
			},
		},
		{
			name: "half-written file",
			fault: func(t *testing.T, dir string) {
				require.NoError(t, os.WriteFile(filepath.Join(dir, "10-a.conflist"), []byte(faultConfA[:30]), 0o600))
			},
			load: "b",
			check: func(t *testing.T, dir string, _ *libcni.NetworkConfigList, err error) {
				var ce *libcni.ConfigError
				require.ErrorAs(t, err, &ce, "a file whose name cannot be read fails the search, as in the reference")
				assert.Equal(t, filepath.Join(dir, "10-a.conflist"), ce.File)
				assert.Equal(t, 1, ce.Line)
				assert.Equal(t, 30, ce.Column, "where the JSON stops")
			},
		},
		{
			name: "FIFO before the network's file",
			fault: func(t *testing.T, dir string) {
				require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "15-fifo.conflist"), 0o600))
			},
			load: "b",
			check: func(t *testing.T, dir string, _ *libcni.NetworkConfigList, err error) {
				var ce *libcni.ConfigError
				require.ErrorAs(t, err, &ce)
				fifo := filepath.Join(dir, "15-fifo.conflist")
				assert.Equal(t, fifo, ce.File)
				var nr *libcni.NotRegularFileError
				require.ErrorAs(t, err, &nr)
				assert.Equal(t, fifo, nr.Path)
				assert.Equal(t, fs.ModeNamedPipe, nr.Mode)
			},
		},
		{
			name: "symbolic link to a FIFO",
			fault: func(t *testing.T, dir string) {
				fifo := filepath.Join(t.TempDir(), "fifo")
				require.NoError(t, syscall.Mkfifo(fifo, 0o600))
				require.NoError(t, os.Symlink(fifo, filepath.Join(dir, "15-link.conflist")))
			},
			load: "b",
			check: func(t *testing.T, dir string, _ *libcni.NetworkConfigList, err error) {
				var nr *libcni.NotRegularFileError
				require.ErrorAs(t, err, &nr)
				assert.Equal(t, filepath.Join(dir, "15-link.conflist"), nr.Path)
				assert.Equal(t, fs.ModeNamedPipe, nr.Mode)
			},
		},
		{
			name: "FIFO after the network's file",
			fault: func(t *testing.T, dir string) {
				require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "15-fifo.conflist"), 0o600))
			},
			load: "a",
			check: func(t *testing.T, _ string, l *libcni.NetworkConfigList, err error) {
				require.NoError(t, err, "files after the match are not read")
				assert.Equal(t, "a", l.Name)
			},
		},
		{
			name: "unreadable name (a symbolic link to a directory)",
			fault: func(t *testing.T, dir string) {
				require.NoError(t, os.Symlink(t.TempDir(), filepath.Join(dir, "15-dir.conflist")))
			},
			load: "b",
			check: func(t *testing.T, dir string, _ *libcni.NetworkConfigList, err error) {
				require.ErrorIs(t, err, syscall.EISDIR)
				var pe *fs.PathError
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, filepath.Join(dir, "15-dir.conflist"), pe.Path)
			},
		},
	}
	for _, tt := range tests {
		for _, how := range []string{"LoadConfList", "ConfLoader"} {
			t.Run(tt.name+"/"+how, func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), "net.d")
				require.NoError(t, os.Mkdir(dir, 0o755))
				require.NoError(t, os.WriteFile(filepath.Join(dir, "10-a.conflist"), []byte(faultConfA), 0o600))
				require.NoError(t, os.WriteFile(filepath.Join(dir, "20-b.conflist"), []byte(faultConfB), 0o600))
				var loader libcni.ConfLoader
				load := libcni.LoadConfList
				if how == "ConfLoader" {
					load = loader.LoadConfList
				}
				for _, n := range []string{"a", "b"} {
					_, err := load(dir, n)
					require.NoError(t, err)
				}
				tt.fault(t, dir)
				var (
					l    *libcni.NetworkConfigList
					err  error
					done = make(chan struct{})
				)
				go func() {
					defer close(done)
					l, err = load(dir, tt.load)
				}()
				select {
				case <-done:
				case <-time.After(10 * time.Second):
					t.Fatal("loading blocked")
				}
				tt.check(t, dir, l, err)
			})
		}
	}
}

// TestFaultConfHalfWrittenThenComplete: a ConfLoader that read a
// half-written file reads it again once it is complete, so what was
// half-written is never served afterwards.
func TestFaultConfHalfWrittenThenComplete(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "10-a.conflist")
	var loader libcni.ConfLoader
	require.NoError(t, os.WriteFile(file, []byte(faultConfA[:40]), 0o600))
	_, err := loader.LoadConfList(dir, "a")
	var ce *libcni.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, file, ce.File)

	// Completed in place, as a writer without rename does.
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.WriteString(faultConfA[40:])
	require.NoError(t, err)
	require.NoError(t, f.Close())
	l, err := loader.LoadConfList(dir, "a")
	require.NoError(t, err)
	assert.Equal(t, faultConfA, string(l.Bytes))
}
