package libcni_test

//lint:file-ignore SA1019 the reference's deprecated single-plugin API is what these tests compare against.

// Differential tests: the reference library (containernetworking/cni
// v1.3.1) is the oracle. Both libraries must accept and refuse the same
// documents, agree on what they parsed, and refuse with the same error
// text byte for byte and the same error types reachable with errors.As.
// The one exception: cnirt passes through numbers the reference cannot
// represent as float64 ("lenient" in the corpus).

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	refcni "github.com/containernetworking/cni/libcni"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
)

// confSameError asserts that cnirt's error is the reference's: the same
// text, and the same encoding/json error types reachable with errors.As.
func confSameError(t testing.TB, oursErr, refErr error) {
	t.Helper()
	assert.Equal(t, refErr.Error(), oursErr.Error())
	var refSyn, oursSyn *json.SyntaxError
	assert.Equal(t, errors.As(refErr, &refSyn), errors.As(oursErr, &oursSyn), "*json.SyntaxError reachable")
	var refType, oursType *json.UnmarshalTypeError
	assert.Equal(t, errors.As(refErr, &refType), errors.As(oursErr, &oursType), "*json.UnmarshalTypeError reachable")
}

// confDecode decodes JSON into a generic value for comparison.
func confDecode(t testing.TB, b []byte) interface{} {
	t.Helper()
	var v interface{}
	require.NoError(t, json.Unmarshal(b, &v), "%s", b)
	return v
}

// confComparePlugins asserts both plugin configurations carry the same
// decoded JSON and the same well-known fields.
func confComparePlugins(t testing.TB, ours *libcni.PluginConfig, ref *refcni.PluginConfig) {
	t.Helper()
	assert.Equal(t, confDecode(t, ref.Bytes), confDecode(t, ours.Bytes))
	assert.Equal(t, ref.Network.Type, ours.Network.Type)
	assert.Equal(t, ref.Network.Name, ours.Network.Name)
	assert.Equal(t, ref.Network.CNIVersion, ours.Network.CNIVersion)
	assert.Equal(t, ref.Network.Capabilities, ours.Network.Capabilities)
	assert.Equal(t, ref.Network.IPAM.Type, ours.Network.IPAM.Type)
	assert.Equal(t, ref.Network.DNS.Nameservers, ours.Network.DNS.Nameservers)
}

// confCompareLists asserts both lists agree, the selected CNI version
// included.
func confCompareLists(t testing.TB, ours *libcni.NetworkConfigList, ref *refcni.NetworkConfigList) {
	t.Helper()
	assert.Equal(t, ref.Name, ours.Name)
	assert.Equal(t, ref.CNIVersion, ours.CNIVersion)
	assert.Equal(t, ref.DisableCheck, ours.DisableCheck)
	assert.Equal(t, ref.DisableGC, ours.DisableGC)
	assert.Equal(t, ref.LoadOnlyInlinedPlugins, ours.LoadOnlyInlinedPlugins)
	assert.Equal(t, confDecode(t, ref.Bytes), confDecode(t, ours.Bytes))
	if assert.Len(t, ours.Plugins, len(ref.Plugins)) {
		for i := range ref.Plugins {
			confComparePlugins(t, ours.Plugins[i], ref.Plugins[i])
		}
	}
}

// confDiffBytes runs both libraries on data and checks they agree. It
// returns the two errors.
func confDiffBytes(t testing.TB, data []byte) (oursErr, refErr error) {
	t.Helper()
	ours, oursErr := libcni.ConfListFromBytes(data)
	ref, refErr := refcni.ConfListFromBytes(data)
	switch {
	case refErr != nil && oursErr != nil:
		if strings.Contains(refErr.Error(), "cannot unmarshal number") && strings.Contains(refErr.Error(), "float64") {
			// The reference fails on a number beyond float64 before
			// anything else; cnirt passes it through and fails later.
			break
		}
		confSameError(t, oursErr, refErr)
	case refErr != nil:
		// The reference decodes the whole document into interface{} and
		// fails on numbers beyond float64; cnirt passes plugin keys through
		// as written.
		assert.Contains(t, refErr.Error(), "cannot unmarshal number", "cnirt accepted what the reference refused (%v)", refErr)
	case oursErr != nil:
		t.Errorf("cnirt refused what the reference accepted: %+v", oursErr)
	default:
		assert.Equal(t, data, ours.Bytes)
		confCompareLists(t, ours, ref)
	}
	return oursErr, refErr
}

