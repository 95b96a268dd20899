package invoke

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cnirt/cni/pkg/shimvar"
)

// FindInPath returns the path of the executable for plugin, searching paths
// in order and, in each directory, trying plugin with each of
// [ExecutableFileExtensions] appended. The first regular file that is
// executable (on Unix: has an execute permission bit) wins.
//
// The name must be a plain file name: an empty name, ".", "..", and names
// containing a path separator (or, on Windows, a volume name) are refused
// before anything is looked up. Only absolute directories are searched;
// relative ones (including "") are ignored, so that the result never
// depends on the current directory. When nothing is found the error is a
// [*NotFoundError] listing every directory searched and every one ignored.
func FindInPath(plugin string, paths []string) (string, error) {
	if plugin == "" {
		return "", errors.New("no plugin name provided")
	}
	if plugin == "." || plugin == ".." || strings.ContainsFunc(plugin, isPathSeparator) || filepath.VolumeName(plugin) != "" {
		return "", fmt.Errorf("invalid plugin name: %s", plugin)
	}
	if len(paths) == 0 {
		return "", fmt.Errorf("no paths provided to look for plugin %q", plugin)
	}
	exts := executableFileExtensions()
	nf := &NotFoundError{Plugin: plugin, Searched: make([]string, 0, len(paths))}
	for _, dir := range paths {
		if !filepath.IsAbs(dir) {
			nf.Ignored = append(nf.Ignored, dir)
			continue
		}
		nf.Searched = append(nf.Searched, dir)
		for _, ext := range exts {
			full := filepath.Join(dir, plugin+ext)
			if fi, err := os.Stat(full); err == nil && fi.Mode().IsRegular() && isExecutable(fi) {
				return full, nil
			}
		}
	}
	return "", nf
}

// executableFileExtensions is the list of suffixes in force:
// ExecutableFileExtensions, or, while it holds its default, the compat
// shim's invoke.ExecutableFileExtensions (see pkg/shimvar).
func executableFileExtensions() []string {
	return shimvar.ExecutableFileExtensions.Effective(ExecutableFileExtensions, func(v []string) bool {
		return slices.Equal(v, defaultExecutableFileExtensions)
	})
}

func isPathSeparator(r rune) bool {
	return r < 0x80 && os.IsPathSeparator(uint8(r))
}
