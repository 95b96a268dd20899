package libcni_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/types"
	types100 "github.com/cnirt/cni/types/100"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const ipResult = `{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"/ns"}],"ips":[{"address":"198.18.0.5/24","interface":0}]}`

func testRT() *libcni.RuntimeConf {
	return &libcni.RuntimeConf{
		ContainerID:    "ctr1",
		NetNS:          "/var/run/netns/ctr1",
		IfName:         "eth0",
		Args:           [][2]string{{"K8S_POD_NAME", "p"}, {"IgnoreUnknown", "true"}},
		CapabilityArgs: map[string]interface{}{"portMappings": []any{map[string]any{"hostPort": float64(8080)}}, "bandwidth": "x"},
	}
}

func newTestConfig(t *testing.T, opts ...libcni.Option) (*libcni.CNIConfig, *fakeExec, string) {
	t.Helper()
	fe := newFakeExec()
	dir := t.TempDir()
	opts = append([]libcni.Option{libcni.WithCacheDir(dir)}, opts...)
	return libcni.NewCNIConfigWithOptions([]string{"/opt/cni/bin", "/usr/libexec/cni"}, fe, opts...), fe, dir
}

func TestAddNetworkListChainsPluginsAndCaches(t *testing.T) {
	t.Parallel()
	c, fe, dir := newTestConfig(t)
	fe.out["a/ADD"] = ipResult
	list := mustList(t, listConf("1.0.0", "a", "b", "c"))
	rt := testRT()

	res, err := c.AddNetworkList(context.Background(), list, rt)
	require.NoError(t, err)
	r100, err := types100.GetResult(res)
	require.NoError(t, err)
	require.Len(t, r100.IPs, 1)
	assert.Equal(t, "198.18.0.5/24", r100.IPs[0].Address.String())
	assert.Equal(t, "1.0.0", res.Version())

	calls := fe.Calls("ADD")
	require.Len(t, calls, 3)
	for i, want := range []string{"a", "b", "c"} {
		assert.Equal(t, want, calls[i].Plugin)
		assert.Equal(t, map[string]string{
			"CNI_COMMAND":     "ADD",
			"CNI_CONTAINERID": "ctr1",
			"CNI_NETNS":       "/var/run/netns/ctr1",
			"CNI_IFNAME":      "eth0",
			"CNI_ARGS":        "K8S_POD_NAME=p;IgnoreUnknown=true",
			"CNI_PATH":        "/opt/cni/bin" + string(os.PathListSeparator) + "/usr/libexec/cni",
		}, calls[i].Env)
		conf := calls[i].conf(t)
		assert.Equal(t, "testnet", conf["name"])
		assert.Equal(t, "1.0.0", conf["cniVersion"])
	}
	// The first plugin: no prevResult, runtimeConfig with only the
	// capability it declares true, its own keys byte for byte.
	first := calls[0].conf(t)
	assert.NotContains(t, first, "prevResult")
	assert.Equal(t, map[string]any{"portMappings": []any{map[string]any{"hostPort": float64(8080)}}}, first["runtimeConfig"])
	assert.Contains(t, string(calls[0].Stdin), `"custom":{"keep":[1,2.50,"x"]}`)
	// The others get the previous result and no runtimeConfig.
	for _, c := range calls[1:] {
		conf := c.conf(t)
		assert.NotContains(t, conf, "runtimeConfig")
		prev, _ := json.Marshal(conf["prevResult"])
		assert.JSONEq(t, ipResult, string(prev))
	}

	// The cache file, in the reference's format.
	data, err := os.ReadFile(filepath.Join(dir, "results", "testnet-ctr1-eth0"))
	require.NoError(t, err)
	var entry map[string]any
	require.NoError(t, json.Unmarshal(data, &entry))
	assert.Equal(t, "cniCacheV1", entry["kind"])
	assert.Equal(t, "ctr1", entry["containerId"])
	assert.Equal(t, "eth0", entry["ifName"])
	assert.Equal(t, "testnet", entry["networkName"])
	assert.Equal(t, "/var/run/netns/ctr1", entry["netns"])
	assert.Equal(t, []any{[]any{"K8S_POD_NAME", "p"}, []any{"IgnoreUnknown", "true"}}, entry["cniArgs"])
	assert.Contains(t, entry["capabilityArgs"], "bandwidth")
	cfg, err := json.Marshal(entry["config"]) // base64 string
	require.NoError(t, err)
	var cfgBytes []byte
	require.NoError(t, json.Unmarshal(cfg, &cfgBytes))
	assert.Equal(t, list.Bytes, cfgBytes)
	resJSON, _ := json.Marshal(entry["result"])
	assert.JSONEq(t, ipResult, string(resJSON))
	info, err := os.Stat(filepath.Join(dir, "results", "testnet-ctr1-eth0"))
	require.NoError(t, err)
	if filepath.Separator == '/' {
		assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	}
}

