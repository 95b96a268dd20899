//go:build unix

package libcni_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
)

// TestEventsPluginKilledBySignal: a plugin killed when the context ends is
// reported with its signal and no exit code.
func TestEventsPluginKilledBySignal(t *testing.T) {
	t.Parallel()
	dir, list := eventChain(t, filepath.Join(t.TempDir(), "debug.log"), `,"sleep":{"ADD":"20s"}`)
	var log eventLog
	c := libcni.NewCNIConfigWithOptions([]string{dir}, nil, libcni.WithCacheDir(t.TempDir()), libcni.WithEventHook(log.hook))
	// Long enough for the two plugins before the sleeping one to finish
	// on a loaded machine (300 ms was not, under the full -race suite).
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, err := c.AddNetworkList(ctx, list, eventRT())
	require.ErrorIs(t, err, context.DeadlineExceeded)
	evs := log.all()
	last := evs[len(evs)-1]
	require.Equal(t, step{libcni.EventPluginRun, "ADD", "dbg2#2"}, stepOf(last))
	assert.Equal(t, "killed", last.Signal)
	assert.Equal(t, -1, last.ExitCode)
	assert.Equal(t, 0, last.StdoutBytes, "it printed nothing before it was killed")
	assert.Positive(t, last.StdinBytes)
	assert.Less(t, last.Duration, 10*time.Second)
	assert.Equal(t, err, last.Err)
}
