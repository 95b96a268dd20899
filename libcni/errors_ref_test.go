package libcni_test

// What a caller can get at when an operation fails, compared with the
// reference library (v1.3.1): the same Error() text, and the same value
// behind a plain type assertion. cnirt's context (network, plugin,
// position, path) is in the run's event and in the verbose form.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	refcni "github.com/containernetworking/cni/libcni"
	reftypes "github.com/containernetworking/cni/pkg/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/types"
)

// refErrPair builds both libraries on the recording fakes, cnirt with an
// event hook that keeps the failed plugin runs.
func refErrPair(t *testing.T) (cn *libcni.CNIConfig, ref *refcni.CNIConfig, cnRec, refRec *diffRecorder, failures func() []libcni.Event) {
	t.Helper()
	cnRec, refRec = newDiffRecorder(), newDiffRecorder()
	var mu sync.Mutex
	var failed []libcni.Event
	hook := func(_ context.Context, ev libcni.Event) {
		if ev.Kind == libcni.EventPluginRun && ev.Err != nil {
			mu.Lock()
			failed = append(failed, ev)
			mu.Unlock()
		}
	}
	cn = libcni.NewCNIConfigWithOptions(diffPluginPath, &diffCnirtExec{rec: cnRec}, libcni.WithCacheDir(t.TempDir()), libcni.WithEventHook(hook))
	ref = refcni.NewCNIConfigWithCacheDir(diffPluginPath, t.TempDir(), &diffRefExec{rec: refRec})
	return cn, ref, cnRec, refRec, func() []libcni.Event {
		mu.Lock()
		defer mu.Unlock()
		return append([]libcni.Event(nil), failed...)
	}
}

// requireSamePluginError asserts both errors are the plugin's error itself,
// a *types.Error behind a plain type assertion, with the same text, code,
// message and details.
func requireSamePluginError(t *testing.T, refErr, cnErr error) {
	t.Helper()
	refTE, ok := refErr.(*reftypes.Error)
	require.True(t, ok, "the reference returns the plugin's error itself: %T", refErr)
	cnTE, ok := cnErr.(*types.Error)
	require.True(t, ok, "cnirt returns the plugin's error itself: %T %v", cnErr, cnErr)
	assert.Equal(t, refErr.Error(), cnErr.Error())
	assert.Equal(t, *refTE, reftypes.Error{Code: cnTE.Code, Msg: cnTE.Msg, Details: cnTE.Details})
}

// TestRefStatusReturnsThePluginsError: a plugin failing STATUS gives the
// caller its *types.Error itself, as the reference does (so a runtime's
// err.(*types.Error) reads the code); the event says which plugin failed.
func TestRefStatusReturnsThePluginsError(t *testing.T) {
	t.Parallel()
	cn, ref, cnRec, refRec, failures := refErrPair(t)
	const doc = `{"cniVersion":"1.1.0","name":"fid","plugins":[{"type":"noop"},{"type":"second"}]}`
	cnList, refList := fidelityLists(t, doc)
	cnRec.failOn["second STATUS"], refRec.failOn["second STATUS"] = true, true

	refErr := ref.GetStatusNetworkList(t.Context(), refList)
	cnErr := cn.GetStatusNetworkList(t.Context(), cnList)
	requireSamePluginError(t, refErr, cnErr)
	assert.Equal(t, refRec.take(), cnRec.take(), "the same plugin runs")

	evs := failures()
	require.Len(t, evs, 1)
	assert.Equal(t, "STATUS", evs[0].Command)
	var pe *libcni.PluginError
	require.ErrorAs(t, evs[0].Err, &pe, "the event carries the failure with its context")
	assert.Equal(t, libcni.PluginError{Network: "fid", Plugin: "second", Index: 1, Verb: "status", Path: "/fake/second", Err: cnErr}, *pe)
	assert.Equal(t, `plugin type="second" failed (status): canned failure of second on STATUS (network "fid" plugins[1], /fake/second)`, fmt.Sprintf("%+v", pe))
}

