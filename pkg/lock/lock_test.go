package lock

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fastBackoff keeps cross-Locker and cross-process contention cheap in tests.
var fastBackoff = WithBackoff(100*time.Microsecond, 2*time.Millisecond)

// lockMode is one of the two locking schemes (see the package doc).
type lockMode struct {
	name       string
	filePerKey bool
}

// testModes are the schemes every generic test runs with. Where the OS has
// no byte-range locks, "ranges" falls back to a file per key as well.
var testModes = []lockMode{{"ranges", false}, {"file per key", true}}

// forModes runs test once per locking scheme, as subtests.
func forModes(t *testing.T, test func(t *testing.T, m lockMode)) {
	for _, m := range testModes {
		t.Run(m.name, func(t *testing.T) { test(t, m) })
	}
}

// newLocker returns a Locker of mode m on dir (a fresh temp dir when empty).
func (m lockMode) newLocker(t testing.TB, dir string) *Locker {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	opts := []Option{fastBackoff}
	if m.filePerKey {
		opts = append(opts, WithFilePerKey())
	}
	l, err := New(dir, opts...)
	require.NoError(t, err)
	if !m.filePerKey {
		t.Cleanup(func() { _ = l.Close() })
	}
	return l
}

// newTestLocker returns a Locker of the default scheme on dir.
func newTestLocker(t testing.TB, dir string) *Locker {
	t.Helper()
	return testModes[0].newLocker(t, dir)
}

// newFileLocker returns a Locker with a lock file per key on dir.
func newFileLocker(t testing.TB, dir string) *Locker {
	t.Helper()
	return testModes[1].newLocker(t, dir)
}

// lockFiles lists the names in dir other than the range file.
func lockFiles(t testing.TB, dir string) []string {
	t.Helper()
	var names []string
	for _, n := range dirEntries(t, dir) {
		if n != RangeFileName {
			names = append(names, n)
		}
	}
	return names
}

// maxTracker records how many holders overlap.
type maxTracker struct {
	cur, max atomic.Int32
}

// enter counts one more concurrent holder.
func (m *maxTracker) enter() {
	n := m.cur.Add(1)
	for {
		old := m.max.Load()
		if n <= old || m.max.CompareAndSwap(old, n) {
			return
		}
	}
}

// exit counts one holder out.
func (m *maxTracker) exit() { m.cur.Add(-1) }

// dirEntries lists the names in dir.
func dirEntries(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// keyCount returns how many keys the Locker currently tracks in memory.
func keyCount(l *Locker) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

func TestValidateKey(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", MaxKeyLen)
	tests := []struct {
		name string
		key  string
		ok   bool
	}{
		{"single char", "a", true},
		{"container id", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true},
		{"network name", "my-net_1.v2", true},
		{"max length", long, true},
		{"empty", "", false},
		{"too long", long + "a", false},
		{"dot", ".", false},
		{"dotdot", "..", false},
		{"leading dot", ".hidden", false},
		{"leading dash", "-x", false},
		{"leading underscore", "_x", false},
		{"slash", "a/b", false},
		{"parent escape", "../etc", false},
		{"backslash", `a\b`, false},
		{"space", "a b", false},
		{"nul", "a\x00b", false},
		{"colon", "c:x", false},
		{"non ascii", "caf\u00e9", false},
		{"newline", "a\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateKey(tt.key)
			if tt.ok {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalidKey)
			var ke *KeyError
			require.ErrorAs(t, err, &ke)
			assert.Equal(t, tt.key, ke.Key)
		})
	}
}

func TestInvalidKeyRefused(t *testing.T) {
	t.Parallel()
	l := newTestLocker(t, "")
	ctx := context.Background()
	for _, key := range []string{"", "..", "../x", "a/b", ".x"} {
		h, err := l.Lock(ctx, key)
		assert.Nil(t, h)
		assert.ErrorIs(t, err, ErrInvalidKey, "Lock(%q)", key)
		h, err = l.RLock(ctx, key)
		assert.Nil(t, h)
		assert.ErrorIs(t, err, ErrInvalidKey, "RLock(%q)", key)
		_, err = l.Path(key)
		assert.ErrorIs(t, err, ErrInvalidKey, "Path(%q)", key)
	}
	assert.Empty(t, lockFiles(t, l.Dir()), "no file may be created for an invalid key")
	assert.Equal(t, []string{filepath.Base(l.Dir())}, dirEntries(t, filepath.Dir(l.Dir())), "nothing created next to the directory")
	assert.Zero(t, keyCount(l))
}

