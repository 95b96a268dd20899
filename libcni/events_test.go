package libcni_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/pkg/plugintest"
	"github.com/cnirt/cni/types"
)

// eventLog is an EventHook that keeps every event.
type eventLog struct {
	mu     sync.Mutex
	events []libcni.Event
}

func (l *eventLog) hook(_ context.Context, ev libcni.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, ev)
}

func (l *eventLog) all() []libcni.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]libcni.Event(nil), l.events...)
}

// step is the identity of an event in a sequence.
type step struct {
	Kind    libcni.EventKind
	Command string
	Detail  string // plugin type and index, lock kind, or "" for cache events
}

func stepOf(ev libcni.Event) step {
	s := step{Kind: ev.Kind, Command: ev.Command}
	switch ev.Kind {
	case libcni.EventPluginRun:
		s.Detail = fmt.Sprintf("%s#%d", ev.PluginType, ev.PluginIndex)
	case libcni.EventLockWait:
		s.Detail = ev.Lock.String()
	}
	return s
}

func steps(evs []libcni.Event) []step {
	out := make([]step, len(evs))
	for i, ev := range evs {
		out[i] = stepOf(ev)
	}
	return out
}

// eventChain builds the debug plugin under three type names (dbg0, dbg1,
// dbg2) and returns the plugin directory and a 1.1.0 network of the three
// that records to debugFile; extra is spliced into the last plugin object.
func eventChain(t *testing.T, debugFile, extra string) (string, *libcni.NetworkConfigList) {
	t.Helper()
	bin := plugintest.Build(t, plugintest.DebugPlugin)
	data, err := os.ReadFile(plugintest.Exe(bin, "debug"))
	require.NoError(t, err)
	dir := t.TempDir()
	for i := range 3 {
		require.NoError(t, os.WriteFile(plugintest.Exe(dir, fmt.Sprintf("dbg%d", i)), data, 0o755))
	}
	df, err := json.Marshal(debugFile)
	require.NoError(t, err)
	conf := fmt.Sprintf(`{"cniVersion":"1.1.0","name":"evnet","plugins":[
		{"type":"dbg0","debugFile":%s,"result":{"ips":[{"address":"198.18.9.2/24"}]}},
		{"type":"dbg1","debugFile":%s},
		{"type":"dbg2","debugFile":%s%s}]}`, df, df, df, extra)
	return dir, mustList(t, conf)
}

func eventRT() *libcni.RuntimeConf {
	return &libcni.RuntimeConf{ContainerID: "ctr-ev", NetNS: "/var/run/netns/ev", IfName: "eth1"}
}

// checkRunAgainstRecord compares a plugin-run event with what the debug
// plugin recorded of the same run.
func checkRunAgainstRecord(t *testing.T, ev libcni.Event, rec plugintest.DebugRecord) {
	t.Helper()
	assert.Equal(t, ev.Command, rec.Command)
	assert.Equal(t, len(rec.Stdin), ev.StdinBytes, "stdin bytes")
	assert.Equal(t, len(rec.Stdout), ev.StdoutBytes, "stdout bytes")
	assert.Equal(t, rec.ExitCode, ev.ExitCode, "exit code")
	assert.Empty(t, ev.Signal)
	assert.False(t, rec.Start.Before(ev.Start), "the plugin started after the event's start")
	assert.False(t, rec.End.After(ev.Start.Add(ev.Duration)), "the plugin ended before the event's end")
}