// confListCorpus is shared by the differential test and the fuzz seeds.
// kind: "same" (both agree, errors included), "lenient" (cnirt accepts,
// the reference refuses). The names, types and versions the reference
// loads load in cnirt too; cnirt refuses them before running a plugin.
var confListCorpus = []struct {
	name string
	doc  string
	kind string
	want string
}{
	{"basic", `{"cniVersion":"1.0.0","name":"net","plugins":[{"type":"bridge","bridge":"cni0","ipam":{"type":"host-local","subnet":"198.18.0.0/24"}},{"type":"portmap","capabilities":{"portMappings":true}}]}`, "same", ""},
	{"pretty", "{\n  \"cniVersion\": \"1.1.0\",\n  \"name\": \"net\",\n  \"plugins\": [\n    {\"type\": \"bridge\", \"dns\": {\"nameservers\": [\"2001:db8::1\"]}}\n  ]\n}\n", "same", ""},
	{"no version", `{"name":"n","plugins":[{"type":"b"}]}`, "same", ""},
	{"no plugins", `{"name":"n"}`, "same", ""},
	{"flags", `{"name":"n","disableCheck":true,"disableGC":"TRUE","loadOnlyInlinedPlugins":"false","plugins":[{"type":"b"}]}`, "same", ""},
	{"versions pick", `{"name":"n","cniVersion":"0.4.0","cniVersions":["0.3.1","1.0.0","2.0.0"],"plugins":[{"type":"b"}]}`, "same", ""},
	{"versions empty", `{"name":"n","cniVersion":"0.4.0","cniVersions":[],"plugins":[{"type":"b"}]}`, "same", ""},
	{"versions future cniVersion", `{"name":"n","cniVersion":"3.0.0","cniVersions":["1.1.0","3.0.0"],"plugins":[{"type":"b"}]}`, "same", ""},
	{"versions bad entry", `{"name":"n","cniVersions":["x"],"plugins":[{"type":"b"}]}`, "same", ""},
	{"versions entry type", `{"name":"n","cniVersions":[1],"plugins":[{"type":"b"}]}`, "same", ""},
	{"versions not list", `{"name":"n","cniVersions":"1.0.0","plugins":[{"type":"b"}]}`, "same", ""},
	{"versions bad cniVersion", `{"name":"n","cniVersion":"1.a","cniVersions":["1.0.0"],"plugins":[{"type":"b"}]}`, "same", ""},
	{"duplicate keys", `{"name":"a","name":"b","plugins":[{"type":"x","type":"y"}]}`, "same", ""},
	{"unknown keys", `{"name":"n","extra":{"deep":[1,2,{"x":null}]},"plugins":[{"type":"b","foo":"bar","args":{"cni":{"ips":["198.18.0.9"]}}}]}`, "same", ""},
	{"unicode", `{"name":"n","plugins":[{"type":"b","note":"caf\u00e9 \ud83d\ude00 <&>"}]}`, "same", ""},
	{"not json", `{"name":`, "same", ""},
	{"null", `null`, "same", ""},
	{"array", `[{"name":"n"}]`, "same", ""},
	{"string", `"n"`, "same", ""},
	{"empty", ``, "same", ""},
	{"no name", `{"plugins":[{"type":"b"}]}`, "same", ""},
	{"name type", `{"name":true}`, "same", ""},
	{"cniVersion type", `{"name":"n","cniVersion":["1.0.0"]}`, "same", ""},
	{"bool type", `{"name":"n","disableCheck":1}`, "same", ""},
	{"bool value", `{"name":"n","disableGC":"no"}`, "same", ""},
	{"inlined without plugins", `{"name":"n","loadOnlyInlinedPlugins":true}`, "same", ""},
	{"plugins type", `{"name":"n","plugins":"b"}`, "same", ""},
	{"plugins null", `{"name":"n","plugins":null}`, "same", ""},
	{"plugins empty", `{"name":"n","plugins":[]}`, "same", ""},
	{"plugin null", `{"name":"n","plugins":[null]}`, "same", ""},
	{"plugin number", `{"name":"n","plugins":[3]}`, "same", ""},
	{"plugin missing type", `{"name":"n","plugins":[{"type":"a"},{"ipam":{"type":"x"}}]}`, "same", ""},
	{"plugin bad capabilities", `{"name":"n","plugins":[{"type":"a","capabilities":{"x":1}}]}`, "same", ""},
	{"plugin bad prevResult", `{"name":"n","plugins":[{"type":"a","prevResult":[]}]}`, "same", ""},
	{"plugin valid attachments", `{"name":"n","plugins":[{"type":"a","cni.dev/valid-attachments":[{"containerID":"c","ifname":"eth0"}]}]}`, "same", ""},
	{"deep nesting", `{"name":"n","plugins":[{"type":"a","x":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}]}`, "same", ""},

	{"name empty", `{"name":"","plugins":[{"type":"b"}]}`, "same", ""},
	{"name path", `{"name":"../../etc","plugins":[{"type":"b"}]}`, "same", ""},
	{"name space", `{"name":"my net","plugins":[{"type":"b"}]}`, "same", ""},
	{"cniVersion unknown", `{"name":"n","cniVersion":"0.3.2","plugins":[{"type":"b"}]}`, "same", ""},
	{"cniVersion future", `{"name":"n","cniVersion":"1.2.0","plugins":[{"type":"b"}]}`, "same", ""},
	{"cniVersion malformed", `{"name":"n","cniVersion":"latest","plugins":[{"type":"b"}]}`, "same", ""},
	{"cniVersion short", `{"name":"n","cniVersion":"1.0","plugins":[{"type":"b"}]}`, "same", ""},
	{"versions none supported", `{"name":"n","cniVersions":["2.0.0","3.0.0"],"plugins":[{"type":"b"}]}`, "same", ""},
	{"versions only unknown old", `{"name":"n","cniVersions":["0.5.0"],"plugins":[{"type":"b"}]}`, "same", ""},
	{"plugin type path", `{"name":"n","plugins":[{"type":"../../bin/sh"}]}`, "same", ""},
	{"plugin type backslash", `{"name":"n","plugins":[{"type":"a\\b"}]}`, "same", ""},
	{"plugin type dotdot", `{"name":"n","plugins":[{"type":".."}]}`, "same", ""},
	{"plugin version unknown", `{"name":"n","plugins":[{"type":"b","cniVersion":"0.0.1"}]}`, "same", ""},
	{"plugin type with @", `{"cniVersion":"1.0.0","name":"n","plugins":[{"type":"bridge@123"}]}`, "same", ""},
	{"name with @", `{"cniVersion":"1.0.0","name":"net@1","plugins":[{"type":"bridge"}]}`, "same", ""},
	{"plugin name invalid", `{"name":"n","plugins":[{"type":"b","name":"-x"}]}`, "same", ""},

	{"huge number in plugin key", `{"name":"n","plugins":[{"type":"b","mtu":1e400}]}`, "lenient", ""},
}

