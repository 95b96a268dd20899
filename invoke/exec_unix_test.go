//go:build unix

package invoke

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/types"
)

func addArgs() *Args {
	return &Args{
		Command:     "ADD",
		ContainerID: "ctr-1",
		NetNS:       "/var/run/netns/ctr-1",
		IfName:      "eth0",
		Path:        "/opt/cni/bin" + string(os.PathListSeparator) + "/usr/libexec/cni",
		PluginArgs:  [][2]string{{"K8S_POD_NAME", "web"}, {"IgnoreUnknown", "true"}},
	}
}

func TestExecPluginWithResultDecodes(t *testing.T) {
	t.Parallel()
	plugin := testPlugin(t)
	const ips = `"ips":[{"address":"198.18.0.2/24","gateway":"198.18.0.1"}]`
	cases := []struct {
		name     string
		confVer  string
		stdout   string
		wantVer  string
		wantJSON string
		wantErr  string
	}{
		{name: "version in result", confVer: "1.1.0", stdout: `{"cniVersion":"1.0.0",` + ips + `}`, wantVer: "1.0.0", wantJSON: "198.18.0.2/24"},
		{name: "no version takes config's", confVer: "1.1.0", stdout: `{` + ips + `}`, wantVer: "1.1.0", wantJSON: "198.18.0.2/24"},
		{name: "empty version takes config's", confVer: "0.4.0", stdout: `{"cniVersion":"",` + ips + `}`, wantVer: "0.4.0", wantJSON: "198.18.0.2/24"},
		{name: "empty object", confVer: "1.0.0", stdout: ` { } `, wantVer: "1.0.0"},
		{name: "null", confVer: "1.0.0", stdout: `null`, wantVer: "1.0.0"},
		{name: "not JSON", confVer: "1.0.0", stdout: `hello`, wantErr: "failed to unmarshal raw result"},
		{name: "unknown result version", confVer: "1.0.0", stdout: `{"cniVersion":"9.9.9"}`, wantErr: "9.9.9"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			conf := testConf(t, tc.confVer, map[string]any{"stdout": tc.stdout})
			res, err := ExecPluginWithResult(context.Background(), plugin, conf, addArgs(), &DefaultExec{RawExec: &RawExec{}})
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				assert.NotContains(t, err.Error(), plugin, "the caller names the plugin, as with the reference")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.wantVer, res.Version())
			var buf bytes.Buffer
			require.NoError(t, res.PrintTo(&buf))
			assert.Contains(t, buf.String(), `"cniVersion": "`+tc.wantVer+`"`)
			assert.Contains(t, buf.String(), tc.wantJSON)
		})
	}
}

func TestPluginEnvironmentIsExactlyTheSpec(t *testing.T) {
	plugin := testPlugin(t)
	// Inherited CNI variables must be replaced, not duplicated.
	t.Setenv("CNI_IFNAME", "bogus0")
	t.Setenv("CNI_ARGS", "Evil=1")
	t.Setenv("CNI_COMMAND", "DEL")
	t.Setenv("CNIRT_KEEP_ME", "kept")

	envFile := tempFile(t, "env.json")
	conf := testConf(t, "1.0.0", map[string]any{"mode": "env", "envFile": envFile, "stdout": `{}`})
	args := addArgs()
	err := ExecPluginWithoutResult(context.Background(), plugin, conf, args, &DefaultExec{RawExec: &RawExec{}})
	require.NoError(t, err)

	d := readDump(t, envFile)
	want := map[string]string{
		"CNI_COMMAND":     "ADD",
		"CNI_CONTAINERID": "ctr-1",
		"CNI_NETNS":       "/var/run/netns/ctr-1",
		"CNI_IFNAME":      "eth0",
		"CNI_ARGS":        "K8S_POD_NAME=web;IgnoreUnknown=true",
		"CNI_PATH":        strings.Join([]string{"/opt/cni/bin", "/usr/libexec/cni"}, string(os.PathListSeparator)),
	}
	for name, value := range want {
		assert.Equal(t, []string{value}, envValues(d.Env, name), name)
	}
	assert.Equal(t, []string{"kept"}, envValues(d.Env, "CNIRT_KEEP_ME"))
	assert.Equal(t, string(conf), d.Stdin, "the configuration goes to stdin unchanged")

	// Delegation keeps the inherited CNI variables and replaces CNI_COMMAND.
	require.NoError(t, ExecPluginWithoutResult(context.Background(), plugin, conf, &DelegateArgs{Command: "CHECK"}, nil))
	d = readDump(t, envFile)
	assert.Equal(t, []string{"CHECK"}, envValues(d.Env, "CNI_COMMAND"))
	assert.Equal(t, []string{"bogus0"}, envValues(d.Env, "CNI_IFNAME"))

	// ArgsFromEnv hands over the environment untouched.
	require.NoError(t, ExecPluginWithoutResult(context.Background(), plugin, conf, ArgsFromEnv(), nil))
	d = readDump(t, envFile)
	assert.Equal(t, []string{"DEL"}, envValues(d.Env, "CNI_COMMAND"))
	assert.Equal(t, []string{"Evil=1"}, envValues(d.Env, "CNI_ARGS"))
}

