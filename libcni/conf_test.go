package libcni_test

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/types"
	"github.com/cnirt/cni/version"
)

// confWrite writes content to dir/name (creating parents) and returns the
// path.
func confWrite(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

// confTypes lists the plugin types of a list, in order.
func confTypes(l *libcni.NetworkConfigList) []string {
	var out []string
	for _, p := range l.Plugins {
		out = append(out, p.Network.Type)
	}
	return out
}

// confRequireConfigError asserts err is a *ConfigError for field (and file,
// when not empty) whose text contains each of want.
func confRequireConfigError(t *testing.T, err error, file, field string, want ...string) *libcni.ConfigError {
	t.Helper()
	require.Error(t, err)
	var ce *libcni.ConfigError
	require.True(t, errors.As(err, &ce), "want *ConfigError, got %T: %v", err, err)
	assert.Equal(t, field, ce.Field, "field of %q", err.Error())
	if file != "" {
		assert.Equal(t, file, ce.File)
		assert.Contains(t, err.Error(), file)
	}
	for _, w := range want {
		assert.Contains(t, err.Error(), w)
	}
	return ce
}

func TestNetworkPluginConfFromBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		in        string
		wantType  string
		wantField string
		wantErr   []string
		version   bool // the error is an *UnsupportedVersionError
	}{
		{name: "minimal", in: `{"type":"bridge"}`, wantType: "bridge"},
		{name: "full", in: `{"cniVersion":"1.1.0","name":"n1","type":"bridge","capabilities":{"portMappings":true},"ipam":{"type":"host-local"},"dns":{"nameservers":["198.18.0.1"]},"foo":{"bar":[1,2]}}`, wantType: "bridge"},
		{name: "old version", in: `{"cniVersion":"0.3.1","type":"ptp"}`, wantType: "ptp"},
		{name: "missing type", in: `{"name":"n"}`, wantField: "type", wantErr: []string{"error parsing configuration: missing 'type'"}},
		{name: "empty type", in: `{"type":""}`, wantField: "type", wantErr: []string{"missing 'type'"}},
		{name: "null", in: `null`, wantField: "type", wantErr: []string{"missing 'type'"}},
		{name: "array", in: `[{"type":"bridge"}]`, wantErr: []string{"error parsing configuration: json: cannot unmarshal array"}},
		{name: "string", in: `"bridge"`, wantErr: []string{"error parsing configuration: json: cannot unmarshal string"}},
		{name: "not json", in: `{type: bridge}`, wantErr: []string{"error parsing configuration: invalid character"}},
		{name: "empty input", in: ``, wantErr: []string{"error parsing configuration: unexpected end of JSON input"}},
		{name: "type not string", in: `{"type":7}`, wantErr: []string{"error parsing configuration: json: cannot unmarshal number"}},
		{name: "capabilities wrong type", in: `{"type":"b","capabilities":{"x":"yes"}}`, wantErr: []string{"cannot unmarshal string"}},
		{name: "type with slash", in: `{"type":"../bin/evil"}`, wantField: "type", wantErr: []string{`invalid 'type' "../bin/evil"`}},
		{name: "type with backslash", in: `{"type":"..\\evil"}`, wantField: "type", wantErr: []string{`invalid 'type'`}},
		{name: "type dot", in: `{"type":"."}`, wantField: "type", wantErr: []string{`invalid 'type' "."`}},
		{name: "type dotdot", in: `{"type":".."}`, wantField: "type", wantErr: []string{`invalid 'type' ".."`}},
		{name: "type NUL", in: `{"type":"a\u0000b"}`, wantField: "type", wantErr: []string{`invalid 'type'`}},
		// Well-formed versions this library does not know load, as in the
		// reference; operations on them are refused (see api_test.go).
		{name: "unknown version", in: `{"type":"b","cniVersion":"0.5.0"}`, wantType: "b"},
		{name: "future version", in: `{"type":"b","cniVersion":"2.0.0"}`, wantType: "b"},
		{name: "malformed version", in: `{"type":"b","cniVersion":"one"}`, wantField: "cniVersion", wantErr: []string{`invalid cniVersion one`, "supported versions: 0.1.0, 0.2.0"}, version: true},
		{name: "bad name", in: `{"type":"b","name":"a/b"}`, wantField: "name", wantErr: []string{"invalid characters found in network name", `"a/b"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for fname, fn := range map[string]func([]byte) (*libcni.PluginConfig, error){
				"NetworkPluginConfFromBytes": libcni.NetworkPluginConfFromBytes,
				"ConfFromBytes":              libcni.ConfFromBytes,
			} {
				conf, err := fn([]byte(tc.in))
				if tc.wantErr == nil {
					require.NoError(t, err, fname)
					assert.Equal(t, tc.wantType, conf.Network.Type, fname)
					assert.Equal(t, tc.in, string(conf.Bytes), fname)
					continue
				}
				assert.Nil(t, conf, fname)
				confRequireConfigError(t, err, "", tc.wantField, tc.wantErr...)
				var uv *libcni.UnsupportedVersionError
				assert.Equal(t, tc.version, errors.As(err, &uv), "%s: UnsupportedVersionError in %v", fname, err)
				if tc.version {
					assert.Equal(t, version.All.SupportedVersions(), uv.Supported)
				}
			}
		})
	}
}

func TestNetworkConfFromBytes(t *testing.T) {
	t.Parallel()
	type want struct {
		name, version                   string
		check, gc, inlined              bool
		types                           []string
		field                           string
		errs                            []string
		unsupportedVersion, noPluginKey bool
	}
	tests := []struct {
		name string
		in   string
		want want
	}{
		{name: "basic", in: `{"cniVersion":"1.0.0","name":"net1","plugins":[{"type":"bridge"},{"type":"portmap"}]}`,
			want: want{name: "net1", version: "1.0.0", types: []string{"bridge", "portmap"}}},
		{name: "no version", in: `{"name":"net1","plugins":[{"type":"bridge"}]}`,
			want: want{name: "net1", types: []string{"bridge"}}},
		{name: "name charset", in: `{"name":"A9_.-x","plugins":[{"type":"bridge"}]}`,
			want: want{name: "A9_.-x", types: []string{"bridge"}}},
		{name: "no plugins key", in: `{"name":"net1","cniVersion":"1.1.0"}`,
			want: want{name: "net1", version: "1.1.0", noPluginKey: true}},
		{name: "flags true", in: `{"name":"n","disableCheck":true,"disableGC":true,"loadOnlyInlinedPlugins":true,"plugins":[{"type":"b"}]}`,
			want: want{name: "n", check: true, gc: true, inlined: true, types: []string{"b"}}},
		{name: "flags strings", in: `{"name":"n","disableCheck":"TRUE","disableGC":"True","loadOnlyInlinedPlugins":"false","plugins":[{"type":"b"}]}`,
			want: want{name: "n", check: true, gc: true, types: []string{"b"}}},
		{name: "flags false", in: `{"name":"n","disableCheck":false,"disableGC":"FALSE","plugins":[{"type":"b"}]}`,
			want: want{name: "n", types: []string{"b"}}},
		{name: "null top level", in: `null`, want: want{field: "name", errs: []string{"error parsing configuration list: no name"}}},
		{name: "array top level", in: `[]`, want: want{errs: []string{"error parsing configuration list: json: cannot unmarshal array"}}},
		{name: "not json", in: `{"name":`, want: want{errs: []string{"error parsing configuration list: unexpected end of JSON input"}}},
		{name: "trailing garbage", in: `{"name":"n"} x`, want: want{errs: []string{"error parsing configuration list: invalid character"}}},
		{name: "no name", in: `{"plugins":[{"type":"b"}]}`, want: want{field: "name", errs: []string{"error parsing configuration list: no name"}}},
		{name: "name case differs", in: `{"NAME":"n","plugins":[{"type":"b"}]}`, want: want{field: "name", errs: []string{"no name"}}},
		{name: "name number", in: `{"name":1,"plugins":[{"type":"b"}]}`, want: want{field: "name", errs: []string{"error parsing configuration list: invalid name type float64"}}},
		{name: "name null", in: `{"name":null}`, want: want{field: "name", errs: []string{"invalid name type <nil>"}}},
		{name: "name empty", in: `{"name":"","plugins":[{"type":"b"}]}`, want: want{field: "name", errs: []string{"missing network name"}}},
		{name: "name slash", in: `{"name":"../etc","plugins":[{"type":"b"}]}`, want: want{field: "name", errs: []string{"invalid characters found in network name", `"../etc"`}}},
		{name: "name leading dot", in: `{"name":".n","plugins":[{"type":"b"}]}`, want: want{field: "name", errs: []string{"invalid characters"}}},
		{name: "name space", in: `{"name":"a b","plugins":[{"type":"b"}]}`, want: want{field: "name", errs: []string{"invalid characters"}}},
		{name: "cniVersion type", in: `{"name":"n","cniVersion":1.0,"plugins":[{"type":"b"}]}`, want: want{field: "cniVersion", errs: []string{"error parsing configuration list: invalid cniVersion type float64"}}},
		{name: "cniVersion unknown", in: `{"name":"n","cniVersion":"0.3.2","plugins":[{"type":"b"}]}`, want: want{name: "n", version: "0.3.2", types: []string{"b"}}},
		{name: "cniVersion future", in: `{"name":"n","cniVersion":"9.0.0","plugins":[{"type":"b"}]}`, want: want{name: "n", version: "9.0.0", types: []string{"b"}}},
		{name: "cniVersion malformed", in: `{"name":"n","cniVersion":"v1","plugins":[{"type":"b"}]}`, want: want{field: "cniVersion", unsupportedVersion: true, errs: []string{"invalid cniVersion v1", `major version part "v1"`}}},
		{name: "disableCheck number", in: `{"name":"n","disableCheck":1,"plugins":[{"type":"b"}]}`, want: want{field: "disableCheck", errs: []string{"error parsing configuration list: invalid type float64 for disableCheck"}}},
		{name: "disableGC bad string", in: `{"name":"n","disableGC":"Yes","plugins":[{"type":"b"}]}`, want: want{field: "disableGC", errs: []string{`error parsing configuration list: invalid value "yes" for disableGC`}}},
		{name: "loadOnlyInlinedPlugins null", in: `{"name":"n","loadOnlyInlinedPlugins":null,"plugins":[{"type":"b"}]}`, want: want{field: "loadOnlyInlinedPlugins", errs: []string{"invalid type <nil> for loadOnlyInlinedPlugins"}}},
		{name: "inlined only without plugins", in: `{"name":"n","loadOnlyInlinedPlugins":true}`, want: want{field: "plugins", errs: []string{"error parsing configuration list: `loadOnlyInlinedPlugins` is true, and no 'plugins' key"}}},
		{name: "plugins object", in: `{"name":"n","plugins":{"type":"b"}}`, want: want{field: "plugins", errs: []string{"error parsing configuration list: invalid 'plugins' type map[string]interface {}"}}},
		{name: "plugins null", in: `{"name":"n","plugins":null}`, want: want{field: "plugins", errs: []string{"invalid 'plugins' type <nil>"}}},
		{name: "plugins empty", in: `{"name":"n","plugins":[]}`, want: want{field: "plugins", errs: []string{"error parsing configuration list: no plugins in list"}}},
		{name: "plugin missing type", in: `{"name":"n","plugins":[{"type":"a"},{"type":"b"},{"name":"x"}]}`, want: want{field: "plugins[2].type", errs: []string{"failed to parse plugin config 2: error parsing configuration: missing 'type'"}}},
		{name: "plugin null", in: `{"name":"n","plugins":[null]}`, want: want{field: "plugins[0].type", errs: []string{"failed to parse plugin config 0: error parsing configuration: missing 'type'", "null, not a JSON object"}}},
		{name: "plugin string", in: `{"name":"n","plugins":["bridge"]}`, want: want{field: "plugins[0]", errs: []string{"failed to parse plugin config 0: error parsing configuration: json: cannot unmarshal string", "a string, not a JSON object"}}},
		{name: "plugin bad type path", in: `{"name":"n","plugins":[{"type":"/bin/sh"}]}`, want: want{field: "plugins[0].type", errs: []string{"failed to parse plugin config 0", `invalid 'type' "/bin/sh"`}}},
		{name: "plugin unknown version", in: `{"name":"n","plugins":[{"type":"b"},{"type":"c","cniVersion":"0.9.0"}]}`, want: want{name: "n", types: []string{"b", "c"}}},
		{name: "plugin bad version", in: `{"name":"n","plugins":[{"type":"b"},{"type":"c","cniVersion":"x.9"}]}`, want: want{field: "plugins[1].cniVersion", unsupportedVersion: true, errs: []string{"failed to parse plugin config 1", `invalid cniVersion x.9`}}},
		{name: "plugin bad capabilities", in: `{"name":"n","plugins":[{"type":"b","capabilities":[]}]}`, want: want{field: "plugins[0]", errs: []string{"failed to parse plugin config 0: error parsing configuration: json: cannot unmarshal array"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for fname, fn := range map[string]func([]byte) (*libcni.NetworkConfigList, error){
				"NetworkConfFromBytes": libcni.NetworkConfFromBytes,
				"ConfListFromBytes":    libcni.ConfListFromBytes,
			} {
				l, err := fn([]byte(tc.in))
				if tc.want.errs != nil {
					assert.Nil(t, l, fname)
					confRequireConfigError(t, err, "", tc.want.field, tc.want.errs...)
					var uv *libcni.UnsupportedVersionError
					assert.Equal(t, tc.want.unsupportedVersion, errors.As(err, &uv), "%s: %v", fname, err)
					continue
				}
				require.NoError(t, err, fname)
				assert.Equal(t, tc.want.name, l.Name)
				assert.Equal(t, tc.want.version, l.CNIVersion)
				assert.Equal(t, tc.want.check, l.DisableCheck)
				assert.Equal(t, tc.want.gc, l.DisableGC)
				assert.Equal(t, tc.want.inlined, l.LoadOnlyInlinedPlugins)
				assert.Equal(t, tc.want.types, confTypes(l))
				assert.Equal(t, tc.in, string(l.Bytes))
				if tc.want.noPluginKey {
					assert.Empty(t, l.Plugins)
				}
			}
		})
	}
}

func TestNetworkConfFromBytesVersionSelection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		cniVersion string // JSON fragment, "" to leave out
		versions   string // JSON fragment, "" to leave out
		want       string
		field      string
		errs       []string
	}{
		{name: "highest listed", versions: `["0.3.1","1.0.0","0.4.0"]`, want: "1.0.0"},
		{name: "order does not matter", versions: `["1.1.0","0.4.0"]`, want: "1.1.0"},
		{name: "future versions skipped", versions: `["1.0.0","1.2.0","2.0.0"]`, want: "1.0.0"},
		// As the reference: the highest version not newer than the
		// implemented spec, known or not.
		{name: "unknown older versions count", versions: `["0.4.0","0.5.0"]`, want: "0.5.0"},
		{name: "short forms count", versions: `["0.4.0","1.1"]`, want: "1.1"},
		{name: "cniVersion merged and higher", cniVersion: `"1.1.0"`, versions: `["0.4.0","1.0.0"]`, want: "1.1.0"},
		{name: "cniVersion merged and lower", cniVersion: `"0.3.1"`, versions: `["1.0.0"]`, want: "1.0.0"},
		{name: "cniVersion from the future ignored", cniVersion: `"3.0.0"`, versions: `["1.0.0","3.0.0"]`, want: "1.0.0"},
		{name: "empty list falls back to cniVersion", cniVersion: `"0.4.0"`, versions: `[]`, want: "0.4.0"},
		{name: "empty list alone", versions: `[]`, want: ""},
		{name: "only future", versions: `["2.0.0","3.0.0"]`, want: ""},
		{name: "only future with cniVersion", cniVersion: `"1.2.0"`, versions: `["2.0.0"]`, want: "1.2.0"},
		{name: "malformed entry", versions: `["1.0.0","foo"]`, field: "cniVersions[1]",
			errs: []string{"error parsing configuration list: invalid cniVersions entry foo at index 1: failed to convert major version part"}},
		{name: "malformed cniVersion", cniVersion: `"1.0.0.0"`, versions: `["1.0.0"]`, field: "cniVersion",
			errs: []string{"error parsing configuration list: invalid cniVersion 1.0.0.0", "too many parts"}},
		{name: "entry not a string", versions: `["1.0.0",1]`, field: "cniVersions[1]",
			errs: []string{"error parsing configuration list: invalid type for cniVersions index 1: float64"}},
		{name: "not a list", versions: `"1.0.0"`, field: "cniVersions",
			errs: []string{"error parsing configuration list: invalid type for cniVersions: string"}},
		{name: "null list", versions: `null`, field: "cniVersions", errs: []string{"invalid type for cniVersions: <nil>"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := `{"name":"n",`
			if tc.cniVersion != "" {
				doc += `"cniVersion":` + tc.cniVersion + `,`
			}
			if tc.versions != "" {
				doc += `"cniVersions":` + tc.versions + `,`
			}
			doc += `"plugins":[{"type":"b"}]}`
			l, err := libcni.ConfListFromBytes([]byte(doc))
			if tc.errs != nil {
				confRequireConfigError(t, err, "", tc.field, tc.errs...)
				return
			}
			require.NoError(t, err, doc)
			assert.Equal(t, tc.want, l.CNIVersion, doc)
		})
	}
}

func TestNetworkConfFromBytesPluginBytesVerbatim(t *testing.T) {
	t.Parallel()
	p0 := "{\n    \"type\": \"bridge\",\n    \"bigint\": 12345678901234567890123,\n    \"html\": \"<&>\",\n    \"nested\": {\"z\": 1, \"a\": [true, null]}\n  }"
	p1 := `{"type":"portmap","capabilities":{"portMappings":true},"snat":true}`
	doc := "{\n  \"name\": \"n\",\n  \"plugins\": [\n  " + p0 + ",\n  " + p1 + "\n  ]\n}\n"
	l, err := libcni.ConfListFromBytes([]byte(doc))
	require.NoError(t, err)
	require.Len(t, l.Plugins, 2)
	assert.Equal(t, p0, string(l.Plugins[0].Bytes))
	assert.Equal(t, p1, string(l.Plugins[1].Bytes))
	assert.Equal(t, doc, string(l.Bytes))
	assert.Equal(t, map[string]bool{"portMappings": true}, l.Plugins[1].Network.Capabilities)

	// The plugin bytes do not alias the list's bytes: editing one leaves the
	// other alone.
	l.Plugins[0].Bytes[0] = 'X'
	assert.Equal(t, doc, string(l.Bytes))
}

func TestConfFromFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := confWrite(t, dir, "good.conf", `{"cniVersion":"0.4.0","name":"n","type":"bridge","x":1}`)
	bad := confWrite(t, dir, "bad.conf", `{"name":"n"}`)
	big := filepath.Join(dir, "big.conf")
	f, err := os.Create(big)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(libcni.MaxConfigFileSize+1))
	require.NoError(t, f.Close())

	c, err := libcni.ConfFromFile(good)
	require.NoError(t, err)
	assert.Equal(t, "bridge", c.Network.Type)
	assert.Equal(t, "0.4.0", c.Network.CNIVersion)
	assert.JSONEq(t, `{"cniVersion":"0.4.0","name":"n","type":"bridge","x":1}`, string(c.Bytes))

	_, err = libcni.ConfFromFile(bad)
	confRequireConfigError(t, err, bad, "type", "missing 'type'")

	_, err = libcni.ConfFromFile(big)
	confRequireConfigError(t, err, big, "", "larger than the 8 MiB limit")

	missing := filepath.Join(dir, "missing.conf")
	_, err = libcni.ConfFromFile(missing)
	require.Error(t, err)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.Contains(t, err.Error(), "error reading "+missing)

	_, err = libcni.ConfFromFile(dir)
	require.Error(t, err, "a directory is not a config file")
	assert.Contains(t, err.Error(), "error reading "+dir)
}

func TestConfListFromFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		files map[string]string // relative path -> content; "main.conflist" is loaded
		types []string
		file  string // relative path the error must name
		field string
		errs  []string
	}{
		{name: "inline plugins only", files: map[string]string{
			"main.conflist": `{"name":"net","plugins":[{"type":"a"},{"type":"b"}]}`,
		}, types: []string{"a", "b"}},
		{name: "sibling directory appended in lexical order", files: map[string]string{
			"main.conflist":    `{"name":"net","plugins":[{"type":"a"}]}`,
			"net/20-c.conf":    `{"type":"c"}`,
			"net/10-b.conf":    `{"type":"b"}`,
			"net/05-x.json":    `{"type":"ignored-extension"}`,
			"net/sub/00.conf":  `{"type":"ignored-subdir"}`,
			"other/00-y.conf":  `{"type":"other-network"}`,
			"net/30-d.conflis": `{"type":"ignored"}`,
		}, types: []string{"a", "b", "c"}},
		{name: "plugins only from sibling directory", files: map[string]string{
			"main.conflist": `{"name":"net","cniVersion":"1.1.0"}`,
			"net/1.conf":    `{"type":"x"}`,
		}, types: []string{"x"}},
		{name: "loadOnlyInlinedPlugins ignores the directory", files: map[string]string{
			"main.conflist": `{"name":"net","loadOnlyInlinedPlugins":true,"plugins":[{"type":"a"}]}`,
			"net/1.conf":    `{"type":"x"}`,
			"net/2.conf":    `not even json`,
		}, types: []string{"a"}},
		{name: "empty sibling directory", files: map[string]string{
			"main.conflist": `{"name":"net","plugins":[{"type":"a"}]}`,
			"net/README":    `nothing`,
		}, types: []string{"a"}},
		{name: "no plugins anywhere", files: map[string]string{
			"main.conflist": `{"name":"net"}`,
		}, file: "main.conflist", field: "plugins", errs: []string{"no plugin configs found"}},
		{name: "bad inline plugin names file and position", files: map[string]string{
			"main.conflist": `{"name":"net","plugins":[{"type":"a"},{"type":"b"},{"ipam":{}}]}`,
		}, file: "main.conflist", field: "plugins[2].type", errs: []string{"failed to parse plugin config 2: error parsing configuration: missing 'type'"}},
		{name: "bad sibling plugin names its file", files: map[string]string{
			"main.conflist": `{"name":"net","plugins":[{"type":"a"}]}`,
			"net/1.conf":    `{"type":"b"}`,
			"net/2.conf":    `{"type":"c/d"}`,
		}, file: "net/2.conf", field: "type", errs: []string{`invalid 'type' "c/d"`}},
		{name: "bad list", files: map[string]string{
			"main.conflist": `{"name":"net","disableGC":"maybe","plugins":[{"type":"a"}]}`,
		}, file: "main.conflist", field: "disableGC", errs: []string{`invalid value "maybe" for disableGC`}},
		{name: "not json", files: map[string]string{
			"main.conflist": `{"name":"net",`,
		}, file: "main.conflist", errs: []string{"error parsing configuration list: unexpected end of JSON input"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for p, c := range tc.files {
				confWrite(t, dir, p, c)
			}
			main := filepath.Join(dir, "main.conflist")
			for fname, fn := range map[string]func(string) (*libcni.NetworkConfigList, error){
				"NetworkConfFromFile": libcni.NetworkConfFromFile,
				"ConfListFromFile":    libcni.ConfListFromFile,
			} {
				l, err := fn(main)
				if tc.errs != nil {
					assert.Nil(t, l)
					confRequireConfigError(t, err, filepath.Join(dir, tc.file), tc.field, tc.errs...)
					continue
				}
				require.NoError(t, err, fname)
				assert.Equal(t, tc.types, confTypes(l), fname)
				assert.Equal(t, tc.files["main.conflist"], string(l.Bytes), fname)
			}
		})
	}
}

func TestConfListFromFileIOErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.conflist")
	_, err := libcni.ConfListFromFile(missing)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.Contains(t, err.Error(), "error reading "+missing)

	big := confWrite(t, dir, "big.conflist", `{"name":"n","plugins":[{"type":"b"}]}`)
	require.NoError(t, os.Truncate(big, libcni.MaxConfigFileSize+1))
	_, err = libcni.ConfListFromFile(big)
	confRequireConfigError(t, err, big, "", "larger than the 8 MiB limit")

	// A device that never ends is refused before it is read.
	if _, err := os.Stat("/dev/zero"); err == nil {
		_, err = libcni.ConfListFromFile("/dev/zero")
		confRequireConfigError(t, err, "/dev/zero", "", "not a regular file (character device)")
		var nr *libcni.NotRegularFileError
		require.ErrorAs(t, err, &nr)
		assert.Equal(t, "/dev/zero", nr.Path)
		assert.NotZero(t, nr.Mode&fs.ModeCharDevice)
	}

	// The plugin directory exists but is a file: reading it fails.
	confWrite(t, dir, "net", "I am not a directory")
	main := confWrite(t, dir, "main.conflist", `{"name":"net","plugins":[{"type":"a"}]}`)
	_, err = libcni.ConfListFromFile(main)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "failed to read plugin config files in "+filepath.Join(dir, "net"))
}

func TestNetworkPluginConfsFromFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	confWrite(t, dir, "net/b.conf", `{"type":"second","k":[1]}`)
	confWrite(t, dir, "net/a.conf", `{"type":"first"}`)
	confWrite(t, dir, "net/c.json", `{"type":"not-loaded"}`)
	confWrite(t, dir, "bad/a.conf", `{"type":"ok"}`)
	badFile := confWrite(t, dir, "bad/b.conf", `{"type":7}`)

	confs, err := libcni.NetworkPluginConfsFromFiles(dir, "net")
	require.NoError(t, err)
	require.Len(t, confs, 2)
	assert.Equal(t, "first", confs[0].Network.Type)
	assert.Equal(t, "second", confs[1].Network.Type)
	assert.Equal(t, `{"type":"second","k":[1]}`, string(confs[1].Bytes))

	confs, err = libcni.NetworkPluginConfsFromFiles(dir, "absent")
	require.NoError(t, err)
	assert.Empty(t, confs)

	_, err = libcni.NetworkPluginConfsFromFiles(dir, "bad")
	confRequireConfigError(t, err, badFile, "", "error parsing configuration: json: cannot unmarshal number")

	for _, name := range []string{"", "..", "../net", "a/b", `a\b`} {
		_, err = libcni.NetworkPluginConfsFromFiles(dir, name)
		confRequireConfigError(t, err, dir, "name", "network name")
	}
}

func TestConfFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, n := range []string{"b.conf", "a.conflist", "c.json", "d.txt", "e.conf.bak", ".conf", "noext"} {
		confWrite(t, dir, n, "{}")
	}
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub.conf"), 0o755))
	notDir := confWrite(t, dir, "file", "x")

	tests := []struct {
		name string
		dir  string
		exts []string
		want []string
		err  bool
	}{
		{name: "one extension", dir: dir, exts: []string{".conf"}, want: []string{".conf", "b.conf"}},
		{name: "several extensions sorted", dir: dir, exts: []string{".json", ".conflist", ".conf"}, want: []string{".conf", "a.conflist", "b.conf", "c.json"}},
		{name: "duplicate extension listed once", dir: dir, exts: []string{".json", ".json"}, want: []string{"c.json"}},
		{name: "no match", dir: dir, exts: []string{".yaml"}, want: []string{}},
		{name: "no extensions", dir: dir, exts: nil, want: []string{}},
		{name: "missing dir", dir: filepath.Join(dir, "missing"), exts: []string{".conf"}, want: nil},
		{name: "not a directory", dir: notDir, exts: []string{".conf"}, err: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := libcni.ConfFiles(tc.dir, tc.exts)
			if tc.err {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			if tc.want == nil {
				assert.Nil(t, got)
				return
			}
			rel := []string{}
			for _, g := range got {
				assert.Equal(t, tc.dir, filepath.Dir(g))
				rel = append(rel, filepath.Base(g))
			}
			assert.Equal(t, tc.want, rel)
		})
	}
}

func TestLoadConf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		files    map[string]string
		lookup   string
		wantType string
		notFound bool
		noConfig bool
		errFile  string
		errs     []string
	}{
		{name: "found by name", files: map[string]string{
			"10-a.conf": `{"name":"a","type":"ta"}`,
			"20-b.conf": `{"name":"b","type":"tb"}`,
		}, lookup: "b", wantType: "tb"},
		{name: "json extension", files: map[string]string{
			"10-a.json": `{"name":"a","type":"json-a"}`,
		}, lookup: "a", wantType: "json-a"},
		{name: "lexical order, first wins", files: map[string]string{
			"2.conf": `{"name":"a","type":"second"}`,
			"1.json": `{"name":"a","type":"first"}`,
			"3.conf": `{"name":"a","type":"third"}`,
		}, lookup: "a", wantType: "first"},
		{name: "not found", files: map[string]string{
			"1.conf": `{"name":"a","type":"t"}`,
		}, lookup: "zz", notFound: true},
		{name: "no configs", files: map[string]string{
			"1.conflist": `{"name":"a","plugins":[{"type":"t"}]}`,
			"x.txt":      `hello`,
		}, lookup: "a", noConfig: true},
		{name: "empty dir", files: map[string]string{}, lookup: "a", noConfig: true},
		{name: "matching file invalid", files: map[string]string{
			"1.conf": `{"name":"a"}`,
		}, lookup: "a", errFile: "1.conf", errs: []string{"missing 'type'"}},
		{name: "unreadable name stops the search", files: map[string]string{
			"1.conf": `{"name":`,
			"2.conf": `{"name":"a","type":"t"}`,
		}, lookup: "a", errFile: "1.conf", errs: []string{"error parsing configuration: unexpected end of JSON input"}},
		{name: "broken other network skipped", files: map[string]string{
			"1.conf": `{"name":"other","type":"../../bin/x"}`,
			"2.conf": `{"name":"a","type":"t"}`,
		}, lookup: "a", wantType: "t"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for p, c := range tc.files {
				confWrite(t, dir, p, c)
			}
			c, err := libcni.LoadConf(dir, tc.lookup)
			switch {
			case tc.notFound:
				var nf libcni.NotFoundError
				require.ErrorAs(t, err, &nf)
				assert.Equal(t, libcni.NotFoundError{Dir: dir, Name: tc.lookup}, nf)
				assert.EqualError(t, err, `no net configuration with name "`+tc.lookup+`" in `+dir)
			case tc.noConfig:
				var nc libcni.NoConfigsFoundError
				require.ErrorAs(t, err, &nc)
				assert.Equal(t, dir, nc.Dir)
				assert.EqualError(t, err, "no net configurations found in "+dir)
			case tc.errs != nil:
				confRequireConfigError(t, err, filepath.Join(dir, tc.errFile), errFieldOf(err), tc.errs...)
			default:
				require.NoError(t, err)
				assert.Equal(t, tc.wantType, c.Network.Type)
				assert.Equal(t, tc.lookup, c.Network.Name)
			}
		})
	}
	_, err := libcni.LoadConf(filepath.Join(t.TempDir(), "missing"), "a")
	assert.ErrorAs(t, err, new(libcni.NoConfigsFoundError))
}

// errFieldOf returns the Field of a *ConfigError in err, "" otherwise.
func errFieldOf(err error) string {
	var ce *libcni.ConfigError
	if errors.As(err, &ce) {
		return ce.Field
	}
	return ""
}

func TestLoadNetworkConf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		files       map[string]string
		lookup      string
		types       []string
		version     string
		wantBytes   string // when set, the list's Bytes must equal it
		wantPlugin0 string // when set, plugin 0's Bytes must equal it
		notFound    bool
		noConfig    bool
		errFile     string
		errField    string
		errs        []string
	}{
		{name: "conflist by name", files: map[string]string{
			"10-a.conflist": `{"name":"a","cniVersion":"1.0.0","plugins":[{"type":"ta"}]}`,
			"20-b.conflist": `{"name":"b","cniVersion":"1.1.0","plugins":[{"type":"tb"},{"type":"tc"}]}`,
		}, lookup: "b", types: []string{"tb", "tc"}, version: "1.1.0"},
		{name: "lexical order, first conflist wins", files: map[string]string{
			"b.conflist":  `{"name":"n","plugins":[{"type":"from-b"}]}`,
			"a.conflist":  `{"name":"n","plugins":[{"type":"from-a"}]}`,
			"10.conflist": `{"name":"n","plugins":[{"type":"from-10"}]}`,
		}, lookup: "n", types: []string{"from-10"}},
		{name: "conflist preferred over conf", files: map[string]string{
			"00.conf":     `{"name":"n","type":"from-conf"}`,
			"99.conflist": `{"name":"n","plugins":[{"type":"from-conflist"}]}`,
		}, lookup: "n", types: []string{"from-conflist"}},
		{name: "conf fallback wrapped as list", files: map[string]string{
			"10.conflist": `{"name":"other","plugins":[{"type":"x"}]}`,
			"20.conf":     "{\n \"cniVersion\": \"0.4.0\",\n \"name\": \"n\",\n \"type\": \"bridge\",\n \"extra\": 12345678901234567890123\n}\n",
		}, lookup: "n", types: []string{"bridge"}, version: "0.4.0",
			wantPlugin0: "{\n \"cniVersion\": \"0.4.0\",\n \"name\": \"n\",\n \"type\": \"bridge\",\n \"extra\": 12345678901234567890123\n}"},
		{name: "json fallback", files: map[string]string{
			"20.json": `{"cniVersion":"1.0.0","name":"n","type":"j"}`,
		}, lookup: "n", types: []string{"j"}, version: "1.0.0",
			wantBytes: `{"cniVersion":"1.0.0","name":"n","plugins":[{"cniVersion":"1.0.0","name":"n","type":"j"}]}`},
		{name: "sibling plugins", files: map[string]string{
			"10.conflist": `{"name":"n","plugins":[{"type":"a"}]}`,
			"n/1.conf":    `{"type":"b"}`,
		}, lookup: "n", types: []string{"a", "b"}},
		{name: "broken other network does not hide this one", files: map[string]string{
			"10.conflist":   `{"name":"broken","cniVersion":"7.0.0","plugins":[{"type":"/x"}]}`,
			"broken/a.conf": `garbage`,
			"20.conflist":   `{"name":"n","plugins":[{"type":"a"}]}`,
		}, lookup: "n", types: []string{"a"}},
		{name: "only conflists, none matching", files: map[string]string{
			"10.conflist": `{"name":"a","plugins":[{"type":"x"}]}`,
		}, lookup: "n", notFound: true},
		{name: "conf files, none matching", files: map[string]string{
			"10.conflist": `{"name":"a","plugins":[{"type":"x"}]}`,
			"10.conf":     `{"name":"b","type":"x"}`,
		}, lookup: "n", notFound: true},
		{name: "empty dir", files: map[string]string{}, lookup: "n", noConfig: true},
		{name: "matching conflist invalid", files: map[string]string{
			"10.conflist": `{"name":"n","plugins":[{"type":"a"},{"name":"x"}]}`,
		}, lookup: "n", errFile: "10.conflist", errField: "plugins[1].type", errs: []string{"failed to parse plugin config 1"}},
		{name: "matching conflist without plugins", files: map[string]string{
			"10.conflist": `{"name":"n"}`,
		}, lookup: "n", errFile: "10.conflist", errField: "plugins", errs: []string{"no plugin configs found"}},
		{name: "nameless conflist stops the search", files: map[string]string{
			"10.conflist": `{"plugins":[{"type":"a"}]}`,
			"20.conflist": `{"name":"n","plugins":[{"type":"a"}]}`,
		}, lookup: "n", errFile: "10.conflist", errField: "name", errs: []string{"error parsing configuration list: no name"}},
		{name: "matching conf invalid", files: map[string]string{
			"10.conf": `{"name":"n","type":"b","cniVersion":"x.0.1"}`,
		}, lookup: "n", errFile: "10.conf", errField: "cniVersion", errs: []string{`invalid cniVersion x.0.1`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for p, c := range tc.files {
				confWrite(t, dir, p, c)
			}
			for fname, fn := range map[string]func(string, string) (*libcni.NetworkConfigList, error){
				"LoadNetworkConf": libcni.LoadNetworkConf,
				"LoadConfList":    libcni.LoadConfList,
			} {
				l, err := fn(dir, tc.lookup)
				switch {
				case tc.notFound:
					var nf libcni.NotFoundError
					require.ErrorAs(t, err, &nf, fname)
					assert.Equal(t, libcni.NotFoundError{Dir: dir, Name: tc.lookup}, nf)
				case tc.noConfig:
					var nc libcni.NoConfigsFoundError
					require.ErrorAs(t, err, &nc, fname)
					assert.Equal(t, dir, nc.Dir)
				case tc.errs != nil:
					confRequireConfigError(t, err, filepath.Join(dir, tc.errFile), tc.errField, tc.errs...)
				default:
					require.NoError(t, err, fname)
					assert.Equal(t, tc.lookup, l.Name)
					assert.Equal(t, tc.types, confTypes(l))
					assert.Equal(t, tc.version, l.CNIVersion)
					if tc.wantBytes != "" {
						assert.Equal(t, tc.wantBytes, string(l.Bytes))
					}
					if tc.wantPlugin0 != "" {
						assert.Equal(t, tc.wantPlugin0, string(l.Plugins[0].Bytes))
					}
				}
			}
		})
	}
}

func TestLoadNetworkConfUnreadableDir(t *testing.T) {
	t.Parallel()
	notDir := confWrite(t, t.TempDir(), "f", "x")
	_, err := libcni.LoadNetworkConf(notDir, "n")
	require.Error(t, err)
	assert.Contains(t, err.Error(), notDir)
	_, err = libcni.LoadConf(notDir, "n")
	require.Error(t, err)
	assert.Contains(t, err.Error(), notDir)
}

func TestInjectConf(t *testing.T) {
	t.Parallel()
	const orig = `{"type":"bridge","name":"n","big":12345678901234567890123,"keep":{"b":1,"a":2}}`
	tests := []struct {
		name   string
		bytes  string
		values map[string]interface{}
		want   string // JSON the result must equal (compared as JSON)
		exact  string // when set, the exact result bytes
		errs   []string
	}{
		{name: "add keys", bytes: orig, values: map[string]interface{}{"runtimeConfig": map[string]interface{}{"x": 1}, "z": "v"},
			want:  `{"type":"bridge","name":"n","big":12345678901234567890123,"keep":{"b":1,"a":2},"runtimeConfig":{"x":1},"z":"v"}`,
			exact: `{"big":12345678901234567890123,"keep":{"b":1,"a":2},"name":"n","runtimeConfig":{"x":1},"type":"bridge","z":"v"}`},
		{name: "replace key", bytes: orig, values: map[string]interface{}{"name": "m", "type": "macvlan"},
			want: `{"type":"macvlan","name":"m","big":12345678901234567890123,"keep":{"b":1,"a":2}}`},
		{name: "no values", bytes: orig, values: nil, want: orig},
		{name: "struct value", bytes: `{"type":"b"}`, values: map[string]interface{}{"dns": struct {
			Nameservers []string `json:"nameservers"`
		}{[]string{"198.18.0.1"}}}, want: `{"type":"b","dns":{"nameservers":["198.18.0.1"]}}`},
		{name: "null original", bytes: `null`, values: map[string]interface{}{"type": "b"}, want: `{"type":"b"}`},
		{name: "empty key", bytes: orig, values: map[string]interface{}{"": 1}, errs: []string{"keys cannot be empty"}},
		{name: "nil value", bytes: orig, values: map[string]interface{}{"k": nil}, errs: []string{"key 'k' value must not be nil"}},
		{name: "unencodable value", bytes: orig, values: map[string]interface{}{"k": make(chan int)}, errs: []string{"key 'k'", "unsupported type"}},
		{name: "bad original", bytes: `[1]`, values: map[string]interface{}{"k": 1}, errs: []string{"unmarshal existing network bytes: json: cannot unmarshal array"}},
		{name: "result without type", bytes: `{"type":"b"}`, values: map[string]interface{}{"type": ""}, errs: []string{"missing 'type'"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			original := &libcni.PluginConfig{Bytes: []byte(tc.bytes)}
			origCopy := append([]byte(nil), original.Bytes...)
			got, err := libcni.InjectConf(original, tc.values)
			assert.Equal(t, origCopy, original.Bytes, "original must not change")
			if tc.errs != nil {
				require.Error(t, err)
				for _, e := range tc.errs {
					assert.Contains(t, err.Error(), e)
				}
				return
			}
			require.NoError(t, err)
			assert.JSONEq(t, tc.want, string(got.Bytes))
			if tc.exact != "" {
				assert.Equal(t, tc.exact, string(got.Bytes))
			}
			var decoded struct {
				Type string `json:"type"`
			}
			require.NoError(t, json.Unmarshal(got.Bytes, &decoded))
			assert.Equal(t, decoded.Type, got.Network.Type)
		})
	}
	_, err := libcni.InjectConf(nil, map[string]interface{}{"a": 1})
	require.Error(t, err)
}

func TestConfListFromConf(t *testing.T) {
	t.Parallel()
	src := " {\n \"cniVersion\": \"1.0.0\",\n \"name\": \"n<&>\",\n \"type\": \"bridge\", \"x\": [1, 2]\n}\n"
	plugin := &libcni.PluginConfig{Bytes: []byte(src)}
	// "n<&>" is not a valid network name, so first use a valid one.
	valid, err := libcni.ConfFromBytes([]byte(strings.Replace(src, "n<&>", "net", 1)))
	require.NoError(t, err)
	l, err := libcni.ConfListFromConf(valid)
	require.NoError(t, err)
	assert.Equal(t, "net", l.Name)
	assert.Equal(t, "1.0.0", l.CNIVersion)
	require.Len(t, l.Plugins, 1)
	assert.Equal(t, strings.TrimSpace(string(valid.Bytes)), string(l.Plugins[0].Bytes))
	assert.Equal(t, "bridge", l.Plugins[0].Network.Type)
	assert.JSONEq(t, `{"cniVersion":"1.0.0","name":"net","plugins":[{"cniVersion":"1.0.0","name":"net","type":"bridge","x":[1,2]}]}`, string(l.Bytes))
	assert.False(t, l.DisableCheck)
	assert.False(t, l.DisableGC)

	badName := *valid.Network
	badName.Name = "n<&>"
	tests := []struct {
		name string
		in   *libcni.PluginConfig
		errs []string
	}{
		{name: "nil", in: nil, errs: []string{"nil"}},
		{name: "nil network", in: &libcni.PluginConfig{Bytes: []byte(`{}`)}, errs: []string{"nil"}},
		{name: "bad name", in: &libcni.PluginConfig{Network: &badName, Bytes: plugin.Bytes}, errs: []string{"invalid characters found in network name"}},
		{name: "not an object", in: &libcni.PluginConfig{Network: valid.Network, Bytes: []byte(`[1]`)}, errs: []string{"an array, not a JSON object"}},
		{name: "not json", in: &libcni.PluginConfig{Network: valid.Network, Bytes: []byte(`{"a":`)}, errs: []string{"not a JSON object"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := libcni.ConfListFromConf(tc.in)
			require.Error(t, err)
			for _, e := range tc.errs {
				assert.Contains(t, err.Error(), e)
			}
		})
	}
}

func TestConfigErrorFormat(t *testing.T) {
	t.Parallel()
	inner := errors.New("boom")
	tests := []struct {
		err  *libcni.ConfigError
		want string
	}{
		{&libcni.ConfigError{File: "f", Field: "name", Err: inner}, "f: name: boom"},
		{&libcni.ConfigError{Field: "name", Err: inner}, "name: boom"},
		{&libcni.ConfigError{File: "f", Err: inner}, "f: boom"},
		{&libcni.ConfigError{}, "invalid configuration"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, tc.err.Error())
	}
	assert.ErrorIs(t, &libcni.ConfigError{Err: inner}, inner)

	uv := &libcni.UnsupportedVersionError{Versions: []string{"9.9.9"}, Supported: []string{"1.0.0"}}
	assert.Equal(t, `CNI version "9.9.9" is not supported (supported versions: 1.0.0)`, uv.Error())
	uv = &libcni.UnsupportedVersionError{Versions: []string{"a", "b"}, Supported: []string{"1.0.0"}}
	assert.Equal(t, `none of the CNI versions "a", "b" is supported (supported versions: 1.0.0)`, uv.Error())
	uv = &libcni.UnsupportedVersionError{Versions: []string{"x"}, Supported: []string{"1.0.0"}, Err: inner}
	assert.Equal(t, `boom (supported versions: 1.0.0)`, uv.Error())
	assert.ErrorIs(t, uv, inner)
}

func TestConfTypeSeparatorsAllOS(t *testing.T) {
	t.Parallel()
	// Both separators are refused on every OS, so a configuration means the
	// same thing everywhere.
	for _, typ := range []string{`a/b`, `a\b`, `C:\bin\x`} {
		_, err := libcni.NetworkPluginConfFromBytes([]byte(`{"type":` + strings.ReplaceAll(`"`+typ+`"`, `\`, `\\`) + `}`))
		confRequireConfigError(t, err, "", "type", "invalid 'type'")
	}
}

func TestConfNameErrorCarriesCNICode(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{`{"name":"a b","plugins":[{"type":"x"}]}`, `{"name":"","plugins":[{"type":"x"}]}`} {
		_, err := libcni.ConfListFromBytes([]byte(doc))
		var terr *types.Error
		require.ErrorAs(t, err, &terr, doc)
		assert.Equal(t, types.ErrInvalidNetworkConfig, terr.Code)
	}
}
