package libcni_test

// Error texts and values compared with the reference library (v1.3.1):
// where the reference returns a text, cnirt's Error() is that text byte for
// byte; where it returns a *types.Error, cnirt returns one with the same
// code, message and details, and where it wraps one, errors.Unwrap gives
// it.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	refcni "github.com/containernetworking/cni/libcni"
	reftypes "github.com/containernetworking/cni/pkg/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/types"
)

const fidelityList = `{"cniVersion":"1.0.0","name":"fid","plugins":[{"type":"noop"},{"type":"second"}]}`

// fidelityPair builds both libraries on fresh cache directories, with the
// recording fakes of diff_reference_test.go.
func fidelityPair(t *testing.T) (cn *libcni.CNIConfig, ref *refcni.CNIConfig, cnRec, refRec *diffRecorder, cnDir, refDir string) {
	t.Helper()
	cnDir, refDir = t.TempDir(), t.TempDir()
	cnRec, refRec = newDiffRecorder(), newDiffRecorder()
	cn = libcni.NewCNIConfigWithCacheDir(diffPluginPath, cnDir, &diffCnirtExec{rec: cnRec})
	ref = refcni.NewCNIConfigWithCacheDir(diffPluginPath, refDir, &diffRefExec{rec: refRec})
	return
}

func fidelityLists(t *testing.T, doc string) (*libcni.NetworkConfigList, *refcni.NetworkConfigList) {
	t.Helper()
	cn, err := libcni.ConfListFromBytes([]byte(doc))
	require.NoError(t, err)
	ref, err := refcni.ConfListFromBytes([]byte(doc))
	require.NoError(t, err)
	return cn, ref
}