func TestSmuggledArgsNeverReachThePlugin(t *testing.T) {
	t.Parallel()
	plugin := testPlugin(t)
	cases := []struct {
		name string
		kv   [2]string
		str  string
	}{
		{name: "semicolon in value", kv: [2]string{"K8S_POD_NAME", "web;IgnoreUnknown=true"}},
		{name: "semicolon in key", kv: [2]string{"A;B", "1"}},
		{name: "equals in key", kv: [2]string{"A=B", "1"}},
		{name: "newline in value", kv: [2]string{"A", "1\nCNI_COMMAND=DEL"}},
		{name: "NUL in value", kv: [2]string{"A", "1\x00"}},
		{name: "newline in raw string", str: "A=1\nB=2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			envFile := tempFile(t, "env.json")
			conf := testConf(t, "1.0.0", map[string]any{"mode": "env", "envFile": envFile, "stdout": `{}`})
			args := addArgs()
			args.PluginArgs = [][2]string{{"OK", "1"}, tc.kv}
			args.PluginArgsStr = tc.str
			_, err := ExecPluginWithResult(context.Background(), plugin, conf, args, nil)
			var ae *ArgsError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, "CNI_ARGS", ae.Var)
			assert.NoFileExists(t, envFile, "the plugin must not have run")
		})
	}
}