func TestNew(t *testing.T) {
	t.Parallel()
	_, err := New("")
	assert.Error(t, err)

	dir := filepath.Join(t.TempDir(), "a", "b", "locks")
	l, err := New(dir, nil, WithBackoff(-1, 0), WithFileMode(0o640))
	require.NoError(t, err)
	assert.Equal(t, dir, l.Dir())
	assert.Equal(t, DefaultMinBackoff, l.minBackoff)
	assert.Equal(t, DefaultMaxBackoff, l.maxBackoff)
	st, err := os.Stat(dir)
	require.NoError(t, err)
	assert.True(t, st.IsDir())

	l2, err := New(dir, WithBackoff(time.Second, time.Millisecond))
	require.NoError(t, err)
	assert.Equal(t, time.Second, l2.maxBackoff, "max is raised to min")

	// A file in the way of the directory is an error, not a panic.
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	_, err = New(filepath.Join(file, "sub"))
	assert.Error(t, err)
}

func TestExclusiveMutualExclusion(t *testing.T) { forModes(t, testExclusiveMutualExclusion) }

func testExclusiveMutualExclusion(t *testing.T, m lockMode) {
	t.Parallel()
	tests := []struct {
		name          string
		lockerPerGoro bool // separate Lockers contend on the file lock itself
	}{
		{"one locker", false},
		{"locker per goroutine", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			shared := m.newLocker(t, dir)
			var tr maxTracker
			var total atomic.Int32
			var wg sync.WaitGroup
			const goroutines, iters = 8, 40
			for range goroutines {
				l := shared
				if tt.lockerPerGoro {
					l = m.newLocker(t, dir)
				}
				wg.Go(func() {
					for range iters {
						h, err := l.Lock(context.Background(), "ctr")
						if !assert.NoError(t, err) {
							return
						}
						tr.enter()
						total.Add(1)
						runtime.Gosched()
						tr.exit()
						assert.NoError(t, h.Unlock())
					}
				})
			}
			wg.Wait()
			assert.Equal(t, int32(1), tr.max.Load(), "exclusive holders overlapped")
			assert.Equal(t, int32(goroutines*iters), total.Load())
			assert.Zero(t, keyCount(shared))
		})
	}
}

func TestSharedHoldersOverlap(t *testing.T) { forModes(t, testSharedHoldersOverlap) }

func testSharedHoldersOverlap(t *testing.T, m lockMode) {
	t.Parallel()
	tests := []struct {
		name          string
		lockerPerGoro bool
	}{
		{"one locker", false},
		{"locker per goroutine", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			shared := m.newLocker(t, dir)
			const n = 6
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			// Every reader waits until all readers hold the key: this only
			// finishes if shared holders really overlap.
			var all sync.WaitGroup
			all.Add(n)
			var wg sync.WaitGroup
			for range n {
				l := shared
				if tt.lockerPerGoro {
					l = m.newLocker(t, dir)
				}
				wg.Go(func() {
					h, err := l.RLock(ctx, "net")
					all.Done()
					if !assert.NoError(t, err) {
						return
					}
					assert.True(t, h.Shared())
					assert.Equal(t, "net", h.Key())
					all.Wait()
					assert.NoError(t, h.Unlock())
				})
			}
			wg.Wait()
			// Afterwards the key is free for an exclusive holder.
			h, err := shared.Lock(ctx, "net")
			require.NoError(t, err)
			require.NoError(t, h.Unlock())
			assert.Zero(t, keyCount(shared))
		})
	}
}

func TestExclusiveWaitsForAllShared(t *testing.T) { forModes(t, testExclusiveWaitsForAllShared) }

