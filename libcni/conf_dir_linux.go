//go:build linux && (amd64 || arm64)

package libcni

import (
	"bytes"
	"encoding/binary"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/cnirt/cni/pkg/jsonx"
)

// On Linux a ConfLoader lists a directory itself: one getdents loop into a
// reused buffer, compared in place with the previous listing, so that an
// unchanged directory allocates nothing and is not sorted again; and it
// stats each file relative to the directory's descriptor (fstatat), which
// spares the kernel walking the directory's path once per file. Anything
// unusual (the directory cannot be opened or read, an entry of unknown
// type cannot be stat'ed) hands the load to the portable path, which
// reports it exactly as ConfFiles does.

// loaderCache is what a ConfLoader remembers: listed directories, and
// files by path for the loads snapshot hands to the portable path.
type loaderCache struct {
	files map[string]*loadedConf // by path
	dirs  map[string]*dirSnap    // by directory as callers name it
	bufs  sync.Pool              // *[]byte listing buffers
	ahead sync.Pool              // *statAhead, done with
}

// kindOf returns the kind of the file called name, as its extension (as
// filepath.Ext finds it) tells; ok is false for other files.
func kindOf(name []byte) (k confKind, ok bool) {
	dot := bytes.LastIndexByte(name, '.')
	if dot < 0 {
		return 0, false
	}
	switch string(name[dot:]) {
	case ".conflist":
		return kindList, true
	case ".conf", ".json":
		return kindSingle, true
	}
	return 0, false
}

// dirEnt is one configuration file of a directory listing.
type dirEnt struct {
	name string
	off  int32 // of the name, NUL-terminated, in dirSnap.cnames
	kind confKind
}

// dirSnap is a directory's configuration files as last listed. After the
// snapshot is published only files and the directory's version change,
// under ConfLoader.mu.
type dirSnap struct {
	ents   []dirEnt      // in the order the directory lists them
	cnames []byte        // the names, each followed by a NUL
	sorted [2][]int32    // per kind, indexes into ents in lexical order
	files  []*loadedConf // per entry, what is remembered of it (or nil)

	// The directory's version (its fstat) before it was last listed, when
	// this program first saw that version, and whether that listing was
	// taken dirSettle later: then, while the version stays the same, the
	// directory is not listed again.
	dirVer  fileVersion
	dirSeen time.Time
	settled bool
}

// Magic numbers (statfs f_type) of local file systems that update a
// directory's modification and change times whenever an entry is added,
// removed or renamed. On others (network and FUSE file systems, some of
// which never change them) every load lists the directory.
var dirTimesFS = [...]int64{
	0xEF53,     // ext2, ext3, ext4
	0x58465342, // xfs
	0x9123683E, // btrfs
	0x01021994, // tmpfs
	0x858458F6, // ramfs
	0x794C7630, // overlayfs
	0xF2F52010, // f2fs
	0x2FC12FC1, // zfs
}

// keepsDirTimes reports whether the directory fd is on one of the file
// systems of dirTimesFS.
func keepsDirTimes(fd int) bool {
	var st syscall.Statfs_t
	if ignoringEINTR(func() error { return syscall.Fstatfs(fd, &st) }) != nil {
		return false
	}
	return slices.Contains(dirTimesFS[:], int64(st.Type))
}

// dirSettle is how long after first seeing a version of a directory a
// listing of it is trusted for as long as the version stays: longer than
// the coarsest timestamp granularity (FAT's two seconds) plus the kernel
// clock's tick, so that a change after the listing cannot keep the
// version's timestamps.
const dirSettle = 3 * time.Second

// dirView is a listing of a directory being used by one load.
type dirView struct {
	fd    int
	dir   string
	snap  *dirSnap
	ahead *statAhead // stats being taken ahead of the load, or nil
	pool  *sync.Pool // of statAhead values to reuse
}

// dirBufSize is the size of a listing buffer: two getdents calls (the
// second one seeing the end) for some 1500 entries of typical length.
const dirBufSize = 64 << 10