func TestConfListFromBytesDifferential(t *testing.T) {
	t.Parallel()
	for _, tc := range confListCorpus {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			oursErr, refErr := confDiffBytes(t, []byte(tc.doc))
			switch tc.kind {
			case "same":
				assert.Equal(t, refErr == nil, oursErr == nil, "ours: %v; reference: %v", oursErr, refErr)
			case "lenient":
				require.Error(t, refErr)
				require.NoError(t, oursErr)
			default:
				t.Fatalf("bad kind %q", tc.kind)
			}
		})
	}
}

func TestNetworkPluginConfFromBytesDifferential(t *testing.T) {
	t.Parallel()
	corpus := []string{
		`{"type":"bridge"}`,
		`{"cniVersion":"0.4.0","name":"n","type":"bridge","ipam":{"type":"host-local"},"x":[1,{"y":2}]}`,
		`{"type":"b","capabilities":{"a":true,"b":false}}`,
		`{"type":"b","dns":{"nameservers":["198.18.0.1"],"search":["x"]}}`,
		`{"name":"n"}`,
		`null`,
		`[]`,
		`7`,
		`{"type":1}`,
		`{"type":"b","ipam":"x"}`,
		`{"type":"b"} trailing`,
		`{"TYPE":"b"}`,
		`{"type":"b/c"}`,
		`{"type":"b","cniVersion":"0.5.0"}`, // unknown but well-formed: loads, as in the reference
		`{"type":"b","cniVersion":"x"}`,
		`{"type":"b","name":"a b"}`,
		`{"type":"bridge@123"}`,
		`{"type":"..","name":""}`,
	}
	for _, doc := range corpus {
		t.Run(doc, func(t *testing.T) {
			t.Parallel()
			ours, oursErr := libcni.NetworkPluginConfFromBytes([]byte(doc))
			ref, refErr := refcni.NetworkPluginConfFromBytes([]byte(doc))
			require.Equal(t, refErr == nil, oursErr == nil, "ours: %v; reference: %v", oursErr, refErr)
			if refErr != nil {
				confSameError(t, oursErr, refErr)
				return
			}
			assert.Equal(t, ref.Bytes, ours.Bytes)
			confComparePlugins(t, ours, ref)
		})
	}
}