func testExclusiveWaitsForAllShared(t *testing.T, m lockMode) {
	t.Parallel()
	dir := t.TempDir()
	a, b := m.newLocker(t, dir), m.newLocker(t, dir)
	ctx := context.Background()

	// Readers in two Lockers (two file locks) and two in one.
	r1, err := a.RLock(ctx, "net")
	require.NoError(t, err)
	r2, err := a.RLock(ctx, "net")
	require.NoError(t, err)
	r3, err := b.RLock(ctx, "net")
	require.NoError(t, err)

	for _, l := range []*Locker{a, b} {
		short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
		_, err := l.Lock(short, "net")
		cancel()
		require.ErrorIs(t, err, context.DeadlineExceeded, "exclusive must wait for shared holders")
	}

	got := make(chan *Held, 1)
	go func() {
		h, err := a.Lock(ctx, "net")
		assert.NoError(t, err)
		got <- h
	}()
	for _, r := range []*Held{r1, r3} {
		require.NoError(t, r.Unlock())
		select {
		case <-got:
			t.Fatal("exclusive acquired while a shared holder remained")
		case <-time.After(20 * time.Millisecond):
		}
	}
	require.NoError(t, r2.Unlock())
	var w *Held
	select {
	case w = <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("exclusive not acquired after all shared holders left")
	}
	// While held exclusively, shared requests wait (in this and the other Locker).
	for _, l := range []*Locker{a, b} {
		short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
		_, err := l.RLock(short, "net")
		cancel()
		require.ErrorIs(t, err, context.DeadlineExceeded)
	}
	require.NoError(t, w.Unlock())
	assert.Zero(t, keyCount(a))
	assert.Zero(t, keyCount(b))
}

func TestWriterPreferredInProcess(t *testing.T) { forModes(t, testWriterPreferredInProcess) }

func testWriterPreferredInProcess(t *testing.T, m lockMode) {
	t.Parallel()
	l := m.newLocker(t, "")
	ctx := context.Background()
	r, err := l.RLock(ctx, "net")
	require.NoError(t, err)

	got := make(chan *Held, 1)
	go func() {
		h, err := l.Lock(ctx, "net")
		assert.NoError(t, err)
		got <- h
	}()
	// Wait until the exclusive request is queued.
	require.Eventually(t, func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.keys[l.stateKey("net")].writersWaiting == 1
	}, 5*time.Second, time.Millisecond)

	short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	_, err = l.RLock(short, "net")
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded, "new shared requests wait behind a queued exclusive one")

	require.NoError(t, r.Unlock())
	w := <-got
	require.NoError(t, w.Unlock())
	assert.Zero(t, keyCount(l))
}

func TestMixedReadersWriters(t *testing.T) { forModes(t, testMixedReadersWriters) }

func testMixedReadersWriters(t *testing.T, m lockMode) {
	t.Parallel()
	dir := t.TempDir()
	lockers := []*Locker{m.newLocker(t, dir), m.newLocker(t, dir)}
	var mu sync.Mutex
	readers, writers := 0, 0
	maxReaders := 0
	var wg sync.WaitGroup
	for g := range 8 {
		l := lockers[g%2]
		wg.Go(func() {
			for i := range 30 {
				write := (g+i)%4 == 0
				var h *Held
				var err error
				if write {
					h, err = l.Lock(context.Background(), "k")
				} else {
					h, err = l.RLock(context.Background(), "k")
				}
				if !assert.NoError(t, err) {
					return
				}
				mu.Lock()
				if write {
					assert.Zero(t, readers, "writer with readers")
					assert.Zero(t, writers, "two writers")
					writers++
				} else {
					assert.Zero(t, writers, "reader with writer")
					readers++
					maxReaders = max(maxReaders, readers)
				}
				mu.Unlock()
				runtime.Gosched()
				mu.Lock()
				if write {
					writers--
				} else {
					readers--
				}
				mu.Unlock()
				assert.NoError(t, h.Unlock())
			}
		})
	}
	wg.Wait()
	t.Logf("max concurrent readers: %d", maxReaders)
	for _, l := range lockers {
		assert.Zero(t, keyCount(l))
	}
}

func TestDifferentKeysIndependent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, b := newFileLocker(t, dir), newFileLocker(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	h1, err := a.Lock(ctx, "c1")
	require.NoError(t, err)
	h2, err := a.Lock(ctx, "c2")
	require.NoError(t, err)
	h3, err := b.Lock(ctx, "c3")
	require.NoError(t, err)
	h4, err := b.RLock(ctx, "n1")
	require.NoError(t, err)
	h5, err := a.Lock(ctx, "n2")
	require.NoError(t, err)
	for _, h := range []*Held{h5, h4, h3, h2, h1} {
		require.NoError(t, h.Unlock())
	}
	assert.ElementsMatch(t, []string{"c1.lock", "c2.lock", "c3.lock", "n1.lock", "n2.lock"}, dirEntries(t, dir))
}