func TestPluginFailures(t *testing.T) {
	t.Parallel()
	plugin := testPlugin(t)
	cases := []struct {
		name  string
		test  map[string]any
		check func(t *testing.T, err error)
	}{
		{
			name: "CNI error object",
			test: map[string]any{"stdout": `{"cniVersion":"1.0.0","code":7,"msg":"bad config","details":"field x"}`, "exit": 1},
			check: func(t *testing.T, err error) {
				var te *types.Error
				require.ErrorAs(t, err, &te)
				assert.Equal(t, uint(7), te.Code)
				assert.Equal(t, "bad config", te.Msg)
				assert.Equal(t, "field x", te.Details)
				assert.Contains(t, err.Error(), "bad config; field x")
			},
		},
		{
			name: "stderr only",
			test: map[string]any{"stderr": "boom: cannot open thing", "exit": 3},
			check: func(t *testing.T, err error) {
				var ee *ExitError
				require.ErrorAs(t, err, &ee)
				assert.Equal(t, 3, ee.ExitCode)
				assert.Empty(t, ee.Signal)
				assert.Equal(t, "boom: cannot open thing", string(ee.Stderr))
				// The reference v1.3.1 text, byte for byte.
				assert.Equal(t, `netplugin failed: "boom: cannot open thing": exit status 3`, err.Error())
				// As with the reference, a *types.Error of code 0 carries it.
				te, ok := err.(*types.Error)
				require.True(t, ok, "%T", err)
				assert.Equal(t, uint(0), te.Code)
				assert.Equal(t, err.Error(), te.Msg)
			},
		},
		{
			name: "silent",
			test: map[string]any{"exit": 1},
			check: func(t *testing.T, err error) {
				var ee *ExitError
				require.ErrorAs(t, err, &ee)
				assert.Equal(t, 1, ee.ExitCode)
				assert.Contains(t, err.Error(), "netplugin failed with no error message: exit status 1")
			},
		},
		{
			name: "garbage on stdout",
			test: map[string]any{"stdout": "not json", "stderr": "trace", "exit": 2},
			check: func(t *testing.T, err error) {
				var ee *ExitError
				require.ErrorAs(t, err, &ee)
				assert.Equal(t, "not json", string(ee.Stdout))
				assert.Error(t, ee.ParseErr)
				assert.Equal(t, `netplugin failed but error parsing its diagnostic message "not json": invalid character 'o' in literal null (expecting 'u')`, err.Error())
				assert.Contains(t, fmt.Sprintf("%+v", ee), `(exit status 2; stderr: "trace")`)
			},
		},
		{
			name: "JSON that is no error object",
			test: map[string]any{"stdout": `{"cniVersion":"1.0.0"}`, "exit": 1},
			check: func(t *testing.T, err error) {
				var ee *ExitError
				require.ErrorAs(t, err, &ee)
				assert.Contains(t, err.Error(), "no error code or message")
			},
		},
		{
			name: "killed by a signal",
			test: map[string]any{"mode": "kill", "stderr": "x"},
			check: func(t *testing.T, err error) {
				var ee *ExitError
				require.ErrorAs(t, err, &ee)
				assert.Equal(t, -1, ee.ExitCode)
				assert.Equal(t, "killed", ee.Signal)
				assert.Contains(t, err.Error(), "signal: killed")
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := ExecPluginWithoutResult(context.Background(), plugin, testConf(t, "1.0.0", tc.test), addArgs(), &DefaultExec{RawExec: &RawExec{}})
			require.Error(t, err)
			_, ok := err.(*types.Error)
			assert.True(t, ok, "every failed run is a *types.Error, as with the reference: %T", err)
			tc.check(t, err)
		})
	}
}

// processGone reports whether pid no longer runs (it may linger as a
// zombie until its new parent reaps it).
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return errors.Is(err, os.ErrNotExist)
	}
	// The state follows the parenthesised command name.
	s := string(stat)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] == 'Z' || s[i+2] == 'X'
	}
	return false
}

func readPID(t *testing.T, file string) int {
	t.Helper()
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	pid, err := strconv.Atoi(string(b))
	require.NoError(t, err)
	return pid
}

