// Package lock provides keyed locks that serialise work both between the
// goroutines of one process and between processes that share a directory.
//
// A [Locker] is rooted in one directory and forms one namespace of keys (for
// example container IDs, or network names). A caller takes a key
// exclusively with [Locker.Lock] or shared with [Locker.RLock], and gives it
// back through the returned [Held]:
//
//	containers, err := lock.New(filepath.Join(cacheDir, "locks", "container"))
//	...
//	h, err := containers.Lock(ctx, containerID)
//	if err != nil {
//		return err // wraps ctx.Err() when the wait was cut short
//	}
//	defer h.Unlock()
//
// Use one Locker per namespace (e.g. one on <cacheDir>/locks/container and one
// on <cacheDir>/locks/network) and keep it for the life of the process; a
// Locker is safe for concurrent use.
//
// # Guarantees
//
//   - Exclusive: while a key is held by [Locker.Lock], no other holder of the
//     same key exists, shared or exclusive, in this process (through this or
//     any other Locker on the directory) or in any other process using a
//     Locker on the same directory.
//   - Shared: any number of [Locker.RLock] holders of one key may overlap, in
//     any number of processes; they exclude exclusive holders only.
//   - Waits honour ctx: cancelling ctx (or its deadline passing) ends a wait
//     with an error that wraps ctx.Err(), so errors.Is(err,
//     context.Canceled) and errors.Is(err, context.DeadlineExceeded) work.
//     Nothing is left behind: the package starts no goroutines, and a failed
//     or cancelled attempt leaves no lock held.
//   - No stale locks: the operating system drops every lock of a process that
//     dies, however it dies; nothing needs cleaning up after a crash.
//   - Different keys are independent, except that two keys may share a lock
//     slot (see below); they are then serialised with each other, which is
//     safe but coarser.
//
// Cross-process fairness is not guaranteed: the OS lock has no queue, so an
// exclusive waiter in one process may wait while other processes keep taking
// the key shared.
//
// # How a lock is taken
//
// Taking a key happens in two stages:
//
//  1. In-process: goroutines of the same Locker that want the same lock slot
//     queue on an in-memory reader/writer gate that honours ctx. Exclusive
//     requests are preferred: once one waits, new shared requests of this
//     Locker wait behind it, so an exclusive taker (e.g. garbage collection)
//     is not starved by a stream of shared ones. All shared holders of one
//     Locker share a single OS lock, so only one goroutine per slot and
//     process ever talks to the OS.
//  2. Cross-process: the winner takes the OS lock with a non-blocking
//     attempt. While another process (or another Locker) holds it, the
//     attempt is repeated with a capped exponential backoff (1ms doubling to
//     20ms by default, see [WithBackoff]) so that ctx is honoured without
//     helper goroutines. A blocking lock call in a helper goroutine was
//     rejected: it cannot be interrupted, so a cancelled wait would leave a
//     goroutine behind that later acquires (and must then drop) a lock
//     nobody wants.
//
// # Byte-range locks (Linux, Windows)
//
// Where the OS has byte-range locks owned by an open file (Linux 3.15 and
// later: open file description locks, F_OFD_SETLK; Windows: LockFileEx),
// [New] opens one file, "<dir>/.ranges", and keeps it open for the life of
// the Locker. A key is a one-byte range of that file at an offset hashed
// from the key (62 bits of FNV-1a), its slot; a lock operation is then a
// single system call (on Linux, an acquisition may add the fstat that
// notices a removed file, see "Rules for callers"), and no file is created,
// opened or removed per operation. Two keys whose hashes collide share the
// slot: the in-process gate is per slot, so they are serialised with each
// other, never both held exclusively by accident. The lock belongs to the
// open file, not to the process, so two Lockers of one process on the same
// directory exclude each other like two processes do. The file stays empty;
// its descriptor is close-on-exec, so plugins started while a lock is held
// do not inherit it. Call [Locker.Close] to release the descriptor of a
// Locker no longer needed. A Locker that becomes unreachable without Close
// has its descriptor closed by the garbage collector at some later point;
// that cannot drop a lock still in use (a [Held] keeps its Locker
// reachable), but it is no substitute for Close in a program that makes many
// Lockers.
//
// # A lock file per key (other systems, or [WithFilePerKey])
//
// On macOS, FreeBSD, NetBSD, OpenBSD and DragonFly, on Linux kernels without
// open file description locks, and with [WithFilePerKey], a key maps to the
// lock file "<dir>/<key>.lock", locked with flock(2) (LockFileEx over the
// whole file on Windows). The winner of the in-process gate opens (creating
// if needed) the file and locks it; the lock belongs to the open file
// description, so two Lockers in one process also exclude each other, and
// the lock is released when the process dies. [Held.UnlockAndRemove]
// deletes the lock file of an exclusively held key (for example when the
// container is deleted), so files do not pile up. On unix the file is
// unlinked while the lock is still held; every acquirer, after getting the
// OS lock, checks that the file it locked is still the one at the path
// (same device and inode) and starts over otherwise. This closes the
// classic race where a waiter gets the lock on a file that has just been
// unlinked. Shared holders never remove the file. On Windows a file cannot
// be deleted while another process has it open: UnlockAndRemove then keeps
// it (a later UnlockAndRemove removes it). Names are compared
// case-insensitively on Windows and on case-insensitive macOS volumes, so
// keys that differ only in case then share a lock file (safe but coarser).
//
// The two schemes do not exclude each other: all processes sharing a
// directory must use the same one (they do when they run the same build on
// the same system with the same options). Byte-range and flock locks on
// network file systems (NFS, SMB) may be emulated or absent; keep the
// directory on a local file system. Other systems: [New] fails with an error
// wrapping errors.ErrUnsupported.
//
// # Rules for callers
//
// Locks are not reentrant: a goroutine that holds a key and asks for it again
// (in any mode) through the same Locker waits for itself. When one operation
// needs keys of several namespaces, take them in a fixed order (for libcni:
// the network key first, then the container key) and never wait for an
// earlier namespace while holding a later one. Do not delete the directory
// or its files by other means while locks are in use. If it happens
// anyway (a cache directory wiped with rm -rf), a byte-range Locker on
// Linux notices at its next acquisition: after taking an OS lock it checks
// the open file's link count (one fstat; see [WithStaleCheckInterval] to
// check at most once per interval and [WithoutStaleCheck] to leave it to
// the caller), and when the file is gone it opens the file now at the path
// and takes the locks it holds again there (see [Locker.Reopens]).
//
// # When the directory is unusable
//
// [New] fails when the directory or the range file cannot be created or
// opened for writing (a read-only or full file system, missing
// permissions, a file in the directory's place). A caller that must go on
// working then (libcni: a DEL must still run) can use [NewProcessLocal],
// whose locks exclude only the goroutines using it.
package lock

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// ErrNotHeld is returned by [Held.Unlock] and [Held.UnlockAndRemove] when
// the lock was already released through this Held.
var ErrNotHeld = errors.New("lock: not held")