func TestUnlockAndRemove(t *testing.T) {
	t.Parallel()
	l := newFileLocker(t, "")
	ctx := context.Background()
	path, err := l.Path("c")
	require.NoError(t, err)

	h, err := l.Lock(ctx, "c")
	require.NoError(t, err)
	assert.FileExists(t, path)
	require.NoError(t, h.Unlock())
	assert.FileExists(t, path, "Unlock keeps the file")
	assert.ErrorIs(t, h.Unlock(), ErrNotHeld)
	assert.ErrorIs(t, h.UnlockAndRemove(), ErrNotHeld)
	assert.FileExists(t, path, "a second release does nothing")

	h, err = l.Lock(ctx, "c")
	require.NoError(t, err)
	require.NoError(t, h.UnlockAndRemove())
	assert.NoFileExists(t, path)
	assert.ErrorIs(t, h.UnlockAndRemove(), ErrNotHeld)

	r, err := l.RLock(ctx, "c")
	require.NoError(t, err)
	require.NoError(t, r.UnlockAndRemove())
	assert.FileExists(t, path, "shared holders never remove")

	// The file vanishing behind a holder's back is not an error on release.
	h, err = l.Lock(ctx, "c")
	require.NoError(t, err)
	require.NoError(t, os.Remove(path))
	require.NoError(t, h.UnlockAndRemove())

	var nilHeld *Held
	assert.ErrorIs(t, nilHeld.Unlock(), ErrNotHeld)
	assert.Zero(t, keyCount(l))
}

// TestUnlinkWhileWaiting covers the classic race: B opened the lock file and
// waits for it while A (holding it) unlinks it. B must not end up holding a
// lock on the unlinked file while C locks a new file at the same path.
func TestUnlinkWhileWaiting(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("windows keeps files that are open elsewhere; no unlink-while-held")
	}
	t.Parallel()
	dir := t.TempDir()
	a, b, c := newFileLocker(t, dir), newFileLocker(t, dir), newFileLocker(t, dir)
	ctx := context.Background()

	ha, err := a.Lock(ctx, "k")
	require.NoError(t, err)
	got := make(chan *Held, 1)
	go func() {
		h, err := b.Lock(ctx, "k")
		assert.NoError(t, err)
		got <- h
	}()
	// Let B open the file and start retrying on it.
	time.Sleep(30 * time.Millisecond)
	require.NoError(t, ha.UnlockAndRemove())
	hb := <-got

	path, err := b.Path("k")
	require.NoError(t, err)
	fb, err := hb.file.Stat()
	require.NoError(t, err)
	fp, err := os.Stat(path)
	require.NoError(t, err, "B must hold the file at the path, re-created after the unlink")
	assert.True(t, os.SameFile(fb, fp))

	short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	_, err = c.Lock(short, "k")
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded, "C must not get the key while B holds it")

	require.NoError(t, hb.UnlockAndRemove())
	assert.Empty(t, dirEntries(t, dir))
}

