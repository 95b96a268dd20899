//go:build !windows

package libcni

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readFD with complete stops after a short read whose contents are whole,
// without the read that would see the end, and reads on otherwise. A pipe
// whose write end stays open shows which: a further read would block.
func TestReadFDStopsWhenComplete(t *testing.T) {
	tests := []struct {
		name   string
		pieces []string // written one after the other, each read on its own
		// whole is what complete accepts.
		whole string
		// closeWriter closes the write end after the last piece; without
		// it, a read after the last piece would block the test.
		closeWriter bool
		want        string
		wantCalls   int
	}{
		{name: "whole after the first read", pieces: []string{`{"a":1}`}, whole: `{"a":1}`, want: `{"a":1}`, wantCalls: 1},
		{name: "cut short, then whole", pieces: []string{`{"a":`, `1}`}, whole: `{"a":1}`, want: `{"a":1}`, wantCalls: 2},
		{name: "never whole: read to the end", pieces: []string{`{"a":`, `1}x`}, whole: `-`, closeWriter: true, want: `{"a":1}x`, wantCalls: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p [2]int
			require.NoError(t, syscall.Pipe(p[:]))
			w := os.NewFile(uintptr(p[1]), "pipe")
			defer w.Close()
			calls := 0
			pieceRead := make(chan struct{}, len(tt.pieces))
			type res struct {
				data []byte
				err  error
			}
			done := make(chan res, 1)
			go func() {
				data, err := readFD(p[0], "", "pipe", make([]byte, 0, 4096), MaxCacheEntrySize, func(b []byte) bool {
					calls++
					pieceRead <- struct{}{}
					return string(b) == tt.whole
				})
				done <- res{data, err}
			}()
			for _, piece := range tt.pieces {
				_, err := w.WriteString(piece)
				require.NoError(t, err)
				select {
				case <-pieceRead:
				case <-time.After(10 * time.Second):
					t.Fatal("readFD did not take the piece")
				}
			}
			if tt.closeWriter {
				require.NoError(t, w.Close())
			}
			select {
			case r := <-done:
				require.NoError(t, r.err)
				assert.Equal(t, tt.want, string(r.data))
				assert.Equal(t, tt.wantCalls, calls)
			case <-time.After(10 * time.Second):
				t.Fatal("readFD read again after the contents were whole")
			}
		})
	}
}

// readCache decodes an entry read in one piece once, and a file that is
// not an entry fails with the whole file's error, as before.
func TestReadCacheShortRead(t *testing.T) {
	dir := t.TempDir()
	c := NewCNIConfigWithCacheDir(nil, dir, nil)
	rt := &RuntimeConf{ContainerID: "c1", IfName: "eth0"}
	name := cacheFile(dir, "net", rt)
	require.NoError(t, os.MkdirAll(filepath.Dir(name), 0o700))

	require.NoError(t, os.WriteFile(name, []byte(`{"kind":"cniCacheV1","containerId":"c1","ifName":"eth0","networkName":"net"}`+"\n"), 0o600))
	entry, _, err := c.readCache("net", rt)
	require.NoError(t, err)
	assert.Equal(t, "c1", entry.ContainerID)

	require.NoError(t, os.WriteFile(name, []byte(`{"kind":"cniCacheV1"} trailing`), 0o600))
	_, _, err = c.readCache("net", rt)
	assert.ErrorContains(t, err, "invalid character 't' after top-level value")
}
