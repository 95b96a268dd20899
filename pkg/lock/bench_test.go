package lock

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
)

// The reference library (containernetworking/cni v1.3.1) has no lock
// manager, so these benchmarks have only a cnirt side.

// BenchmarkLockUnlock measures an uncontended exclusive Lock + Unlock (the
// lock file already exists after the first round).
func BenchmarkLockUnlock(b *testing.B) {
	b.Run("cnirt", func(b *testing.B) {
		l := newTestLocker(b, "")
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			h, err := l.Lock(ctx, "c")
			if err != nil {
				b.Fatal(err)
			}
			if err := h.Unlock(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRLockUnlock measures an uncontended shared RLock + Unlock.
func BenchmarkRLockUnlock(b *testing.B) {
	b.Run("cnirt", func(b *testing.B) {
		l := newTestLocker(b, "")
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			h, err := l.RLock(ctx, "n")
			if err != nil {
				b.Fatal(err)
			}
			if err := h.Unlock(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkLockUnlockAndRemove measures an uncontended Lock +
// UnlockAndRemove: every round creates and deletes the lock file.
func BenchmarkLockUnlockAndRemove(b *testing.B) {
	b.Run("cnirt", func(b *testing.B) {
		l := newTestLocker(b, "")
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			h, err := l.Lock(ctx, "c")
			if err != nil {
				b.Fatal(err)
			}
			if err := h.UnlockAndRemove(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkLockParallelKeys measures Lock + Unlock from parallel goroutines
// on distinct keys (no contention on the key, only on the Locker).
func BenchmarkLockParallelKeys(b *testing.B) {
	b.Run("cnirt", func(b *testing.B) {
		l := newTestLocker(b, "")
		ctx := context.Background()
		var next atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			key := "k" + strconv.FormatInt(next.Add(1), 10)
			for pb.Next() {
				h, err := l.Lock(ctx, key)
				if err != nil {
					b.Error(err)
					return
				}
				if err := h.Unlock(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