func TestEventsAddThreePluginsAndDelInReverse(t *testing.T) {
	t.Parallel()
	debugFile := filepath.Join(t.TempDir(), "debug.log")
	dir, list := eventChain(t, debugFile, "")
	var log eventLog
	cacheDir := t.TempDir()
	c := libcni.NewCNIConfigWithOptions([]string{dir}, nil, libcni.WithCacheDir(cacheDir), libcni.WithEventHook(log.hook))
	ctx := libcni.ContextWithSandboxID(context.Background(), "sb-1")
	ctx = libcni.ContextWithEventAttrs(ctx, slog.String("pod", "default/web"))

	before := time.Now()
	_, err := c.AddNetworkList(ctx, list, eventRT())
	require.NoError(t, err)
	after := time.Now()

	evs := log.all()
	require.Equal(t, []step{
		{libcni.EventLockWait, "ADD", "network"},
		{libcni.EventLockWait, "ADD", "container"},
		{libcni.EventPluginRun, "ADD", "dbg0#0"},
		{libcni.EventPluginRun, "ADD", "dbg1#1"},
		{libcni.EventPluginRun, "ADD", "dbg2#2"},
		{libcni.EventCacheWrite, "ADD", ""},
	}, steps(evs))
	recs := plugintest.ReadDebugLog(t, debugFile)
	require.Len(t, recs, 3)
	var last time.Time
	for i, ev := range evs {
		assert.Equal(t, "evnet", ev.Network, "event %d", i)
		assert.Equal(t, "ctr-ev", ev.ContainerID, "event %d", i)
		assert.Equal(t, "sb-1", ev.SandboxID, "event %d", i)
		assert.Equal(t, []slog.Attr{slog.String("pod", "default/web")}, ev.Attrs, "event %d", i)
		assert.NoError(t, ev.Err, "event %d", i)
		assert.False(t, ev.Start.Before(before) || ev.Start.Add(ev.Duration).After(after), "event %d within the call", i)
		assert.False(t, ev.Start.Before(last), "event %d starts after the previous one", i)
		last = ev.Start.Add(ev.Duration)
		if ev.Kind != libcni.EventLockWait {
			assert.Equal(t, "eth1", ev.IfName, "event %d", i)
		}
	}
	for i, ev := range evs[2:5] {
		assert.Equal(t, plugintest.Exe(dir, fmt.Sprintf("dbg%d", i)), ev.PluginPath)
		checkRunAgainstRecord(t, ev, recs[i])
	}
	assert.Equal(t, filepath.Join(cacheDir, "results", "evnet-ctr-ev-eth1"), evs[5].CacheFile)
	assert.FileExists(t, evs[5].CacheFile)

	require.NoError(t, c.DelNetworkList(ctx, list, eventRT()))
	del := log.all()[len(evs):]
	require.Equal(t, []step{
		{libcni.EventLockWait, "DEL", "network"},
		{libcni.EventLockWait, "DEL", "container"},
		{libcni.EventCacheRead, "DEL", ""},
		{libcni.EventPluginRun, "DEL", "dbg2#2"},
		{libcni.EventPluginRun, "DEL", "dbg1#1"},
		{libcni.EventPluginRun, "DEL", "dbg0#0"},
		{libcni.EventCacheRemove, "DEL", ""},
	}, steps(del))
	recs = plugintest.ReadDebugLog(t, debugFile)
	require.Len(t, recs, 6)
	for i, ev := range del[3:6] {
		checkRunAgainstRecord(t, ev, recs[3+i])
	}
	assert.Equal(t, evs[5].CacheFile, del[2].CacheFile)
	assert.Equal(t, evs[5].CacheFile, del[6].CacheFile)
	assert.NoFileExists(t, del[6].CacheFile)
}

func TestEventsFailingPluginCarriesItsError(t *testing.T) {
	t.Parallel()
	debugFile := filepath.Join(t.TempDir(), "debug.log")
	dir, list := eventChain(t, debugFile,
		`,"failOn":{"ADD":{"code":11,"msg":"no addresses left","details":"pool 198.18.9.0/24 is full"}}`)
	var log eventLog
	c := libcni.NewCNIConfigWithOptions([]string{dir}, nil, libcni.WithCacheDir(t.TempDir()), libcni.WithEventHook(log.hook))

	_, addErr := c.AddNetworkList(context.Background(), list, eventRT())
	require.Error(t, addErr)
	evs := log.all()
	require.Equal(t, []step{
		{libcni.EventLockWait, "ADD", "network"},
		{libcni.EventLockWait, "ADD", "container"},
		{libcni.EventPluginRun, "ADD", "dbg0#0"},
		{libcni.EventPluginRun, "ADD", "dbg1#1"},
		{libcni.EventPluginRun, "ADD", "dbg2#2"},
	}, steps(evs), "no cache write after a failure")
	failed := evs[4]
	assert.Equal(t, addErr, failed.Err, "the event carries the error ADD returned")
	var te *types.Error
	require.ErrorAs(t, failed.Err, &te)
	assert.Equal(t, uint(11), te.Code)
	assert.Equal(t, "no addresses left", te.Msg)
	assert.Equal(t, "pool 198.18.9.0/24 is full", te.Details)
	var pe *libcni.PluginError
	require.ErrorAs(t, failed.Err, &pe)
	assert.Equal(t, 2, pe.Index)
	recs := plugintest.ReadDebugLog(t, debugFile)
	require.Len(t, recs, 3)
	assert.Equal(t, 1, recs[2].ExitCode)
	checkRunAgainstRecord(t, failed, recs[2])
	assert.Positive(t, failed.StdoutBytes, "the error object's bytes")
}