func TestLoadConfListDifferential(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		files  map[string]string
		lookup string
	}{
		{name: "conflist", lookup: "a", files: map[string]string{
			"10.conflist": `{"cniVersion":"1.0.0","name":"a","plugins":[{"type":"x","k":1}]}`,
			"20.conflist": `{"cniVersion":"1.0.0","name":"b","plugins":[{"type":"y"}]}`,
		}},
		{name: "first of duplicates", lookup: "a", files: map[string]string{
			"20.conflist": `{"name":"a","plugins":[{"type":"second"}]}`,
			"10.conflist": `{"name":"a","plugins":[{"type":"first"}]}`,
		}},
		{name: "sibling plugins", lookup: "a", files: map[string]string{
			"10.conflist": `{"cniVersion":"1.1.0","name":"a","plugins":[{"type":"x"}]}`,
			"a/2.conf":    `{"type":"z"}`,
			"a/1.conf":    `{"type":"y","opt":{"k":"v"}}`,
		}},
		{name: "sibling plugins only", lookup: "a", files: map[string]string{
			"10.conflist": `{"cniVersion":"1.1.0","name":"a"}`,
			"a/1.conf":    `{"type":"y"}`,
		}},
		{name: "inlined only", lookup: "a", files: map[string]string{
			"10.conflist": `{"name":"a","loadOnlyInlinedPlugins":true,"plugins":[{"type":"x"}]}`,
			"a/1.conf":    `{"type":"y"}`,
		}},
		{name: "conf fallback", lookup: "c", files: map[string]string{
			"10.conflist": `{"name":"a","plugins":[{"type":"x"}]}`,
			"30.conf":     `{"cniVersion":"0.3.1","name":"c","type":"bridge","isGateway":true,"ipMasq":false}`,
		}},
		{name: "json fallback", lookup: "c", files: map[string]string{
			"30.json": `{"cniVersion":"0.4.0","name":"c","type":"bridge"}`,
		}},
		{name: "not found", lookup: "zz", files: map[string]string{
			"10.conflist": `{"name":"a","plugins":[{"type":"x"}]}`,
		}},
		{name: "not found among confs", lookup: "zz", files: map[string]string{
			"10.conf": `{"name":"a","type":"x"}`,
		}},
		{name: "empty", lookup: "a", files: map[string]string{}},
		{name: "no plugins at all", lookup: "a", files: map[string]string{
			"10.conflist": `{"name":"a"}`,
		}},
		{name: "bad plugin in sibling dir", lookup: "a", files: map[string]string{
			"10.conflist": `{"name":"a","plugins":[{"type":"x"}]}`,
			"a/1.conf":    `{"nope":1}`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for p, c := range tc.files {
				confWrite(t, dir, p, c)
			}
			ours, oursErr := libcni.LoadConfList(dir, tc.lookup)
			ref, refErr := refcni.LoadConfList(dir, tc.lookup)
			require.Equal(t, refErr == nil, oursErr == nil, "ours: %v; reference: %v", oursErr, refErr)
			if refErr != nil {
				confSameError(t, oursErr, refErr)
				var refNF refcni.NotFoundError
				var refNC refcni.NoConfigsFoundError
				assert.Equal(t, errors.As(refErr, &refNF), errors.As(oursErr, new(libcni.NotFoundError)))
				assert.Equal(t, errors.As(refErr, &refNC), errors.As(oursErr, new(libcni.NoConfigsFoundError)))
				return
			}
			assert.Equal(t, ref.Name, ours.Name)
			assert.Equal(t, ref.CNIVersion, ours.CNIVersion)
			assert.Equal(t, ref.LoadOnlyInlinedPlugins, ours.LoadOnlyInlinedPlugins)
			assert.Equal(t, confDecode(t, ref.Bytes), confDecode(t, ours.Bytes))
			require.Len(t, ours.Plugins, len(ref.Plugins))
			for i := range ref.Plugins {
				confComparePlugins(t, ours.Plugins[i], ref.Plugins[i])
			}
		})
	}
}