// Default backoff bounds for retrying the OS lock while another process
// holds it.
const (
	DefaultMinBackoff = time.Millisecond
	DefaultMaxBackoff = 20 * time.Millisecond
)

// fileSuffix is appended to a key to form its lock file name.
const fileSuffix = ".lock"

// RangeFileName is the name of the file, inside a Locker's directory, whose
// byte ranges hold the locks when byte-range locking is used. It starts
// with a dot, which no key does, so it never names a per-key lock file.
const RangeFileName = ".ranges"

// Option configures a [Locker] created by [New].
type Option func(*Locker)

// WithBackoff sets the delay before the second attempt at the OS lock
// (min) and the cap for the doubling delays after it (max). Non-positive
// values keep the defaults; max is raised to min if smaller.
func WithBackoff(minDelay, maxDelay time.Duration) Option {
	return func(l *Locker) {
		if minDelay > 0 {
			l.minBackoff = minDelay
		}
		if maxDelay > 0 {
			l.maxBackoff = maxDelay
		}
	}
}

// WithFileMode sets the permission bits used when a lock file is created
// (default 0o600).
func WithFileMode(mode fs.FileMode) Option {
	return func(l *Locker) { l.fileMode = mode.Perm() }
}

// WithoutStaleCheck turns off the check, at each acquisition of an OS
// lock, that the range file is still linked into the directory (see
// [Locker.Reopens]); the caller then checks with [Locker.Refresh] when it
// sees fit. It saves one fstat per acquisition: libcni checks only its
// container locks (at most every 100 ms) and refreshes the network locks
// when a container lock file was found removed.
func WithoutStaleCheck() Option {
	return func(l *Locker) { l.noStale = true }
}

