//go:build linux

package lock

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// waitsFor reports whether taking key exclusively through l has to wait:
// the attempt is cut short after d.
func waitsFor(t *testing.T, l *Locker, key string, d time.Duration) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	h, err := l.Lock(ctx, key)
	if err != nil {
		require.ErrorIs(t, err, context.DeadlineExceeded)
		return true
	}
	require.NoError(t, h.Unlock())
	return false
}

// A range file removed under a running Locker (the whole directory wiped)
// is noticed at the next acquisition: the Locker opens the file now at the
// path, so it excludes a Locker made after the removal again, also for
// the locks it held across the removal.
func TestRemovedRangeFileIsReopened(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// heldAcross is a key old holds while the directory is removed.
		heldAcross bool
	}{
		{name: "nothing held when removed"},
		{name: "a key held across the removal", heldAcross: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "locks")
			old := newTestLocker(t, dir)
			require.True(t, old.Ranges())
			var across *Held
			if tt.heldAcross {
				var err error
				across, err = old.Lock(ctx, "kept")
				require.NoError(t, err)
			}
			require.NoError(t, os.RemoveAll(dir))
			fresh := newTestLocker(t, dir) // "a new process": a new file

			h, err := fresh.Lock(ctx, "c1")
			require.NoError(t, err)
			assert.True(t, waitsFor(t, old, "c1", 50*time.Millisecond),
				"the old Locker must notice the new file and wait for the new Locker's lock")
			n, reopenErr := old.Reopens()
			assert.Equal(t, 1, n)
			assert.NoError(t, reopenErr)
			require.NoError(t, h.Unlock())
			assert.False(t, waitsFor(t, old, "c1", time.Second))

			if tt.heldAcross {
				assert.True(t, waitsFor(t, fresh, "kept", 50*time.Millisecond),
					"a lock held across the removal must be taken again on the new file")
				require.NoError(t, across.Unlock())
				assert.False(t, waitsFor(t, fresh, "kept", time.Second))
			}
			n, _ = old.Reopens()
			assert.Equal(t, 1, n, "the new file is not reopened again")
		})
	}
}

// When the file cannot be opened again (here the directory is replaced by
// a regular file), the Locker keeps its old descriptor: locking still
// works, excluding the goroutines of the process, and the failure is
// reported.
func TestRemovedRangeFileNotReopenable(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "locks")
	l := newTestLocker(t, dir)
	require.NoError(t, os.RemoveAll(dir))
	require.NoError(t, os.WriteFile(dir, nil, 0o600))

	h, err := l.Lock(ctx, "c1")
	require.NoError(t, err)
	assert.True(t, waitsFor(t, l, "c1", 20*time.Millisecond))
	require.NoError(t, h.Unlock())
	n, reopenErr := l.Reopens()
	assert.Equal(t, 1, n)
	var pe *os.PathError
	require.ErrorAs(t, reopenErr, &pe)
	assert.Equal(t, dir, pe.Path)
}

// WithoutStaleCheck leaves the check to Refresh.
func TestWithoutStaleCheckAndRefresh(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "locks")
	l, err := New(dir, fastBackoff, WithoutStaleCheck())
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })

	replaced, err := l.Refresh()
	require.NoError(t, err)
	assert.False(t, replaced, "nothing to refresh while the file is in place")

	held, err := l.RLock(ctx, "net")
	require.NoError(t, err)
	require.NoError(t, os.RemoveAll(dir))
	fresh := newTestLocker(t, dir)
	h, err := fresh.Lock(ctx, "c1")
	require.NoError(t, err)
	assert.False(t, waitsFor(t, l, "c1", 50*time.Millisecond), "without the check the removal goes unnoticed")

	replaced, err = l.Refresh()
	require.NoError(t, err)
	assert.True(t, replaced)
	assert.True(t, waitsFor(t, l, "c1", 50*time.Millisecond))
	assert.True(t, waitsFor(t, fresh, "net", 50*time.Millisecond), "the shared lock is held on the new file")
	require.NoError(t, h.Unlock())
	require.NoError(t, held.Unlock())
	assert.False(t, waitsFor(t, fresh, "net", time.Second))
}

