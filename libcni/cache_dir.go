package libcni

// CacheDir returns the directory c keeps its cache (results and locks) in:
// the one given by WithCacheDir or NewCNIConfigWithCacheDir, else the
// package's CacheDir. A RuntimeConf's CacheDir overrides it for one
// operation when c has none of its own.
func (c *CNIConfig) CacheDir() string { return c.cacheDirFor(nil) }
