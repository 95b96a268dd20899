//go:build unix

package libcni_test

import (
	"context"
	"encoding/json"
	"os"
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
	dir, list, started := slowAddChain(t, "60s")
	var log eventLog
	c := libcni.NewCNIConfigWithOptions([]string{dir}, nil, libcni.WithCacheDir(t.TempDir()), libcni.WithEventHook(log.hook))
	// Cancelled once the third plugin is under way, however slow the
	// machine: no deadline to race.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			if _, err := os.Stat(started); err == nil {
				cancel()
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	_, err := c.AddNetworkList(ctx, list, eventRT())
	require.ErrorIs(t, err, context.Canceled)
	evs := log.all()
	last := evs[len(evs)-1]
	require.Equal(t, step{libcni.EventPluginRun, "ADD", "dbg2#2"}, stepOf(last))
	assert.Equal(t, "killed", last.Signal)
	assert.Equal(t, -1, last.ExitCode)
	assert.Equal(t, 0, last.StdoutBytes, "it printed nothing before it was killed")
	assert.Positive(t, last.StdinBytes)
	assert.Less(t, last.Duration, 60*time.Second, "killed, not waited for")
	assert.Equal(t, err, last.Err)
}

// slowAddChain is eventChain whose last plugin (dbg2) creates the
// returned file when it starts and then sleeps for addSleep (a Go
// duration) on ADD, so that a test can act while an ADD is under way.
func slowAddChain(t *testing.T, addSleep string) (dir string, list *libcni.NetworkConfigList, started string) {
	t.Helper()
	started = filepath.Join(t.TempDir(), "dbg2.started")
	sf, err := json.Marshal(started)
	require.NoError(t, err)
	dir, list = eventChain(t, filepath.Join(t.TempDir(), "debug.log"), `,"sleep":{"ADD":"`+addSleep+`"},"startFile":`+string(sf))
	return dir, list, started
}