// WithStaleCheckInterval limits the check that the range file is still
// linked into the directory (see [Locker.Reopens]) to one acquisition per
// interval d: an acquisition, once it has taken its OS lock, checks when
// at least d has passed since the Locker's last check (its first
// acquisition always checks). A burst of acquisitions then costs one
// fstat per d rather than one each, and a removed file is noticed by the
// first acquisition at least d after the previous check (an acquisition
// that follows a quiet spell of d or more always checks). d <= 0 keeps
// the default, a check at every acquisition. [WithoutStaleCheck]
// overrides it. It matters only for byte-range locks: a lock file per key
// is checked at each acquisition by its own means, and [NewProcessLocal]
// has no file.
func WithStaleCheckInterval(d time.Duration) Option {
	return func(l *Locker) { l.staleEvery = max(d, 0) }
}

// WithFilePerKey selects a lock file per key (flock) even where byte-range
// locks are available (see the package documentation). Every process
// sharing the directory must then use it too.
func WithFilePerKey() Option {
	return func(l *Locker) { l.filePerKey = true }
}

// Locker hands out keyed locks backed by OS locks on files in one
// directory. It is safe for concurrent use by multiple goroutines; its zero
// value is not usable, create it with [New].
type Locker struct {
	dir        string
	minBackoff time.Duration
	maxBackoff time.Duration
	fileMode   fs.FileMode
	filePerKey bool
	sys        osLocker
	ranges     *rangeFile    // nil when a lock file per key is used
	local      bool          // process-local: no OS lock at all (NewProcessLocal)
	noStale    bool          // WithoutStaleCheck
	staleEvery time.Duration // WithStaleCheckInterval
	// epoch is when the Locker was made; lastCheck is when (as time since
	// epoch, monotonic) an acquisition last checked the range file.
	epoch     time.Time
	lastCheck atomic.Int64

	mu        sync.Mutex
	keys      map[slotKey]*keyState // guarded by mu
	reopens   int                   // guarded by mu
	reopenErr error                 // guarded by mu
}

// slotKey identifies the in-process state of a lock: the slot (byte
// offset) with byte-range locks, the key itself with a file per key.
type slotKey struct {
	slot int64
	name string
}

// keyState is the in-process state of one slot. All fields are guarded by
// the owning Locker's mu.
type keyState struct {
	refs           int      // goroutines waiting for or holding the slot
	writer         bool     // an exclusive holder (or acquirer) owns the slot
	readers        int      // shared holders, including a first one still acquiring
	sharedHeld     bool     // the OS lock is held for all shared holders
	shared         *os.File // that lock's file, with a file per key
	releasing      bool     // the last shared holder is releasing the OS lock
	writersWaiting int      // exclusive requests queued in-process
	wake           chan struct{}
}

// waitCh returns a channel that is closed at the next state change.
func (st *keyState) waitCh() <-chan struct{} {
	if st.wake == nil {
		st.wake = make(chan struct{})
	}
	return st.wake
}

// broadcast wakes every goroutine waiting on the current waitCh.
func (st *keyState) broadcast() {
	if st.wake != nil {
		close(st.wake)
		st.wake = nil
	}
}

// New returns a Locker whose locks live in dir, creating dir (mode 0o700,
// with parents) if it does not exist. With byte-range locks it opens
// dir/[RangeFileName] (creating it if needed) and keeps it open.
func New(dir string, opts ...Option) (*Locker, error) {
	if dir == "" {
		return nil, errors.New("lock: empty directory")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("lock: create directory: %w", err)
	}
	l := &Locker{
		dir:        dir,
		minBackoff: DefaultMinBackoff,
		maxBackoff: DefaultMaxBackoff,
		fileMode:   0o600,
		keys:       make(map[slotKey]*keyState),
		epoch:      time.Now(),
	}
	for _, opt := range opts {
		if opt != nil {
			opt(l)
		}
	}
	if l.maxBackoff < l.minBackoff {
		l.maxBackoff = l.minBackoff
	}
	l.lastCheck.Store(-int64(l.staleEvery)) // the first acquisition checks
	sys, err := newOSLocker()
	if err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return nil, fmt.Errorf("lock: directory %s: %w", dir, err)
	}
	l.sys = sys
	if !l.filePerKey {
		r, rerr := openRangeFile(sys, filepath.Join(dir, RangeFileName), l.fileMode)
		switch {
		case rerr == nil:
			l.ranges = r
			return l, nil
		case !errors.Is(rerr, errors.ErrUnsupported):
			return nil, fmt.Errorf("lock: directory %s: %w", dir, rerr)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("lock: directory %s: %w", dir, err)
	}
	return l, nil
}

