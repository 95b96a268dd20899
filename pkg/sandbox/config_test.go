package sandbox_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/pkg/sandbox"
)

func names(ns []*sandbox.Network) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.Name+":"+n.IfName)
	}
	return out
}

func TestSelection(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := &env{t: t, confDir: dir, log: filepath.Join(dir, "log")}
	e.write("10-a.conflist", e.debugNet("a", "", ""))
	e.write("20-b.conf", `{"cniVersion":"1.0.0","name":"b","type":"noop"}`)
	e.write("30-c.json", e.debugNet("c", "", ""))
	e.write("40-d.conflist", e.debugNet("d", "", ""))
	e.write("50-ignored.txt", e.debugNet("x", "", ""))

	tests := []struct {
		name string
		opts []sandbox.Option
		want []string
	}{
		{"first valid", nil, []string{"a:eth0"}},
		{"max networks", []sandbox.Option{sandbox.WithMaxNetworks(3)}, []string{"a:eth0", "b:net1", "c:net2"}},
		{"more than there are", []sandbox.Option{sandbox.WithMaxNetworks(9)}, []string{"a:eth0", "b:net1", "c:net2", "d:net3"}},
		{"named, in the caller's order", []sandbox.Option{sandbox.WithNetworks("d", "a")}, []string{"d:eth0", "a:net1"}},
		{"go-cni prefix", []sandbox.Option{sandbox.WithMaxNetworks(2), sandbox.WithInterfacePrefix("eth")}, []string{"a:eth0", "b:eth1"}},
		{"per network name", []sandbox.Option{sandbox.WithMaxNetworks(2), sandbox.WithInterfaceName("b", "data0")}, []string{"a:eth0", "b:data0"}},
		{"loopback", []sandbox.Option{sandbox.WithLoopback(), sandbox.WithMaxNetworks(2)}, []string{"cni-loopback:lo", "a:eth0", "b:net1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := sandbox.New(append([]sandbox.Option{sandbox.WithConfDir(dir)}, tt.opts...)...)
			require.NoError(t, err)
			set := m.Networks()
			assert.Equal(t, tt.want, names(set.Networks))
			assert.Len(t, set.Valid, 4)
			assert.Empty(t, set.Problems)
			assert.Equal(t, uint64(1), set.Generation)
		})
	}
}

func TestInvalidFilesReportedAndSkipped(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := &env{t: t, confDir: dir, log: filepath.Join(dir, "log")}
	e.write("01-syntax.conflist", "{\n  \"cniVersion\": \"1.0.0\",\n  \"name\": \"s\"\n  \"plugins\": []\n}")
	e.write("02-noname.conflist", `{"cniVersion":"1.0.0","plugins":[{"type":"debug"}]}`)
	e.write("03-notype.conflist", `{"cniVersion":"1.0.0","name":"t","plugins":[{"type":"debug"},{"foo":1}]}`)
	e.write("04-single-notype.conf", `{"cniVersion":"1.0.0","name":"u"}`)
	e.write("05-good.conflist", e.debugNet("good", "", ""))
	e.write("06-dup.conflist", e.debugNet("good", "", ""))
	e.write("07-badtype.json", "{\"cniVersion\":\"1.0.0\",\n\"name\": 7, \"type\":\"x\"}")

	m, err := sandbox.New(sandbox.WithConfDir(dir), sandbox.WithMaxNetworks(5))
	require.NoError(t, err)
	set := m.Networks()
	assert.Equal(t, []string{"good:eth0"}, names(set.Networks), "one valid network; the broken files do not stop it")

	type want struct {
		file, field string
		line, col   int
		text        string
	}
	wants := []want{
		{"01-syntax.conflist", "", 4, 3, `01-syntax.conflist:4:3: `},
		{"02-noname.conflist", "name", 0, 0, `02-noname.conflist: name: `},
		{"03-notype.conflist", "plugins[1].type", 0, 0, `plugins[1].type`},
		{"04-single-notype.conf", "type", 0, 0, `04-single-notype.conf: type: `},
		{"06-dup.conflist", "name", 0, 0, `network "good" is already defined by`},
		{"07-badtype.json", "name", 2, 0, `07-badtype.json:2:`},
	}
	require.Len(t, set.Problems, len(wants))
	for i, w := range wants {
		p := set.Problems[i]
		assert.Equal(t, filepath.Join(dir, w.file), p.File)
		assert.Equal(t, w.field, p.Field, w.file)
		assert.Equal(t, w.line, p.Line, w.file)
		if w.col > 0 {
			assert.Equal(t, w.col, p.Column, w.file)
		}
		assert.Contains(t, p.Error(), w.text)
	}
	var ce *libcni.ConfigError
	assert.True(t, errors.As(set.Problems[1], &ce), "the libcni ConfigError is reachable")
	// The configuration is usable; the plugin is not installed here, and
	// Ready says so.
	err = m.Ready(t.Context())
	var nr *sandbox.NotReadyError
	require.ErrorAs(t, err, &nr)
	require.ErrorIs(t, err, sandbox.ErrNotReady)
	require.Len(t, nr.Status, 1)
	assert.True(t, nr.Status[0].PluginMissing)
	assert.Equal(t, "debug", nr.Status[0].Plugin)
}
