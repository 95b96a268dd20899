package libcni_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	refcni "github.com/containernetworking/cni/libcni"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/pkg/plugintest"
	"github.com/cnirt/cni/types"
	types100 "github.com/cnirt/cni/types/100"
)

// debugChain is a network of real example plugins: debug, noop, debug, all
// recording into debugFile; the first one returns a result with an address.
func debugChain(name, ver, debugFile string) []byte {
	return fmt.Appendf(nil, `{"cniVersion":%q,"name":%q,"plugins":[
  {"type":"debug","debugFile":%q,"capabilities":{"portMappings":true},
   "result":{"cniVersion":%q,"ips":[{"address":"198.18.1.2/24"}]}},
  {"type":"noop"},
  {"type":"debug","debugFile":%q}
]}`, ver, name, debugFile, ver, debugFile)
}

func TestRealPluginsLifecycle(t *testing.T) {
	t.Parallel()
	bin := plugintest.Build(t, plugintest.NoopPlugin, plugintest.DebugPlugin)
	debugFile := filepath.Join(t.TempDir(), "debug.log")
	list, err := libcni.ConfListFromBytes(debugChain("realnet", "1.1.0", debugFile))
	require.NoError(t, err)
	c := libcni.NewCNIConfigWithCacheDir([]string{bin}, t.TempDir(), nil)
	rt := &libcni.RuntimeConf{
		ContainerID: "real1", NetNS: "/var/run/netns/real1", IfName: "eth0",
		Args:           [][2]string{{"FOO", "bar"}},
		CapabilityArgs: map[string]interface{}{"portMappings": []any{}},
	}
	ctx := context.Background()

	res, err := c.AddNetworkList(ctx, list, rt)
	require.NoError(t, err)
	r, err := types100.GetResult(res)
	require.NoError(t, err)
	require.Len(t, r.IPs, 1)
	assert.Equal(t, "198.18.1.2/24", r.IPs[0].Address.String())

	require.NoError(t, c.CheckNetworkList(ctx, list, rt))
	require.NoError(t, c.GetStatusNetworkList(ctx, list))
	require.NoError(t, c.DelNetworkList(ctx, list, rt))
	require.NoError(t, c.GCNetworkList(ctx, list, &libcni.GCArgs{}))

	recs := plugintest.ReadDebugLog(t, debugFile)
	var cmds []string
	for _, rec := range recs {
		cmds = append(cmds, rec.Command)
		if rec.Command == "ADD" || rec.Command == "CHECK" || rec.Command == "DEL" {
			assert.Equal(t, "real1", rec.Env["CNI_CONTAINERID"])
			assert.Equal(t, "FOO=bar", rec.Env["CNI_ARGS"])
		}
	}
	// Two debug plugins per verb; DEL in reverse order is not visible here
	// as both are debug, but the prevResult each got is.
	assert.Equal(t, []string{"ADD", "ADD", "CHECK", "CHECK", "STATUS", "STATUS", "DEL", "DEL", "GC", "GC"}, cmds)
	var second map[string]any
	require.NoError(t, json.Unmarshal(recs[1].Stdin, &second))
	prev, _ := json.Marshal(second["prevResult"])
	assert.Contains(t, string(prev), "198.18.1.2/24", "the last plugin got the chain's result")
	for _, rec := range recs {
		switch rec.Command {
		case "CHECK", "DEL":
			assert.Contains(t, string(rec.Stdin), "198.18.1.2/24", "%s gets the cached result", rec.Command)
		case "STATUS", "GC":
			assert.NotContains(t, string(rec.Stdin), "prevResult")
		}
	}

	// A failing real plugin: its CNI error reaches the caller.
	failing, err := libcni.ConfListFromBytes([]byte(`{"cniVersion":"1.0.0","name":"failnet","plugins":[
		{"type":"noop"},{"type":"noop","failOn":{"ADD":{"code":11,"msg":"come back later"}}}]}`))
	require.NoError(t, err)
	_, err = c.AddNetworkList(ctx, failing, rt)
	require.Error(t, err)
	assert.Equal(t, `plugin type="noop" failed (add): come back later`, err.Error())
	assert.Contains(t, fmt.Sprintf("%+v", err), `(network "failnet" plugins[1], `)
	var te *types.Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, uint(11), te.Code)
	assert.Equal(t, "come back later", te.Msg)
}