func TestCancelKillsPluginAndItsChildren(t *testing.T) {
	t.Parallel()
	plugin := testPlugin(t)
	pidFile := tempFile(t, "grandchild.pid")
	conf := testConf(t, "1.0.0", map[string]any{"mode": "hang", "pidFile": pidFile})

	// Cancel once the grandchild exists, so that it is there to be killed.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cancelled := make(chan time.Time, 1)
	go func() {
		for ctx.Err() == nil {
			if _, err := os.Stat(pidFile); err == nil {
				time.Sleep(100 * time.Millisecond)
				cancelled <- time.Now()
				cancel()
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	_, err := (&RawExec{}).ExecPlugin(ctx, plugin, conf, addArgs().AsEnv())
	returned := time.Now()
	cancel()
	var at time.Time
	select {
	case at = <-cancelled:
	default:
		t.Fatalf("the plugin returned before being cancelled: %v", err)
	}
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	var ee *ExitError
	require.ErrorAs(t, err, &ee)
	// The reference's text for a killed plugin; the verbose form says why.
	assert.Equal(t, "netplugin failed with no error message: signal: killed", err.Error())
	assert.Equal(t, "netplugin failed with no error message: signal: killed; plugin killed: context canceled", fmt.Sprintf("%+v", ee))
	assert.Less(t, returned.Sub(at), time.Second, "the call must return within 1s of the cancellation")

	grandchild := readPID(t, pidFile)
	for !processGone(grandchild) && time.Since(at) < time.Second {
		time.Sleep(10 * time.Millisecond)
	}
	assert.True(t, processGone(grandchild), "grandchild %d survived the cancellation", grandchild)
}

func TestDeadlineExceededIsReported(t *testing.T) {
	t.Parallel()
	plugin := testPlugin(t)
	pidFile := tempFile(t, "grandchild.pid")
	conf := testConf(t, "1.0.0", map[string]any{"mode": "hang", "pidFile": pidFile})
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	deadline, _ := ctx.Deadline()
	_, err := ExecPluginWithResult(ctx, plugin, conf, addArgs(), &DefaultExec{RawExec: &RawExec{}})
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "netplugin failed with no error message", "the reference's text")
	assert.Less(t, time.Since(deadline), time.Second, "the call must return within 1s of the deadline")
	if _, statErr := os.Stat(pidFile); statErr == nil {
		grandchild := readPID(t, pidFile)
		for !processGone(grandchild) && time.Since(deadline) < time.Second {
			time.Sleep(10 * time.Millisecond)
		}
		assert.True(t, processGone(grandchild), "grandchild %d survived the deadline", grandchild)
	}
}

func TestDescendantHoldingStdoutDoesNotBlock(t *testing.T) {
	t.Parallel()
	plugin := testPlugin(t)
	pidFile := tempFile(t, "grandchild.pid")
	conf := testConf(t, "1.0.0", map[string]any{"mode": "orphan", "pidFile": pidFile, "stdout": `{"cniVersion":"1.0.0"}`})
	var exited time.Time
	e := &RawExec{observe: func(ev runEvent) { exited = ev.End }}
	start := time.Now()
	out, err := e.ExecPlugin(context.Background(), plugin, conf, addArgs().AsEnv())
	returned := time.Now()
	grandchild := readPID(t, pidFile)
	t.Cleanup(func() { _ = syscall.Kill(grandchild, syscall.SIGKILL) })

	require.NoError(t, err)
	assert.JSONEq(t, `{"cniVersion":"1.0.0"}`, string(out))
	assert.False(t, processGone(grandchild), "the grandchild (sleeping 30s) must still hold stdout for this test to mean anything")
	assert.Less(t, returned.Sub(start), 2*time.Second)
	assert.Less(t, returned.Sub(exited), time.Second)
}

func TestOutputLimit(t *testing.T) {
	plugin := testPlugin(t)

	t.Run("1 GiB refused in bounded memory", func(t *testing.T) {
		conf := testConf(t, "1.0.0", map[string]any{"mode": "flood", "stdoutBytes": 1 << 30})
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := (&RawExec{}).ExecPlugin(context.Background(), plugin, conf, addArgs().AsEnv())
		runtime.ReadMemStats(&after)
		var le *OutputLimitError
		require.ErrorAs(t, err, &le)
		assert.Equal(t, DefaultMaxOutputBytes, le.Limit)
		assert.Contains(t, err.Error(), "exceeds the limit")
		allocated := after.TotalAlloc - before.TotalAlloc
		assert.Less(t, allocated, uint64(64<<20), "allocated %d bytes", allocated)
		assert.Less(t, int64(after.HeapInuse)-int64(before.HeapInuse), int64(64<<20))
	})

	cases := []struct {
		name    string
		limit   int64
		bytes   int
		wantErr bool
	}{
		{name: "at the limit", limit: 1000, bytes: 1000},
		{name: "one byte over", limit: 1000, bytes: 1001, wantErr: true},
		{name: "no limit", limit: -1, bytes: 20 << 20},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			test := map[string]any{"stdout": strings.Repeat("y", tc.bytes)}
			if tc.bytes > 1<<20 {
				test = map[string]any{"mode": "flood", "stdoutBytes": tc.bytes}
			}
			conf := testConf(t, "1.0.0", test)
			out, err := (&RawExec{MaxOutputBytes: tc.limit}).ExecPlugin(context.Background(), plugin, conf, addArgs().AsEnv())
			if tc.wantErr {
				var le *OutputLimitError
				require.ErrorAs(t, err, &le)
				assert.Equal(t, tc.limit, le.Limit)
				return
			}
			require.NoError(t, err)
			assert.Len(t, out, tc.bytes)
		})
	}
}