func TestRemoveUnderConcurrency(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var tr maxTracker
	var wg sync.WaitGroup
	for g := range 8 {
		l := newFileLocker(t, dir)
		wg.Go(func() {
			for i := range 40 {
				h, err := l.Lock(context.Background(), "victim")
				if !assert.NoError(t, err) {
					return
				}
				tr.enter()
				runtime.Gosched()
				tr.exit()
				if (g+i)%3 == 0 {
					assert.NoError(t, h.Unlock())
				} else {
					assert.NoError(t, h.UnlockAndRemove())
				}
			}
			// Always end with a removal so the directory ends up empty.
			h, err := l.Lock(context.Background(), "victim")
			if assert.NoError(t, err) {
				assert.NoError(t, h.UnlockAndRemove())
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int32(1), tr.max.Load(), "exclusive holders overlapped")
	assert.Empty(t, dirEntries(t, dir))
}

func TestAlreadyCancelled(t *testing.T) { forModes(t, testAlreadyCancelled) }

func testAlreadyCancelled(t *testing.T, m lockMode) {
	t.Parallel()
	l := m.newLocker(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := l.Lock(ctx, "k")
	assert.ErrorIs(t, err, context.Canceled)
	_, err = l.RLock(ctx, "k")
	assert.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, keyCount(l))
	assert.Empty(t, lockFiles(t, l.Dir()))
}

// countFDs returns the number of open descriptors of this process, or -1
// where that cannot be counted.
func countFDs(t *testing.T) int {
	t.Helper()
	if runtime.GOOS != "linux" {
		return -1
	}
	// The runtime opens its poller descriptors (epoll, eventfd) lazily on
	// the first timer; make sure that happened before counting.
	time.Sleep(time.Microsecond)
	ents, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	return len(ents)
}

// settledGoroutines waits until the goroutine count drops to at most want
// and returns the last count seen.
func settledGoroutines(want int) int {
	n := runtime.NumGoroutine()
	for i := 0; i < 200 && n > want; i++ {
		time.Sleep(5 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	return n
}

// TestCancelWhileWaiting is deliberately not parallel: it compares goroutine
// and descriptor counts before and after.
func TestCancelWhileWaiting(t *testing.T) { forModes(t, testCancelWhileWaiting) }

func testCancelWhileWaiting(t *testing.T, m lockMode) {
	tests := []struct {
		name        string
		holderMode  string // "lock" or "rlock"
		waiterMode  string
		sameLocker  bool // true: wait in-process; false: wait on the file lock
		useDeadline bool
	}{
		{"in-process exclusive behind exclusive", "lock", "lock", true, false},
		{"in-process shared behind exclusive", "lock", "rlock", true, false},
		{"in-process exclusive behind shared", "rlock", "lock", true, false},
		{"file exclusive behind exclusive", "lock", "lock", false, false},
		{"file shared behind exclusive", "lock", "rlock", false, false},
		{"file exclusive behind shared", "rlock", "lock", false, false},
		{"file exclusive deadline", "lock", "lock", false, true},
		{"in-process shared deadline", "lock", "rlock", true, true},
	}
	take := func(ctx context.Context, l *Locker, mode string) (*Held, error) {
		if mode == "rlock" {
			return l.RLock(ctx, "k")
		}
		return l.Lock(ctx, "k")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			holderL := m.newLocker(t, dir)
			waiterL := holderL
			if !tt.sameLocker {
				waiterL = m.newLocker(t, dir)
			}
			baseG := runtime.NumGoroutine()
			baseFD := countFDs(t)

			holder, err := take(context.Background(), holderL, tt.holderMode)
			require.NoError(t, err)

			var ctx context.Context
			var cancel context.CancelFunc
			if tt.useDeadline {
				ctx, cancel = context.WithTimeout(context.Background(), 30*time.Millisecond)
			} else {
				ctx, cancel = context.WithCancel(context.Background())
				time.AfterFunc(30*time.Millisecond, cancel)
			}
			start := time.Now()
			h, err := take(ctx, waiterL, tt.waiterMode)
			elapsed := time.Since(start)
			cancel()
			require.Nil(t, h)
			require.Error(t, err)
			if tt.useDeadline {
				assert.ErrorIs(t, err, context.DeadlineExceeded)
			} else {
				assert.ErrorIs(t, err, context.Canceled)
			}
			assert.Contains(t, err.Error(), `"k"`)
			assert.Less(t, elapsed, 2*time.Second, "wait must end soon after cancel")

			require.NoError(t, holder.Unlock())
			actx, acancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer acancel()
			h, err = waiterL.Lock(actx, "k")
			require.NoError(t, err, "key must be free after the cancelled wait")
			require.NoError(t, h.Unlock())

			assert.Zero(t, keyCount(holderL))
			assert.Zero(t, keyCount(waiterL))
			assert.LessOrEqual(t, settledGoroutines(baseG), baseG, "goroutine leak")
			if baseFD >= 0 {
				assert.Equal(t, baseFD, countFDs(t), "descriptor leak")
			}
		})
	}
}

// TestNoLeaksAfterChurn checks descriptors and goroutines after many
// contended acquisitions in all modes. Not parallel (counts are global).
func TestNoLeaksAfterChurn(t *testing.T) { forModes(t, testNoLeaksAfterChurn) }

func testNoLeaksAfterChurn(t *testing.T, m lockMode) {
	dir := t.TempDir()
	lockers := []*Locker{m.newLocker(t, dir), m.newLocker(t, dir)}
	baseG := runtime.NumGoroutine()
	baseFD := countFDs(t)
	var wg sync.WaitGroup
	for g := range 6 {
		l := lockers[g%2]
		wg.Go(func() {
			for i := range 30 {
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%3)*time.Millisecond+100*time.Microsecond)
				var h *Held
				var err error
				if i%2 == 0 {
					h, err = l.RLock(ctx, "k")
				} else {
					h, err = l.Lock(ctx, "k")
				}
				cancel()
				if err != nil {
					assert.ErrorIs(t, err, context.DeadlineExceeded)
					continue
				}
				runtime.Gosched()
				if i%5 == 0 {
					assert.NoError(t, h.UnlockAndRemove())
				} else {
					assert.NoError(t, h.Unlock())
				}
			}
		})
	}
	wg.Wait()
	for _, l := range lockers {
		assert.Zero(t, keyCount(l))
	}
	assert.LessOrEqual(t, settledGoroutines(baseG), baseG, "goroutine leak")
	if baseFD >= 0 {
		assert.Equal(t, baseFD, countFDs(t), "descriptor leak")
	}
	h, err := lockers[0].Lock(context.Background(), "k")
	require.NoError(t, err)
	require.NoError(t, h.UnlockAndRemove())
}

// TestRangesUseOneOpenFile checks the byte-range scheme's promise: holding
// many keys in both modes creates no file and opens no descriptor beyond
// the range file opened by New.
func TestRangesUseOneOpenFile(t *testing.T) {
	dir := t.TempDir()
	l := newTestLocker(t, dir)
	if !l.Ranges() {
		t.Skipf("no byte-range locks on %s: a file per key is used", runtime.GOOS)
	}
	baseFD := countFDs(t)
	ctx := context.Background()
	var held []*Held
	for i := range 50 {
		key := "ctr-" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + strings.Repeat("9", i/26)
		var h *Held
		var err error
		if i%2 == 0 {
			h, err = l.Lock(ctx, key)
		} else {
			h, err = l.RLock(ctx, key)
		}
		require.NoError(t, err)
		held = append(held, h)
	}
	if baseFD >= 0 {
		assert.Equal(t, baseFD, countFDs(t), "no descriptor per held key")
	}
	assert.Equal(t, []string{RangeFileName}, dirEntries(t, dir))
	for _, h := range held {
		require.NoError(t, h.UnlockAndRemove())
	}
	assert.Equal(t, []string{RangeFileName}, dirEntries(t, dir))
	path, err := l.Path("ctr-a")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, RangeFileName), path)
	assert.Zero(t, keyCount(l))

	// After Close the Locker refuses to lock rather than pretending.
	require.NoError(t, l.Close())
	_, err = l.Lock(ctx, "after-close")
	assert.Error(t, err)
	assert.Zero(t, keyCount(l))
}

