package plugintest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/pkg/plugintest"
	"github.com/cnirt/cni/pkg/plugintest/debugrecord"
)

func TestMain(m *testing.M) {
	code := m.Run()
	plugintest.Cleanup()
	os.Exit(code)
}

func TestBuildIsCachedPerPackageSet(t *testing.T) {
	t.Parallel()
	a := plugintest.Build(t, plugintest.NoopPlugin, plugintest.DebugPlugin)
	b := plugintest.Build(t, plugintest.DebugPlugin, plugintest.NoopPlugin)
	assert.Equal(t, a, b, "the same set in another order is the same build")
	for _, name := range []string{"noop", "debug"} {
		st, err := os.Stat(plugintest.Exe(a, name))
		require.NoError(t, err, name)
		assert.True(t, st.Mode().IsRegular())
	}
	c := plugintest.Build(t, plugintest.NoopPlugin)
	assert.NotEqual(t, a, c)

	r := plugintest.Exec(t, plugintest.Exe(c, "noop"), []string{"CNI_COMMAND=VERSION"}, nil)
	assert.Equal(t, 0, r.ExitCode)
	assert.Contains(t, string(r.Stdout), `"supportedVersions"`)
}

// fakeTB records Fatalf and Skipf instead of stopping the goroutine.
type fakeTB struct {
	testing.TB
	fatal, skip string
}

func (f *fakeTB) Helper()                                   {}
func (f *fakeTB) Fatalf(format string, args ...interface{}) { f.fatal = fmt.Sprintf(format, args...) }
func (f *fakeTB) Skipf(format string, args ...interface{})  { f.skip = fmt.Sprintf(format, args...) }

func TestRequireCI(t *testing.T) {
	t.Setenv("CI", "true")
	var f fakeTB
	plugintest.RequireCI(&f, "a network namespace")
	assert.Contains(t, f.fatal, "a network namespace")
	assert.Empty(t, f.skip)

	t.Setenv("CI", "")
	f = fakeTB{}
	plugintest.RequireCI(&f, "root")
	assert.Contains(t, f.skip, "root")
	assert.Empty(t, f.fatal)
}

func TestReadDebugLog(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "log")
	assert.Empty(t, plugintest.ReadDebugLog(t, file), "no file, no records")

	want := []plugintest.DebugRecord{
		{Command: "ADD", Env: map[string]string{"CNI_COMMAND": "ADD"}, Stdin: []byte("{\n\"x\":\"\u00e9\"}"), PID: 7},
		{Command: "DEL", Env: map[string]string{}, Stdout: []byte{0, 1, 2}, ExitCode: 1, PID: 8},
	}
	for i := range want {
		require.NoError(t, debugrecord.Append(file, &want[i]))
	}
	got := plugintest.ReadDebugLog(t, file)
	require.Len(t, got, 2)
	assert.Equal(t, want[0].Stdin, got[0].Stdin)
	assert.Equal(t, want[1].Stdout, got[1].Stdout)
	assert.Equal(t, "DEL", got[1].Command)
	assert.Equal(t, 8, got[1].PID)

	require.NoError(t, os.WriteFile(file, []byte("{\"command\":\"ADD\"}\n\nnot json\n"), 0o644))
	_, err := debugrecord.ReadFile(file)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "line 3")
	assert.Contains(t, err.Error(), file)

	_, err = debugrecord.ReadFile(dir)
	assert.Error(t, err, "a directory is not a debug file")
	assert.Error(t, debugrecord.Append(filepath.Join(dir, "missing", "log"), &want[0]))
}
