package libcni

import (
	"bytes"
	"slices"
	"sync"

	"github.com/cnirt/cni/pkg/jsonx"
)

// ConfLoader loads networks like LoadNetworkConf, LoadConfList and LoadConf,
// remembering each file it read: a file is read and scanned again only
// when its size, modification time, change time (on Linux) or identity
// (device and inode, or volume and file index on Windows) changed, so a
// repeated load of an unchanged directory costs a directory listing and a
// stat per file, plus the decoding of the one file that matches. On Linux
// the listing itself is skipped while the directory's own stat is
// unchanged, once that stat has stayed the same for a few seconds (longer
// than any timestamp granularity, so that a later change always shows),
// on local file systems known to update a directory's times when its
// entries change (ext4, xfs, btrfs, tmpfs, overlayfs and the like; not on
// network or FUSE file systems, where every load lists the directory).
// On file systems that cache attributes (NFS, FUSE) changes show once the
// attributes are revalidated. A file
// rewritten in place within the file system's timestamp granularity,
// keeping its size, is not noticed; writers that replace files by rename
// (as configuration tools do) always are. Results are the package
// functions' results; every call returns fresh values that the caller may
// modify.
//
// The zero value is ready to use; a ConfLoader is safe for concurrent
// use. It is independent of any CNIConfig: one per process (or per
// configuration directory) serves all of them.
type ConfLoader struct {
	mu          sync.Mutex
	loaderCache // maps guarded by mu
}

// loadedConf is one file as a ConfLoader last read it. It is not modified
// once shared: a change makes a new one.
type loadedConf struct {
	ver   fileVersion
	data  []byte
	names [2]scannedName // [kindList] exact keys, [kindSingle] folded
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

// confKind is a kind of configuration file, by extension.
type confKind uint8

const (
	kindList   confKind = iota // ".conflist"
	kindSingle                 // ".conf" and ".json"
)

// exts returns the extensions of files of kind k.
func (k confKind) exts() []string {
	if k == kindList {
		return []string{".conflist"}
	}
	return []string{".conf", ".json"}
}

// confListing is the configuration files of a directory, of each kind in
// lexical order, as one load walks them: from the ConfLoader's listing of
// the directory where there is one (see snapshot), else from ConfFiles.
type confListing struct {
	l     *ConfLoader
	dir   string
	view  dirView // with fast
	fast  bool
	paths [2][]string // without fast: whole paths, per kind once listed
	odd   [2][]string // those of paths not listed as regular files
	done  [2]bool
}

// list starts a listing of dir. A nil l lists without remembering.
func (l *ConfLoader) list(dir string) confListing {
	ls := confListing{l: l, dir: dir}
	if l != nil {
		ls.view, ls.fast = l.snapshot(dir)
	}
	return ls
}

// close releases what the listing holds open.
func (ls *confListing) close() {
	if ls.fast {
		ls.view.close()
	}
}

// files returns the number of files of kind k, listing them first if
// needed; the error is ConfFiles'.
func (ls *confListing) files(k confKind) (int, error) {
	if ls.fast {
		return ls.view.count(k), nil
	}
	if !ls.done[k] {
		files, odd, err := confFiles(ls.dir, k.exts())
		if err != nil {
			return 0, err
		}
		slices.Sort(files)
		ls.paths[k], ls.odd[k], ls.done[k] = files, odd, true
	}
	return len(ls.paths[k]), nil
}

// path returns the whole path of file i of kind k.
func (ls *confListing) path(k confKind, i int) string {
	if ls.fast {
		return ls.view.path(k, i)
	}
	return ls.paths[k][i]
}

// read returns the bytes of file i of kind k and its top-level name (see
// scanName; keys folded for kindSingle), from the cache when the file is
// unchanged. The bytes may be shared with the cache: pass them through own
// before decoding them into results.
func (ls *confListing) read(d *jsonx.Decoder, k confKind, i int) (data []byte, name string, ok bool, err error) {
	if ls.fast {
		return ls.l.readEntry(&ls.view, d, k, i)
	}
	file := ls.paths[k][i]
	return ls.l.read(d, file, k, !slices.Contains(ls.odd[k], file))
}

// own returns data for decoding: a copy when data may be cached, since
// the results' Bytes fields alias what they are decoded from and callers
// may modify them.
func (ls *confListing) own(data []byte) []byte {
	if ls.l == nil {
		return data
	}
	return bytes.Clone(data)
}

// read is confListing.read for the whole path file, remembered by path. A
// nil l reads the file. regular: the listing showed a regular file (see
// readConfFileOf).
func (l *ConfLoader) read(d *jsonx.Decoder, file string, k confKind, regular bool) (data []byte, name string, ok bool, err error) {
	if l == nil {
		if data, err = readConfFileOf(file, regular); err != nil {
			return nil, "", false, err
		}
		name, ok = scanName(d, data, k == kindSingle)
		return data, name, ok, nil
	}
	ver, statErr := statVersion(file)
	l.mu.Lock()
	lc := l.files[file]
	l.mu.Unlock()
	next, data, name, ok, err := refresh(d, lc, ver, statErr == nil, file, k, regular)
	if next != lc {
		l.mu.Lock()
		if next == nil {
			delete(l.files, file)
		} else {
			if l.files == nil {
				l.files = map[string]*loadedConf{}
			}
			l.files[file] = next
		}
		l.mu.Unlock()
	}
	return data, name, ok, err
}

// refresh brings lc, what is remembered of file (or nil), up to date with
// ver, the file's version now (statOK false: the file could not be
// stat'ed): it reads the file again when it changed, and scans its name
// for kind k when that was not done yet. It returns what to remember next
// (nil for nothing; lc itself when nothing changed), and the file's bytes
// and name. regular: the file was just seen to be a regular file (see
// readConfFileOf).
func refresh(d *jsonx.Decoder, lc *loadedConf, ver fileVersion, statOK bool, file string, k confKind, regular bool) (next *loadedConf, data []byte, name string, ok bool, err error) {
	if !statOK || lc == nil || !lc.ver.same(ver) {
		if data, err = readConfFileOf(file, regular); err != nil {
			return nil, nil, "", false, err
		}
		if !statOK {
			// Read but not stat-able: use it, remember nothing.
			name, ok = scanName(d, data, k == kindSingle)
			return nil, data, name, ok, nil
		}
		lc = &loadedConf{ver: ver, data: data}
	}
	sn := lc.names[k]
	if !sn.done {
		sn.name, sn.ok = scanName(d, lc.data, k == kindSingle)
		sn.done = true
		cp := *lc
		cp.names[k] = sn
		lc = &cp
	}
	return lc, lc.data, sn.name, sn.ok, nil
}