// NewProcessLocal returns a Locker that excludes only the goroutines using
// it: it takes no OS lock, opens and creates nothing, and dir (which need
// not exist) only names it in errors. It is the fallback for a directory
// where [New] fails, for example a read-only or full file system, when
// serialising within the process is better than refusing to work: another
// process, or another Locker of this process, is not excluded. The
// guarantees above otherwise hold (waits honour ctx, shared and exclusive
// modes, exclusive requests preferred).
func NewProcessLocal(dir string, opts ...Option) *Locker {
	l := &Locker{dir: dir, local: true, keys: make(map[slotKey]*keyState)}
	for _, opt := range opts {
		if opt != nil {
			opt(l)
		}
	}
	return l
}

// ProcessLocal reports whether the Locker was made by [NewProcessLocal].
func (l *Locker) ProcessLocal() bool { return l.local }

// Close releases the descriptor of the range file, which drops every lock
// of this Locker, so it must not be called while a key is held or being
// waited for. Afterwards Lock, RLock, Unlock and Close fail with an error
// wrapping [os.ErrClosed]. It is not needed with a lock file per key, where
// it does nothing.
func (l *Locker) Close() error {
	if l.ranges == nil {
		return nil
	}
	return l.ranges.close()
}

// Dir returns the directory holding the lock files.
func (l *Locker) Dir() string { return l.dir }

// Ranges reports whether the Locker uses byte-range locks on one file
// (true) or a lock file per key (false).
func (l *Locker) Ranges() bool { return l.ranges != nil }

// Path returns the file that holds key's lock — dir/[RangeFileName] with
// byte-range locks, dir/<key>.lock with a file per key — or an error if
// key is invalid (see [ValidateKey]).
func (l *Locker) Path(key string) (string, error) {
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	if l.local {
		return "", fmt.Errorf("lock: %s: process-local locks have no file: %w", l.dir, errors.ErrUnsupported)
	}
	if l.ranges != nil {
		return l.ranges.path, nil
	}
	return filepath.Join(l.dir, key+fileSuffix), nil
}

// slotOf returns the byte offset of key in the range file: 62 bits of its
// FNV-1a hash, so that offset+1 never overflows a signed 64-bit offset.
func slotOf(key string) int64 {
	const (
		offset64 = 14695981039346656037
		prime64  = 1099511628211
	)
	h := uint64(offset64)
	for i := 0; i < len(key); i++ {
		h ^= uint64(key[i])
		h *= prime64
	}
	return int64(h >> 2)
}

// stateKey returns the in-process identity of key's lock.
func (l *Locker) stateKey(key string) slotKey {
	if l.ranges != nil {
		return slotKey{slot: slotOf(key)}
	}
	return slotKey{name: key}
}

// Lock takes key exclusively, waiting until no other goroutine or process
// holds it in any mode, or until ctx is done. The returned error wraps
// ctx.Err() when the wait was cut short, and is a [*KeyError] for an invalid
// key. Release the lock with [Held.Unlock] or [Held.UnlockAndRemove].
func (l *Locker) Lock(ctx context.Context, key string) (*Held, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, l.waitErr(key, false, err)
	}
	sk := l.stateKey(key)

	l.mu.Lock()
	st := l.ref(sk)
	queued := false
	for st.writer || st.readers > 0 || st.releasing {
		if !queued {
			st.writersWaiting++
			queued = true
		}
		if err := l.wait(ctx, st); err != nil {
			st.writersWaiting--
			st.broadcast() // shared requests may have been held back by us
			l.unref(sk, st)
			l.mu.Unlock()
			return nil, l.waitErr(key, false, err)
		}
	}
	if queued {
		st.writersWaiting--
	}
	st.writer = true
	l.mu.Unlock()

	f, err := l.acquire(ctx, key, sk, false)
	if err != nil {
		l.mu.Lock()
		st.writer = false
		st.broadcast()
		l.unref(sk, st)
		l.mu.Unlock()
		return nil, err
	}
	return &Held{l: l, key: key, sk: sk, st: st, file: f}, nil
}

