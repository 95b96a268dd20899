// Package lock provides keyed locks that serialise work both between the
// goroutines of one process and between processes that share a directory.
//
// A [Locker] is rooted in one directory and forms one namespace of keys. A
// key (for example a container ID or a network name) maps to the lock file
// "<dir>/<key>.lock". A caller takes a key exclusively with [Locker.Lock] or
// shared with [Locker.RLock], and gives it back through the returned [Held]:
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
// on <cacheDir>/locks/network); a Locker is safe for concurrent use and holds
// no open files between holds, so it needs no Close.
//
// # How a lock is taken
//
// Taking a key happens in two stages:
//
//  1. In-process: goroutines of the same Locker that want the same key queue
//     on an in-memory reader/writer gate that honours ctx. Exclusive requests
//     are preferred: once one waits, new shared requests of this Locker wait
//     behind it, so an exclusive taker (e.g. garbage collection) is not
//     starved by a stream of shared ones. All shared holders of one Locker
//     share a single file lock, so only one goroutine per key and process
//     ever touches the lock file.
//  2. Cross-process: the winner opens (creating if needed) the lock file and
//     takes an OS file lock with a non-blocking attempt. While another
//     process holds it, the attempt is repeated with a capped exponential
//     backoff (1ms doubling to 20ms by default, see [WithBackoff]) so that
//     ctx is honoured without helper goroutines. A blocking lock call in a
//     helper goroutine was rejected: it cannot be interrupted, so a
//     cancelled wait would leave a goroutine and an open descriptor behind
//     that later acquire (and must then drop) a lock nobody wants.
//
// Cancelling ctx (or its deadline passing) while waiting in either stage
// returns an error that wraps ctx.Err(), so errors.Is(err, context.Canceled)
// and errors.Is(err, context.DeadlineExceeded) work. Nothing is left behind:
// the package starts no goroutines, and a failed or cancelled attempt closes
// its descriptor and leaves no lock held.
//
// Cross-process fairness is not guaranteed: the OS lock has no queue, so an
// exclusive waiter in one process may wait while other processes keep taking
// the key shared.
//
// # Lock files and clean-up
//
// [Held.UnlockAndRemove] deletes the lock file of an exclusively held key
// (for example when the container is deleted), so files do not pile up. On
// unix the file is unlinked while the lock is still held; every acquirer,
// after getting the OS lock, checks that the file it locked is still the one
// at the path (same device and inode) and starts over otherwise. This closes
// the classic race where a waiter gets the lock on a file that has just been
// unlinked. Shared holders never remove the file.
//
// # Operating systems
//
//   - Linux, macOS, FreeBSD, NetBSD, OpenBSD, DragonFly: flock(2). Locks
//     belong to the open file description, so two Lockers in one process on
//     the same directory also exclude each other, and a lock is released when
//     the holding process dies. Descriptors are close-on-exec, so plugins
//     started while a lock is held do not inherit it. flock on network file
//     systems (NFS, SMB) may be emulated or absent; keep the directory on a
//     local file system.
//   - Windows: LockFileEx/UnlockFileEx from kernel32 on the whole file range,
//     per handle. Go opens files without FILE_SHARE_DELETE, so a file cannot
//     be deleted while any process has it open: UnlockAndRemove unlocks,
//     closes, then tries to delete and silently keeps the file when another
//     process still has it open (that process, or a later one, removes it on
//     its own UnlockAndRemove). The identity check is still performed.
//     Names are compared case-insensitively by the file system, so keys that
//     differ only in case share a lock file (they then exclude each other,
//     which is safe but coarser); the same holds on case-insensitive macOS
//     volumes.
//   - Other systems: [New] fails with an error wrapping errors.ErrUnsupported.
//
// # Rules for callers
//
// Locks are not reentrant: a goroutine that holds a key and asks for it again
// (in any mode) through the same Locker waits for itself. When one operation
// needs keys of several namespaces, take them in a fixed order (for libcni:
// the network key first, then the container key) and never wait for an
// earlier namespace while holding a later one. Do not delete the directory
// or its files by other means while locks are in use.
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

// Default backoff bounds for retrying the OS file lock while another process
// holds it.
const (
	DefaultMinBackoff = time.Millisecond
	DefaultMaxBackoff = 20 * time.Millisecond
)

// fileSuffix is appended to a key to form its lock file name.
const fileSuffix = ".lock"

// Option configures a [Locker] created by [New].
type Option func(*Locker)

// WithBackoff sets the delay before the second attempt at the OS file lock
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

// Locker hands out keyed locks backed by lock files in one directory. It is
// safe for concurrent use by multiple goroutines; its zero value is not
// usable, create it with [New].
type Locker struct {
	dir        string
	minBackoff time.Duration
	maxBackoff time.Duration
	fileMode   fs.FileMode
	sys        osLocker

	mu   sync.Mutex
	keys map[string]*keyState // guarded by mu
}

