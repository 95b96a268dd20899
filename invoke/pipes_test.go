package invoke

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gatedWriter blocks its first Write until gate is closed, like a copying
// goroutine that the scheduler does not run for a while.
type gatedWriter struct {
	gate <-chan struct{}
	once sync.Once
	buf  bytes.Buffer
}

func (g *gatedWriter) Write(p []byte) (int, error) {
	g.once.Do(func() { <-g.gate })
	return g.buf.Write(p)
}

// TestPipeCollectorKeepsWhatThePluginWrote checks that output already in
// the pipe when the grace period ends is collected, whether the copy lagged
// behind (the plugin exited long ago) or a descendant still holds the
// write end open. exec.Cmd's WaitDelay lost such output.
func TestPipeCollectorKeepsWhatThePluginWrote(t *testing.T) {
	payload := bytes.Repeat([]byte("0123456789abcdef"), 3000) // 48000 bytes: fits a pipe buffer
	for _, tc := range []struct {
		name           string
		keepWriterOpen bool
		lag            bool
	}{
		{name: "copy lags behind an exited plugin", lag: true},
		{name: "descendant holds the write end", keepWriterOpen: true},
		{name: "both", lag: true, keepWriterOpen: true},
		{name: "neither"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gate := make(chan struct{})
			if !tc.lag {
				close(gate)
			}
			w := &gatedWriter{gate: gate}
			p, pw, err := newPipe(w)
			require.NoError(t, err)
			_, err = pw.Write(payload)
			require.NoError(t, err)
			if tc.keepWriterOpen {
				defer pw.Close()
			} else {
				require.NoError(t, pw.Close())
			}
			p.start()
			if tc.lag {
				// Release the copy only after the grace period has ended.
				time.AfterFunc(60*time.Millisecond, func() { close(gate) })
			}
			began := time.Now()
			p.finish(20 * time.Millisecond)
			assert.Less(t, time.Since(began), 5*time.Second, "finish must not wait for the descendant")
			assert.Equal(t, len(payload), w.buf.Len())
			assert.True(t, bytes.Equal(payload, w.buf.Bytes()), "collected bytes differ from what was written")
		})
	}
}