func TestAddNetworkListKeepsThePluginsResultVersion(t *testing.T) {
	t.Parallel()
	c, fe, _ := newTestConfig(t)
	fe.out["a/ADD"] = ipResult // 1.0.0 from a plugin of a 1.1.0 list
	list := mustList(t, listConf("1.1.0", "a"))
	res, err := c.AddNetworkList(context.Background(), list, testRT())
	require.NoError(t, err)
	assert.Equal(t, "1.0.0", res.Version(), "as the plugin gave it, as the reference returns it")
	// The cached result, read back for the list, is converted.
	cached, err := c.GetNetworkListCachedResult(list, testRT())
	require.NoError(t, err)
	assert.Equal(t, "1.1.0", cached.Version())
}

func TestDelNetworkList(t *testing.T) {
	t.Parallel()
	tests := []struct {
		version  string
		wantPrev bool
	}{
		{"0.3.1", false},
		{"0.4.0", true},
		{"1.0.0", true},
		{"1.1.0", true},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			t.Parallel()
			c, fe, dir := newTestConfig(t)
			res := strings.Replace(ipResult, "1.0.0", tt.version, 1)
			if tt.version == "0.3.1" || tt.version == "0.4.0" {
				res = `{"cniVersion":"` + tt.version + `","ips":[{"version":"4","address":"198.18.0.5/24"}]}`
			}
			fe.out["a/ADD"] = res
			list := mustList(t, listConf(tt.version, "a", "b"))
			ctx := context.Background()
			_, err := c.AddNetworkList(ctx, list, testRT())
			require.NoError(t, err)

			require.NoError(t, c.DelNetworkList(ctx, list, testRT()))
			dels := fe.Calls("DEL")
			require.Len(t, dels, 2)
			assert.Equal(t, "b", dels[0].Plugin, "DEL runs in reverse order")
			assert.Equal(t, "a", dels[1].Plugin)
			for _, d := range dels {
				conf := d.conf(t)
				if tt.wantPrev {
					want := map[string]any{}
					require.NoError(t, json.Unmarshal([]byte(res), &want))
					prev := conf["prevResult"].(map[string]any)
					assert.Equal(t, want["ips"], prev["ips"])
					assert.Equal(t, tt.version, prev["cniVersion"])
				} else {
					assert.NotContains(t, conf, "prevResult")
				}
				assert.Equal(t, "DEL", d.Env["CNI_COMMAND"])
			}
			_, err = os.Stat(filepath.Join(dir, "results", "testnet-ctr1-eth0"))
			assert.ErrorIs(t, err, os.ErrNotExist, "cache entry removed")

			// Idempotent: a second DEL succeeds, without prevResult.
			require.NoError(t, c.DelNetworkList(ctx, list, testRT()))
			dels = fe.Calls("DEL")
			require.Len(t, dels, 4)
			assert.NotContains(t, dels[3].conf(t), "prevResult")
		})
	}
}

func TestDelNetworkListKeepsCacheWhenPluginFails(t *testing.T) {
	t.Parallel()
	c, fe, dir := newTestConfig(t)
	list := mustList(t, listConf("1.0.0", "a", "b"))
	ctx := context.Background()
	_, err := c.AddNetworkList(ctx, list, testRT())
	require.NoError(t, err)
	fe.errs["a/DEL"] = pluginErr(types.ErrTryAgainLater, "busy")
	err = c.DelNetworkList(ctx, list, testRT())
	require.Error(t, err)
	assert.Contains(t, err.Error(), `plugin type="a" failed (delete): `)
	_, statErr := os.Stat(filepath.Join(dir, "results", "testnet-ctr1-eth0"))
	assert.NoError(t, statErr, "the entry stays until every plugin succeeded")
}