func TestEventsLockWaitWhileAnotherGoroutineHoldsTheContainer(t *testing.T) {
	t.Parallel()
	var log eventLog
	c, fe, _ := newTestConfig(t, libcni.WithEventHook(log.hook))
	entered := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	fe.hook = func(_ context.Context, call fakeCall) {
		if call.Command == "ADD" {
			once.Do(func() {
				close(entered)
				<-release
			})
		}
	}
	listA := mustList(t, listConf("1.0.0", "pa"))
	listB := mustList(t, `{"cniVersion":"1.0.0","name":"othernet","plugins":[{"type":"pb"}]}`)

	addDone := make(chan error, 1)
	go func() {
		_, err := c.AddNetworkList(context.Background(), listA, testRT())
		addDone <- err
	}()
	<-entered
	delDone := make(chan error, 1)
	ctx := libcni.ContextWithSandboxID(context.Background(), "waiter")
	go func() { delDone <- c.DelNetworkList(ctx, listB, testRT()) }()
	// Once the DEL has its network lock it goes for the container, which
	// the ADD holds until release.
	require.Eventually(t, func() bool {
		for _, ev := range log.all() {
			if ev.Kind == libcni.EventLockWait && ev.Lock == libcni.LockNetwork && ev.SandboxID == "waiter" {
				return true
			}
		}
		return false
	}, 10*time.Second, time.Millisecond)
	time.Sleep(20 * time.Millisecond) // most likely waiting by now; not required
	released := time.Now()
	close(release)
	require.NoError(t, <-addDone)
	require.NoError(t, <-delDone)

	var wait *libcni.Event
	for _, ev := range log.all() {
		if ev.Kind == libcni.EventLockWait && ev.Lock == libcni.LockContainer && ev.SandboxID == "waiter" {
			wait = &ev
		}
	}
	require.NotNil(t, wait, "the DEL's container lock wait was reported")
	assert.Equal(t, "DEL", wait.Command)
	assert.Equal(t, "othernet", wait.Network)
	assert.Equal(t, "ctr1", wait.ContainerID)
	assert.NoError(t, wait.Err)
	assert.False(t, wait.Start.Add(wait.Duration).Before(released), "the wait ended only after the ADD let go")
}

func TestEventsLockWaitTimesOut(t *testing.T) {
	t.Parallel()
	var log eventLog
	// The CHECK's context is cut short 30 ms after it has its network
	// lock, while it waits for the container.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hook := func(hctx context.Context, ev libcni.Event) {
		log.hook(hctx, ev)
		if ev.Command == "CHECK" && ev.Lock == libcni.LockNetwork {
			time.AfterFunc(30*time.Millisecond, cancel)
		}
	}
	c, fe, _ := newTestConfig(t, libcni.WithEventHook(hook))
	entered := make(chan struct{})
	release := make(chan struct{})
	fe.hook = func(_ context.Context, call fakeCall) {
		if call.Command == "ADD" {
			close(entered)
			<-release
		}
	}
	list := mustList(t, listConf("1.0.0", "pa"))
	addDone := make(chan error, 1)
	go func() {
		_, err := c.AddNetworkList(context.Background(), list, testRT())
		addDone <- err
	}()
	<-entered
	err := c.CheckNetworkList(ctx, list, testRT())
	close(release)
	require.NoError(t, <-addDone)
	require.ErrorIs(t, err, context.Canceled)
	var wait []libcni.Event
	for _, ev := range log.all() {
		if ev.Command == "CHECK" {
			wait = append(wait, ev)
		}
	}
	require.Equal(t, []step{
		{libcni.EventLockWait, "CHECK", "network"},
		{libcni.EventLockWait, "CHECK", "container"},
	}, steps(wait))
	assert.NoError(t, wait[0].Err)
	assert.ErrorIs(t, wait[1].Err, context.Canceled)
}

