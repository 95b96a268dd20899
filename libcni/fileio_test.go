package libcni

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCacheFileIO(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		size int
	}{
		{"empty", 0},
		{"small", 100},
		{"exactly the first buffer", 4096},
		{"larger than the first buffer", 3*4096 + 17},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "results")
			name := filepath.Join(dir, "net-ctr-eth0")
			data := bytes.Repeat([]byte("0123456789abcdef"), tt.size/16+1)[:tt.size]
			// The directory is missing: the write creates it.
			require.NoError(t, writeFileAtomic(name, data, false))
			got, err := readWhole(name)
			require.NoError(t, err)
			assert.Equal(t, data, got)
			info, err := os.Stat(name)
			require.NoError(t, err)
			assert.Equal(t, fs.FileMode(cacheFilePerm), info.Mode().Perm())
			// Replacing works and leaves no temporary file.
			require.NoError(t, writeFileAtomic(name, append(data, 'x'), true))
			got, err = readWhole(name)
			require.NoError(t, err)
			assert.Equal(t, append(data, 'x'), got)
			ents, err := os.ReadDir(dir)
			require.NoError(t, err)
			require.Len(t, ents, 1)
			assert.Equal(t, "net-ctr-eth0", ents[0].Name())

			require.NoError(t, removeFile(name))
			_, err = readWhole(name)
			assert.ErrorIs(t, err, fs.ErrNotExist)
			assert.ErrorIs(t, removeFile(name), fs.ErrNotExist)
		})
	}
}

func TestCreateExclusiveKeepsExistingFile(t *testing.T) {
	t.Parallel()
	name := filepath.Join(t.TempDir(), "taken")
	require.NoError(t, os.WriteFile(name, []byte("theirs"), 0o600))
	err := createExclusive(name, []byte("ours"), false)
	assert.ErrorIs(t, err, fs.ErrExist)
	got, err := os.ReadFile(name)
	require.NoError(t, err)
	assert.Equal(t, "theirs", string(got), "an existing file is neither overwritten nor removed")

	// A directory in the way of the cache file is an error, and the
	// temporary file is cleaned up.
	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "entry"), 0o700))
	require.Error(t, writeFileAtomic(filepath.Join(dir, "entry"), []byte("x"), false))
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, ents, 1)
	assert.Equal(t, "entry", ents[0].Name())
}
