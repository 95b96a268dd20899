package libcni_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	refcni "github.com/containernetworking/cni/libcni"
	refversion "github.com/containernetworking/cni/pkg/version"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
)

// cacheSeedDir holds the seed corpus of FuzzCacheEntry. The files named
// "ref-*" are cache entries written by the reference library; set
// CNIRT_UPDATE_FUZZ_SEEDS=1 to rewrite them (TestCacheFuzzSeedsFromReference
// otherwise checks they are what the reference writes).
const cacheSeedDir = "testdata/fuzz/FuzzCacheEntry"

// cacheSeedCases are the attachments the reference caches for the seeds.
var cacheSeedCases = []struct {
	name, cniVersion string
	rt               *refcni.RuntimeConf
}{
	{"ref-v110-full", "1.1.0", &refcni.RuntimeConf{ContainerID: "ctr1", NetNS: "/var/run/netns/ctr1", IfName: "eth0",
		Args:           [][2]string{{"IgnoreUnknown", "true"}, {"K8S_POD_NAME", "web-0"}},
		CapabilityArgs: map[string]interface{}{"portMappings": []interface{}{map[string]interface{}{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}}}}},
	{"ref-v100-plain", "1.0.0", &refcni.RuntimeConf{ContainerID: "ctr1", NetNS: "/var/run/netns/ctr1", IfName: "eth0"}},
	{"ref-v040", "0.4.0", &refcni.RuntimeConf{ContainerID: "ctr1", NetNS: "/proc/1234/ns/net", IfName: "eth0",
		Args: [][2]string{{"IP", "198.18.0.9"}}}},
	{"ref-v031-nonetns", "0.3.1", &refcni.RuntimeConf{ContainerID: "ctr1", IfName: "eth0"}},
	{"ref-v020", "0.2.0", &refcni.RuntimeConf{ContainerID: "ctr1", NetNS: "/n", IfName: "eth0",
		CapabilityArgs: map[string]interface{}{"bandwidth": map[string]interface{}{"ingressRate": 1e6}}}},
}

// seedResult is what the seed plugin prints for ADD in cniVersion v.
func seedResult(v string) string {
	if v == "0.1.0" || v == "0.2.0" {
		return fmt.Sprintf(`{"cniVersion":%q,"ip4":{"ip":"198.18.0.5/24","gateway":"198.18.0.1","routes":[{"dst":"0.0.0.0/0"}]},"dns":{"nameservers":["198.18.0.1"]}}`, v)
	}
	ipVersion := ""
	if strings.HasPrefix(v, "0.") {
		ipVersion = `"version":"4",`
	}
	return fmt.Sprintf(`{"cniVersion":%q,"interfaces":[{"name":"eth0","mac":"02:00:00:00:00:05","sandbox":"/n"}],`+
		`"ips":[{%s"interface":0,"address":"198.18.0.5/24","gateway":"198.18.0.1"},{%s"address":"2001:db8::5/64"}],`+
		`"routes":[{"dst":"0.0.0.0/0","gw":"198.18.0.1"}],"dns":{"nameservers":["198.18.0.1"],"search":["example.test"]}}`,
		v, ipVersion, strings.Replace(ipVersion, "4", "6", 1))
}

// seedExec is the reference's invoke.Exec for the seeds: ADD prints
// seedResult in the configuration's version.
type seedExec struct{ refversion.PluginDecoder }

func (seedExec) ExecPlugin(_ context.Context, _ string, stdin []byte, environ []string) ([]byte, error) {
	var conf struct {
		CNIVersion string `json:"cniVersion"`
	}
	if err := json.Unmarshal(stdin, &conf); err != nil {
		return nil, err
	}
	for _, e := range environ {
		if e == "CNI_COMMAND=ADD" {
			return []byte(seedResult(conf.CNIVersion)), nil
		}
	}
	return nil, nil
}

func (seedExec) FindInPath(plugin string, _ []string) (string, error) { return "/fake/" + plugin, nil }

// referenceCacheEntries runs ADD with the reference for each seed case and
// returns the cache files it wrote, by seed name.
func referenceCacheEntries(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, sc := range cacheSeedCases {
		dir := t.TempDir()
		cfg := refcni.NewCNIConfigWithCacheDir([]string{"/fake"}, dir, &seedExec{})
		list, err := refcni.ConfListFromBytes([]byte(listConf(sc.cniVersion, "bridge")))
		require.NoError(t, err)
		_, err = cfg.AddNetworkList(context.Background(), list, sc.rt)
		require.NoError(t, err, sc.name)
		data, err := os.ReadFile(filepath.Join(dir, "results", "testnet-"+sc.rt.ContainerID+"-"+sc.rt.IfName))
		require.NoError(t, err, sc.name)
		out[sc.name] = data
	}
	return out
}

// fuzzSeedFile renders one []byte input in the fuzzing corpus format.
func fuzzSeedFile(data []byte) []byte {
	return []byte(fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data))
}

func TestCacheFuzzSeedsFromReference(t *testing.T) {
	t.Parallel()
	for name, data := range referenceCacheEntries(t) {
		file := filepath.Join(cacheSeedDir, name)
		if os.Getenv("CNIRT_UPDATE_FUZZ_SEEDS") == "1" {
			require.NoError(t, os.MkdirAll(cacheSeedDir, 0o755))
			require.NoError(t, os.WriteFile(file, fuzzSeedFile(data), 0o644))
			continue
		}
		committed, err := os.ReadFile(file)
		require.NoError(t, err, "seed %s missing; regenerate with CNIRT_UPDATE_FUZZ_SEEDS=1", name)
		assert.Equal(t, string(fuzzSeedFile(data)), string(committed), "seed %s is not what the reference writes", name)
	}
}

