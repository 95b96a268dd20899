package main

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	refinvoke "github.com/containernetworking/cni/pkg/invoke"
	reftypes "github.com/containernetworking/cni/pkg/types"
	ref100 "github.com/containernetworking/cni/pkg/types/100"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/pkg/plugintest"
	"github.com/cnirt/cni/version"
)

func TestMain(m *testing.M) {
	code := m.Run()
	plugintest.Cleanup()
	os.Exit(code)
}

func noopExe(t *testing.T) string {
	t.Helper()
	return plugintest.Exe(plugintest.Build(t, plugintest.NoopPlugin), "noop")
}

func env(cmd string) []string {
	return []string{
		"CNI_COMMAND=" + cmd, "CNI_CONTAINERID=ctr1", "CNI_NETNS=/var/run/netns/none",
		"CNI_IFNAME=eth0", "CNI_PATH=/opt/cni/bin",
	}
}

const prev100 = `{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"/var/run/netns/none"}],` +
	`"ips":[{"address":"198.18.0.2/24","gateway":"198.18.0.1","interface":0}],"dns":{}}`

func decode(t *testing.T, b []byte) map[string]interface{} {
	t.Helper()
	var m map[string]interface{}
	require.NoError(t, json.Unmarshal(b, &m), "output %q", b)
	return m
}

func TestNoopAddEveryVersion(t *testing.T) {
	t.Parallel()
	exe := noopExe(t)
	for _, v := range version.All.SupportedVersions() {
		r := plugintest.Exec(t, exe, env("ADD"), []byte(`{"cniVersion":"`+v+`","name":"n","type":"noop"}`))
		require.Equal(t, 0, r.ExitCode, "%s: %s", v, r.Stdout)
		assert.Equal(t, v, decode(t, r.Stdout)["cniVersion"], v)
	}
}

func TestNoopAdd(t *testing.T) {
	t.Parallel()
	exe := noopExe(t)
	for _, c := range []struct {
		name, conf, want string
	}{
		{"prevResult unchanged",
			`{"cniVersion":"1.0.0","name":"n","type":"noop","prevResult":` + prev100 + `}`,
			prev100},
		{"prevResult without version takes the config's",
			`{"cniVersion":"0.4.0","name":"n","type":"noop","prevResult":{"ips":[{"version":"4","address":"198.18.0.2/24"}]}}`,
			`{"cniVersion":"0.4.0","ips":[{"version":"4","address":"198.18.0.2/24"}],"dns":{}}`},
		{"result from config, converted down",
			`{"cniVersion":"0.4.0","name":"n","type":"noop","result":` + prev100 + `}`,
			`{"cniVersion":"0.4.0","interfaces":[{"name":"eth0","sandbox":"/var/run/netns/none"}],` +
				`"ips":[{"version":"4","address":"198.18.0.2/24","gateway":"198.18.0.1","interface":0}],"dns":{}}`},
		{"result from config without version",
			`{"cniVersion":"1.1.0","name":"n","type":"noop","result":{"ips":[{"address":"198.18.0.9/32"}]}}`,
			`{"cniVersion":"1.1.0","ips":[{"address":"198.18.0.9/32"}],"dns":{}}`},
		{"empty result",
			`{"cniVersion":"1.0.0","name":"n","type":"noop"}`,
			`{"cniVersion":"1.0.0","dns":{}}`},
	} {
		r := plugintest.Exec(t, exe, env("ADD"), []byte(c.conf))
		require.Equal(t, 0, r.ExitCode, "%s: %s", c.name, r.Stdout)
		sameResult(t, c.want, string(r.Stdout), c.name)
	}
}