// RLock takes key shared, waiting until no goroutine or process holds it
// exclusively, or until ctx is done. Any number of shared holders (in this
// and other processes) may hold the key at once. Within this Locker, a
// queued [Locker.Lock] for the same key makes new RLock calls wait. Errors
// are as for [Locker.Lock].
func (l *Locker) RLock(ctx context.Context, key string) (*Held, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, l.waitErr(key, true, err)
	}
	sk := l.stateKey(key)

	l.mu.Lock()
	st := l.ref(sk)
	for st.writer || st.writersWaiting > 0 || st.releasing || (st.readers > 0 && !st.sharedHeld) {
		if err := l.wait(ctx, st); err != nil {
			l.unref(sk, st)
			l.mu.Unlock()
			return nil, l.waitErr(key, true, err)
		}
	}
	st.readers++
	if st.sharedHeld {
		l.mu.Unlock()
		return &Held{l: l, key: key, sk: sk, st: st, shared: true}, nil
	}
	// First shared holder in this process: take the OS lock for everyone.
	l.mu.Unlock()

	f, err := l.acquire(ctx, key, sk, true)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		st.readers--
		st.broadcast()
		l.unref(sk, st)
		return nil, err
	}
	st.sharedHeld = true
	st.shared = f
	st.broadcast() // let the shared requests that queued behind us in
	return &Held{l: l, key: key, sk: sk, st: st, shared: true}, nil
}

// ref returns the state of sk, creating it, and counts the caller in.
// l.mu must be held.
func (l *Locker) ref(sk slotKey) *keyState {
	st := l.keys[sk]
	if st == nil {
		st = &keyState{}
		l.keys[sk] = st
	}
	st.refs++
	return st
}

// unref counts the caller out of st and forgets the slot when nobody waits
// for or holds it any more. l.mu must be held.
func (l *Locker) unref(sk slotKey, st *keyState) {
	st.refs--
	if st.refs == 0 {
		delete(l.keys, sk)
	}
}

// wait releases l.mu until st changes or ctx is done, then re-acquires it.
// It returns ctx.Err() if ctx ended first. l.mu must be held.
func (l *Locker) wait(ctx context.Context, st *keyState) error {
	ch := st.waitCh()
	l.mu.Unlock()
	select {
	case <-ch:
		l.mu.Lock()
		return nil
	case <-ctx.Done():
		l.mu.Lock()
		return ctx.Err()
	}
}

// waitErr builds the error returned when waiting for key was cut short.
func (l *Locker) waitErr(key string, shared bool, err error) error {
	mode := "exclusive"
	if shared {
		mode = "shared"
	}
	return fmt.Errorf("lock: waiting for %s lock on %q in %s: %w", mode, key, l.dir, err)
}

// acquire takes the OS lock of key (slot sk), retrying with backoff while
// another process or Locker holds it. With a file per key it returns the
// open, locked file; with byte ranges it returns nil.
func (l *Locker) acquire(ctx context.Context, key string, sk slotKey, shared bool) (*os.File, error) {
	if l.local {
		return nil, nil
	}
	if l.ranges == nil {
		return l.acquireFile(ctx, key, filepath.Join(l.dir, key+fileSuffix), shared)
	}
	var (
		delay = l.minBackoff
		timer *time.Timer
	)
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		ok, stale, err := l.ranges.tryLockFresh(sk.slot, shared, l.staleCheckDue)
		if err != nil {
			return nil, fmt.Errorf("lock: lock %q in %s: %w", key, l.ranges.path, err)
		}
		if stale && l.reopenRanges(sk) {
			continue // take it on the new file, waiting there if need be
		}
		if ok {
			return nil, nil
		}
		if timer, err = l.backoff(ctx, timer, delay); err != nil {
			return nil, l.waitErr(key, shared, err)
		}
		delay = min(2*delay, l.maxBackoff)
	}
}