func TestCheckNetworkListGating(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		conf         string
		wantNotSupp  bool
		wantRuns     int
		wantPrevious bool
	}{
		{"0.3.1 refused", listConf("0.3.1", "a", "b"), true, 0, false},
		{"0.1.0 refused", listConf("0.1.0", "a"), true, 0, false},
		{"0.4.0 runs", listConf("0.4.0", "a", "b"), false, 2, true},
		{"1.1.0 runs", listConf("1.1.0", "a", "b"), false, 2, true},
		{"disableCheck", `{"cniVersion":"1.0.0","name":"testnet","disableCheck":true,"plugins":[{"type":"a"}]}`, false, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, fe, _ := newTestConfig(t)
			list := mustList(t, tt.conf)
			ctx := context.Background()
			if tt.wantPrevious {
				_, err := c.AddNetworkList(ctx, list, testRT())
				require.NoError(t, err)
			}
			err := c.CheckNetworkList(ctx, list, testRT())
			if tt.wantNotSupp {
				require.ErrorIs(t, err, libcni.ErrorCheckNotSupp)
				assert.Contains(t, err.Error(), `configuration version "`+list.CNIVersion+`" does not support the CHECK command`)
			} else {
				require.NoError(t, err)
			}
			checks := fe.Calls("CHECK")
			require.Len(t, checks, tt.wantRuns)
			for i, ch := range checks {
				assert.Equal(t, list.Plugins[i].Network.Type, ch.Plugin, "CHECK runs in order")
				assert.Contains(t, ch.conf(t), "prevResult")
			}
		})
	}
}

func TestCheckNetworkListCorruptCacheFails(t *testing.T) {
	t.Parallel()
	c, fe, dir := newTestConfig(t)
	list := mustList(t, listConf("1.0.0", "a"))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "results"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "results", "testnet-ctr1-eth0"), []byte(`{"kind":"cniCa`), 0o600))
	err := c.CheckNetworkList(context.Background(), list, testRT())
	require.Error(t, err)
	assert.Contains(t, err.Error(), `failed to get network "testnet" cached result`)
	assert.Empty(t, fe.Calls("CHECK"))
}

func TestStatusAndGCVersionGating(t *testing.T) {
	t.Parallel()
	for _, ver := range []string{"0.3.1", "0.4.0", "1.0.0", "1.1.0"} {
		t.Run(ver, func(t *testing.T) {
			t.Parallel()
			c, fe, _ := newTestConfig(t)
			list := mustList(t, listConf(ver, "a", "b"))
			ctx := context.Background()
			require.NoError(t, c.GetStatusNetworkList(ctx, list))
			require.NoError(t, c.GCNetworkList(ctx, list, &libcni.GCArgs{}))
			want := 0
			if ver == "1.1.0" {
				want = 2
			}
			assert.Len(t, fe.Calls("STATUS"), want)
			assert.Len(t, fe.Calls("GC"), want)
		})
	}
}

func TestGetStatusNetworkListFirstError(t *testing.T) {
	t.Parallel()
	c, fe, _ := newTestConfig(t)
	fe.errs["a/STATUS"] = pluginErr(50, "not ready")
	list := mustList(t, listConf("1.1.0", "a", "b"))
	err := c.GetStatusNetworkList(context.Background(), list)
	require.Error(t, err)
	te, ok := err.(*types.Error)
	require.True(t, ok, "the plugin's own error, as the reference returns it: %T", err)
	assert.Equal(t, uint(50), te.Code)
	var pe *libcni.PluginError
	assert.False(t, errors.As(err, &pe), "not wrapped")
	assert.Len(t, fe.Calls("STATUS"), 1, "stops at the first failure")
	st := fe.Calls("STATUS")[0]
	assert.Equal(t, "", st.Env["CNI_CONTAINERID"])
	conf := st.conf(t)
	assert.Equal(t, "testnet", conf["name"])
	assert.NotContains(t, conf, "runtimeConfig")
}