// snapshot lists dir and returns the listing, open for stat'ing the files
// in it; ok is false when the portable path must do the load instead.
func (l *ConfLoader) snapshot(dir string) (v dirView, ok bool) {
	fd := openDirFD(dir)
	if fd == noDir {
		return dirView{}, false
	}
	fail := func() (dirView, bool) {
		_ = syscall.Close(fd)
		return dirView{}, false
	}
	var dst syscall.Stat_t
	if ignoringEINTR(func() error { return syscall.Fstat(fd, &dst) }) != nil {
		return fail()
	}
	dv := versionOf(&dst)
	now := time.Now()
	l.mu.Lock()
	prev := l.dirs[dir]
	seen := now // when this program first saw the directory's version
	if prev != nil && prev.dirVer.same(dv) {
		if prev.settled {
			l.mu.Unlock()
			return dirView{fd: fd, dir: dir, snap: prev, pool: &l.ahead}, true
		}
		seen = prev.dirSeen
	}
	l.mu.Unlock()
	// A listing taken dirSettle after the directory's version was first
	// seen is later than the version's timestamps by more than their
	// granularity, so any change after it gives the directory another
	// version, on file systems that keep directory times as POSIX says.
	// The type is checked once per version of the directory: a mount
	// over it changes the device and so the version.
	settled := now.Sub(seen) >= dirSettle && keepsDirTimes(fd)

	bp, _ := l.bufs.Get().(*[]byte)
	if bp == nil {
		b := make([]byte, dirBufSize)
		bp = &b
	}
	defer l.bufs.Put(bp)
	buf := *bp

	var prevEnts []dirEnt
	if prev != nil {
		prevEnts = prev.ents
	}
	same := prev != nil // the listing so far is prev's first k entries
	k := 0
	var ents []dirEnt
	for {
		var n int
		err := ignoringEINTR(func() (err error) {
			n, err = syscall.ReadDirent(fd, buf)
			return err
		})
		if err != nil {
			return fail()
		}
		if n <= 0 {
			break
		}
		for off := 0; off < n; {
			// struct linux_dirent64: ino, off, reclen, type, name.
			rec := buf[off:n]
			if len(rec) < 20 {
				return fail()
			}
			reclen := int(binary.NativeEndian.Uint16(rec[16:]))
			if reclen < 20 || reclen > len(rec) {
				return fail()
			}
			off += reclen
			typ := rec[18]
			name := rec[19:reclen]
			end := bytes.IndexByte(name, 0)
			if end < 0 {
				return fail()
			}
			name = name[:end]
			kind, isConf := kindOf(name)
			if !isConf || typ == syscall.DT_DIR {
				continue
			}
			if typ == syscall.DT_UNKNOWN {
				// As os.ReadDir: the entry's own type, not its target's.
				var st syscall.Stat_t
				if fstatat(fd, &rec[19], &st, atSymlinkNoFollow) != nil {
					return fail()
				}
				if st.Mode&syscall.S_IFMT == syscall.S_IFDIR {
					continue
				}
			}
			if same {
				if k < len(prevEnts) && prevEnts[k].kind == kind && prevEnts[k].name == string(name) {
					k++
					continue
				}
				same = false
				ents = append(make([]dirEnt, 0, len(prevEnts)+1), prevEnts[:k]...)
			}
			ents = append(ents, dirEnt{name: string(name), kind: kind})
		}
	}
	if same && k == len(prevEnts) {
		l.mu.Lock()
		prev.dirVer, prev.dirSeen, prev.settled = dv, seen, settled
		l.mu.Unlock()
		return dirView{fd: fd, dir: dir, snap: prev, pool: &l.ahead}, true
	}
	if same {
		ents = slices.Clone(prevEnts[:k])
	}
	snap := l.newDirSnap(ents, prev)
	snap.dirVer, snap.dirSeen, snap.settled = dv, seen, settled
	l.mu.Lock()
	if l.dirs == nil {
		l.dirs = map[string]*dirSnap{}
	}
	l.dirs[dir] = snap
	l.mu.Unlock()
	return dirView{fd: fd, dir: dir, snap: snap, pool: &l.ahead}, true
}