// staleCheckDue reports whether an acquisition that has just taken its OS
// lock checks the range file for removal (see WithStaleCheckInterval).
// It is asked only once the lock is taken, so an acquisition that waited
// decides by the time it got the lock. With an interval, one acquisition
// per interval is chosen (the one whose compare-and-swap moves lastCheck);
// the first acquisition of a Locker always checks (lastCheck starts an
// interval back). Reading the clock costs no system call.
func (l *Locker) staleCheckDue() bool {
	if l.noStale {
		return false
	}
	if l.staleEvery <= 0 {
		return true
	}
	now := int64(time.Since(l.epoch))
	last := l.lastCheck.Load()
	return now-last >= int64(l.staleEvery) && l.lastCheck.CompareAndSwap(last, now)
}

// heldSlot is a slot held (or being taken) in this process, with its mode.
type heldSlot struct {
	slot   int64
	shared bool
}

// reopenRanges replaces the range file, found removed from its directory,
// by the one now at its path (see rangeFile.reopen), taking again on it
// every slot held or being taken in this Locker except own, the caller's,
// which the caller then takes on the new file. It holds l.mu throughout,
// so no slot is taken or released meanwhile: an exclusive holder releases
// its OS lock under l.mu, and a releasing shared slot is left out. It
// reports whether the file was replaced; when the new file cannot be
// opened the old descriptor is kept, which still excludes the goroutines
// of this Locker and the processes that have the old file open. The
// outcome is counted for [Locker.Reopens].
func (l *Locker) reopenRanges(own slotKey) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	held := make([]heldSlot, 0, len(l.keys))
	for sk, st := range l.keys {
		switch {
		case sk == own:
		case st.writer:
			held = append(held, heldSlot{slot: sk.slot})
		case st.readers > 0 && !st.releasing:
			held = append(held, heldSlot{slot: sk.slot, shared: true})
		}
	}
	l.reopens++
	replaced, err := l.ranges.reopen(l.dir, l.fileMode, held)
	l.reopenErr = err
	return replaced
}

// Refresh checks now that the range file is still linked into the
// directory and, when it is not, opens the file at the path again and
// takes every lock held in this Locker on it, as an acquisition does (see
// [Locker.Reopens]). It reports whether the file was replaced. It does
// nothing with process-local locks or a lock file per key, whose files are
// opened per acquisition.
func (l *Locker) Refresh() (bool, error) {
	if l.ranges == nil || !l.ranges.unlinked() {
		return false, nil
	}
	replaced := l.reopenRanges(slotKey{slot: -1})
	_, err := l.Reopens()
	return replaced, err
}

// Reopens returns how many times the Locker found its range file removed
// from the directory (Linux) and opened the file at the path again, and
// the error of the last attempt (nil when it succeeded). An acquisition
// checks the link count of the open file after taking the lock (one
// fstat; with [WithStaleCheckInterval] only one acquisition per interval
// does): a lock file removed under a running process, for instance with
// the whole directory, is noticed at the next acquisition that checks, and
// the locks held then are taken again on the new file.
func (l *Locker) Reopens() (n int, lastErr error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reopens, l.reopenErr
}

// backoff sleeps for delay or until ctx is done, reusing timer.
func (l *Locker) backoff(ctx context.Context, timer *time.Timer, delay time.Duration) (*time.Timer, error) {
	if timer == nil {
		timer = time.NewTimer(delay)
	} else {
		timer.Reset(delay)
	}
	select {
	case <-ctx.Done():
		return timer, ctx.Err()
	case <-timer.C:
		return timer, nil
	}
}

// acquireFile opens the lock file at path and takes the OS lock on it,
// retrying with backoff while another process holds it. It returns the open
// file, locked, and verified to still be the file at path.
func (l *Locker) acquireFile(ctx context.Context, key, path string, shared bool) (*os.File, error) {
	delay := l.minBackoff
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	var f *os.File
	for {
		if f == nil {
			if err := ctx.Err(); err != nil {
				return nil, l.waitErr(key, shared, err)
			}
			var err error
			if f, err = l.open(path); err != nil {
				return nil, fmt.Errorf("lock: open lock file for %q: %w", key, err)
			}
		}
		ok, err := l.sys.tryLock(f, shared)
		if err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("lock: lock file %s: %w", path, err)
		}
		if ok {
			same, err := stillAtPath(f, path)
			if err == nil && same {
				return f, nil
			}
			// The file was removed (or replaced) after we opened it: the lock
			// we got protects nothing. Drop it and start over on the path.
			_ = l.sys.unlock(f)
			_ = f.Close()
			f = nil
			if err != nil {
				return nil, fmt.Errorf("lock: check lock file %s: %w", path, err)
			}
			continue
		}
		if timer, err = l.backoff(ctx, timer, delay); err != nil {
			_ = f.Close()
			return nil, l.waitErr(key, shared, err)
		}
		delay = min(2*delay, l.maxBackoff)
	}
}