// Reopening under load leaks no lock: goroutines keep taking and releasing
// keys, exclusive and shared, while the directory is removed several
// times; afterwards a Locker made last takes every key at once, so no
// lock taken again on a new file was left behind.
func TestRemovedRangeFileUnderLoad(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "locks")
	l := newTestLocker(t, dir)
	keys := []string{"a", "b", "c", "d"}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				key := keys[(i+n)%len(keys)]
				var h *Held
				var err error
				if n%3 == 0 {
					h, err = l.RLock(ctx, key)
				} else {
					h, err = l.Lock(ctx, key)
				}
				if !assert.NoError(t, err) {
					return
				}
				time.Sleep(50 * time.Microsecond)
				assert.NoError(t, h.Unlock())
			}
		})
	}
	for range 5 {
		time.Sleep(20 * time.Millisecond)
		require.NoError(t, os.RemoveAll(dir))
	}
	time.Sleep(20 * time.Millisecond)
	close(stop)
	wg.Wait()
	n, _ := l.Reopens()
	assert.Positive(t, n)

	last := newTestLocker(t, dir)
	for _, k := range keys {
		assert.False(t, waitsFor(t, last, k, 100*time.Millisecond), "key %q left locked", k)
	}
}

// WithStaleCheckInterval: acquisitions within the interval of the last
// check do not look at the range file; the first one after it does and
// reopens a removed file; so does a Locker's first acquisition. The clock
// is moved by ageing lastCheck, so the test does not depend on how fast
// the machine runs it.
func TestStaleCheckInterval(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "locks")
	l := newHourLocker(t, dir)

	require.NoError(t, os.RemoveAll(dir))
	fresh := newTestLocker(t, dir)
	h, err := fresh.Lock(ctx, "c1")
	require.NoError(t, err)
	assert.False(t, waitsFor(t, l, "c1", 50*time.Millisecond), "within the interval the removal is not looked for")
	n, _ := l.Reopens()
	assert.Zero(t, n)

	l.lastCheck.Add(-int64(time.Hour)) // the interval has passed
	assert.True(t, waitsFor(t, l, "c1", 50*time.Millisecond), "the first acquisition after the interval notices the removal")
	n, reopenErr := l.Reopens()
	require.NoError(t, reopenErr)
	assert.Equal(t, 1, n)

	require.NoError(t, h.Unlock())
	assert.False(t, waitsFor(t, l, "c1", time.Second))
}

// A Locker's first acquisition checks, whatever the interval.
func TestStaleCheckFirstAcquisition(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "locks")
	l, err := New(dir, fastBackoff, WithStaleCheckInterval(time.Hour))
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	require.NoError(t, os.RemoveAll(dir))
	fresh := newTestLocker(t, dir)
	h, err := fresh.Lock(context.Background(), "c1")
	require.NoError(t, err)
	assert.True(t, waitsFor(t, l, "c1", 50*time.Millisecond))
	n, _ := l.Reopens()
	assert.Equal(t, 1, n)
	require.NoError(t, h.Unlock())
}

// An acquisition that waits for another Locker decides whether to check
// when it gets the lock, not when it starts waiting: the interval passes,
// and the file is removed, while it waits.
func TestStaleCheckDecidedWhenTheLockIsTaken(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "locks")
	l := newHourLocker(t, dir)

	other := newTestLocker(t, dir) // the same file
	ho, err := other.Lock(ctx, "c1")
	require.NoError(t, err)
	got := make(chan error, 1)
	var hl *Held
	go func() {
		var err error
		hl, err = l.Lock(ctx, "c1")
		got <- err
	}()
	time.Sleep(50 * time.Millisecond) // waiting for other's lock by now

	require.NoError(t, os.RemoveAll(dir))
	fresh := newTestLocker(t, dir)
	hf, err := fresh.Lock(ctx, "c1")
	require.NoError(t, err)
	l.lastCheck.Add(-int64(time.Hour)) // the interval passes while it waits
	require.NoError(t, ho.Unlock())
	select {
	case err := <-got:
		t.Fatalf("took c1 on the removed file (err %v) while the new file's holder has it", err)
	case <-time.After(200 * time.Millisecond):
	}
	require.NoError(t, hf.Unlock())
	require.NoError(t, <-got)
	require.NoError(t, hl.Unlock())
	n, _ := l.Reopens()
	assert.Equal(t, 1, n)
}

// newHourLocker returns a Locker of dir that checks its range file at most
// once an hour, its first acquisition (which checks) done.
func newHourLocker(t *testing.T, dir string) *Locker {
	t.Helper()
	l, err := New(dir, fastBackoff, WithStaleCheckInterval(time.Hour))
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	assert.False(t, waitsFor(t, l, "x", time.Second), "the first acquisition, which checks")
	return l
}