func TestEventsCacheWriteFailure(t *testing.T) {
	t.Parallel()
	var log eventLog
	c, _, dir := newTestConfig(t, libcni.WithEventHook(log.hook))
	// A file where the results directory belongs makes the write fail.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "results"), nil, 0o600))
	_, err := c.AddNetworkList(context.Background(), mustList(t, listConf("1.0.0", "pa")), testRT())
	require.Error(t, err)
	evs := log.all()
	last := evs[len(evs)-1]
	assert.Equal(t, libcni.EventCacheWrite, last.Kind)
	assert.Equal(t, filepath.Join(dir, "results", "testnet-ctr1-eth0"), last.CacheFile)
	require.Error(t, last.Err)
	assert.ErrorIs(t, err, last.Err, "ADD's error wraps the write's")
}

func TestEventsOtherOperations(t *testing.T) {
	t.Parallel()
	var log eventLog
	c, fe, dir := newTestConfig(t, libcni.WithEventHook(log.hook), libcni.WithRejectDuplicateAdd(true))
	list := mustList(t, listConf("1.1.0", "pa", "pb"))
	ctx := context.Background()
	_, err := c.AddNetworkList(ctx, list, testRT())
	require.NoError(t, err)
	require.NoError(t, c.CheckNetworkList(ctx, list, testRT()))
	_, err = c.GetNetworkListCachedResult(list, testRT())
	require.NoError(t, err)
	_, _, err = c.GetNetworkListCachedConfig(list, testRT())
	require.NoError(t, err)
	require.NoError(t, c.GetStatusNetworkList(ctx, list))
	require.NoError(t, c.GCNetworkList(ctx, list, &libcni.GCArgs{}))
	_, err = c.GetVersionInfo(ctx, "pa")
	require.NoError(t, err)
	fe.missing["pb"] = true
	_, err = c.ValidateNetworkList(ctx, list)
	require.Error(t, err)

	evs := log.all()
	assert.Equal(t, []step{
		{libcni.EventLockWait, "ADD", "network"},
		{libcni.EventLockWait, "ADD", "container"},
		{libcni.EventCacheRead, "ADD", ""}, // WithRejectDuplicateAdd
		{libcni.EventPluginRun, "ADD", "pa#0"},
		{libcni.EventPluginRun, "ADD", "pb#1"},
		{libcni.EventCacheWrite, "ADD", ""},
		{libcni.EventLockWait, "CHECK", "network"},
		{libcni.EventLockWait, "CHECK", "container"},
		{libcni.EventCacheRead, "CHECK", ""},
		{libcni.EventPluginRun, "CHECK", "pa#0"},
		{libcni.EventPluginRun, "CHECK", "pb#1"},
		{libcni.EventCacheRead, "", ""},
		{libcni.EventCacheRead, "", ""},
		{libcni.EventPluginRun, "STATUS", "pa#0"},
		{libcni.EventPluginRun, "STATUS", "pb#1"},
		{libcni.EventLockWait, "GC", "network-gc"},
		// The attachment is not among the valid ones: GC deletes it.
		{libcni.EventLockWait, "DEL", "container"},
		{libcni.EventCacheRead, "DEL", ""},
		{libcni.EventPluginRun, "DEL", "pb#1"},
		{libcni.EventPluginRun, "DEL", "pa#0"},
		{libcni.EventCacheRemove, "DEL", ""},
		{libcni.EventPluginRun, "GC", "pa#0"},
		{libcni.EventPluginRun, "GC", "pb#1"},
		{libcni.EventPluginRun, "VERSION", "pa#-1"},
		// Validation asks pa (GetVersionInfo does not remember answers)
		// and fails to find pb, which is no run.
		{libcni.EventPluginRun, "VERSION", "pa#0"},
	}, steps(evs))
	file := filepath.Join(dir, "results", "testnet-ctr1-eth0")
	for _, i := range []int{2, 5, 8, 11, 12, 17, 20} {
		assert.Equal(t, file, evs[i].CacheFile, "event %d", i)
	}
	for _, ev := range evs {
		if ev.Kind == libcni.EventPluginRun {
			assert.Equal(t, 0, ev.ExitCode)
			assert.Positive(t, ev.StdinBytes)
			assert.Equal(t, filepath.Join("/opt/cni/bin", ev.PluginType), ev.PluginPath)
		}
	}
	assert.Empty(t, evs[13].ContainerID, "STATUS concerns no attachment")
	assert.Empty(t, evs[23].Network, "GetVersionInfo concerns no network")
	assert.Equal(t, "testnet", evs[24].Network)
}

