package libcni

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// CacheDir returns the directory c keeps its cache (results and locks) in:
// the one given by WithCacheDir or NewCNIConfigWithCacheDir, else the
// package's CacheDir. A RuntimeConf's CacheDir overrides it for one
// operation when c has none of its own.
func (c *CNIConfig) CacheDir() string { return c.cacheDirFor(nil) }

// HasCacheEntry reports whether a file exists where the cache entry of the
// attachment (network, rt.ContainerID, rt.IfName) is kept, readable or not.
// GetCachedAttachments lists only the entries it can read, as the
// reference's does; comparing the two finds entries left empty or damaged
// (cni#1055), whose DEL runs without a previous result and removes them.
// Names libcni would refuse as cache keys report false. No event is
// emitted.
func (c *CNIConfig) HasCacheEntry(network string, rt *RuntimeConf) bool {
	if rt == nil || c.checkCacheKey(network, rt) != nil {
		return false
	}
	_, err := os.Lstat(cacheFile(c.cacheDirFor(rt), network, rt))
	return err == nil
}

// UnreadableCacheEntries returns the file names, sorted, of the cache
// entries in c's cache directory that GetCachedAttachments skips: files
// that cannot be read, that are not cniCacheV1 entries (left empty by a
// crash or holding garbage, cni#1055), that lack the attachment's names,
// that are larger than MaxCacheEntrySize, or that are not regular files.
// Temporary files of writers are not entries. An entry's file name is
// "<network>-<containerID>-<ifName>"; since all three may contain '-', a
// caller that knows its networks and interface names can tell whose entry
// it is, and a DEL with those names (which runs without a previous result)
// removes it. Every entry is read, as by GetCachedAttachments. A missing
// cache directory has none. No event is emitted.
func (c *CNIConfig) UnreadableCacheEntries() ([]string, error) {
	resultsDir := filepath.Join(c.cacheDirFor(nil), cacheResultsDir)
	entries, err := os.ReadDir(resultsDir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), tempPrefix) {
			continue
		}
		names = append(names, e.Name())
	}
	found := make([]*NetworkAttachment, len(names))
	readAttachments(resultsDir, names, found, "", "", nil)
	var out []string
	for i, name := range names {
		if found[i] == nil {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out, nil
}
