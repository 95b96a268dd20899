package libcni

// Option configures a CNIConfig built by NewCNIConfigWithOptions.
type Option func(*CNIConfig)

// WithCacheDir sets the directory holding cached results
// (<dir>/results) and lock files (<dir>/locks). An empty dir means the
// RuntimeConf's CacheDir, then the package's CacheDir.
func WithCacheDir(dir string) Option {
	return func(c *CNIConfig) { c.cacheDir = dir }
}

// WithDurableCache, when on, makes every cache write and removal durable:
// the file is fsynced before it is renamed into place, and the directory is
// fsynced after the rename or removal, so a result that AddNetworkList
// returned survives a power loss. It costs two fsyncs per ADD. Default off:
// a crash can then lose a recent cache entry, but never leaves a partial one
// (writes are atomic either way). On Windows directories cannot be synced;
// only the file is.
func WithDurableCache(on bool) Option {
	return func(c *CNIConfig) { c.durable = on }
}

// WithSerialization turns the serialization of operations on or off
// (default on). When on, ADD, CHECK and DEL for one container never run at
// the same time, in any network, in this process or in another process
// sharing the cache directory (OS locks on files under <cacheDir>/locks), and
// GCNetworkList runs alone for its network. Turn it off only when the
// caller already serializes.
func WithSerialization(on bool) Option {
	return func(c *CNIConfig) { c.noSerialize = !on }
}

// WithRejectDuplicateAdd, when on, makes AddNetworkList and AddNetwork fail
// with ErrAttachmentExists, without running any plugin, if the cache
// already holds a result for the attachment (an ADD without a DEL in
// between, which the CNI specification forbids). Default off, as in the
// reference library, which runs the plugins again.
func WithRejectDuplicateAdd(on bool) Option {
	return func(c *CNIConfig) { c.rejectDuplicateAdd = on }
}