// keyState is the in-process state of one key. All fields are guarded by
// the owning Locker's mu.
type keyState struct {
	refs           int      // goroutines waiting for or holding the key
	writer         bool     // an exclusive holder (or acquirer) owns the key
	readers        int      // shared holders, including a first one still acquiring
	shared         *os.File // the file lock held for all shared holders
	releasing      bool     // the last shared holder is releasing the file lock
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

// New returns a Locker whose lock files live in dir, creating dir (mode
// 0o700, with parents) if it does not exist.
func New(dir string, opts ...Option) (*Locker, error) {
	if dir == "" {
		return nil, errors.New("lock: empty directory")
	}
	sys, err := newOSLocker()
	if err != nil {
		return nil, fmt.Errorf("lock: directory %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("lock: create directory: %w", err)
	}
	l := &Locker{
		dir:        dir,
		minBackoff: DefaultMinBackoff,
		maxBackoff: DefaultMaxBackoff,
		fileMode:   0o600,
		sys:        sys,
		keys:       make(map[string]*keyState),
	}
	for _, opt := range opts {
		if opt != nil {
			opt(l)
		}
	}
	if l.maxBackoff < l.minBackoff {
		l.maxBackoff = l.minBackoff
	}
	return l, nil
}

// Dir returns the directory holding the lock files.
func (l *Locker) Dir() string { return l.dir }

// Path returns the lock file path for key, or an error if key is invalid
// (see [ValidateKey]).
func (l *Locker) Path(key string) (string, error) {
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	return filepath.Join(l.dir, key+fileSuffix), nil
}

// Lock takes key exclusively, waiting until no other goroutine or process
// holds it in any mode, or until ctx is done. The returned error wraps
// ctx.Err() when the wait was cut short, and is a [*KeyError] for an invalid
// key. Release the lock with [Held.Unlock] or [Held.UnlockAndRemove].
func (l *Locker) Lock(ctx context.Context, key string) (*Held, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	path, err := l.Path(key)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, l.waitErr(key, false, err)
	}

	l.mu.Lock()
	st := l.ref(key)
	queued := false
	for st.writer || st.readers > 0 || st.releasing {
		if !queued {
			st.writersWaiting++
			queued = true
		}
		if err := l.wait(ctx, st); err != nil {
			st.writersWaiting--
			st.broadcast() // shared requests may have been held back by us
			l.unref(key, st)
			l.mu.Unlock()
			return nil, l.waitErr(key, false, err)
		}
	}
	if queued {
		st.writersWaiting--
	}
	st.writer = true
	l.mu.Unlock()

	f, err := l.acquireFile(ctx, key, path, false)
	if err != nil {
		l.mu.Lock()
		st.writer = false
		st.broadcast()
		l.unref(key, st)
		l.mu.Unlock()
		return nil, err
	}
	return &Held{l: l, key: key, path: path, st: st, file: f}, nil
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
	path, err := l.Path(key)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, l.waitErr(key, true, err)
	}

	l.mu.Lock()
	st := l.ref(key)
	for st.writer || st.writersWaiting > 0 || st.releasing || (st.readers > 0 && st.shared == nil) {
		if err := l.wait(ctx, st); err != nil {
			l.unref(key, st)
			l.mu.Unlock()
			return nil, l.waitErr(key, true, err)
		}
	}
	st.readers++
	if st.shared != nil {
		l.mu.Unlock()
		return &Held{l: l, key: key, path: path, st: st, shared: true}, nil
	}
	// First shared holder in this process: take the file lock for everyone.
	l.mu.Unlock()

	f, err := l.acquireFile(ctx, key, path, true)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		st.readers--
		st.broadcast()
		l.unref(key, st)
		return nil, err
	}
	st.shared = f
	st.broadcast() // let the shared requests that queued behind us in
	return &Held{l: l, key: key, path: path, st: st, shared: true}, nil
}

// ref returns the state of key, creating it, and counts the caller in.
// l.mu must be held.
func (l *Locker) ref(key string) *keyState {
	st := l.keys[key]
	if st == nil {
		st = &keyState{}
		l.keys[key] = st
	}
	st.refs++
	return st
}

// unref counts the caller out of st and forgets the key when nobody waits
// for or holds it any more. l.mu must be held.
func (l *Locker) unref(key string, st *keyState) {
	st.refs--
	if st.refs == 0 {
		delete(l.keys, key)
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
		if timer == nil {
			timer = time.NewTimer(delay)
		} else {
			timer.Reset(delay)
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, l.waitErr(key, shared, ctx.Err())
		case <-timer.C:
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
	path   string
	st     *keyState
	shared bool
	file   *os.File // exclusive holds only; shared ones use st.shared
	done   atomic.Bool
}

// Key returns the locked key.
func (h *Held) Key() string { return h.key }

// Shared reports whether the key is held shared (taken with [Locker.RLock]).
func (h *Held) Shared() bool { return h.shared }

// Unlock releases the lock. The lock file is kept for later use. It returns
// [ErrNotHeld] if the lock was already released, or an error from releasing
// the OS lock (the in-process lock is released in any case).
func (h *Held) Unlock() error {
	return h.release(false)
}

// UnlockAndRemove releases an exclusive lock and deletes its lock file, so
// that keys that are gone (e.g. deleted containers) leave no files behind.
// On unix the file is unlinked while the lock is still held; concurrent
// waiters notice and retry on a fresh file. On Windows the file is deleted
// after unlocking, unless another process still has it open (see the package
// documentation). For a shared hold it is the same as [Held.Unlock]: shared
// holders never remove the file. Errors are as for Unlock; a failure to
// delete is reported after the lock has been released.
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
		if remove {
			err = l.sys.unlockAndRemove(h.file, h.path)
		} else {
			err = unlockClose(l.sys, h.file)
		}
		h.file = nil
		l.mu.Lock()
		st.writer = false
		st.broadcast()
		l.unref(h.key, st)
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
		st.releasing = true
		l.mu.Unlock()
		err = unlockClose(l.sys, f)
		l.mu.Lock()
		st.releasing = false
	}
	st.broadcast()
	l.unref(h.key, st)
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