// FuzzCacheEntry puts arbitrary bytes where the cache entry of attachment
// testnet/ctr1/eth0 lives and reads it with both libraries: the cached
// result, the cached configuration and the attachment list must agree
// (acceptance and content), and cnirt's DEL of the attachment must succeed
// and leave no file behind whatever the entry holds. Seeds: entries the
// reference wrote (testdata/fuzz/FuzzCacheEntry/ref-*) and a few broken
// ones.
func FuzzCacheEntry(f *testing.F) {
	for _, s := range []string{
		"", "null", "{}", "[]", `{"kind":"cniCacheV1"}`,
		`{"kind":"cniCacheV1","containerId":"ctr1","ifName":"eth0","networkName":"testnet","result":null}`,
		`{"kind":"cniCacheV1","containerId":"ctr1","ifName":"eth0","networkName":"testnet","result":[1]}`,
		`{"kind":"cniCacheV1","containerId":"ctr1","ifName":"eth0","networkName":"testnet","config":"!!","result":{}}`,
		`{"cniVersion":"0.4.0","ips":[{"version":"4","address":"198.18.0.5/24"}]}`,
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	results := filepath.Join(dir, "results")
	require.NoError(f, os.MkdirAll(results, 0o700))
	entry := filepath.Join(results, "testnet-ctr1-eth0")
	const conf = `{"cniVersion":"1.0.0","name":"testnet","plugins":[{"type":"a"}]}`
	fe := newFakeExec()
	ours := libcni.NewCNIConfigWithCacheDir([]string{"/fake"}, dir, fe)
	ref := refcni.NewCNIConfigWithCacheDir([]string{"/fake"}, dir, &seedExec{})
	oursList, err := libcni.ConfListFromBytes([]byte(conf))
	require.NoError(f, err)
	refList, err := refcni.ConfListFromBytes([]byte(conf))
	require.NoError(f, err)

	f.Fuzz(func(t *testing.T, data []byte) {
		require.NoError(t, os.WriteFile(entry, data, 0o600))
		oursRT := &libcni.RuntimeConf{ContainerID: "ctr1", NetNS: "/n", IfName: "eth0"}
		refRT := &refcni.RuntimeConf{ContainerID: "ctr1", NetNS: "/n", IfName: "eth0"}

		refPanicked := refCall(func() {
			oursRes, oursErr := ours.GetNetworkListCachedResult(oursList, oursRT)
			refRes, refErr := ref.GetNetworkListCachedResult(refList, refRT)
			require.Equal(t, refErr == nil, oursErr == nil, "cached result: ours %v, reference %v", oursErr, refErr)
			if refErr == nil {
				require.Equal(t, refRes == nil, oursRes == nil)
				if refRes != nil {
					oursJSON, err := json.Marshal(oursRes)
					require.NoError(t, err)
					refJSON, err := json.Marshal(refRes)
					require.NoError(t, err)
					assert.JSONEq(t, string(refJSON), string(oursJSON))
				}
			}

			oursConf, oursCRT, oursErr := ours.GetNetworkListCachedConfig(oursList, oursRT)
			refConf, refCRT, refErr := ref.GetNetworkListCachedConfig(refList, refRT)
			require.Equal(t, refErr == nil, oursErr == nil, "cached config: ours %v, reference %v", oursErr, refErr)
			if refErr == nil {
				assert.Equal(t, refConf, oursConf)
				require.Equal(t, refCRT == nil, oursCRT == nil)
				if refCRT != nil {
					assert.Equal(t, refCRT.Args, oursCRT.Args)
					assert.Equal(t, refCRT.CapabilityArgs, oursCRT.CapabilityArgs)
				}
			}

			oursAtts, oursErr := ours.GetCachedAttachments("")
			require.NoError(t, oursErr)
			refAtts, refErr := ref.GetCachedAttachments("")
			require.NoError(t, refErr)
			require.Equal(t, len(refAtts), len(oursAtts), "attachments")
			for i := range refAtts {
				r, o := refAtts[i], oursAtts[i]
				assert.Equal(t, []string{r.ContainerID, r.Network, r.IfName, r.NetNS}, []string{o.ContainerID, o.Network, o.IfName, o.NetNS})
				assert.Equal(t, r.Config, o.Config)
				assert.Equal(t, r.CniArgs, o.CniArgs)
				assert.Equal(t, r.CapabilityArgs, o.CapabilityArgs)
			}
		})
		if refPanicked {
			// Only cnirt's own promises remain.
			_, _ = ours.GetNetworkListCachedResult(oursList, oursRT)
			_, _, _ = ours.GetNetworkListCachedConfig(oursList, oursRT)
			_, err := ours.GetCachedAttachments("")
			require.NoError(t, err)
		}

		require.NoError(t, ours.DelNetworkList(context.Background(), oursList, oursRT), "DEL with entry %q", data)
		_, err := os.Stat(entry)
		require.ErrorIs(t, err, os.ErrNotExist, "DEL removes the entry")
	})
}

// refCall runs fn and reports whether it panicked (the reference panics on
// some inputs; cnirt must not).
func refCall(fn func()) (panicked bool) {
	defer func() { panicked = recover() != nil }()
	fn()
	return false
}
