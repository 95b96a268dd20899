//go:build !linux || !(amd64 || arm64)

package libcni

import "path/filepath"

// rememberedData returns the bytes l remembers of the file name in dir,
// or nil.
func rememberedData(l *ConfLoader, dir, name string) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	if lc := l.files[filepath.Join(dir, name)]; lc != nil {
		return lc.data
	}
	return nil
}