func TestNoopOtherVerbsAndFailures(t *testing.T) {
	t.Parallel()
	exe := noopExe(t)
	conf := `{"cniVersion":"1.1.0","name":"n","type":"noop","prevResult":` + prev100 + `}`
	for _, verb := range []string{"CHECK", "DEL", "STATUS", "GC"} {
		r := plugintest.Exec(t, exe, env(verb), []byte(conf))
		assert.Equal(t, 0, r.ExitCode, "%s: %s", verb, r.Stdout)
		assert.Empty(t, r.Stdout, verb)
	}

	for _, c := range []struct {
		name, verb, conf string
		code             float64
		msg              string
	}{
		{"failOn ADD", "ADD", `{"cniVersion":"1.0.0","name":"n","failOn":{"ADD":{"code":11,"msg":"try later","details":"d"}}}`, 11, "try later"},
		{"failOn STATUS", "STATUS", `{"cniVersion":"1.1.0","name":"n","failOn":{"STATUS":{"code":50,"msg":"limited"}}}`, 50, "limited"},
		{"failOn another verb only", "DEL", `{"cniVersion":"1.1.0","name":"n","failOn":{"ADD":{"code":11,"msg":"x"}}}`, 0, ""},
		{"bad prevResult on CHECK", "CHECK", `{"cniVersion":"1.0.0","name":"n","prevResult":{"ips":[{"address":"nope"}]}}`, 6, "noop CHECK"},
		{"bad sleep", "DEL", `{"cniVersion":"1.0.0","name":"n","sleep":{"DEL":"soon"}}`, 7, `sleep["DEL"]`},
		{"bad result", "ADD", `{"cniVersion":"1.0.0","name":"n","result":{"ips":"x"}}`, 6, "noop ADD"},
		{"unsupported version", "ADD", `{"cniVersion":"2.0.0","name":"n"}`, 1, "incompatible CNI versions"},
		{"no name", "ADD", `{"cniVersion":"1.0.0"}`, 7, "missing network name"},
	} {
		r := plugintest.Exec(t, exe, env(c.verb), []byte(c.conf))
		if c.code == 0 {
			assert.Equal(t, 0, r.ExitCode, c.name)
			continue
		}
		assert.Equal(t, 1, r.ExitCode, c.name)
		obj := decode(t, r.Stdout)
		assert.Equal(t, c.code, obj["code"], c.name)
		assert.Contains(t, obj["msg"], c.msg, c.name)
		assert.NotEmpty(t, obj["cniVersion"], c.name)
	}
}

// TestReferenceInvokeDrivesNoop runs the noop plugin, built on this
// module's pkg/skel, through the reference library's invoke package.
func TestReferenceInvokeDrivesNoop(t *testing.T) {
	t.Parallel()
	exe := noopExe(t)
	ctx := context.Background()
	args := func(cmd string) *refinvoke.Args {
		return &refinvoke.Args{Command: cmd, ContainerID: "ctr1", NetNS: "/var/run/netns/none", IfName: "eth0", Path: "/opt/cni/bin"}
	}

	info, err := refinvoke.GetVersionInfo(ctx, exe, nil)
	require.NoError(t, err)
	assert.Equal(t, version.All.SupportedVersions(), info.SupportedVersions())

	conf := []byte(`{"cniVersion":"1.0.0","name":"n","type":"noop","prevResult":` + prev100 + `}`)
	res, err := refinvoke.ExecPluginWithResult(ctx, exe, conf, args("ADD"), nil)
	require.NoError(t, err)
	r100, err := ref100.GetResult(res)
	require.NoError(t, err)
	require.Len(t, r100.IPs, 1)
	assert.Equal(t, "198.18.0.2/24", r100.IPs[0].Address.String())
	assert.Equal(t, "1.0.0", res.Version())

	require.NoError(t, refinvoke.ExecPluginWithoutResult(ctx, exe, conf, args("DEL"), nil))
	require.NoError(t, refinvoke.ExecPluginWithoutResult(ctx, exe, conf, args("CHECK"), nil))

	failing := []byte(`{"cniVersion":"1.0.0","name":"n","failOn":{"DEL":{"code":11,"msg":"busy"}}}`)
	err = refinvoke.ExecPluginWithoutResult(ctx, exe, failing, args("DEL"), nil)
	var cniErr *reftypes.Error
	require.ErrorAs(t, err, &cniErr)
	assert.Equal(t, uint(11), cniErr.Code)
	assert.Equal(t, "busy", cniErr.Msg)
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
