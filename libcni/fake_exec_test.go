package libcni_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cnirt/cni/invoke"
	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/types"
	"github.com/cnirt/cni/version"
	"github.com/stretchr/testify/require"
)

// fakeCall is one plugin run seen by fakeExec.
type fakeCall struct {
	Plugin  string            // base name of the plugin path
	Command string            // CNI_COMMAND
	Env     map[string]string // the CNI_* variables
	Stdin   []byte
}

// conf decodes the call's stdin.
func (c fakeCall) conf(t *testing.T) map[string]any {
	t.Helper()
	m := map[string]any{}
	require.NoError(t, json.Unmarshal(c.Stdin, &m), "stdin %s", c.Stdin)
	return m
}

// fakeExec is an invoke.Exec that records every run and answers from
// tables keyed by "plugin/COMMAND" (or "plugin/*").
type fakeExec struct {
	version.PluginDecoder

	mu    sync.Mutex
	calls []fakeCall
	// out is what the plugin prints; for ADD without an entry, the plugin
	// echoes its prevResult, or an empty result in its cniVersion.
	out map[string]string
	// errs makes runs fail.
	errs map[string]error
	// missing plugins are not found.
	missing map[string]bool
	// hook runs during each ExecPlugin, outside the lock.
	hook func(ctx context.Context, c fakeCall)
	// dir is what FindInPath puts plugins in; "" means the first path.
	dir string
}

func newFakeExec() *fakeExec {
	return &fakeExec{out: map[string]string{}, errs: map[string]error{}, missing: map[string]bool{}}
}

func (f *fakeExec) ExecPlugin(ctx context.Context, pluginPath string, stdin []byte, environ []string) ([]byte, error) {
	c := fakeCall{Plugin: filepath.Base(pluginPath), Env: map[string]string{}, Stdin: append([]byte(nil), stdin...)}
	for _, e := range environ {
		if k, v, ok := strings.Cut(e, "="); ok && strings.HasPrefix(k, "CNI_") {
			c.Env[k] = v
		}
	}
	c.Command = c.Env["CNI_COMMAND"]
	f.mu.Lock()
	f.calls = append(f.calls, c)
	hook := f.hook
	out, okOut := f.out[c.Plugin+"/"+c.Command]
	if !okOut {
		out, okOut = f.out[c.Plugin+"/*"]
	}
	err, okErr := f.errs[c.Plugin+"/"+c.Command]
	if !okErr {
		err = f.errs[c.Plugin+"/*"]
	}
	f.mu.Unlock()
	if hook != nil {
		hook(ctx, c)
	}
	if err != nil {
		return nil, err
	}
	if okOut {
		return []byte(out), nil
	}
	switch c.Command {
	case "ADD":
		var conf struct {
			CNIVersion string          `json:"cniVersion"`
			PrevResult json.RawMessage `json:"prevResult"`
		}
		if err := json.Unmarshal(stdin, &conf); err != nil {
			return nil, err
		}
		if len(conf.PrevResult) > 0 {
			return conf.PrevResult, nil
		}
		return []byte(fmt.Sprintf(`{"cniVersion":%q}`, conf.CNIVersion)), nil
	case "VERSION":
		return []byte(`{"cniVersion":"1.1.0","supportedVersions":["0.1.0","0.2.0","0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}`), nil
	}
	return nil, nil
}

func (f *fakeExec) FindInPath(plugin string, paths []string) (string, error) {
	if f.missing[plugin] || len(paths) == 0 {
		return "", &invoke.NotFoundError{Plugin: plugin, Searched: paths}
	}
	dir := f.dir
	if dir == "" {
		dir = paths[0]
	}
	return filepath.Join(dir, plugin), nil
}

// Calls returns the runs so far, optionally only those of one command.
func (f *fakeExec) Calls(command string) []fakeCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeCall
	for _, c := range f.calls {
		if command == "" || c.Command == command {
			out = append(out, c)
		}
	}
	return out
}

// pluginErr is what a plugin printing a CNI error object yields.
func pluginErr(code uint, msg string) error {
	return types.NewError(code, msg, "")
}

// mustList parses a configuration list or fails the test.
func mustList(t *testing.T, conf string) *libcni.NetworkConfigList {
	t.Helper()
	list, err := libcni.ConfListFromBytes([]byte(conf))
	require.NoError(t, err)
	return list
}

// mustPlugin parses a single plugin configuration or fails the test.
func mustPlugin(t *testing.T, conf string) *libcni.PluginConfig {
	t.Helper()
	p, err := libcni.ConfFromBytes([]byte(conf))
	require.NoError(t, err)
	return p
}

// listConf returns a configuration list of the given version with plugins
// of the given types; the first plugin declares the portMappings
// capability and has a plugin-specific key.
func listConf(ver string, types ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `{"cniVersion":%q,"name":"testnet","plugins":[`, ver)
	for i, ty := range types {
		if i > 0 {
			b.WriteString(",")
		}
		if i == 0 {
			fmt.Fprintf(&b, `{"type":%q,"capabilities":{"portMappings":true,"bandwidth":false},"custom":{"keep":[1,2.50,"x"]}}`, ty)
		} else {
			fmt.Fprintf(&b, `{"type":%q}`, ty)
		}
	}
	b.WriteString("]}")
	return b.String()
}