func TestGCNetworkList(t *testing.T) {
	t.Parallel()
	c, fe, _ := newTestConfig(t)
	list := mustList(t, listConf("1.1.0", "a", "b"))
	other := mustList(t, strings.Replace(listConf("1.1.0", "a"), "testnet", "othernet", 1))
	ctx := context.Background()
	for _, id := range []string{"keep", "stale"} {
		rt := testRT()
		rt.ContainerID = id
		rt.Args = [][2]string{{"ID", id}}
		_, err := c.AddNetworkList(ctx, list, rt)
		require.NoError(t, err)
		_, err = c.AddNetworkList(ctx, other, rt)
		require.NoError(t, err)
	}
	fe.errs["b/GC"] = pluginErr(100, "gc broke")

	err := c.GCNetworkList(ctx, list, &libcni.GCArgs{ValidAttachments: []types.GCAttachment{{ContainerID: "keep", IfName: "eth0"}}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "failed to GC plugin b: ")
	var te *types.Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "gc broke", te.Msg)

	dels := fe.Calls("DEL")
	require.Len(t, dels, 2, "only the stale attachment of this network is deleted")
	for _, d := range dels {
		assert.Equal(t, "stale", d.Env["CNI_CONTAINERID"])
		assert.Equal(t, "ID=stale", d.Env["CNI_ARGS"], "cached CNI_ARGS are used")
		assert.Equal(t, "testnet", d.conf(t)["name"])
	}
	gcs := fe.Calls("GC")
	require.Len(t, gcs, 2, "GC runs on every plugin despite failures")
	for _, g := range gcs {
		conf := g.conf(t)
		want := []any{map[string]any{"containerID": "keep", "ifname": "eth0"}}
		assert.Equal(t, want, conf["cni.dev/valid-attachments"])
		assert.Equal(t, want, conf["cni.dev/attachments"])
	}
	atts, err := c.GetCachedAttachments("")
	require.NoError(t, err)
	var left []string
	for _, a := range atts {
		left = append(left, a.Network+"/"+a.ContainerID)
	}
	assert.ElementsMatch(t, []string{"testnet/keep", "othernet/keep", "othernet/stale"}, left)
}

func TestGCNetworkListDisabled(t *testing.T) {
	t.Parallel()
	c, fe, _ := newTestConfig(t)
	list := mustList(t, `{"cniVersion":"1.1.0","name":"testnet","disableGC":true,"plugins":[{"type":"a"}]}`)
	_, err := c.AddNetworkList(context.Background(), list, testRT())
	require.NoError(t, err)
	require.NoError(t, c.GCNetworkList(context.Background(), list, &libcni.GCArgs{}))
	assert.Empty(t, fe.Calls("DEL"))
	assert.Empty(t, fe.Calls("GC"))
}

func TestRefusedBeforeAnyPluginRuns(t *testing.T) {
	t.Parallel()
	good := listConf("1.0.0", "a")
	tests := []struct {
		name    string
		conf    string
		mutate  func(rt *libcni.RuntimeConf)
		list    func(l *libcni.NetworkConfigList)
		wantMsg string
		wantTE  bool
	}{
		{"missing container ID", good, func(rt *libcni.RuntimeConf) { rt.ContainerID = "" }, nil, "missing containerID", true},
		{"bad container ID", good, func(rt *libcni.RuntimeConf) { rt.ContainerID = "../etc" }, nil, "invalid characters in containerID", true},
		{"empty ifname", good, func(rt *libcni.RuntimeConf) { rt.IfName = "" }, nil, "interface name is empty", true},
		{"ifname with slash", good, func(rt *libcni.RuntimeConf) { rt.IfName = "a/b" }, nil, "interface name contains / or : or whitespace characters", true},
		{"ifname too long", good, func(rt *libcni.RuntimeConf) { rt.IfName = "abcdefghijklmnop" }, nil, "interface name is too long", true},
		{"ifname dot dot", good, func(rt *libcni.RuntimeConf) { rt.IfName = ".." }, nil, "interface name is . or ..", true},
		{"CNI_ARGS value with semicolon", good, func(rt *libcni.RuntimeConf) { rt.Args = [][2]string{{"A", "1;B=2"}} }, nil, "CNI_ARGS", false},
		{"CNI_ARGS key with equals", good, func(rt *libcni.RuntimeConf) { rt.Args = [][2]string{{"A=B", "1"}} }, nil, "CNI_ARGS", false},
		{"CNI_ARGS newline", good, func(rt *libcni.RuntimeConf) { rt.Args = [][2]string{{"A", "1\n"}} }, nil, "CNI_ARGS", false},
		{"NUL in netns", good, func(rt *libcni.RuntimeConf) { rt.NetNS = "/x\x00" }, nil, "CNI_NETNS", false},
		{"bad network name", good, nil, func(l *libcni.NetworkConfigList) { l.Name = "a b" }, "invalid characters found in network name", true},
		{"unknown version", good, nil, func(l *libcni.NetworkConfigList) { l.CNIVersion = "1.2.0" }, `"1.2.0"`, false},
		{"malformed version", good, nil, func(l *libcni.NetworkConfigList) { l.CNIVersion = "one" }, `failed to convert major version part "one"`, false},
		{"nil plugin network", good, nil, func(l *libcni.NetworkConfigList) { l.Plugins[0].Network = nil }, "plugins[0]", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, fe, dir := newTestConfig(t)
			list := mustList(t, tt.conf)
			if tt.list != nil {
				tt.list(list)
			}
			rt := testRT()
			if tt.mutate != nil {
				tt.mutate(rt)
			}
			ctx := context.Background()
			_, addErr := c.AddNetworkList(ctx, list, rt)
			errs := []error{addErr, c.DelNetworkList(ctx, list, rt)}
			if list.Name == "testnet" && list.Plugins[0].Network != nil && list.CNIVersion == "1.0.0" {
				errs = append(errs, c.CheckNetworkList(ctx, list, rt))
			}
			for _, err := range errs {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantMsg)
				var ie *libcni.InvalidRuntimeConfError
				assert.ErrorAs(t, err, &ie)
				if tt.wantTE {
					var te *types.Error
					assert.ErrorAs(t, err, &te)
				}
			}
			assert.Empty(t, fe.Calls(""), "no plugin ran")
			_, err := os.Stat(filepath.Join(dir, "results"))
			assert.ErrorIs(t, err, os.ErrNotExist, "no cache path was built")
		})
	}
}

