package libcni

import (
	"bytes"
	"sync"

	"github.com/cnirt/cni/pkg/jsonx"
)

// ConfLoader loads networks like LoadNetworkConf, LoadConfList and LoadConf,
// remembering each file it read: a file is read and scanned again only
// when its size, modification time or identity (device and inode, or
// volume and file index on Windows) changed, so a repeated load of an
// unchanged directory costs a directory listing and a stat per file, plus
// the decoding of the one file that matches. A file rewritten in place
// within the file system's timestamp granularity, keeping its size, is not
// noticed; writers that replace files by rename (as configuration tools
// do) always are. Results are the package functions' results; every call
// returns fresh values that the caller may modify.
//
// The zero value is ready to use; a ConfLoader is safe for concurrent
// use. It is independent of any CNIConfig: one per process (or per
// configuration directory) serves all of them.
type ConfLoader struct {
	mu    sync.Mutex
	files map[string]*loadedConf // by path
}

// loadedConf is one file as a ConfLoader last read it.
type loadedConf struct {
	ver   fileVersion
	data  []byte
	names [2]scannedName // [0] exact keys (lists), [1] folded (single plugins)
}

// scannedName is a scanName answer; done reports that it was computed.
type scannedName struct {
	name     string
	ok, done bool
}

// LoadNetworkConf is LoadNetworkConf reading through the cache.
func (l *ConfLoader) LoadNetworkConf(dir, name string) (*NetworkConfigList, error) {
	return loadNetworkConf(l, dir, name)
}

// LoadConfList is LoadConfList reading through the cache.
func (l *ConfLoader) LoadConfList(dir, name string) (*NetworkConfigList, error) {
	return loadNetworkConf(l, dir, name)
}

// LoadConf is LoadConf reading through the cache.
func (l *ConfLoader) LoadConf(dir, name string) (*NetworkConfig, error) {
	return loadConf(l, dir, name)
}

// read returns the bytes of file and its top-level name (see scanName),
// from the cache when the file is unchanged. A nil l reads the file. The
// bytes may be shared with the cache: pass them through own before
// decoding them into results.
func (l *ConfLoader) read(d *jsonx.Decoder, file string, fold bool) (data []byte, name string, ok bool, err error) {
	which := 0
	if fold {
		which = 1
	}
	if l == nil {
		if data, err = readConfFile(file); err != nil {
			return nil, "", false, err
		}
		name, ok = scanName(d, data, fold)
		return data, name, ok, nil
	}
	ver, statErr := statVersion(file)
	l.mu.Lock()
	lc := l.files[file]
	l.mu.Unlock()
	if statErr != nil || lc == nil || !lc.ver.same(ver) {
		if data, err = readConfFile(file); err != nil {
			l.forget(file)
			return nil, "", false, err
		}
		if statErr != nil {
			// Read but not stat-able: use it, remember nothing.
			name, ok = scanName(d, data, fold)
			return data, name, ok, nil
		}
		lc = &loadedConf{ver: ver, data: data}
	}
	sn := lc.names[which]
	if !sn.done {
		sn.name, sn.ok = scanName(d, lc.data, fold)
		sn.done = true
		next := *lc
		next.names[which] = sn
		lc = &next
	}
	l.mu.Lock()
	if l.files == nil {
		l.files = map[string]*loadedConf{}
	}
	l.files[file] = lc
	l.mu.Unlock()
	return lc.data, sn.name, sn.ok, nil
}

// own returns data for decoding: a copy when data is cached, since the
// results' Bytes fields alias what they are decoded from and callers may
// modify them.
func (l *ConfLoader) own(data []byte) []byte {
	if l == nil {
		return data
	}
	return bytes.Clone(data)
}

// forget drops what l remembers of file.
func (l *ConfLoader) forget(file string) {
	l.mu.Lock()
	delete(l.files, file)
	l.mu.Unlock()
}