// TestRefSingleAndCheckVerbsReturnThePluginsError: AddNetwork,
// CheckNetwork, DelNetwork and CheckNetworkList return the plugin's error
// unwrapped, as the reference does; only the list's ADD and DEL wrap it
// (TestFidelityPluginFailureText).
func TestRefSingleAndCheckVerbsReturnThePluginsError(t *testing.T) {
	t.Parallel()
	const single = `{"cniVersion":"1.0.0","name":"one","type":"second"}`
	rt := func() (*libcni.RuntimeConf, *refcni.RuntimeConf) {
		return &libcni.RuntimeConf{ContainerID: "ctr", NetNS: "/x", IfName: "eth0"},
			&refcni.RuntimeConf{ContainerID: "ctr", NetNS: "/x", IfName: "eth0"}
	}
	for _, verb := range []string{"AddNetwork", "CheckNetwork", "DelNetwork", "CheckNetworkList"} {
		t.Run(verb, func(t *testing.T) {
			t.Parallel()
			cn, ref, cnRec, refRec, failures := refErrPair(t)
			cnRT, refRT := rt()
			var refErr, cnErr error
			switch verb {
			case "CheckNetworkList":
				cnList, refList := fidelityLists(t, fidelityList)
				_, err := cn.AddNetworkList(t.Context(), cnList, cnRT)
				require.NoError(t, err)
				_, err = ref.AddNetworkList(t.Context(), refList, refRT)
				require.NoError(t, err)
				cnRec.failOn["second CHECK"], refRec.failOn["second CHECK"] = true, true
				refErr = ref.CheckNetworkList(t.Context(), refList, refRT)
				cnErr = cn.CheckNetworkList(t.Context(), cnList, cnRT)
			default:
				cnConf, err := libcni.NetworkPluginConfFromBytes([]byte(single))
				require.NoError(t, err)
				refConf, err := refcni.NetworkPluginConfFromBytes([]byte(single))
				require.NoError(t, err)
				command := map[string]string{"AddNetwork": "ADD", "CheckNetwork": "CHECK", "DelNetwork": "DEL"}[verb]
				if command == "CHECK" {
					_, err := cn.AddNetwork(t.Context(), cnConf, cnRT)
					require.NoError(t, err)
					_, err = ref.AddNetwork(t.Context(), refConf, refRT)
					require.NoError(t, err)
				}
				cnRec.failOn["second "+command], refRec.failOn["second "+command] = true, true
				switch command {
				case "ADD":
					_, refErr = ref.AddNetwork(t.Context(), refConf, refRT)
					_, cnErr = cn.AddNetwork(t.Context(), cnConf, cnRT)
				case "CHECK":
					refErr = ref.CheckNetwork(t.Context(), refConf, refRT)
					cnErr = cn.CheckNetwork(t.Context(), cnConf, cnRT)
				case "DEL":
					refErr = ref.DelNetwork(t.Context(), refConf, refRT)
					cnErr = cn.DelNetwork(t.Context(), cnConf, cnRT)
				}
			}
			requireSamePluginError(t, refErr, cnErr)
			assert.Equal(t, refRec.take(), cnRec.take(), "the same plugin runs")
			evs := failures()
			require.Len(t, evs, 1)
			var pe *libcni.PluginError
			require.ErrorAs(t, evs[0].Err, &pe)
			assert.Equal(t, "second", pe.Plugin)
			assert.Same(t, cnErr, pe.Err)
		})
	}
}