func TestPluginErrors(t *testing.T) {
	t.Parallel()
	c, fe, dir := newTestConfig(t)
	fe.errs["b/ADD"] = pluginErr(types.ErrTryAgainLater, "try later")
	list := mustList(t, listConf("1.0.0", "a", "b", "c"))
	_, err := c.AddNetworkList(context.Background(), list, testRT())
	require.Error(t, err)
	assert.Equal(t, `plugin type="b" failed (add): try later`, err.Error(), "the reference's text")
	assert.Equal(t, `plugin type="b" failed (add): try later (network "testnet" plugins[1], /opt/cni/bin/b)`, fmt.Sprintf("%+v", err))
	var pe *libcni.PluginError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, libcni.PluginError{Network: "testnet", Plugin: "b", Index: 1, Verb: "add", Path: "/opt/cni/bin/b", Err: pe.Err}, *pe)
	var te *types.Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, types.ErrTryAgainLater, te.Code)
	assert.Len(t, fe.Calls("ADD"), 2, "the chain stops at the failure")
	_, statErr := os.Stat(filepath.Join(dir, "results", "testnet-ctr1-eth0"))
	assert.ErrorIs(t, statErr, os.ErrNotExist, "a failed ADD caches nothing")

	fe.missing["c"] = true
	delete(fe.errs, "b/ADD")
	_, err = c.AddNetworkList(context.Background(), list, testRT())
	require.Error(t, err)
	assert.Contains(t, err.Error(), `plugin type="c" failed (add): failed to find plugin "c" in path`)
	assert.Contains(t, fmt.Sprintf("%+v", err), `(network "testnet" plugins[2])`)
	assert.ErrorIs(t, err, os.ErrNotExist)

	fe.errs["a/CHECK"] = pluginErr(types.ErrInvalidNetworkConfig, "bad")
	delete(fe.missing, "c")
	_, err = c.AddNetworkList(context.Background(), list, testRT())
	require.NoError(t, err)
	err = c.CheckNetworkList(context.Background(), list, testRT())
	// CHECK of a list returns the plugin's error itself, as the reference.
	te, ok := err.(*types.Error)
	require.True(t, ok, "%T", err)
	assert.Equal(t, types.ErrInvalidNetworkConfig, te.Code)
	assert.Equal(t, "bad", err.Error())
}

func TestPluginErrorWithName(t *testing.T) {
	t.Parallel()
	// The reference's text; cnirt's context in the verbose form.
	e := &libcni.PluginError{Network: "n", Plugin: "bridge", Name: "br", Index: 0, Verb: "add", Err: errors.New("boom")}
	assert.Equal(t, `plugin type="bridge" name="br" failed (add): boom`, e.Error())
	assert.Equal(t, `plugin type="bridge" name="br" failed (add): boom (network "n" plugins[0])`, fmt.Sprintf("%+v", e))
	e = &libcni.PluginError{Network: "n", Plugin: "bridge", Index: 3, Verb: "gc", Err: errors.New("boom")}
	assert.Equal(t, `failed to GC plugin bridge: boom`, e.Error())
	assert.Equal(t, `failed to GC plugin bridge: boom (network "n" plugins[3])`, fmt.Sprintf("%+v", e))

	cniErr := types.NewError(types.ErrTryAgainLater, "busy", "retry")
	e = &libcni.PluginError{Network: "n", Plugin: "bridge", Index: 1, Verb: "add", Path: "/opt/cni/bin/bridge", Err: cniErr}
	assert.Equal(t, `plugin type="bridge" failed (add): busy; retry`, e.Error())
	assert.Equal(t, `plugin type="bridge" failed (add): busy; retry (network "n" plugins[1], /opt/cni/bin/bridge)`, fmt.Sprintf("%+v", e))
	assert.Equal(t, e.Error(), fmt.Sprint(e))
	assert.Equal(t, fmt.Sprintf("%q", e.Error()), fmt.Sprintf("%q", e))
	assert.Same(t, cniErr, errors.Unwrap(e), "the plugin's error is the direct reason, as with the reference")
}

