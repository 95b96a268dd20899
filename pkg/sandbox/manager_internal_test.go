package sandbox

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCloseWaitsForTheWatch: every one of several concurrent Close calls
// returns only once the watch's goroutine has stopped.
func TestCloseWaitsForTheWatch(t *testing.T) {
	t.Parallel()
	for i := 0; i < 20; i++ {
		m, err := New(WithConfDir(t.TempDir()), WithCacheDir(t.TempDir()), WithWatch(time.Hour))
		require.NoError(t, err)
		var wg sync.WaitGroup
		for c := 0; c < 3; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				assert.NoError(t, m.Close())
				select {
				case <-m.watchStopped:
				default:
					assert.Fail(t, "Close returned before the watch stopped")
				}
			}()
		}
		wg.Wait()
	}
}
