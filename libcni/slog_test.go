package libcni_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/types"
)

// slogRecords decodes the JSON records a slog.JSONHandler wrote.
func slogRecords(t *testing.T, data []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	for dec.More() {
		m := map[string]any{}
		require.NoError(t, dec.Decode(&m))
		delete(m, "time")
		out = append(out, m)
	}
	return out
}

func TestSlogHookRecords(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, fe, _ := newTestConfig(t, libcni.WithEventHook(libcni.NewSlogHook(logger)))
	fe.errs["pc/ADD"] = types.NewError(11, "no addresses left", "pool 198.18.9.0/24 is full")
	ctx := libcni.ContextWithSandboxID(context.Background(), "sb-9")
	ctx = libcni.ContextWithEventAttrs(ctx, slog.String("pod", "default/web"))
	_, addErr := c.AddNetworkList(ctx, mustList(t, listConf("1.0.0", "pa", "pb", "pc")), testRT())
	require.Error(t, addErr)

	recs := slogRecords(t, buf.Bytes())
	require.Len(t, recs, 5)
	var levels, msgs []string
	for _, r := range recs {
		levels = append(levels, r["level"].(string))
		msgs = append(msgs, r["msg"].(string))
		assert.Equal(t, "testnet", r["network"])
		assert.Equal(t, "ADD", r["command"])
		assert.Equal(t, "ctr1", r["container_id"])
		assert.Equal(t, "sb-9", r["sandbox_id"])
		assert.Equal(t, "default/web", r["pod"])
		assert.Contains(t, r, "duration")
	}
	assert.Equal(t, []string{"DEBUG", "DEBUG", "DEBUG", "DEBUG", "ERROR"}, levels)
	assert.Equal(t, []string{"CNI lock acquired", "CNI lock acquired", "CNI plugin ran", "CNI plugin ran", "CNI plugin failed"}, msgs)
	assert.Equal(t, "network", recs[0]["lock"])
	assert.Equal(t, "container", recs[1]["lock"])
	assert.Equal(t, "lock-wait", recs[1]["event"])
	ran := recs[2]
	assert.Equal(t, "plugin-run", ran["event"])
	assert.Equal(t, "pa", ran["plugin_type"])
	assert.Equal(t, float64(0), ran["plugin_index"])
	assert.Equal(t, "/opt/cni/bin/pa", ran["plugin_path"])
	assert.Equal(t, float64(0), ran["exit_code"])
	assert.Positive(t, ran["stdin_bytes"])
	assert.Positive(t, ran["stdout_bytes"])
	assert.Equal(t, "eth0", ran["ifname"])
	assert.NotContains(t, ran, "error")
	assert.NotContains(t, ran, "plugin_error")

	failed := recs[4]
	assert.Equal(t, "pc", failed["plugin_type"])
	assert.Equal(t, float64(2), failed["plugin_index"])
	assert.Equal(t, addErr.Error(), failed["error"])
	assert.Equal(t, map[string]any{"code": float64(11), "msg": "no addresses left", "details": "pool 198.18.9.0/24 is full"},
		failed["plugin_error"])
}

func TestSlogHookLevels(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil)) // Info: only failures
	c, fe, _ := newTestConfig(t, libcni.WithEventHook(libcni.NewSlogHook(logger)))
	list := mustList(t, listConf("1.0.0", "pa"))
	_, err := c.AddNetworkList(context.Background(), list, testRT())
	require.NoError(t, err)
	assert.Empty(t, buf.String(), "successful steps log at Debug")

	ctx, cancel := context.WithCancel(context.Background())
	fe.hook = func(context.Context, fakeCall) { cancel() }
	fe.errs["pa/CHECK"] = context.Canceled
	require.Error(t, c.CheckNetworkList(ctx, list, testRT()))
	fe.hook = nil
	fe.errs["pa/DEL"] = pluginErr(7, "bad")
	require.Error(t, c.DelNetworkList(context.Background(), list, testRT()))

	recs := slogRecords(t, buf.Bytes())
	require.Len(t, recs, 2)
	assert.Equal(t, "WARN", recs[0]["level"], "a run cut short by the context")
	assert.Equal(t, "CHECK", recs[0]["command"])
	assert.NotContains(t, recs[0], "plugin_error")
	assert.Equal(t, "ERROR", recs[1]["level"])
	assert.Equal(t, "DEL", recs[1]["command"])
	assert.Equal(t, map[string]any{"code": float64(7), "msg": "bad", "details": ""}, recs[1]["plugin_error"])
}

func TestSlogHookCacheAndLockFailures(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	hook := libcni.NewSlogHook(logger)
	ctx := context.Background()
	for _, ev := range []libcni.Event{
		{Kind: libcni.EventCacheWrite, Command: "ADD", Network: "n", CacheFile: "/c/results/n-x-eth0", Err: assert.AnError},
		{Kind: libcni.EventCacheRead, Command: "DEL", Network: "n", CacheFile: "/c/results/n-x-eth0", Err: assert.AnError},
		{Kind: libcni.EventCacheRemove, Command: "DEL", Network: "n", CacheFile: "/c/results/n-x-eth0", Err: assert.AnError},
		{Kind: libcni.EventLockWait, Command: "GC", Network: "n", Lock: libcni.LockNetworkGC, Err: context.DeadlineExceeded},
		{Kind: libcni.EventCacheRead, Command: "CHECK", Network: "n", CacheFile: "/c/results/n-x-eth0"},
	} {
		hook(ctx, ev)
	}
	recs := slogRecords(t, buf.Bytes())
	require.Len(t, recs, 4, "the successful read is at Debug")
	want := []struct{ level, msg string }{
		{"ERROR", "CNI cache write failed"}, {"WARN", "CNI cache read failed"},
		{"ERROR", "CNI cache remove failed"}, {"WARN", "CNI lock wait failed"},
	}
	for i, w := range want {
		assert.Equal(t, w.level, recs[i]["level"], "record %d", i)
		assert.Equal(t, w.msg, recs[i]["msg"], "record %d", i)
	}
	assert.Equal(t, "/c/results/n-x-eth0", recs[0]["cache_file"])
	assert.Equal(t, assert.AnError.Error(), recs[0]["error"])
	assert.Equal(t, "network-gc", recs[3]["lock"])
	assert.NotContains(t, recs[3], "container_id")
}