func TestLoadConfDifferential(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	confWrite(t, dir, "10.conf", `{"cniVersion":"0.4.0","name":"a","type":"x","k":[1]}`)
	confWrite(t, dir, "20.json", `{"cniVersion":"1.0.0","name":"b","type":"y"}`)
	for _, name := range []string{"a", "b", "missing"} {
		ours, oursErr := libcni.LoadConf(dir, name)
		ref, refErr := refcni.LoadConf(dir, name)
		require.Equal(t, refErr == nil, oursErr == nil, "ours: %v; reference: %v", oursErr, refErr)
		if refErr != nil {
			assert.Equal(t, refErr.Error(), oursErr.Error())
			continue
		}
		assert.Equal(t, ref.Bytes, ours.Bytes)
		confComparePlugins(t, ours, ref)
	}
	_, oursErr := libcni.LoadConf(filepath.Join(dir, "none"), "a")
	_, refErr := refcni.LoadConf(filepath.Join(dir, "none"), "a")
	assert.Equal(t, refErr.Error(), oursErr.Error())
}

func TestInjectConfDifferential(t *testing.T) {
	t.Parallel()
	base := []byte(`{"cniVersion":"1.0.0","name":"n","type":"bridge","keep":{"b":[1,2.5,"x"],"a":null},"html":"<&>"}`)
	values := []map[string]interface{}{
		nil,
		{"runtimeConfig": map[string]interface{}{"portMappings": []interface{}{map[string]interface{}{"hostPort": 8080}}}},
		{"type": "macvlan", "new": []string{"a", "b"}, "num": 3.25},
		{"keep": false},
		{"": 1},
		{"k": nil},
		{"type": ""},
	}
	for _, v := range values {
		ours, oursErr := libcni.InjectConf(&libcni.PluginConfig{Bytes: base}, v)
		ref, refErr := refcni.InjectConf(&refcni.PluginConfig{Bytes: base}, v)
		require.Equal(t, refErr == nil, oursErr == nil, "%v: ours: %v; reference: %v", v, oursErr, refErr)
		if refErr != nil {
			assert.Equal(t, refErr.Error(), oursErr.Error())
			continue
		}
		assert.JSONEq(t, string(ref.Bytes), string(ours.Bytes))
		confComparePlugins(t, ours, ref)
	}
}

func TestConfListFromConfDifferential(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{
		`{"cniVersion":"0.4.0","name":"n","type":"bridge","x":{"y":[1,2]}}`,
		`{"name":"n","type":"bridge"}`,
		`{"cniVersion":"1.1.0","name":"n","type":"bridge","disableCheck":true}`,
	} {
		oursConf, err := libcni.ConfFromBytes([]byte(doc))
		require.NoError(t, err)
		refConf, err := refcni.ConfFromBytes([]byte(doc))
		require.NoError(t, err)
		ours, err := libcni.ConfListFromConf(oursConf)
		require.NoError(t, err)
		ref, err := refcni.ConfListFromConf(refConf)
		require.NoError(t, err)
		confCompareLists(t, ours, ref)
	}
}
