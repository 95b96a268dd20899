package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
)

var (
	buildOnce sync.Once
	pluginDir string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if pluginDir != "" {
		_ = os.RemoveAll(pluginDir)
	}
	os.Exit(code)
}

// noopDir builds the example noop plugin once and returns its directory.
func noopDir(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		pluginDir, buildErr = os.MkdirTemp("", "cnitool-test-plugins-")
		if buildErr != nil {
			return
		}
		exe := "noop"
		if runtime.GOOS == "windows" {
			exe += ".exe"
		}
		cmd := exec.Command("go", "build", "-buildvcs=false", "-o", filepath.Join(pluginDir, exe), "github.com/cnirt/cni/examples/plugins/noop")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("building the noop plugin: %v: %s", err, out)
		}
	})
	require.NoError(t, buildErr)
	return pluginDir
}

// fixture is a NETCONFPATH, CNI_PATH and cache directory for one test.
type fixture struct {
	env      map[string]string
	netDir   string
	cacheDir string
}

func newFixture(t *testing.T, withPlugin bool) *fixture {
	t.Helper()
	f := &fixture{netDir: t.TempDir(), cacheDir: t.TempDir()}
	f.env = map[string]string{"NETCONFPATH": f.netDir, "CNITOOL_CACHE_DIR": f.cacheDir, "CNI_PATH": t.TempDir()}
	if withPlugin {
		f.env["CNI_PATH"] = noopDir(t)
	}
	return f
}

func (f *fixture) write(t *testing.T, name, content string) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(f.netDir, name), []byte(content), 0o644))
}

// run runs cnitool with args and extra environment and returns the exit
// status, stdout and stderr.
func (f *fixture) run(t *testing.T, extraEnv map[string]string, args ...string) (int, string, string) {
	t.Helper()
	env := func(k string) (string, bool) {
		if v, ok := extraEnv[k]; ok {
			return v, true
		}
		v, ok := f.env[k]
		return v, ok
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, env, &out, &errOut)
	return code, out.String(), errOut.String()
}

const noopList = `{
  "cniVersion": "1.1.0",
  "name": "testnet",
  "plugins": [
    {"type": "noop", "capabilities": {"portMappings": true},
     "result": {"cniVersion": "1.1.0", "ips": [{"address": "198.18.0.7/24"}]}},
    {"type": "noop"}
  ]
}`