func TestSinglePluginOperations(t *testing.T) {
	t.Parallel()
	c, fe, _ := newTestConfig(t)
	fe.out["a/ADD"] = ipResult
	net := mustPlugin(t, `{"cniVersion":"1.0.0","name":"single","type":"a","capabilities":{"portMappings":true},"x":{"y":"z"}}`)
	ctx := context.Background()
	rt := testRT()

	res, err := c.AddNetwork(ctx, net, rt)
	require.NoError(t, err)
	assert.Equal(t, "1.0.0", res.Version())
	add := fe.Calls("ADD")[0].conf(t)
	assert.Equal(t, "single", add["name"])
	assert.Contains(t, add, "runtimeConfig")

	cached, err := c.GetNetworkCachedResult(net, rt)
	require.NoError(t, err)
	require.NotNil(t, cached)
	cfg, newRT, err := c.GetNetworkCachedConfig(net, &libcni.RuntimeConf{ContainerID: "ctr1", IfName: "eth0"})
	require.NoError(t, err)
	assert.Equal(t, net.Bytes, cfg, "a single plugin caches its own bytes")
	assert.Equal(t, rt.Args, newRT.Args)

	require.NoError(t, c.CheckNetwork(ctx, net, rt))
	require.Len(t, fe.Calls("CHECK"), 1)
	assert.Contains(t, fe.Calls("CHECK")[0].conf(t), "prevResult")

	require.NoError(t, c.DelNetwork(ctx, net, rt))
	require.NoError(t, c.DelNetwork(ctx, net, rt))
	dels := fe.Calls("DEL")
	require.Len(t, dels, 2)
	assert.Contains(t, dels[0].conf(t), "prevResult")
	assert.NotContains(t, dels[1].conf(t), "prevResult")

	old := mustPlugin(t, `{"cniVersion":"0.3.1","name":"single","type":"a"}`)
	require.ErrorIs(t, c.CheckNetwork(ctx, old, rt), libcni.ErrorCheckNotSupp)

	fe.errs["a/ADD"] = pluginErr(7, "nope")
	_, err = c.AddNetwork(ctx, net, rt)
	// A single plugin's error comes back as the plugin gave it, as with
	// the reference.
	te, ok := err.(*types.Error)
	require.True(t, ok, "%T", err)
	assert.Equal(t, uint(7), te.Code)
	assert.Equal(t, "nope", err.Error())
}

func TestCachedResultAndConfig(t *testing.T) {
	t.Parallel()
	c, fe, _ := newTestConfig(t)
	fe.out["a/ADD"] = ipResult
	list := mustList(t, listConf("1.0.0", "a"))
	ctx := context.Background()

	res, err := c.GetNetworkListCachedResult(list, testRT())
	require.NoError(t, err)
	assert.Nil(t, res, "nothing cached yet")
	cfg, rt2, err := c.GetNetworkListCachedConfig(list, testRT())
	require.NoError(t, err)
	assert.Nil(t, cfg)
	assert.Nil(t, rt2)

	_, err = c.AddNetworkList(ctx, list, testRT())
	require.NoError(t, err)
	res, err = c.GetNetworkListCachedResult(list, testRT())
	require.NoError(t, err)
	b, _ := json.Marshal(res)
	assert.JSONEq(t, ipResult, string(b))

	// Read back in another version: converted.
	list11 := mustList(t, listConf("1.1.0", "a"))
	res, err = c.GetNetworkListCachedResult(list11, testRT())
	require.NoError(t, err)
	assert.Equal(t, "1.1.0", res.Version())

	in := &libcni.RuntimeConf{ContainerID: "ctr1", IfName: "eth0", NetNS: "/other"}
	cfg, rt2, err = c.GetNetworkListCachedConfig(list, in)
	require.NoError(t, err)
	assert.Equal(t, list.Bytes, cfg)
	assert.Equal(t, testRT().Args, rt2.Args)
	assert.Equal(t, "x", rt2.CapabilityArgs["bandwidth"])
	assert.Equal(t, "/other", rt2.NetNS, "other fields are copied from the input")
	assert.Empty(t, in.Args, "the input is not modified")

	atts, err := c.GetCachedAttachments("ctr1")
	require.NoError(t, err)
	require.Len(t, atts, 1)
	assert.Equal(t, &libcni.NetworkAttachment{
		ContainerID: "ctr1", Network: "testnet", IfName: "eth0", Config: list.Bytes,
		NetNS: "/var/run/netns/ctr1", CniArgs: testRT().Args, CapabilityArgs: atts[0].CapabilityArgs,
	}, atts[0])
	atts, err = c.GetCachedAttachments("ctr")
	require.NoError(t, err)
	assert.Empty(t, atts)

	_, err = c.GetNetworkListCachedResult(list, &libcni.RuntimeConf{ContainerID: "a/b", IfName: "eth0"})
	assert.Error(t, err, "bad identifiers never reach a path")
}