// TestRefAddReturnsTheResultAsThePluginGaveIt: a plugin answering 0.4.0
// for a 0.3.1 configuration: both libraries return the 0.4.0 result, and
// cache the same thing.
func TestRefAddReturnsTheResultAsThePluginGaveIt(t *testing.T) {
	t.Parallel()
	for _, single := range []bool{false, true} {
		t.Run(fmt.Sprintf("single=%v", single), func(t *testing.T) {
			t.Parallel()
			cnDir, refDir := t.TempDir(), t.TempDir()
			cn := libcni.NewCNIConfigWithCacheDir(diffPluginPath, cnDir, &diffCnirtExec{rec: newDiffRecorder()})
			ref := refcni.NewCNIConfigWithCacheDir(diffPluginPath, refDir, &diffRefExec{rec: newDiffRecorder()})
			cnRT := &libcni.RuntimeConf{ContainerID: "ctr", NetNS: "/x", IfName: "eth0"}
			refRT := &refcni.RuntimeConf{ContainerID: "ctr", NetNS: "/x", IfName: "eth0"}
			var cnRes, refRes interface{ Version() string }
			var file string
			if single {
				const doc = `{"cniVersion":"0.3.1","name":"old","type":"answers040"}`
				cnConf, err := libcni.NetworkPluginConfFromBytes([]byte(doc))
				require.NoError(t, err)
				refConf, err := refcni.NetworkPluginConfFromBytes([]byte(doc))
				require.NoError(t, err)
				r, err := ref.AddNetwork(t.Context(), refConf, refRT)
				require.NoError(t, err)
				refRes = r
				c, err := cn.AddNetwork(t.Context(), cnConf, cnRT)
				require.NoError(t, err)
				cnRes = c
				file = "old-ctr-eth0"
			} else {
				cnList, refList := fidelityLists(t, `{"cniVersion":"0.3.1","name":"old","plugins":[{"type":"noop"},{"type":"answers040"}]}`)
				r, err := ref.AddNetworkList(t.Context(), refList, refRT)
				require.NoError(t, err)
				refRes = r
				c, err := cn.AddNetworkList(t.Context(), cnList, cnRT)
				require.NoError(t, err)
				cnRes = c
				file = "old-ctr-eth0"
			}
			assert.Equal(t, "0.4.0", refRes.Version())
			assert.Equal(t, refRes.Version(), cnRes.Version(), "the result as the plugin gave it")
			refJSON, err := json.Marshal(refRes)
			require.NoError(t, err)
			cnJSON, err := json.Marshal(cnRes)
			require.NoError(t, err)
			assert.JSONEq(t, string(refJSON), string(cnJSON))

			var refEntry, cnEntry map[string]any
			b, err := os.ReadFile(filepath.Join(refDir, "results", file))
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(b, &refEntry))
			b, err = os.ReadFile(filepath.Join(cnDir, "results", file))
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(b, &cnEntry))
			assert.Equal(t, refEntry["result"], cnEntry["result"], "the cache keeps what the reference keeps")
		})
	}
}