// TestSlotsSpreadKeys checks that distinct keys get distinct slots (the
// hash is not degenerate) and that a slot is a valid one-byte range.
func TestSlotsSpreadKeys(t *testing.T) {
	t.Parallel()
	seen := map[int64]string{}
	for i := range 10000 {
		key := "container-" + strconv.Itoa(i)
		s := slotOf(key)
		require.GreaterOrEqual(t, s, int64(0))
		require.Less(t, s, int64(1)<<62)
		if other, dup := seen[s]; dup {
			t.Fatalf("keys %q and %q share slot %d", other, key, s)
		}
		seen[s] = key
	}
	assert.Equal(t, slotOf("net1"), slotOf("net1"))
}

// TestRangesCloseStopsDescriptorUse checks that after Close no lock call
// reaches the closed descriptor, whose number the process may already have
// given to another file: every later call fails with os.ErrClosed.
func TestRangesCloseStopsDescriptorUse(t *testing.T) {
	dir := t.TempDir()
	l, err := New(dir, fastBackoff)
	require.NoError(t, err)
	if !l.Ranges() {
		t.Skipf("no byte-range locks on %s; the range file is not used", runtime.GOOS)
	}
	ctx := context.Background()
	exclusive, err := l.Lock(ctx, "ctr-1")
	require.NoError(t, err)
	shared, err := l.RLock(ctx, "net-1")
	require.NoError(t, err)

	require.NoError(t, l.Close())
	// Likely to get the range file's old descriptor number.
	other, err := os.Create(filepath.Join(t.TempDir(), "other"))
	require.NoError(t, err)
	defer other.Close()

	tests := []struct {
		name string
		call func() error
	}{
		{"Unlock of an exclusive hold", exclusive.Unlock},
		{"Unlock of a shared hold", shared.Unlock},
		{"Lock", func() error { _, err := l.Lock(ctx, "ctr-2"); return err }},
		{"RLock", func() error { _, err := l.RLock(ctx, "net-2"); return err }},
		{"second Close", l.Close},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			require.Error(t, err)
			assert.ErrorIs(t, err, os.ErrClosed)
		})
	}
	assert.Zero(t, keyCount(l), "failed calls leave no in-process state")
}
