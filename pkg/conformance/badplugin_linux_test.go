//go:build linux

package conformance_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/pkg/conformance"
	"github.com/cnirt/cni/pkg/plugintest"
	"github.com/cnirt/cni/pkg/plugintest/netns"
)

func TestMain(m *testing.M) {
	code := m.Run()
	plugintest.Cleanup()
	os.Exit(code)
}

// badList is a network of the misbehaving plugin in mode, with a pool of
// two addresses; chainMode, when set, adds a chained instance in that mode.
func badList(t *testing.T, mode, chainMode string) *libcni.NetworkConfigList {
	t.Helper()
	typ := "badplugin"
	if mode != "" {
		typ += "-" + mode
	}
	main := fmt.Sprintf(`{"type":%q,"mode":%q,"dataDir":%q,"addresses":["198.18.132.10/24","198.18.132.11/24"],"capabilities":{"mac":true}}`,
		typ, mode, t.TempDir())
	plugins := []string{main}
	if chainMode != "" {
		plugins = append(plugins, fmt.Sprintf(`{"type":"badplugin","chained":true,"mode":%q}`, chainMode))
	}
	list, err := libcni.ConfListFromBytes([]byte(`{"cniVersion":"1.1.0","name":"i18-bad","plugins":[` + strings.Join(plugins, ",") + `]}`))
	require.NoError(t, err)
	return list
}

// TestMisbehavingPlugins runs the suite against plugins that each break
// one rule, and asserts that exactly the check enforcing that rule fails.
func TestMisbehavingPlugins(t *testing.T) {
	if err := netns.Available(); err != nil {
		plugintest.RequireCI(t, "network namespaces: "+err.Error())
		return
	}
	built := plugintest.Build(t, "github.com/cnirt/cni/pkg/conformance/internal/badplugin")
	// badplugin-<mode> links give VERSION, which gets no configuration,
	// the mode.
	dir := t.TempDir()
	exe := plugintest.Exe(built, "badplugin")
	require.NoError(t, os.Symlink(exe, filepath.Join(dir, "badplugin")))
	cases := []struct {
		mode, chainMode string
		fails           string // "" for the well-behaved plugin
	}{
		{mode: "", fails: ""},
		{mode: "", chainMode: "passthrough", fails: ""},
		{mode: "version-missing", fails: "version"},
		{mode: "version-echo-wrong", fails: "version-echo"},
		{mode: "version-unsupported-accepted", fails: "version-unsupported"},
		{mode: "garbage-stdout", fails: "add-result"},
		{mode: "index-out-of-range", fails: "add-result"},
		{mode: "wrong-mac", fails: "add-interface"},
		{mode: "exit0-on-error", fails: "bad-input"},
		{mode: "plaintext-error", fails: "bad-input"},
		{mode: "reserved-error-code", fails: "bad-input"},
		{mode: "check-after-del-succeeds", fails: "check-after-del"},
		{mode: "del-leaks-interface", fails: "del-removes"},
		{mode: "del-twice-fails", fails: "del-twice"},
		{mode: "del-needs-netns", fails: "del-netns-gone"},
		{mode: "del-needs-prevresult", fails: "del-without-prevresult"},
		{mode: "", chainMode: "drop-prevresult", fails: "chain-prevresult"},
		{mode: "status-reserved-code", fails: "status"},
		{mode: "gc-keeps-stale", fails: "gc"},
		{mode: "ignore-mac", fails: "capabilities"},
	}
	for _, c := range cases {
		if c.mode != "" {
			require.NoError(t, os.Symlink(exe, filepath.Join(dir, "badplugin-"+c.mode)))
		}
	}
	for _, c := range cases {
		name := c.mode + c.chainMode
		if name == "" {
			name = "well-behaved"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			rep, err := conformance.Run(ctx, badList(t, c.mode, c.chainMode), conformance.Options{PluginDirs: []string{dir}, NamePrefix: "i18b"})
			require.NoError(t, err)
			var failed []string
			for _, res := range rep.Failed() {
				failed = append(failed, res.Check)
			}
			if c.fails == "" {
				assert.Empty(t, failed, "a well-behaved plugin fails no check")
			} else {
				assert.Equal(t, []string{c.fails}, failed, "mode %s is caught by exactly %s", name, c.fails)
			}
			for _, res := range rep.Results {
				switch {
				case res.Status == conformance.Fail:
					t.Logf("caught: %s: %s", res.Check, res.Reason)
					assert.NotEmpty(t, res.Evidence, "a failed check shows the exchanges")
				case res.Status == conformance.Skip:
					// Only the chain check skips (one plugin in the list).
					assert.Equal(t, "chain-prevresult", res.Check, "unexpected skip: %s", res.Reason)
				}
			}
		})
	}
}