func TestStderrIsBoundedAndStreamed(t *testing.T) {
	t.Parallel()
	plugin := testPlugin(t)
	const n = 1 << 20
	conf := testConf(t, "1.0.0", map[string]any{"stderrBytes": n, "exit": 2})
	var stream bytes.Buffer
	_, err := (&RawExec{Stderr: &stream}).ExecPlugin(context.Background(), plugin, conf, addArgs().AsEnv())
	var ee *ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 2, ee.ExitCode)
	assert.LessOrEqual(t, len(ee.Stderr), stderrHeadBytes+stderrTailBytes+64)
	assert.True(t, bytes.HasPrefix(ee.Stderr, []byte("BEGIN")))
	assert.True(t, bytes.HasSuffix(ee.Stderr, []byte("END")))
	assert.Contains(t, string(ee.Stderr), strconv.Itoa(n+8-stderrHeadBytes-stderrTailBytes)+" bytes omitted")
	assert.Equal(t, n+8, stream.Len(), "everything is streamed to RawExec.Stderr")

	// On success the stream gets stderr as well.
	stream.Reset()
	conf = testConf(t, "1.0.0", map[string]any{"stdout": "{}", "stderr": "warning: x"})
	_, err = (&RawExec{Stderr: &stream}).ExecPlugin(context.Background(), plugin, conf, addArgs().AsEnv())
	require.NoError(t, err)
	assert.Equal(t, "warning: x", stream.String())
}

func TestTextFileBusyIsRetried(t *testing.T) {
	src, err := os.Open(testPlugin(t))
	require.NoError(t, err)
	defer src.Close()
	path := filepath.Join(t.TempDir(), "busyplugin")
	w, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o755)
	require.NoError(t, err)
	_, err = io.Copy(w, src)
	require.NoError(t, err)
	// w stays open for writing: starting the file fails with ETXTBSY until
	// the first failed attempt closes it.
	var attempts []error
	e := &RawExec{observe: func(ev runEvent) {
		attempts = append(attempts, ev.Err)
		if ev.Attempt == 1 {
			_ = w.Close()
		}
	}}
	out, err := e.ExecPlugin(context.Background(), path, testConf(t, "1.0.0", map[string]any{"stdout": "{}"}), addArgs().AsEnv())
	_ = w.Close()
	require.NoError(t, err)
	assert.Equal(t, "{}", string(out))
	require.GreaterOrEqual(t, len(attempts), 2)
	assert.ErrorIs(t, attempts[0], syscall.ETXTBSY)
	assert.NoError(t, attempts[len(attempts)-1])
}

func TestDoneContextRunsNothing(t *testing.T) {
	t.Parallel()
	plugin := testPlugin(t)
	envFile := tempFile(t, "env.json")
	conf := testConf(t, "1.0.0", map[string]any{"mode": "env", "envFile": envFile, "stdout": "{}"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	var runs int
	e := &RawExec{observe: func(runEvent) { runs++ }}
	_, err := e.ExecPlugin(ctx, plugin, conf, addArgs().AsEnv())
	assert.ErrorIs(t, err, context.Canceled)
	_, err = ExecPluginWithResult(ctx, plugin, conf, addArgs(), &DefaultExec{RawExec: e})
	assert.ErrorIs(t, err, context.Canceled)
	err = ExecPluginWithoutResult(ctx, plugin, conf, addArgs(), &DefaultExec{RawExec: e})
	assert.ErrorIs(t, err, context.Canceled)
	_, err = GetVersionInfo(ctx, plugin, &DefaultExec{RawExec: e})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, runs)
	assert.NoFileExists(t, envFile)
}

func TestStartFailures(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notExec := filepath.Join(dir, "notexec")
	require.NoError(t, os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644))
	cases := []struct {
		name   string
		path   string
		target error
	}{
		{name: "missing", path: filepath.Join(dir, "missing"), target: os.ErrNotExist},
		{name: "not executable", path: notExec, target: os.ErrPermission},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := (&RawExec{}).ExecPlugin(context.Background(), tc.path, nil, addArgs().AsEnv())
			assert.ErrorIs(t, err, tc.target)
			assert.Contains(t, err.Error(), "netplugin failed with no error message")
			assert.Contains(t, err.Error(), tc.path)
		})
	}
}