// TestFidelityCachedResultTexts: a damaged cached result fails CHECK with
// the reference's whole text ("failed to get network ... cached result:
// decoding version from network config: invalid character ..."), nothing
// inserted in the middle.
func TestFidelityCachedResultTexts(t *testing.T) {
	t.Parallel()
	for name, content := range map[string]string{
		"not json":               "adfadsfasdfasfdsafaf",
		"unknown result version": `{"cniVersion":"0.4567.0","ips":[{"version":"4","address":"198.18.0.3/24"}]}`,
		"bad address type":       `{"cniVersion":"1.0.0","ips":[{"address":5}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cn, ref, _, _, cnDir, refDir := fidelityPair(t)
			cnList, refList := fidelityLists(t, fidelityList)
			for _, dir := range []string{cnDir, refDir} {
				require.NoError(t, os.MkdirAll(filepath.Join(dir, "results"), 0o700))
				require.NoError(t, os.WriteFile(filepath.Join(dir, "results", "fid-ctr-eth0"), []byte(content), 0o600))
			}
			refErr := ref.CheckNetworkList(t.Context(), refList, &refcni.RuntimeConf{ContainerID: "ctr", IfName: "eth0", NetNS: "/x"})
			cnErr := cn.CheckNetworkList(t.Context(), cnList, &libcni.RuntimeConf{ContainerID: "ctr", IfName: "eth0", NetNS: "/x"})
			require.Error(t, refErr)
			require.Error(t, cnErr)
			assert.Equal(t, refErr.Error(), cnErr.Error())
		})
	}
}

// TestFidelityCacheKeyText: a cache getter with an empty network name,
// container ID or interface name fails first with the reference's text.
func TestFidelityCacheKeyText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, net, ctr, ifName string }{
		{"no network", "", "ctr", "eth0"},
		{"no container", "fid", "", "eth0"},
		{"no interface", "fid", "ctr", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cn, ref, _, _, _, _ := fidelityPair(t)
			refConf := &refcni.PluginConfig{Network: &reftypes.PluginConf{Name: tc.net}}
			cnConf := &libcni.PluginConfig{Network: &types.PluginConf{Name: tc.net}}
			_, _, refErr := ref.GetNetworkCachedConfig(refConf, &refcni.RuntimeConf{ContainerID: tc.ctr, IfName: tc.ifName})
			_, _, cnErr := cn.GetNetworkCachedConfig(cnConf, &libcni.RuntimeConf{ContainerID: tc.ctr, IfName: tc.ifName})
			require.Error(t, refErr)
			require.Error(t, cnErr)
			assert.Equal(t, refErr.Error(), cnErr.Error())
			var ke *libcni.CacheKeyError
			assert.ErrorAs(t, cnErr, &ke)
			_, refErr = ref.GetNetworkCachedResult(refConf, &refcni.RuntimeConf{ContainerID: tc.ctr, IfName: tc.ifName})
			_, cnErr = cn.GetNetworkCachedResult(cnConf, &libcni.RuntimeConf{ContainerID: tc.ctr, IfName: tc.ifName})
			require.Error(t, refErr)
			assert.Equal(t, refErr.Error(), cnErr.Error())
		})
	}
}

// TestFidelityAddRefusalIsFirstPluginFailure: an identifier refused on ADD
// of a list reads as the reference's `plugin type="noop" failed (add): ...`
// and errors.Unwrap gives pkg/utils' *types.Error; no plugin runs.
func TestFidelityAddRefusalIsFirstPluginFailure(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		ctr, ifName string
	}{
		{"container ID", "bad%%id", "eth0"},
		{"interface name", "ctr", "eth 0"},
		{"long interface name", "ctr", "0123456789abcdef"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cn, ref, cnRec, refRec, _, _ := fidelityPair(t)
			cnList, refList := fidelityLists(t, fidelityList)
			_, refErr := ref.AddNetworkList(t.Context(), refList, &refcni.RuntimeConf{ContainerID: tc.ctr, IfName: tc.ifName, NetNS: "/x"})
			_, cnErr := cn.AddNetworkList(t.Context(), cnList, &libcni.RuntimeConf{ContainerID: tc.ctr, IfName: tc.ifName, NetNS: "/x"})
			require.Error(t, refErr)
			require.Error(t, cnErr)
			assert.Equal(t, refErr.Error(), cnErr.Error())
			refTE, ok := errors.Unwrap(refErr).(*reftypes.Error)
			require.True(t, ok)
			cnTE, ok := errors.Unwrap(cnErr).(*types.Error)
			require.True(t, ok, "errors.Unwrap gives the *types.Error")
			assert.Equal(t, *refTE, reftypes.Error{Code: cnTE.Code, Msg: cnTE.Msg, Details: cnTE.Details})
			var irc *libcni.InvalidRuntimeConfError
			assert.ErrorAs(t, cnErr, &irc)
			assert.Empty(t, cnRec.take())
			assert.Empty(t, refRec.take())
		})
	}
}

// TestFidelityPluginFailureText: a plugin's error on ADD and DEL of a list
// reads as the reference's text, errors.Unwrap gives the plugin's
// *types.Error, and cnirt's context is in the verbose form.
func TestFidelityPluginFailureText(t *testing.T) {
	t.Parallel()
	rt := diffRuntime{ContainerID: "ctr", NetNS: "/x", IfName: "eth0"}
	for _, verb := range []string{"ADD", "DEL"} {
		t.Run(verb, func(t *testing.T) {
			t.Parallel()
			cn, ref, cnRec, refRec, _, _ := fidelityPair(t)
			cnRec.failOn["second "+verb] = true
			refRec.failOn["second "+verb] = true
			cnList, refList := fidelityLists(t, fidelityList)
			refRT := &refcni.RuntimeConf{ContainerID: rt.ContainerID, NetNS: rt.NetNS, IfName: rt.IfName}
			cnRT := &libcni.RuntimeConf{ContainerID: rt.ContainerID, NetNS: rt.NetNS, IfName: rt.IfName}
			var refErr, cnErr error
			if verb == "ADD" {
				_, refErr = ref.AddNetworkList(t.Context(), refList, refRT)
				_, cnErr = cn.AddNetworkList(t.Context(), cnList, cnRT)
			} else {
				refErr = ref.DelNetworkList(t.Context(), refList, refRT)
				cnErr = cn.DelNetworkList(t.Context(), cnList, cnRT)
			}
			require.Error(t, refErr)
			require.Error(t, cnErr)
			assert.Equal(t, refErr.Error(), cnErr.Error())
			assert.Equal(t, refErr.Error()+` (network "fid" plugins[1], /fake/second)`, fmt.Sprintf("%+v", cnErr))
			cnTE, ok := errors.Unwrap(cnErr).(*types.Error)
			require.True(t, ok, "errors.Unwrap gives the plugin's *types.Error")
			assert.Equal(t, uint(111), cnTE.Code)
		})
	}
}

// TestFidelityUnknownVersion: a configuration whose cniVersion this library
// does not know loads, as in the reference; every operation on it is
// refused before any plugin runs, with a typed error naming the version
// and the supported ones.
func TestFidelityUnknownVersion(t *testing.T) {
	t.Parallel()
	const doc = `{"cniVersion":"1.2.3","name":"future","plugins":[{"type":"noop"}]}`
	list, err := libcni.ConfListFromBytes([]byte(doc))
	require.NoError(t, err, "an unknown version loads")
	assert.Equal(t, "1.2.3", list.CNIVersion)
	refList, err := refcni.ConfListFromBytes([]byte(doc))
	require.NoError(t, err)
	assert.Equal(t, refList.CNIVersion, list.CNIVersion)

	cn, _, rec, _, _, _ := fidelityPair(t)
	rt := &libcni.RuntimeConf{ContainerID: "ctr", IfName: "eth0", NetNS: "/x"}
	ops := map[string]func() error{
		"ADD":    func() error { _, err := cn.AddNetworkList(t.Context(), list, rt); return err },
		"CHECK":  func() error { return cn.CheckNetworkList(t.Context(), list, rt) },
		"DEL":    func() error { return cn.DelNetworkList(t.Context(), list, rt) },
		"STATUS": func() error { return cn.GetStatusNetworkList(t.Context(), list) },
		"GC":     func() error { return cn.GCNetworkList(t.Context(), list, nil) },
	}
	for name, op := range ops {
		err := op()
		require.Error(t, err, name)
		var uv *libcni.UnsupportedVersionError
		require.ErrorAs(t, err, &uv, name)
		assert.Equal(t, []string{"1.2.3"}, uv.Versions, name)
		assert.Contains(t, uv.Supported, "1.1.0", name)
		assert.Contains(t, err.Error(), `"1.2.3"`, name)
		assert.Contains(t, err.Error(), "1.1.0", name)
		assert.Empty(t, rec.take(), "%s: no plugin may run", name)
	}
	single, err := libcni.ConfFromBytes([]byte(`{"cniVersion":"1.2.3","name":"future","type":"noop"}`))
	require.NoError(t, err)
	_, err = cn.AddNetwork(t.Context(), single, rt)
	var uv *libcni.UnsupportedVersionError
	require.ErrorAs(t, err, &uv)
	assert.Empty(t, rec.take())
}

// TestFidelityValidateTexts: ValidateNetworkList's error contains the
// reference's aggregate text, "[e1 e2 ...]".
func TestFidelityValidateTexts(t *testing.T) {
	t.Parallel()
	cn, ref, _, _, _, _ := fidelityPair(t)
	for _, doc := range []string{
		`{"cniVersion":"broken","name":"fid","plugins":[{"type":"noop"},{"type":"noop"}]}`,
		`{"cniVersion":"0.2.0","name":"fid","plugins":[{"type":"noop"}]}`,
	} {
		refList := &refcni.NetworkConfigList{}
		cnList := &libcni.NetworkConfigList{}
		// Built by hand: "broken" does not load, but a caller may set it.
		r, err := refcni.ConfListFromBytes([]byte(strings.Replace(doc, "broken", "1.0.0", 1)))
		require.NoError(t, err)
		c, err := libcni.ConfListFromBytes([]byte(strings.Replace(doc, "broken", "1.0.0", 1)))
		require.NoError(t, err)
		*refList, *cnList = *r, *c
		if strings.Contains(doc, "broken") {
			refList.CNIVersion, cnList.CNIVersion = "broken", "broken"
		}
		_, refErr := ref.ValidateNetworkList(t.Context(), refList)
		_, cnErr := cn.ValidateNetworkList(t.Context(), cnList)
		require.Error(t, refErr, doc)
		require.Error(t, cnErr, doc)
		assert.Equal(t, refErr.Error(), cnErr.Error(), doc)
		var ve *libcni.ValidationError
		require.ErrorAs(t, cnErr, &ve)
		var vns *libcni.VersionNotSupportedError
		require.ErrorAs(t, cnErr, &vns)
		assert.NotEmpty(t, vns.Supported)
	}
}