func TestParseCNIArgs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    [][2]string
		wantErr string
	}{
		{in: "A=1", want: [][2]string{{"A", "1"}}},
		{in: "A=1;B=x=y", want: [][2]string{{"A", "1"}, {"B", "x=y"}}},
		{in: "A=1;", want: [][2]string{{"A", "1"}}},
		{in: "A=", want: [][2]string{{"A", ""}}},
		{in: "A", wantErr: `pair 1 "A" is not KEY=VALUE`},
		{in: "A=1;=2", wantErr: `pair 2 "=2"`},
	}
	for _, tc := range tests {
		got, err := parseCNIArgs(tc.in)
		if tc.wantErr != "" {
			require.ErrorContains(t, err, tc.wantErr, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}

func TestContainerIDMatchesReferenceDerivation(t *testing.T) {
	t.Parallel()
	// printf %s /var/run/netns/test | sha512sum | cut -c1-20
	assert.Equal(t, "cnitool-7b8a61d5d8e94d07cbe4", containerIDFor("/var/run/netns/test"))
}

func TestUsageAndEnvironmentErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	f.write(t, "10-test.conflist", noopList)
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		code    int
		wantErr string
	}{
		{name: "no command", code: exitUsage, wantErr: "no command given"},
		{name: "unknown", args: []string{"frob"}, code: exitUsage, wantErr: `unknown command "frob"`},
		{name: "add arity", args: []string{"add", "testnet"}, code: exitUsage, wantErr: "add needs exactly 2 arguments"},
		{name: "bad CAP_ARGS", env: map[string]string{"CAP_ARGS": "{nope"}, args: []string{"add", "testnet", "/x"}, code: exitUsage, wantErr: "CAP_ARGS must be a JSON object"},
		{name: "bad CNI_ARGS", env: map[string]string{"CNI_ARGS": "novalue"}, args: []string{"add", "testnet", "/x"}, code: exitUsage, wantErr: "CNI_ARGS"},
		{name: "gc bad attachment", args: []string{"gc", "testnet", "a/b/c"}, code: exitUsage, wantErr: "is not <containerID>"},
		{name: "network not found", args: []string{"check", "other", "/x"}, code: exitConfigNotFound, wantErr: `no net configuration with name "other"`},
		{name: "plugin not found", args: []string{"add", "testnet", "/x"}, code: exitPluginNotFound, wantErr: `failed to find plugin "noop"`},
		{name: "version plugin not found", args: []string{"version", "noop"}, code: exitPluginNotFound, wantErr: "hint: set CNI_PATH"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := f.run(t, tc.env, tc.args...)
			assert.Equal(t, tc.code, code, stderr)
			assert.Contains(t, stderr, tc.wantErr)
		})
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	empty := newFixture(t, false)
	code, _, stderr := empty.run(t, nil, "status", "any")
	assert.Equal(t, exitConfigNotFound, code, stderr)
	assert.Contains(t, stderr, "no net configurations found")

	bad := newFixture(t, false)
	bad.write(t, "10-bad.conflist", `{"cniVersion": "1.1.0", "name": "badnet", "plugins": [{"type": 7}]}`)
	code, _, stderr = bad.run(t, nil, "status", "badnet")
	assert.Equal(t, exitConfigInvalid, code, stderr)
	assert.Contains(t, stderr, "10-bad.conflist")

	// list shows the good files and fails with 4 because of the bad one;
	// in JSON mode still exactly one object.
	bad.write(t, "20-good.conflist", noopList)
	bad.write(t, "30-one.conf", `{"cniVersion": "0.4.0", "name": "single", "type": "noop"}`)
	bad.write(t, "40-bad.conf", `{"cniVersion": "0.4.0", "name": "broken"`)
	code, stdout, stderr := bad.run(t, nil, "--json", "list")
	assert.Equal(t, exitConfigInvalid, code, stderr)
	var obj struct {
		OK       bool      `json:"ok"`
		ExitCode int       `json:"exitCode"`
		Networks []netInfo `json:"networks"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &obj), stdout)
	assert.False(t, obj.OK)
	assert.Equal(t, exitConfigInvalid, obj.ExitCode)
	require.Len(t, obj.Networks, 4)
	assert.NotEmpty(t, obj.Networks[0].Error)
	assert.Equal(t, "testnet", obj.Networks[1].Name)
	assert.Equal(t, []string{"noop", "noop"}, obj.Networks[1].Plugins)
	assert.Equal(t, netInfo{Name: "single", CNIVersion: "0.4.0", Plugins: []string{"noop"},
		File: obj.Networks[2].File}, obj.Networks[2])
	assert.Contains(t, obj.Networks[3].Error, "40-bad.conf")
}

func TestLifecycleWithNoopPlugin(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	f.write(t, "10-test.conflist", noopList)
	f.write(t, "20-dup.conflist", strings.Replace(noopList, `"type": "noop", "capabilities"`, `"type": "noop", "x": 1, "capabilities"`, 1))
	cni := libcni.NewCNIConfigWithCacheDir(nil, f.cacheDir, nil)

	// add prints the result (reference behaviour).
	code, stdout, stderr := f.run(t, map[string]string{"CAP_ARGS": `{"portMappings":[]}`, "CNI_ARGS": "IgnoreUnknown=1"}, "add", "testnet", "/var/run/netns/a")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, `"198.18.0.7/24"`)
	idA := containerIDFor("/var/run/netns/a")
	atts, err := cni.GetCachedAttachments(idA)
	require.NoError(t, err)
	require.Len(t, atts, 1)
	assert.Equal(t, "eth0", atts[0].IfName)
	assert.Equal(t, [][2]string{{"IgnoreUnknown", "1"}}, atts[0].CniArgs)

	// --json add with an explicit container ID and interface.
	code, stdout, stderr = f.run(t, map[string]string{"CNI_CONTAINERID": "ctr-b", "CNI_IFNAME": "net1"}, "--json", "add", "testnet", "/var/run/netns/b")
	require.Equal(t, exitOK, code, stderr)
	var addOut struct {
		OK          bool            `json:"ok"`
		ContainerID string          `json:"containerID"`
		IfName      string          `json:"ifName"`
		Result      json.RawMessage `json:"result"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &addOut), stdout)
	assert.True(t, addOut.OK)
	assert.Equal(t, "ctr-b", addOut.ContainerID)
	assert.Equal(t, "net1", addOut.IfName)
	assert.Contains(t, string(addOut.Result), "198.18.0.7/24")

	for _, args := range [][]string{
		{"check", "testnet", "/var/run/netns/a"},
		{"status", "testnet"},
		{"status", "testnet", "/var/run/netns/a"}, // reference syntax
	} {
		code, _, stderr = f.run(t, nil, args...)
		assert.Equal(t, exitOK, code, "%v: %s", args, stderr)
	}

	code, stdout, stderr = f.run(t, nil, "validate", "testnet")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, `network "testnet" (cniVersion 1.1.0) is valid: 2 plugin(s), capabilities: portMappings`)

	code, stdout, stderr = f.run(t, nil, "--json", "version", "noop")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, `"1.1.0"`)
	assert.Contains(t, stdout, `"0.1.0"`)

	code, stdout, stderr = f.run(t, nil, "list")
	require.Equal(t, exitOK, code, stderr)
	assert.Regexp(t, `(?m)^testnet\s+1\.1\.0\s+noop,noop\s+.*10-test\.conflist$`, stdout)
	assert.Regexp(t, `(?m)^testnet \(shadowed\).*20-dup\.conflist$`, stdout)

	// gc keeps only container A.
	code, _, stderr = f.run(t, nil, "gc", "testnet", idA)
	require.Equal(t, exitOK, code, stderr)
	atts, err = cni.GetCachedAttachments("")
	require.NoError(t, err)
	require.Len(t, atts, 1)
	assert.Equal(t, idA, atts[0].ContainerID)

	// del twice succeeds and empties the cache.
	for i := 0; i < 2; i++ {
		code, _, stderr = f.run(t, nil, "del", "testnet", "/var/run/netns/a")
		require.Equal(t, exitOK, code, stderr)
	}
	atts, err = cni.GetCachedAttachments("")
	require.NoError(t, err)
	assert.Empty(t, atts)
}