func TestGetVersionInfo(t *testing.T) {
	t.Parallel()
	plugin := testPlugin(t)
	old := filepath.Join(t.TempDir(), "oldplugin")
	require.NoError(t, os.Symlink(plugin, old))

	cases := []struct {
		name string
		path string
		want []string
	}{
		{name: "current plugin", path: plugin, want: []string{"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"}},
		{name: "plugin predating VERSION", path: old, want: []string{"0.1.0"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			info, err := GetVersionInfo(context.Background(), tc.path, nil)
			require.NoError(t, err)
			assert.Equal(t, tc.want, info.SupportedVersions())
		})
	}
}

func TestDelegate(t *testing.T) {
	plugin := testPlugin(t)
	t.Setenv("CNI_PATH", "relative/dir"+string(os.PathListSeparator)+filepath.Dir(plugin))
	t.Setenv("CNI_IFNAME", "eth7")
	envFile := tempFile(t, "env.json")
	conf := testConf(t, "1.0.0", map[string]any{"mode": "env", "envFile": envFile, "stdout": `{"ips":[{"address":"198.18.1.2/24"}]}`})

	res, err := DelegateAdd(context.Background(), "testplugin", conf, nil)
	require.NoError(t, err)
	assert.Equal(t, "1.0.0", res.Version())
	d := readDump(t, envFile)
	assert.Equal(t, []string{"ADD"}, envValues(d.Env, "CNI_COMMAND"))
	assert.Equal(t, []string{"eth7"}, envValues(d.Env, "CNI_IFNAME"))

	for verb, fn := range map[string]func(context.Context, string, []byte, Exec) error{
		"CHECK": DelegateCheck, "DEL": DelegateDel, "STATUS": DelegateStatus, "GC": DelegateGC,
	} {
		require.NoError(t, fn(context.Background(), "testplugin", conf, nil), verb)
		assert.Equal(t, []string{verb}, envValues(readDump(t, envFile).Env, "CNI_COMMAND"))
	}

	// A delegate's failure is its *types.Error itself, as with the
	// reference: plugin authors' tests compare it whole.
	failConf := testConf(t, "1.0.0", map[string]any{"stdout": `{"code":11,"msg":"pool busy","details":"try later"}`, "exit": 1})
	_, err = DelegateAdd(context.Background(), "testplugin", failConf, nil)
	assert.Equal(t, &types.Error{Code: types.ErrTryAgainLater, Msg: "pool busy", Details: "try later"}, err)
	err = DelegateCheck(context.Background(), "testplugin", failConf, nil)
	assert.Equal(t, &types.Error{Code: types.ErrTryAgainLater, Msg: "pool busy", Details: "try later"}, err)

	err = DelegateDel(context.Background(), "nosuchplugin", conf, nil)
	var nf *NotFoundError
	require.ErrorAs(t, err, &nf)
	assert.Equal(t, []string{filepath.Dir(plugin)}, nf.Searched)
	assert.Equal(t, []string{"relative/dir"}, nf.Ignored)
}

func TestZeroValueExecs(t *testing.T) {
	t.Parallel()
	plugin := testPlugin(t)
	conf := testConf(t, "1.0.0", map[string]any{"stdout": `{"cniVersion":"1.0.0"}`})
	for name, e := range map[string]Exec{
		"zero DefaultExec":          &DefaultExec{},
		"DefaultExec, zero RawExec": &DefaultExec{RawExec: &RawExec{}},
	} {
		res, err := ExecPluginWithResult(context.Background(), plugin, conf, addArgs(), e)
		require.NoError(t, err, name)
		assert.Equal(t, "1.0.0", res.Version(), name)
		found, err := e.FindInPath(filepath.Base(plugin), []string{filepath.Dir(plugin)})
		require.NoError(t, err, name)
		assert.Equal(t, plugin, found, name)
	}
}
