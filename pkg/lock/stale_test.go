package lock

import (
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Only one acquisition per interval checks, however many run at once.
func TestStaleCheckDueOncePerInterval(t *testing.T) {
	tests := []struct {
		name     string
		opts     []Option
		wantDue  int
		attempts int
	}{
		{name: "default: every acquisition", attempts: 50, wantDue: 50},
		{name: "interval: one per interval", opts: []Option{WithStaleCheckInterval(time.Hour)}, attempts: 50, wantDue: 1},
		{name: "without the check: none", opts: []Option{WithStaleCheckInterval(time.Hour), WithoutStaleCheck()}, attempts: 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := New(filepath.Join(t.TempDir(), "locks"), tt.opts...)
			require.NoError(t, err)
			t.Cleanup(func() { _ = l.Close() })
			l.lastCheck.Add(-int64(time.Hour)) // due once, if an interval is set
			var due atomic.Int64
			var wg sync.WaitGroup
			for range tt.attempts {
				wg.Go(func() {
					if l.staleCheckDue() {
						due.Add(1)
					}
				})
			}
			wg.Wait()
			assert.Equal(t, int64(tt.wantDue), due.Load())
		})
	}
}