// newDirSnap makes the snapshot of the listing ents, keeping what prev
// remembers of the files still listed.
func (l *ConfLoader) newDirSnap(ents []dirEnt, prev *dirSnap) *dirSnap {
	s := &dirSnap{ents: ents, files: make([]*loadedConf, len(ents))}
	size := 0
	for _, e := range ents {
		size += len(e.name) + 1
	}
	s.cnames = make([]byte, 0, size)
	order := make([]int32, len(ents))
	for i := range ents {
		ents[i].off = int32(len(s.cnames))
		s.cnames = append(s.cnames, ents[i].name...)
		s.cnames = append(s.cnames, 0)
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return strings.Compare(ents[a].name, ents[b].name) })
	for _, i := range order {
		s.sorted[ents[i].kind] = append(s.sorted[ents[i].kind], i)
	}
	if prev != nil {
		known := make(map[string]*loadedConf, len(prev.ents))
		l.mu.Lock()
		for i, e := range prev.ents {
			if prev.files[i] != nil {
				known[e.name] = prev.files[i]
			}
		}
		l.mu.Unlock()
		for i, e := range ents {
			s.files[i] = known[e.name]
		}
	}
	return s
}

// close closes the directory, once the stats taken ahead with its
// descriptor have stopped.
func (v *dirView) close() {
	v.stopAhead()
	_ = syscall.Close(v.fd)
}

// count returns the number of files of kind k; for a kind with many files
// it starts stat'ing them ahead of the load on the other cores.
func (v *dirView) count(k confKind) int {
	n := len(v.snap.sorted[k])
	if n >= statAheadMin && (v.ahead == nil || v.ahead.kind != k) {
		if procs := runtime.GOMAXPROCS(0); procs > 1 {
			v.stopAhead()
			a, _ := v.pool.Get().(*statAhead)
			v.ahead = a.start(v, k, min(procs-1, statAheadMaxHelpers))
		}
	}
	return n
}

// A load of a directory of many files spends its time in the stats of
// the files (a repeated load of an unchanged directory reads nothing
// else), one system call each. They are independent, so helpers on the
// other cores take them ahead of the load, in chunks in lexical order,
// while the load takes the chunk it has reached itself when no helper has
// yet. A load that finds its network early stops the helpers when it
// ends; a few chunks per helper may have been stat'ed for nothing. With
// one core (GOMAXPROCS 1) or a small directory the load stats each file
// itself when it reaches it.
const (
	statAheadMin        = 256 // files of one kind before helpers start
	statAheadChunk      = 32  // files per chunk
	statAheadMaxHelpers = 3
)

// statAhead is the stats of the files of one kind of a dirView, taken by
// chunks.
type statAhead struct {
	kind    confKind
	n       int
	res     []statResult  // per file, in lexical order
	claimed []atomic.Bool // per chunk: someone is stat'ing it
	done    []chan struct{}
	next    atomic.Int64 // the chunk helpers try next
	stop    atomic.Bool
	wg      sync.WaitGroup
}

// statResult is one file's stat: its version, or the errno.
type statResult struct {
	ver   fileVersion
	errno syscall.Errno
}

// start readies a (a new one when nil; else one done with, whose
// slices it reuses) and starts helpers stat'ing the files of kind k of v.
func (a *statAhead) start(v *dirView, k confKind, helpers int) *statAhead {
	if a == nil {
		a = &statAhead{}
	}
	n := len(v.snap.sorted[k])
	chunks := (n + statAheadChunk - 1) / statAheadChunk
	a.kind, a.n = k, n
	if cap(a.res) < n {
		a.res = make([]statResult, n)
	}
	a.res = a.res[:n]
	if cap(a.claimed) < chunks {
		a.claimed = make([]atomic.Bool, chunks)
		a.done = make([]chan struct{}, chunks)
	}
	a.claimed, a.done = a.claimed[:chunks], a.done[:chunks]
	for c := range a.done {
		a.claimed[c].Store(false)
		a.done[c] = make(chan struct{}) // a closed channel cannot be reused
	}
	a.stop.Store(false)
	a.next.Store(1) // the load itself starts with chunk 0
	fd, snap := v.fd, v.snap
	for range helpers {
		a.wg.Go(func() {
			for !a.stop.Load() {
				c := int(a.next.Add(1) - 1)
				if c >= chunks {
					return
				}
				if a.claimed[c].CompareAndSwap(false, true) {
					a.statChunk(fd, snap, c)
				}
			}
		})
	}
	return a
}

