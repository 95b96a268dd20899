package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/pkg/plugintest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	plugintest.Cleanup()
	os.Exit(code)
}

func debugExe(t *testing.T) string {
	t.Helper()
	return plugintest.Exe(plugintest.Build(t, plugintest.DebugPlugin), "debug")
}

func env(cmd string, extra ...string) []string {
	return append([]string{
		"CNI_COMMAND=" + cmd, "CNI_CONTAINERID=ctr1", "CNI_NETNS=/var/run/netns/none",
		"CNI_IFNAME=eth0", "CNI_PATH=/opt/cni/bin", "CNI_ARGS=A=1;B=2", "NOT_CNI=hidden",
	}, extra...)
}

func TestDebugRecordsInvocation(t *testing.T) {
	t.Parallel()
	exe := debugExe(t)
	file := filepath.Join(t.TempDir(), "debug.log")
	conf := fmt.Sprintf(`{"cniVersion":"1.0.0","name":"n","type":"debug","debugFile":%q,
  "prevResult":{"cniVersion":"1.0.0","ips":[{"address":"198.18.0.5/24"}]}}`, file)

	before := time.Now()
	r := plugintest.Exec(t, exe, env("ADD"), []byte(conf))
	require.Equal(t, 0, r.ExitCode, "%s", r.Stdout)
	sameResult(t, `{"cniVersion":"1.0.0","ips":[{"address":"198.18.0.5/24"}],"dns":{}}`, string(r.Stdout))

	recs := plugintest.ReadDebugLog(t, file)
	require.Len(t, recs, 1)
	rec := recs[0]
	assert.Equal(t, "ADD", rec.Command)
	assert.Equal(t, map[string]string{
		"CNI_COMMAND": "ADD", "CNI_CONTAINERID": "ctr1", "CNI_NETNS": "/var/run/netns/none",
		"CNI_IFNAME": "eth0", "CNI_PATH": "/opt/cni/bin", "CNI_ARGS": "A=1;B=2",
	}, rec.Env)
	assert.Equal(t, []byte(conf), rec.Stdin, "stdin is recorded byte for byte")
	assert.Equal(t, r.Stdout, rec.Stdout)
	assert.Equal(t, 0, rec.ExitCode)
	assert.NotZero(t, rec.PID)
	assert.False(t, rec.Start.Before(before.Add(-time.Second)))
	assert.False(t, rec.End.Before(rec.Start))

	// The documented wire format: base64 stdin, RFC 3339 times.
	line, err := os.ReadFile(file)
	require.NoError(t, err)
	var raw map[string]interface{}
	require.NoError(t, json.Unmarshal(bytes.TrimSpace(line), &raw))
	assert.Equal(t, base64.StdEncoding.EncodeToString([]byte(conf)), raw["stdin"])
	_, err = time.Parse(time.RFC3339Nano, raw["start"].(string))
	assert.NoError(t, err)
	for _, k := range []string{"command", "env", "stdin", "stdout", "exitCode", "start", "end", "pid"} {
		assert.Contains(t, raw, k)
	}
}

func TestDebugRecordsFailuresAndVersion(t *testing.T) {
	t.Parallel()
	exe := debugExe(t)
	file := filepath.Join(t.TempDir(), "debug.log")

	// A failing verb is recorded with its error output and exit code.
	conf := fmt.Sprintf(`{"cniVersion":"1.1.0","name":"n","debugFile":%q,"failOn":{"GC":{"code":120,"msg":"nope"}},"sleep":{"GC":"30ms"}}`, file)
	r := plugintest.Exec(t, exe, []string{"CNI_COMMAND=GC", "CNI_PATH=/p"}, []byte(conf))
	assert.Equal(t, 1, r.ExitCode)

	// VERSION has no debugFile in its configuration; the environment names it.
	r2 := plugintest.Exec(t, exe, []string{"CNI_COMMAND=VERSION", "CNIRT_DEBUG_FILE=" + file}, []byte(`{"cniVersion":"1.1.0"}`))
	assert.Equal(t, 0, r2.ExitCode)

	// Invalid environment is recorded too.
	r3 := plugintest.Exec(t, exe, []string{"CNI_COMMAND=ADD", "CNIRT_DEBUG_FILE=" + file}, []byte(`{"name":"n"}`))
	assert.Equal(t, 1, r3.ExitCode)

	recs := plugintest.ReadDebugLog(t, file)
	require.Len(t, recs, 3)
	assert.Equal(t, "GC", recs[0].Command)
	assert.Equal(t, 1, recs[0].ExitCode)
	assert.Equal(t, r.Stdout, recs[0].Stdout)
	assert.Contains(t, string(recs[0].Stdout), `"code": 120`)
	assert.GreaterOrEqual(t, recs[0].End.Sub(recs[0].Start), 30*time.Millisecond, "sleep happened")

	assert.Equal(t, "VERSION", recs[1].Command)
	assert.Equal(t, []byte(`{"cniVersion":"1.1.0"}`), recs[1].Stdin)
	assert.Equal(t, r2.Stdout, recs[1].Stdout)

	assert.Equal(t, 1, recs[2].ExitCode)
	assert.Contains(t, string(recs[2].Stdout), "required env variables")
}