func TestEventsPluginNotFound(t *testing.T) {
	t.Parallel()
	var log eventLog
	c, fe, _ := newTestConfig(t, libcni.WithEventHook(log.hook))
	fe.missing["pb"] = true
	_, err := c.AddNetworkList(context.Background(), mustList(t, listConf("1.0.0", "pa", "pb")), testRT())
	require.Error(t, err)
	evs := log.all()
	last := evs[len(evs)-1]
	assert.Equal(t, step{libcni.EventPluginRun, "ADD", "pb#1"}, stepOf(last))
	assert.Equal(t, err, last.Err)
	assert.Empty(t, last.PluginPath)
	assert.Equal(t, -1, last.ExitCode)
	assert.Equal(t, 0, last.StdinBytes)
	assert.Equal(t, -1, last.StdoutBytes)
}

func TestEventHooksRunInOrder(t *testing.T) {
	t.Parallel()
	var order []string
	c, _, _ := newTestConfig(t,
		libcni.WithEventHook(func(_ context.Context, ev libcni.Event) { order = append(order, "first "+ev.Kind.String()) }),
		libcni.WithEventHook(nil),
		libcni.WithEventHook(func(_ context.Context, ev libcni.Event) { order = append(order, "second "+ev.Kind.String()) }),
		libcni.WithSerialization(false))
	_, err := c.AddNetworkList(context.Background(), mustList(t, listConf("1.0.0", "pa")), testRT())
	require.NoError(t, err)
	assert.Equal(t, []string{"first plugin-run", "second plugin-run", "first cache-write", "second cache-write"}, order,
		"no lock events without serialization")
}

func TestEventHookSeesTheOperationContext(t *testing.T) {
	t.Parallel()
	type key struct{}
	var seen []any
	c, _, _ := newTestConfig(t, libcni.WithEventHook(func(ctx context.Context, _ libcni.Event) {
		seen = append(seen, ctx.Value(key{}))
	}))
	ctx := context.WithValue(context.Background(), key{}, "op-1")
	ctx = libcni.ContextWithEventAttrs(ctx, slog.Int("a", 1))
	ctx = libcni.ContextWithEventAttrs(ctx, slog.Int("b", 2))
	_, err := c.AddNetworkList(ctx, mustList(t, listConf("1.0.0", "pa")), testRT())
	require.NoError(t, err)
	require.NotEmpty(t, seen)
	for _, v := range seen {
		assert.Equal(t, "op-1", v)
	}
	// Attributes accumulate; a derived context does not change its parent's.
	var got []libcni.Event
	c2, _, _ := newTestConfig(t, libcni.WithEventHook(func(_ context.Context, ev libcni.Event) { got = append(got, ev) }))
	parent := libcni.ContextWithEventAttrs(context.Background(), slog.Int("a", 1))
	_ = libcni.ContextWithEventAttrs(parent, slog.Int("b", 2))
	_, err = c2.AddNetworkList(libcni.ContextWithSandboxID(parent, "s"), mustList(t, listConf("1.0.0", "pa")), testRT())
	require.NoError(t, err)
	for _, ev := range got {
		assert.Equal(t, []slog.Attr{slog.Int("a", 1)}, ev.Attrs)
		assert.Equal(t, "s", ev.SandboxID)
	}
}