func TestRejectDuplicateAdd(t *testing.T) {
	t.Parallel()
	tests := []struct {
		on      bool
		wantErr bool
	}{{false, false}, {true, true}}
	for _, tt := range tests {
		c, fe, _ := newTestConfig(t, libcni.WithRejectDuplicateAdd(tt.on))
		list := mustList(t, listConf("1.0.0", "a"))
		ctx := context.Background()
		_, err := c.AddNetworkList(ctx, list, testRT())
		require.NoError(t, err)
		_, err = c.AddNetworkList(ctx, list, testRT())
		if tt.wantErr {
			require.ErrorIs(t, err, libcni.ErrAttachmentExists)
			assert.Len(t, fe.Calls("ADD"), 1)
			require.NoError(t, c.DelNetworkList(ctx, list, testRT()))
			_, err = c.AddNetworkList(ctx, list, testRT())
			require.NoError(t, err, "ADD after DEL is fine")
		} else {
			require.NoError(t, err)
			assert.Len(t, fe.Calls("ADD"), 2)
		}
	}
}

func TestValidateNetworkList(t *testing.T) {
	t.Parallel()
	c, fe, _ := newTestConfig(t)
	fe.out["old/VERSION"] = `{"cniVersion":"0.4.0","supportedVersions":["0.3.1","0.4.0"]}`
	list := mustList(t, `{"cniVersion":"1.0.0","name":"testnet","plugins":[
		{"type":"a","capabilities":{"portMappings":true,"ips":false}},
		{"type":"b","capabilities":{"bandwidth":true,"portMappings":true}}]}`)
	caps, err := c.ValidateNetworkList(context.Background(), list)
	require.NoError(t, err)
	assert.Equal(t, []string{"bandwidth", "portMappings"}, caps)

	bad := mustList(t, listConf("1.0.0", "a", "old", "gone"))
	fe.missing["gone"] = true
	_, err = c.ValidateNetworkList(context.Background(), bad)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `plugin old does not support config version "1.0.0"`)
	assert.Contains(t, fmt.Sprintf("%+v", err), `plugins[1]`)
	assert.Contains(t, err.Error(), `failed to find plugin "gone" in path`)

	caps, err = c.ValidateNetwork(context.Background(), mustPlugin(t, `{"cniVersion":"0.4.0","name":"n","type":"old","capabilities":{"x":true}}`))
	require.NoError(t, err)
	assert.Equal(t, []string{"x"}, caps)
	_, err = c.ValidateNetwork(context.Background(), mustPlugin(t, `{"cniVersion":"1.1.0","name":"n","type":"old"}`))
	assert.ErrorContains(t, err, `plugin old does not support config version "1.1.0"`)

	info, err := c.GetVersionInfo(context.Background(), "old")
	require.NoError(t, err)
	assert.Equal(t, []string{"0.3.1", "0.4.0"}, info.SupportedVersions())
}