// TestRefLoadsWhatTheReferenceLoads: plugin types and network names the
// reference loads load in cnirt too, and running them fails as in the
// reference, before any plugin runs.
func TestRefLoadsWhatTheReferenceLoads(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, doc string }{
		{"type with @", `{"cniVersion":"1.1.0","name":"net","plugins":[{"type":"bridge@123"}]}`},
		{"type that is a path", `{"cniVersion":"1.1.0","name":"net","plugins":[{"type":"../sh"}]}`},
		{"type dotdot", `{"cniVersion":"1.1.0","name":"net","plugins":[{"type":".."}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cnList, refList := fidelityLists(t, tc.doc)
			assert.Equal(t, refList.Plugins[0].Network.Type, cnList.Plugins[0].Network.Type)
			// Real plugin lookup in an empty directory.
			empty := []string{t.TempDir()}
			cn := libcni.NewCNIConfigWithCacheDir(empty, t.TempDir(), nil)
			ref := refcni.NewCNIConfigWithCacheDir(empty, t.TempDir(), nil)
			_, refErr := ref.AddNetworkList(t.Context(), refList, &refcni.RuntimeConf{ContainerID: "ctr", NetNS: "/x", IfName: "eth0"})
			_, cnErr := cn.AddNetworkList(t.Context(), cnList, &libcni.RuntimeConf{ContainerID: "ctr", NetNS: "/x", IfName: "eth0"})
			require.Error(t, refErr)
			require.Error(t, cnErr)
			assert.Equal(t, refErr.Error(), cnErr.Error())
			refErr = ref.GetStatusNetworkList(t.Context(), refList)
			cnErr = cn.GetStatusNetworkList(t.Context(), cnList)
			require.Error(t, refErr)
			assert.Equal(t, refErr.Error(), cnErr.Error(), "STATUS returns the lookup's error itself")
		})
	}

	// A network name the spec does not allow loads; ADD refuses it with the
	// reference's error (the list's first plugin failing, or the
	// *types.Error itself for a single plugin) and runs nothing, STATUS
	// runs the plugins as the reference does.
	t.Run("network name", func(t *testing.T) {
		t.Parallel()
		cn, ref, cnRec, refRec, _ := refErrPair(t)
		cnList, refList := fidelityLists(t, `{"cniVersion":"1.1.0","name":"net@1","plugins":[{"type":"noop"}]}`)
		_, refErr := ref.AddNetworkList(t.Context(), refList, &refcni.RuntimeConf{ContainerID: "ctr", NetNS: "/x", IfName: "eth0"})
		_, cnErr := cn.AddNetworkList(t.Context(), cnList, &libcni.RuntimeConf{ContainerID: "ctr", NetNS: "/x", IfName: "eth0"})
		require.Error(t, refErr)
		require.Error(t, cnErr)
		assert.Equal(t, refErr.Error(), cnErr.Error())
		var te *types.Error
		require.ErrorAs(t, cnErr, &te)
		assert.Equal(t, types.ErrInvalidNetworkConfig, te.Code)

		const single = `{"cniVersion":"1.1.0","name":"net@1","type":"noop"}`
		cnConf, err := libcni.NetworkPluginConfFromBytes([]byte(single))
		require.NoError(t, err)
		refConf, err := refcni.NetworkPluginConfFromBytes([]byte(single))
		require.NoError(t, err)
		_, refErr = ref.AddNetwork(t.Context(), refConf, &refcni.RuntimeConf{ContainerID: "ctr", NetNS: "/x", IfName: "eth0"})
		_, cnErr = cn.AddNetwork(t.Context(), cnConf, &libcni.RuntimeConf{ContainerID: "ctr", NetNS: "/x", IfName: "eth0"})
		requireSamePluginError(t, refErr, cnErr)
		assert.Empty(t, refRec.take())
		assert.Empty(t, cnRec.take())

		require.NoError(t, ref.GetStatusNetworkList(t.Context(), refList))
		require.NoError(t, cn.GetStatusNetworkList(t.Context(), cnList))
		assert.Equal(t, refRec.take(), cnRec.take())
	})
}

// TestRefMalformedVersion: a list whose cniVersion is not a version (set by
// hand; cniVersion alone is not parsed when loading): CHECK and DEL fail
// with the reference's text, the parse error, before any plugin runs; STATUS
// has nothing to do, as in the reference.
func TestRefMalformedVersion(t *testing.T) {
	t.Parallel()
	cn, ref, cnRec, refRec, _ := refErrPair(t)
	const doc = `{"cniVersion":"one","name":"fid","plugins":[{"type":"noop"}]}`
	cnList, refList := fidelityLists(t, doc)
	require.Equal(t, refList.CNIVersion, cnList.CNIVersion)
	cnRT := &libcni.RuntimeConf{ContainerID: "ctr", NetNS: "/x", IfName: "eth0"}
	refRT := &refcni.RuntimeConf{ContainerID: "ctr", NetNS: "/x", IfName: "eth0"}

	refErr := ref.CheckNetworkList(t.Context(), refList, refRT)
	cnErr := cn.CheckNetworkList(t.Context(), cnList, cnRT)
	require.Error(t, refErr)
	assert.Equal(t, refErr.Error(), cnErr.Error(), "CHECK")
	refErr = ref.DelNetworkList(t.Context(), refList, refRT)
	cnErr = cn.DelNetworkList(t.Context(), cnList, cnRT)
	require.Error(t, refErr)
	assert.Equal(t, refErr.Error(), cnErr.Error(), "DEL")
	var uv *libcni.UnsupportedVersionError
	assert.ErrorAs(t, cnErr, &uv, "cnirt's typed error stays reachable")

	assert.NoError(t, ref.GetStatusNetworkList(t.Context(), refList))
	assert.NoError(t, cn.GetStatusNetworkList(t.Context(), cnList))
	assert.Empty(t, refRec.take())
	assert.Empty(t, cnRec.take())
}
