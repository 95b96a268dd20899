package skel_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/pkg/skel"
	"github.com/cnirt/cni/types"
	"github.com/cnirt/cni/version"
)

// When the test binary is started with SKEL_TEST_AS_PLUGIN=1 it is a plugin
// built on PluginMainFuncs (or, with =legacy, PluginMain).
func TestMain(m *testing.M) {
	switch os.Getenv("SKEL_TEST_AS_PLUGIN") {
	case "1":
		skel.PluginMainFuncs(skel.CNIFuncs{
			Add: func(a *skel.CmdArgs) error {
				_, err := os.Stdout.Write([]byte(`{"cniVersion":"1.0.0","ips":[]}`))
				return err
			},
			Del: func(*skel.CmdArgs) error {
				return types.NewError(types.ErrTryAgainLater, "busy", "")
			},
		}, version.All, "skel test plugin")
		os.Exit(0)
	case "legacy":
		skel.PluginMain(nil, nil, func(*skel.CmdArgs) error { return errors.New("legacy del failed") },
			version.PluginSupports("0.3.1", "0.4.0"), "")
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runSelf(t *testing.T, mode string, env map[string]string, stdin string) (string, string, int) {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe)
	cmd.Env = []string{"SKEL_TEST_AS_PLUGIN=" + mode}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return out.String(), errOut.String(), code
}

func TestProcessPlugin(t *testing.T) {
	t.Parallel()
	out, _, code := runSelf(t, "1", fullEnv("ADD"), conf("1.0.0"))
	assert.Equal(t, 0, code)
	assert.JSONEq(t, `{"cniVersion":"1.0.0","ips":[]}`, out)

	out, _, code = runSelf(t, "1", fullEnv("DEL"), conf("1.0.0"))
	assert.Equal(t, 1, code)
	assert.JSONEq(t, `{"cniVersion":"1.0.0","code":11,"msg":"busy"}`, out)

	out, _, code = runSelf(t, "1", map[string]string{"CNI_COMMAND": "VERSION"}, "")
	assert.Equal(t, 0, code)
	var info map[string]interface{}
	require.NoError(t, json.Unmarshal([]byte(out), &info))
	assert.Len(t, info["supportedVersions"], len(version.All.SupportedVersions()))

	out, stderr, code := runSelf(t, "1", nil, "")
	assert.Equal(t, 0, code)
	assert.Empty(t, out)
	assert.Contains(t, stderr, "skel test plugin")

	env := fullEnv("ADD")
	delete(env, "CNI_IFNAME")
	out, _, code = runSelf(t, "1", env, conf("1.0.0"))
	assert.Equal(t, 1, code)
	assert.JSONEq(t, `{"cniVersion":"1.1.0","code":4,"msg":"required env variables [CNI_IFNAME] missing"}`, out)

	out, _, code = runSelf(t, "legacy", fullEnv("DEL"), conf("0.4.0"))
	assert.Equal(t, 1, code)
	assert.JSONEq(t, `{"cniVersion":"0.4.0","code":999,"msg":"legacy del failed"}`, out)

	out, _, code = runSelf(t, "legacy", fullEnv("ADD"), conf("1.0.0"))
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "incompatible CNI versions")
}
