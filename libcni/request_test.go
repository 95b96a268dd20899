package libcni

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/types"
)

// mapRequest derives the request the allocation-heavy way: decode the
// plugin's object into a map, set the keys, encode.
func mapRequest(t *testing.T, p *PluginConfig, req *request) map[string]any {
	t.Helper()
	m := map[string]any{}
	require.NoError(t, json.Unmarshal(p.Bytes, &m))
	m["name"] = req.network
	m["cniVersion"] = req.cniVersion
	if req.prevResult != nil {
		var v any
		require.NoError(t, json.Unmarshal(req.prevResult, &v))
		m["prevResult"] = v
	}
	rc := map[string]any{}
	for c, on := range p.Network.Capabilities {
		if v, ok := req.capabilityArgs[c]; ok && on {
			rc[c] = v
		}
	}
	if len(rc) > 0 {
		b, err := json.Marshal(rc)
		require.NoError(t, err)
		var v any
		require.NoError(t, json.Unmarshal(b, &v))
		m["runtimeConfig"] = v
	}
	// Case variants of a key libcni sets carry the same value (see
	// rawjson.Splice).
	for k := range m {
		for _, set := range []string{"name", "cniVersion", "prevResult", "runtimeConfig"} {
			if k != set && strings.EqualFold(k, set) {
				if v, ok := m[set]; ok {
					m[k] = v
				}
			}
		}
	}
	return m
}

func TestBuildRequest(t *testing.T) {
	t.Parallel()
	capArgs := map[string]interface{}{"portMappings": []int{80}, "bandwidth": map[string]int{"rate": 1}, "ips": []string{"198.18.0.1"}}
	tests := []struct {
		name       string
		bytes      string
		caps       map[string]bool
		prev       string
		wantExact  string
		wantAbsent []string
	}{
		{
			name:      "plain",
			bytes:     `{"type":"x","name":"old","cniVersion":"0.1.0","keep":1.10}`,
			wantExact: `{"type":"x","name":"net","cniVersion":"1.1.0","keep":1.10}`,
		},
		{
			name:      "declared capabilities only, sorted",
			bytes:     `{"type":"x"}`,
			caps:      map[string]bool{"portMappings": true, "bandwidth": true, "ips": false, "other": true},
			wantExact: `{"type":"x","name":"net","cniVersion":"1.1.0","runtimeConfig":{"bandwidth":{"rate":1},"portMappings":[80]}}`,
		},
		{
			name:      "own runtimeConfig kept when nothing applies",
			bytes:     `{"type":"x","runtimeConfig":{"mine":true}}`,
			caps:      map[string]bool{"ips": false},
			wantExact: `{"type":"x","runtimeConfig":{"mine":true},"name":"net","cniVersion":"1.1.0"}`,
		},
		{
			name:      "own runtimeConfig replaced",
			bytes:     `{"type":"x","runtimeConfig":{"mine":true}}`,
			caps:      map[string]bool{"ips": true},
			wantExact: `{"type":"x","runtimeConfig":{"ips":["198.18.0.1"]},"name":"net","cniVersion":"1.1.0"}`,
		},
		{
			name:      "prevResult replaced",
			bytes:     `{"type":"x","prevResult":{"stale":1}}`,
			prev:      `{"cniVersion":"1.1.0"}`,
			wantExact: `{"type":"x","prevResult":{"cniVersion":"1.1.0"},"name":"net","cniVersion":"1.1.0"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := &PluginConfig{Network: &types.PluginConf{Type: "x", Capabilities: tt.caps}, Bytes: []byte(tt.bytes)}
			req := &request{network: "net", cniVersion: "1.1.0", capabilityArgs: capArgs}
			if tt.prev != "" {
				req.prevResult = []byte(tt.prev)
			}
			got, err := buildRequest(p, req)
			require.NoError(t, err)
			assert.Equal(t, tt.wantExact, string(got))
			var decoded map[string]any
			require.NoError(t, json.Unmarshal(got, &decoded))
			assert.Equal(t, mapRequest(t, p, req), decoded)
		})
	}
}

func TestBuildRequestErrors(t *testing.T) {
	t.Parallel()
	for _, b := range []string{`[]`, `{"type":`, ``} {
		p := &PluginConfig{Network: &types.PluginConf{Type: "x"}, Bytes: []byte(b)}
		_, err := buildRequest(p, &request{network: "n", cniVersion: "1.0.0"})
		assert.ErrorContains(t, err, `plugin type="x"`)
	}
	p := &PluginConfig{Network: &types.PluginConf{Type: "x", Capabilities: map[string]bool{"c": true}}, Bytes: []byte(`{}`)}
	_, err := buildRequest(p, &request{network: "n", cniVersion: "1.0.0", capabilityArgs: map[string]interface{}{"c": make(chan int)}})
	assert.ErrorContains(t, err, `capability argument "c"`)
}

func FuzzBuildRequest(f *testing.F) {
	f.Add([]byte(`{"type":"x","capabilities":{"a":true}}`), "net", "1.0.0", `{"cniVersion":"1.0.0"}`, "a", true)
	f.Add([]byte(`{"runtimeConfig":1,"prevResult":2,"name":3}`), "n-1", "0.4.0", ``, "b", false)
	f.Fuzz(func(t *testing.T, raw []byte, name, ver, prev, capability string, on bool) {
		if !utf8.ValidString(name) || !utf8.ValidString(ver) || !utf8.ValidString(capability) {
			return // names and versions are validated UTF-8 before this runs
		}
		p := &PluginConfig{Network: &types.PluginConf{Type: "x", Capabilities: map[string]bool{capability: on}}, Bytes: raw}
		req := &request{network: name, cniVersion: ver, capabilityArgs: map[string]interface{}{capability: []any{"v", 1.5}}}
		if json.Valid([]byte(prev)) {
			req.prevResult = []byte(prev)
		}
		var probe map[string]any
		if json.Unmarshal(raw, &probe) != nil || probe == nil {
			return // not an object: refused, checked in TestBuildRequestErrors
		}
		got, err := buildRequest(p, req)
		require.NoError(t, err)
		require.True(t, json.Valid(got))
		var decoded map[string]any
		require.NoError(t, json.Unmarshal(got, &decoded))
		assert.Equal(t, mapRequest(t, p, req), decoded)
	})
}

// A case variant of a key libcni sets must not let the plugin read another
// value: Go plugins decode stdin into structs, which match keys
// case-insensitively.
func TestBuildRequestOverridesCaseVariants(t *testing.T) {
	t.Parallel()
	raw := []byte(`{"type":"d","name":"a","Name":"evil","CNIVERSION":"0.1.0"}`)
	p := &PluginConfig{Network: &types.PluginConf{Type: "d"}, Bytes: raw}
	got, err := buildRequest(p, &request{network: "n", cniVersion: "1.1.0"})
	require.NoError(t, err)
	var conf types.NetConf
	require.NoError(t, json.Unmarshal(got, &conf))
	assert.Equal(t, "n", conf.Name)
	assert.Equal(t, "1.1.0", conf.CNIVersion)
	var m map[string]any
	require.NoError(t, json.Unmarshal(got, &m))
	assert.Equal(t, "n", m["name"])
	assert.Equal(t, "1.1.0", m["cniVersion"])
}