// TestCacheInteropWithReference has the reference library and cnirt share a
// cache directory and the same real plugins: what one ADDs, the other reads
// and DELs (with the cached result as prevResult).
func TestCacheInteropWithReference(t *testing.T) {
	t.Parallel()
	bin := plugintest.Build(t, plugintest.NoopPlugin, plugintest.DebugPlugin)
	ctx := context.Background()
	tests := []struct {
		name     string
		refAdds  bool
		version  string
		ifName   string
		netNSArg string
	}{
		{"reference ADD, cnirt DEL", true, "1.0.0", "eth1", "/ns/a"},
		{"cnirt ADD, reference DEL", false, "1.0.0", "eth2", "/ns/b"},
		{"reference ADD, cnirt DEL, 0.4.0", true, "0.4.0", "eth3", "/ns/c"},
		{"cnirt ADD, reference DEL, 1.1.0", false, "1.1.0", "eth4", "/ns/d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cacheDir := t.TempDir()
			debugFile := filepath.Join(t.TempDir(), "debug.log")
			conf := debugChain("interop", tt.version, debugFile)
			ours, err := libcni.ConfListFromBytes(conf)
			require.NoError(t, err)
			theirs, err := refcni.ConfListFromBytes(conf)
			require.NoError(t, err)
			c := libcni.NewCNIConfigWithCacheDir([]string{bin}, cacheDir, nil)
			ref := refcni.NewCNIConfigWithCacheDir([]string{bin}, cacheDir, nil)
			rt := &libcni.RuntimeConf{ContainerID: "shared", NetNS: tt.netNSArg, IfName: tt.ifName, Args: [][2]string{{"A", "1"}}}
			refRT := &refcni.RuntimeConf{ContainerID: "shared", NetNS: tt.netNSArg, IfName: tt.ifName, Args: [][2]string{{"A", "1"}}}

			if tt.refAdds {
				_, err = ref.AddNetworkList(ctx, theirs, refRT)
				require.NoError(t, err)
				atts, err := c.GetCachedAttachments("shared")
				require.NoError(t, err)
				require.Len(t, atts, 1)
				assert.Equal(t, libcni.NetworkAttachment{ContainerID: "shared", Network: "interop", IfName: tt.ifName,
					Config: conf, NetNS: tt.netNSArg, CniArgs: [][2]string{{"A", "1"}}}, *atts[0])
				cached, err := c.GetNetworkListCachedResult(ours, rt)
				require.NoError(t, err)
				require.NotNil(t, cached)
				require.NoError(t, c.CheckNetworkList(ctx, ours, rt))
				require.NoError(t, c.DelNetworkList(ctx, ours, rt))
				refAtts, err := ref.GetCachedAttachments("shared")
				require.NoError(t, err)
				assert.Empty(t, refAtts, "cnirt removed the reference's entry")
			} else {
				_, err = c.AddNetworkList(ctx, ours, rt)
				require.NoError(t, err)
				atts, err := ref.GetCachedAttachments("shared")
				require.NoError(t, err)
				require.Len(t, atts, 1)
				assert.Equal(t, conf, atts[0].Config)
				assert.Equal(t, [][2]string{{"A", "1"}}, atts[0].CniArgs)
				cached, err := ref.GetNetworkListCachedResult(theirs, refRT)
				require.NoError(t, err)
				require.NotNil(t, cached)
				cfg, gotRT, err := ref.GetNetworkListCachedConfig(theirs, refRT)
				require.NoError(t, err)
				assert.Equal(t, conf, cfg)
				assert.Equal(t, refRT.Args, gotRT.Args)
				require.NoError(t, ref.CheckNetworkList(ctx, theirs, refRT))
				require.NoError(t, ref.DelNetworkList(ctx, theirs, refRT))
				ourAtts, err := c.GetCachedAttachments("shared")
				require.NoError(t, err)
				assert.Empty(t, ourAtts, "the reference removed cnirt's entry")
			}
			// Whoever DELeted, the plugins got the cached result.
			recs := plugintest.ReadDebugLog(t, debugFile)
			var dels int
			for _, rec := range recs {
				if rec.Command == "DEL" || rec.Command == "CHECK" {
					assert.Contains(t, string(rec.Stdin), "198.18.1.2/24", "%s got the cached prevResult", rec.Command)
					dels++
				}
			}
			assert.Equal(t, 4, dels)
		})
	}
}
