package lock

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A process-local Locker serialises its goroutines without touching the
// file system.
func TestProcessLocal(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "absent", "locks")
	l := NewProcessLocal(dir)
	assert.True(t, l.ProcessLocal())
	assert.False(t, l.Ranges())
	_, err := l.Path("k")
	assert.ErrorIs(t, err, errors.ErrUnsupported)

	var (
		wg      sync.WaitGroup
		tracker maxTracker
	)
	for range 8 {
		wg.Go(func() {
			for range 20 {
				h, err := l.Lock(ctx, "k")
				if !assert.NoError(t, err) {
					return
				}
				tracker.enter()
				time.Sleep(10 * time.Microsecond)
				tracker.exit()
				assert.NoError(t, h.UnlockAndRemove())
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int32(1), tracker.max.Load())

	r1, err := l.RLock(ctx, "n")
	require.NoError(t, err)
	r2, err := l.RLock(ctx, "n")
	require.NoError(t, err)
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	_, err = l.Lock(short, "n")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.NoError(t, r1.Unlock())
	require.NoError(t, r2.Unlock())
	h, err := l.Lock(ctx, "n")
	require.NoError(t, err)
	require.NoError(t, h.Unlock())
	require.NoError(t, l.Close())

	_, err = os.Stat(dir)
	assert.ErrorIs(t, err, os.ErrNotExist, "a process-local Locker creates nothing")
}