func TestValidateNetworkListCachesVersionAnswers(t *testing.T) {
	t.Parallel()
	c, fe, _ := newTestConfig(t)
	bin := t.TempDir()
	fe.dir = bin
	for _, p := range []string{"a", "b"} {
		require.NoError(t, os.WriteFile(filepath.Join(bin, p), []byte("v1"), 0o755))
	}
	list := mustList(t, listConf("1.0.0", "a", "b"))
	ctx := context.Background()
	for range 3 {
		_, err := c.ValidateNetworkList(ctx, list)
		require.NoError(t, err)
	}
	assert.Len(t, fe.Calls("VERSION"), 2, "each unchanged plugin is asked once")

	// A changed executable is asked again.
	require.NoError(t, os.WriteFile(filepath.Join(bin, "b"), []byte("version2"), 0o755))
	_, err := c.ValidateNetworkList(ctx, list)
	require.NoError(t, err)
	v := fe.Calls("VERSION")
	require.Len(t, v, 3)
	assert.Equal(t, "b", v[2].Plugin)

	// A CNIConfig literal works, without the cache.
	lit := &libcni.CNIConfig{Path: []string{bin}}
	_ = lit // exec is unexported; only checks it can be built
}

func TestSerializationPerContainer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		serialize   bool
		wantOverlap bool
	}{{"on", true, false}, {"off", false, true}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, fe, _ := newTestConfig(t, libcni.WithSerialization(tt.serialize))
			var inFlight, maxInFlight atomic.Int32
			fe.hook = func(ctx context.Context, call fakeCall) {
				n := inFlight.Add(1)
				for {
					m := maxInFlight.Load()
					if n <= m || maxInFlight.CompareAndSwap(m, n) {
						break
					}
				}
				time.Sleep(20 * time.Millisecond)
				inFlight.Add(-1)
			}
			lists := []*libcni.NetworkConfigList{
				mustList(t, listConf("1.0.0", "a")),
				mustList(t, strings.Replace(listConf("1.0.0", "a"), "testnet", "net2", 1)),
			}
			var wg sync.WaitGroup
			for i := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := c.AddNetworkList(context.Background(), lists[i%2], testRT())
					assert.NoError(t, err)
				}()
			}
			wg.Wait()
			if tt.wantOverlap {
				assert.Greater(t, maxInFlight.Load(), int32(1))
			} else {
				assert.Equal(t, int32(1), maxInFlight.Load(), "one container, one operation at a time, in any network")
			}
		})
	}
}

func TestSerializationDifferentContainersRunInParallel(t *testing.T) {
	t.Parallel()
	c, fe, _ := newTestConfig(t)
	started := make(chan string, 2)
	release := make(chan struct{})
	fe.hook = func(ctx context.Context, call fakeCall) {
		started <- call.Env["CNI_CONTAINERID"]
		<-release
	}
	list := mustList(t, listConf("1.0.0", "a"))
	var wg sync.WaitGroup
	for _, id := range []string{"c1", "c2"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rt := testRT()
			rt.ContainerID = id
			_, err := c.AddNetworkList(context.Background(), list, rt)
			assert.NoError(t, err)
		}()
	}
	// Both must start before either finishes.
	for range 2 {
		select {
		case <-started:
		case <-time.After(10 * time.Second):
			t.Fatal("the second container's ADD did not start while the first was running")
		}
	}
	close(release)
	wg.Wait()
}

func TestGCWaitsForInFlightOperations(t *testing.T) {
	t.Parallel()
	c, fe, _ := newTestConfig(t)
	list := mustList(t, listConf("1.1.0", "a"))
	addRunning := make(chan struct{})
	release := make(chan struct{})
	var events []string
	var mu sync.Mutex
	record := func(s string) { mu.Lock(); events = append(events, s); mu.Unlock() }
	fe.hook = func(ctx context.Context, call fakeCall) {
		if call.Command == "ADD" {
			close(addRunning)
			<-release
		}
		record(call.Command)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, err := c.AddNetworkList(context.Background(), list, testRT())
		assert.NoError(t, err)
	}()
	<-addRunning
	gcDone := make(chan error)
	go func() { gcDone <- c.GCNetworkList(context.Background(), list, &libcni.GCArgs{}) }()
	select {
	case err := <-gcDone:
		t.Fatalf("GC finished (%v) while an ADD was in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	<-done
	require.NoError(t, <-gcDone)
	mu.Lock()
	defer mu.Unlock()
	// GC came after the ADD, and deleted the attachment it did not see as valid.
	assert.Equal(t, []string{"ADD", "DEL", "GC"}, events)

	// A cancelled wait for the lock is reported with ctx's error.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.AddNetworkList(ctx, list, testRT())
	assert.ErrorIs(t, err, context.Canceled)
}
