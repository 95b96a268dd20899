package libcni

import "os"

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