func TestDebugUnwritableFile(t *testing.T) {
	t.Parallel()
	exe := debugExe(t)
	file := filepath.Join(t.TempDir(), "no", "such", "dir", "debug.log")
	conf := fmt.Sprintf(`{"cniVersion":"1.0.0","name":"n","debugFile":%q}`, file)
	r := plugintest.Exec(t, exe, env("ADD"), []byte(conf))
	assert.Equal(t, 1, r.ExitCode)
	var obj map[string]interface{}
	require.NoError(t, json.Unmarshal(r.Stdout, &obj), "%s", r.Stdout)
	assert.Equal(t, float64(5), obj["code"])
	assert.Contains(t, obj["msg"], "debug.log")
}

func TestDebugConcurrentAppends(t *testing.T) {
	t.Parallel()
	exe := debugExe(t)
	file := filepath.Join(t.TempDir(), "debug.log")
	const n = 12
	// A large configuration makes each line far longer than a pipe buffer
	// page, so torn writes would show.
	pad := strings.Repeat("p", 64<<10)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			conf := fmt.Sprintf(`{"cniVersion":"1.0.0","name":"n","debugFile":%q,"pad":%q,"seq":%d}`, file, pad, i)
			r := plugintest.Exec(t, exe, env("DEL", fmt.Sprintf("CNI_CONTAINERID=c%d", i)), []byte(conf))
			assert.Equal(t, 0, r.ExitCode, "%s", r.Stdout)
		}(i)
	}
	wg.Wait()
	recs := plugintest.ReadDebugLog(t, file)
	require.Len(t, recs, n)
	var ids []string
	pids := map[int]bool{}
	for _, r := range recs {
		ids = append(ids, r.Env["CNI_CONTAINERID"])
		pids[r.PID] = true
		assert.Contains(t, string(r.Stdin), pad)
	}
	sort.Strings(ids)
	want := make([]string, n)
	for i := range want {
		want[i] = fmt.Sprintf("c%d", i)
	}
	sort.Strings(want)
	assert.Equal(t, want, ids)
	assert.Len(t, pids, n)
}

func TestRunInProcess(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "debug.log")
	envMap := map[string]string{"CNI_COMMAND": "STATUS", "CNI_PATH": "/p"}
	var out, errOut bytes.Buffer
	code := run(func(k string) string { return envMap[k] }, []string{"CNI_COMMAND=STATUS", "CNI_PATH=/p", "HOME=/x",
		"TRACEPARENT=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "BAGGAGE=k=v", "TRACESTATEX=no"},
		strings.NewReader(fmt.Sprintf(`{"cniVersion":"1.1.0","name":"n","debugFile":%q}`, file)), &out, &errOut)
	assert.Equal(t, 0, code)
	assert.Empty(t, out.String())
	recs := plugintest.ReadDebugLog(t, file)
	require.Len(t, recs, 1)
	assert.Equal(t, map[string]string{"CNI_COMMAND": "STATUS", "CNI_PATH": "/p"}, recs[0].Env)
	assert.Equal(t, map[string]string{"TRACEPARENT": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "BAGGAGE": "k=v"},
		recs[0].Trace)
}

// sameResult compares two result documents, treating an empty "dns"
// object as absent (the result encoders differ on printing it).
func sameResult(t *testing.T, want, got string, msgAndArgs ...interface{}) {
	t.Helper()
	norm := func(s string) string {
		var m map[string]interface{}
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			return s
		}
		if d, ok := m["dns"].(map[string]interface{}); ok && len(d) == 0 {
			delete(m, "dns")
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	assert.JSONEq(t, norm(want), norm(got), msgAndArgs...)
}