func TestPluginFailureIsReported(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	f.write(t, "10-fail.conflist", `{
  "cniVersion": "1.1.0", "name": "failnet",
  "plugins": [{"type": "noop", "failOn": {"ADD": {"code": 11, "msg": "busy, try later"}}}]
}`)
	code, stdout, stderr := f.run(t, nil, "--json", "add", "failnet", "/var/run/netns/z")
	assert.Equal(t, exitFailed, code, stderr)
	assert.Contains(t, stderr, "busy, try later")
	var obj struct {
		OK       bool   `json:"ok"`
		Plugin   string `json:"plugin"`
		Verb     string `json:"verb"`
		CNIError struct {
			Code uint   `json:"code"`
			Msg  string `json:"msg"`
		} `json:"cniError"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &obj), stdout)
	assert.False(t, obj.OK)
	assert.Equal(t, "noop", obj.Plugin)
	assert.Equal(t, "add", obj.Verb)
	assert.Equal(t, uint(11), obj.CNIError.Code)
	assert.Equal(t, "busy, try later", obj.CNIError.Msg)
}

// TestIfNameFlagAndEnv follows the reference cnitool v1.3.1: -i/--ifname
// wins over CNI_IFNAME, and an empty CNI_IFNAME means eth0.
func TestIfNameFlagAndEnv(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"default", nil, []string{"add", "testnet", "/var/run/netns/x"}, "eth0"},
		{"empty CNI_IFNAME", map[string]string{"CNI_IFNAME": ""}, []string{"add", "testnet", "/var/run/netns/x"}, "eth0"},
		{"CNI_IFNAME", map[string]string{"CNI_IFNAME": "net1"}, []string{"add", "testnet", "/var/run/netns/x"}, "net1"},
		{"-i before the command", map[string]string{"CNI_IFNAME": "net1"}, []string{"-i", "net2", "add", "testnet", "/var/run/netns/x"}, "net2"},
		{"--ifname after the arguments", nil, []string{"add", "testnet", "/var/run/netns/x", "--ifname", "net3"}, "net3"},
		{"--ifname=", nil, []string{"--ifname=net4", "add", "testnet", "/var/run/netns/x"}, "net4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, true)
			f.write(t, "10-test.conflist", noopList)
			code, _, stderr := f.run(t, tc.env, tc.args...)
			require.Equal(t, exitOK, code, stderr)
			atts, err := libcni.NewCNIConfigWithCacheDir(nil, f.cacheDir, nil).GetCachedAttachments("")
			require.NoError(t, err)
			require.Len(t, atts, 1)
			assert.Equal(t, tc.want, atts[0].IfName)
		})
	}
	f := newFixture(t, false)
	code, _, stderr := f.run(t, nil, "add", "testnet", "/var/run/netns/x", "-i")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "flag -i needs an interface name")
}

func TestTimingsTable(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	f.write(t, "10-test.conflist", noopList)
	code, stdout, stderr := f.run(t, nil, "--timings", "--json", "add", "testnet", "/var/run/netns/t")
	require.Equal(t, exitOK, code, stderr)
	var out map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &out), "stdout holds only the JSON: %s", stdout)
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	require.Len(t, lines, 9, stderr)
	assert.Equal(t, "timings of add:", lines[0])
	assert.Regexp(t, `^  STEP\s+WHAT\s+EXIT\s+STDIN\s+STDOUT\s+DURATION\s+ERROR$`, lines[1])
	assert.Regexp(t, `^  lock\s+network\s+\S+$`, lines[2])
	assert.Regexp(t, `^  lock\s+container\s+\S+$`, lines[3])
	assert.Regexp(t, `^  ADD\s+plugins\[0\] noop\s+0\s+\d+\s+\d+\s+\S+s$`, lines[4])
	assert.Regexp(t, `^  ADD\s+plugins\[1\] noop\s+0\s+\d+\s+\d+\s+\S+s$`, lines[5])
	assert.Regexp(t, `^  cache-write\s+testnet-cnitool-[0-9a-f]+-eth0\s+\S+s$`, lines[6])
	assert.Regexp(t, `^  plugins\s+\S+s$`, lines[7])
	assert.Regexp(t, `^  total\s+\S+s$`, lines[8])

	// A failing plugin: the table still comes, and marks the failed run.
	f.write(t, "20-fail.conflist", `{"cniVersion": "1.1.0", "name": "failnet",
  "plugins": [{"type": "noop", "failOn": {"DEL": {"code": 11, "msg": "busy"}}}]}`)
	code, _, stderr = f.run(t, nil, "del", "--timings", "failnet", "/var/run/netns/t")
	assert.Equal(t, exitFailed, code)
	assert.Regexp(t, `(?m)^  DEL\s+plugins\[0\] noop\s+1\s+\d+\s+\d+\s+\S+s\s+failed$`, stderr)
	assert.Contains(t, stderr, "cnitool: ")

	code, _, stderr = f.run(t, nil, "--timings", "list")
	assert.Equal(t, exitOK, code, stderr)
	assert.Regexp(t, `^timings of list:\n  STEP.*\n  plugins\s+0s\n  total\s+\S+s\n$`, stderr)
}

func TestLogLevel(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	f.write(t, "10-test.conflist", noopList)
	f.write(t, "20-fail.conflist", `{"cniVersion": "1.1.0", "name": "failnet",
  "plugins": [{"type": "noop"}, {"type": "noop", "failOn": {"ADD": {"code": 11, "msg": "busy, try later", "details": "pool full"}}}]}`)

	code, _, stderr := f.run(t, nil, "--log-level", "debug", "add", "testnet", "/var/run/netns/l")
	require.Equal(t, exitOK, code, stderr)
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	require.Len(t, lines, 5, stderr)
	assert.Regexp(t, `^time=\S+ level=DEBUG msg="CNI lock acquired" event=lock-wait command=ADD network=testnet container_id=cnitool-\w+ duration=\S+ lock=network$`, lines[0])
	assert.Regexp(t, `^time=\S+ level=DEBUG msg="CNI plugin ran" event=plugin-run command=ADD network=testnet container_id=cnitool-\w+ ifname=eth0 duration=\S+ plugin_type=noop plugin_index=1 plugin_path=\S+ exit_code=0 stdin_bytes=\d+ stdout_bytes=\d+$`, lines[3])
	assert.Contains(t, lines[4], `msg="CNI cache write"`)

	code, _, stderr = f.run(t, nil, "--log-level=warn", "add", "failnet", "/var/run/netns/l")
	require.Equal(t, exitFailed, code)
	lines = strings.Split(strings.TrimSpace(stderr), "\n")
	require.Len(t, lines, 2, "one record and the error line: %s", stderr)
	assert.Regexp(t, `^time=\S+ level=ERROR msg="CNI plugin failed" .* plugin_index=1 .* exit_code=1 .* error=".*busy, try later.*" plugin_error.code=11 plugin_error.msg="busy, try later" plugin_error.details="pool full"$`, lines[0])
	assert.True(t, strings.HasPrefix(lines[1], "cnitool: "), lines[1])

	for _, args := range [][]string{{"--log-level", "loud", "list"}, {"list", "--log-level"}} {
		code, _, stderr = f.run(t, nil, args...)
		assert.Equal(t, exitUsage, code, "%v", args)
		assert.Contains(t, stderr, "--log-level", "%v", args)
	}
}

// TestGCAcceptsReferenceSyntax: the reference cnitool's "gc <net> <netns>"
// collects every cached attachment of the network, whether the netns path
// is absolute or relative.
func TestGCAcceptsReferenceSyntax(t *testing.T) {
	t.Parallel()
	for name, netns := range map[string]string{
		"absolute":          "/var/run/netns/a",
		"relative existing": "main.go", // a file of this package's directory
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, true)
			f.write(t, "10-test.conflist", noopList)
			for _, ns := range []string{"/var/run/netns/a", "/var/run/netns/b"} {
				code, _, stderr := f.run(t, nil, "add", "testnet", ns)
				require.Equal(t, exitOK, code, stderr)
			}
			code, _, stderr := f.run(t, nil, "gc", "testnet", netns)
			require.Equal(t, exitOK, code, stderr)
			assert.Contains(t, stderr, "reference cnitool syntax")
			atts, err := libcni.NewCNIConfigWithCacheDir(nil, f.cacheDir, nil).GetCachedAttachments("")
			require.NoError(t, err)
			assert.Empty(t, atts)
		})
	}
}

func TestConformance(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	f.write(t, "10-ok.conflist", `{"cniVersion":"1.1.0","name":"oknet","plugins":[{"type":"noop"}]}`)
	f.write(t, "20-bad.conflist", `{"cniVersion":"1.1.0","name":"badnet","plugins":[{"type":"noop","failOn":{"STATUS":{"code":42,"msg":"not ready"}}}]}`)
	checks := "--check=version,version-unsupported,status"
	tests := []struct {
		name     string
		args     []string
		code     int
		contains []string
		failures int
	}{
		{"table, all pass", []string{checks, "conformance", "oknet"}, exitOK,
			[]string{"version-unsupported", "PASS", "3 checks: 3 passed, 0 failed, 0 skipped"}, 0},
		{"a STATUS code the spec leaves undefined fails", []string{"conformance", "badnet", "--check", "status"}, exitFailed,
			[]string{"status", "FAIL", "error code 42 is reserved"}, 1},
		{"unknown check", []string{"--check", "nosuch", "conformance", "oknet"}, exitUsage, nil, -1},
		{"missing network", []string{"conformance", "nonet"}, exitConfigNotFound, nil, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			junit := filepath.Join(t.TempDir(), "report.xml")
			code, stdout, stderr := f.run(t, nil, append([]string{"--junit", junit}, tc.args...)...)
			assert.Equal(t, tc.code, code, "stdout: %s\nstderr: %s", stdout, stderr)
			for _, s := range tc.contains {
				assert.Contains(t, stdout, s)
			}
			if tc.failures < 0 {
				return
			}
			x, err := os.ReadFile(junit)
			require.NoError(t, err)
			assert.Contains(t, string(x), fmt.Sprintf(`failures="%d"`, tc.failures))
			assert.Contains(t, string(x), `<testcase name="status"`)
		})
	}

	code, stdout, stderr := f.run(t, nil, "--json", checks, "conformance", "badnet")
	assert.Equal(t, exitFailed, code, stderr)
	var obj struct {
		OK      bool   `json:"ok"`
		Network string `json:"network"`
		Results []struct {
			Check    string `json:"check"`
			Status   string `json:"status"`
			Evidence []struct {
				Command  string `json:"command"`
				Stdout   string `json:"stdout"`
				ExitCode int    `json:"exitCode"`
			} `json:"evidence"`
		} `json:"results"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &obj), stdout)
	assert.False(t, obj.OK)
	assert.Equal(t, "badnet", obj.Network)
	require.Len(t, obj.Results, 3)
	st := obj.Results[2]
	assert.Equal(t, "status", st.Check)
	assert.Equal(t, "fail", st.Status)
	require.Len(t, st.Evidence, 1)
	assert.Equal(t, "STATUS", st.Evidence[0].Command)
	assert.NotZero(t, st.Evidence[0].ExitCode)
	assert.Contains(t, st.Evidence[0].Stdout, "42")
}
