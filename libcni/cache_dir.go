package libcni

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cnirt/cni/pkg/jsonx"
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
// that are not regular files, and regular files that cannot be read, that
// are not cniCacheV1 entries (left empty by a crash or holding garbage,
// cni#1055), that lack the attachment's names, or that are larger than
// MaxCacheEntrySize. Temporary files of writers are not entries, and a
// file removed meanwhile is not reported. An entry's file name is
// "<network>-<containerID>-<ifName>"; since all three may contain '-', a
// caller that knows its networks and interface names can tell whose entry
// it may be, and a DEL with those names (which runs without a previous
// result) removes it.
//
// listed are attachments the caller has just listed with
// GetCachedAttachments: their files are known to be readable and are not
// read again (nil reads every entry). No event is emitted.
func (c *CNIConfig) UnreadableCacheEntries(listed []*NetworkAttachment) ([]string, error) {
	resultsDir := filepath.Join(c.cacheDirFor(nil), cacheResultsDir)
	entries, err := os.ReadDir(resultsDir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	known := make(map[string]bool, len(listed))
	for _, a := range listed {
		known[a.Network+"-"+a.ContainerID+"-"+a.IfName] = true
	}
	var (
		out []string
		buf = make([]byte, 0, 4096)
		d   jsonx.Decoder
		dir = openDirHandle(resultsDir)
	)
	defer dir.close()
	for _, e := range entries {
		name := e.Name()
		switch {
		case e.IsDir() || strings.HasPrefix(name, tempPrefix) || known[name]:
			continue
		case !e.Type().IsRegular():
			out = append(out, name)
			continue
		}
		data, err := dir.readInto(name, buf, MaxCacheEntrySize)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since the directory was listed
		}
		if err == nil {
			buf = data
			if decodeAttachment(&d, data, "", "") != nil {
				continue
			}
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out, nil
}