// open opens (creating if needed) the lock file at path. If the directory
// has vanished it is created again once.
func (l *Locker) open(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, l.fileMode)
	if errors.Is(err, fs.ErrNotExist) {
		if mkErr := os.MkdirAll(l.dir, 0o700); mkErr != nil {
			return nil, mkErr
		}
		f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE, l.fileMode)
	}
	return f, err
}

// Held is one acquisition of a key, returned by [Locker.Lock] or
// [Locker.RLock]. Release it exactly once with [Held.Unlock] or
// [Held.UnlockAndRemove]; it is safe to call them from any goroutine.
type Held struct {
	l      *Locker
	key    string
	sk     slotKey
	st     *keyState
	shared bool
	file   *os.File // exclusive holds with a file per key; shared ones use st.shared
	done   atomic.Bool
}

// Key returns the locked key.
func (h *Held) Key() string { return h.key }

// Shared reports whether the key is held shared (taken with [Locker.RLock]).
func (h *Held) Shared() bool { return h.shared }

// Unlock releases the lock. A lock file is kept for later use. It returns
// [ErrNotHeld] if the lock was already released, or an error from releasing
// the OS lock (the in-process lock is released in any case).
func (h *Held) Unlock() error {
	return h.release(false)
}

// UnlockAndRemove releases an exclusive lock and, with a lock file per key,
// deletes its lock file, so that keys that are gone (e.g. deleted
// containers) leave no files behind. On unix the file is unlinked while the
// lock is still held; concurrent waiters notice and retry on a fresh file.
// On Windows the file is deleted after unlocking, unless another process
// still has it open (see the package documentation). With byte-range locks,
// and for a shared hold, it is the same as [Held.Unlock]. Errors are as for
// Unlock; a failure to delete is reported after the lock has been released.
func (h *Held) UnlockAndRemove() error {
	return h.release(true)
}

// release gives the key back, optionally removing the lock file.
func (h *Held) release(remove bool) error {
	if h == nil || !h.done.CompareAndSwap(false, true) {
		return ErrNotHeld
	}
	l, st := h.l, h.st
	if !h.shared {
		var err error
		switch {
		case l.local:
			l.mu.Lock()
		case l.ranges != nil:
			// Under l.mu, so that reopenRanges never takes again a slot
			// whose holder has already let it go.
			l.mu.Lock()
			err = l.ranges.unlock(h.sk.slot)
		case remove:
			err = l.sys.unlockAndRemove(h.file, filepath.Join(l.dir, h.key+fileSuffix))
			l.mu.Lock()
		default:
			err = unlockClose(l.sys, h.file)
			l.mu.Lock()
		}
		h.file = nil
		st.writer = false
		st.broadcast()
		l.unref(h.sk, st)
		l.mu.Unlock()
		if err != nil {
			return fmt.Errorf("lock: release %q: %w", h.key, err)
		}
		return nil
	}

	var err error
	l.mu.Lock()
	st.readers--
	if st.readers == 0 {
		f := st.shared
		st.shared = nil
		st.sharedHeld = false
		st.releasing = true
		l.mu.Unlock()
		switch {
		case l.local:
		case l.ranges != nil:
			err = l.ranges.unlock(h.sk.slot)
		default:
			err = unlockClose(l.sys, f)
		}
		l.mu.Lock()
		st.releasing = false
	}
	st.broadcast()
	l.unref(h.sk, st)
	l.mu.Unlock()
	if err != nil {
		return fmt.Errorf("lock: release %q: %w", h.key, err)
	}
	return nil
}

// unlockClose drops the OS lock on f and closes it, reporting the first
// error.
func unlockClose(sys osLocker, f *os.File) error {
	uerr := sys.unlock(f)
	cerr := f.Close()
	if uerr != nil {
		return uerr
	}
	return cerr
}