// statChunk stats the files of chunk c and marks it done.
func (a *statAhead) statChunk(fd int, s *dirSnap, c int) {
	sorted := s.sorted[a.kind]
	var st syscall.Stat_t
	for i := c * statAheadChunk; i < min((c+1)*statAheadChunk, a.n); i++ {
		idx := sorted[i]
		r := &a.res[i]
		r.errno = 0
		if err := fstatat(fd, &s.cnames[s.ents[idx].off], &st, 0); err != nil {
			r.errno, _ = err.(syscall.Errno)
			if r.errno == 0 {
				r.errno = syscall.EIO
			}
			continue
		}
		r.ver = versionOf(&st)
	}
	close(a.done[c])
}

// stat returns the stat of file i: taken by a helper, or by the caller
// when no helper has claimed its chunk yet. While a helper is still on the
// chunk, the caller stats chunks further on instead of waiting idle.
func (a *statAhead) stat(v *dirView, i int) (fileVersion, error) {
	c := i / statAheadChunk
	for !a.claimed[c].CompareAndSwap(false, true) {
		select {
		case <-a.done[c]:
			return a.result(i)
		default:
		}
		j := int(a.next.Add(1) - 1)
		if j >= len(a.done) {
			<-a.done[c]
			return a.result(i)
		}
		if a.claimed[j].CompareAndSwap(false, true) {
			a.statChunk(v.fd, v.snap, j)
		}
	}
	a.statChunk(v.fd, v.snap, c)
	return a.result(i)
}

// result returns the stat of file i, whose chunk is done.
func (a *statAhead) result(i int) (fileVersion, error) {
	r := &a.res[i]
	if r.errno != 0 {
		return fileVersion{}, r.errno
	}
	return r.ver, nil
}

// stopAhead stops the helpers of v and waits for them.
func (v *dirView) stopAhead() {
	if a := v.ahead; a != nil {
		a.stop.Store(true)
		a.wg.Wait()
		v.ahead = nil
		v.pool.Put(a)
	}
}

// path returns the whole path of file i of kind k, as ConfFiles names it.
func (v *dirView) path(k confKind, i int) string {
	return filepath.Join(v.dir, v.snap.ents[v.snap.sorted[k][i]].name)
}

// readEntry is confListing.read for file i of kind k of v.
func (l *ConfLoader) readEntry(v *dirView, d *jsonx.Decoder, k confKind, i int) (data []byte, name string, ok bool, err error) {
	s := v.snap
	idx := s.sorted[k][i]
	var (
		ver     fileVersion
		statErr error
	)
	if a := v.ahead; a != nil && a.kind == k {
		ver, statErr = a.stat(v, i)
	} else {
		var st syscall.Stat_t
		if statErr = fstatat(v.fd, &s.cnames[s.ents[idx].off], &st, 0); statErr == nil {
			ver = versionOf(&st)
		}
	}
	l.mu.Lock()
	lc := s.files[idx]
	l.mu.Unlock()
	if statErr != nil {
		lc = nil
	}
	if lc != nil && lc.ver.same(ver) && lc.names[k].done {
		return lc.data, lc.names[k].name, lc.names[k].ok, nil
	}
	regular := statErr == nil && ver.mode&syscall.S_IFMT == syscall.S_IFREG
	next, data, name, ok, err := refresh(d, lc, ver, statErr == nil, v.path(k, i), k, regular)
	l.mu.Lock()
	s.files[idx] = next
	l.mu.Unlock()
	return data, name, ok, err
}

// atSymlinkNoFollow is AT_SYMLINK_NOFOLLOW.
const atSymlinkNoFollow = 0x100

// fstatat stats the NUL-terminated name relative to dirfd.
func fstatat(dirfd int, name *byte, st *syscall.Stat_t, flags int) error {
	for {
		_, _, e := syscall.Syscall6(sysFstatat, uintptr(dirfd), uintptr(unsafe.Pointer(name)), uintptr(unsafe.Pointer(st)), uintptr(flags), 0, 0)
		switch e {
		case 0:
			return nil
		case syscall.EINTR:
			continue
		}
		return e
	}
}