func TestEventKindAndLockKindNames(t *testing.T) {
	t.Parallel()
	for k, want := range map[fmt.Stringer]string{
		libcni.EventPluginRun: "plugin-run", libcni.EventLockWait: "lock-wait", libcni.EventCacheWrite: "cache-write",
		libcni.EventCacheRead: "cache-read", libcni.EventCacheRemove: "cache-remove", libcni.EventKind(0): "unknown",
		libcni.LockNetwork: "network", libcni.LockContainer: "container", libcni.LockNetworkGC: "network-gc",
		libcni.LockKind(0): "none",
	} {
		assert.Equal(t, want, k.String())
	}
}

// TestPanickingHookReleasesLocks: when the event hook panics in the middle
// of an operation and the caller recovers (as RPC servers do), no lock of
// the operation stays taken.
func TestPanickingHookReleasesLocks(t *testing.T) {
	t.Parallel()
	type trigger struct {
		kind libcni.EventKind
		lock libcni.LockKind
	}
	tests := []struct {
		name string
		at   trigger
		op   func(c *libcni.CNIConfig, list *libcni.NetworkConfigList) error
	}{
		{"ADD, plugin run", trigger{libcni.EventPluginRun, 0}, addOp},
		{"ADD, network lock", trigger{libcni.EventLockWait, libcni.LockNetwork}, addOp},
		{"ADD, container lock", trigger{libcni.EventLockWait, libcni.LockContainer}, addOp},
		{"ADD, cache write", trigger{libcni.EventCacheWrite, 0}, addOp},
		{"HoldContainer, network lock", trigger{libcni.EventLockWait, libcni.LockNetwork}, holdOp},
		{"HoldContainer, container lock", trigger{libcni.EventLockWait, libcni.LockContainer}, holdOp},
		{"GC, network lock", trigger{libcni.EventLockWait, libcni.LockNetworkGC}, func(c *libcni.CNIConfig, list *libcni.NetworkConfigList) error {
			return c.GCNetworkList(context.Background(), list, &libcni.GCArgs{})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var armed sync.Once
			panicking := true
			var mu sync.Mutex
			hook := func(_ context.Context, ev libcni.Event) {
				mu.Lock()
				p := panicking
				mu.Unlock()
				if p && ev.Kind == tc.at.kind && (ev.Kind != libcni.EventLockWait || ev.Lock == tc.at.lock) {
					armed.Do(func() { panic("hook failure") })
				}
			}
			c, _, _ := newTestConfig(t, libcni.WithEventHook(hook))
			list := mustList(t, listConf("1.1.0", "pa"))
			func() {
				defer func() { assert.Equal(t, "hook failure", recover()) }()
				_ = tc.op(c, list)
				t.Error("the hook did not panic")
			}()
			mu.Lock()
			panicking = false
			mu.Unlock()
			// Every lock the operation took is free again.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			require.NoError(t, c.DelNetworkList(ctx, list, testRT()))
			require.NoError(t, c.GCNetworkList(ctx, list, &libcni.GCArgs{}))
			hctx, release, err := c.HoldContainer(ctx, testRT().ContainerID, list.Name)
			require.NoError(t, err)
			require.NoError(t, c.CheckNetworkList(hctx, list, testRT()))
			release(false)
		})
	}
}

func addOp(c *libcni.CNIConfig, list *libcni.NetworkConfigList) error {
	_, err := c.AddNetworkList(context.Background(), list, testRT())
	return err
}

func holdOp(c *libcni.CNIConfig, list *libcni.NetworkConfigList) error {
	_, release, err := c.HoldContainer(context.Background(), testRT().ContainerID, list.Name)
	if err == nil {
		release(false)
	}
	return err
}
