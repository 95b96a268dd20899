package sandbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/pkg/plugintest"
	"github.com/cnirt/cni/pkg/sandbox"
)

func TestMain(m *testing.M) {
	stopNS := startFakeNS()
	code := m.Run()
	stopNS()
	plugintest.Cleanup()
	os.Exit(code)
}

// env is one test's directories: configuration, plugins, cache and the
// debug plugin's log.
type env struct {
	t       *testing.T
	confDir string
	binDir  string
	cache   string
	log     string
}

// newEnv builds the example plugins and copies them into a plugin
// directory of the test's own (so that a test may remove one).
func newEnv(t *testing.T) *env {
	t.Helper()
	built := plugintest.Build(t, plugintest.DebugPlugin, plugintest.NoopPlugin)
	e := &env{t: t, confDir: t.TempDir(), binDir: t.TempDir(), cache: t.TempDir()}
	e.log = filepath.Join(t.TempDir(), "debug.log")
	for _, p := range []string{"debug", "noop"} {
		e.copyPlugin(plugintest.Exe(built, p), p)
	}
	return e
}

// copyPlugin installs the executable src as plugin name.
func (e *env) copyPlugin(src, name string) {
	e.t.Helper()
	data, err := os.ReadFile(src)
	require.NoError(e.t, err)
	require.NoError(e.t, os.WriteFile(plugintest.Exe(e.binDir, name), data, 0o755))
}

// debugNet is a configuration list of one debug plugin. extra holds more
// members of the plugin object (without braces), e.g. `"sleep":{"ADD":"100ms"}`.
func (e *env) debugNet(name, plugin, extra string) string {
	if plugin == "" {
		plugin = "debug"
	}
	obj := fmt.Sprintf(`"type":%q,"debugFile":%q`, plugin, e.log)
	if extra != "" {
		obj += "," + extra
	}
	return fmt.Sprintf(`{"cniVersion":"1.1.0","name":%q,"plugins":[{%s}]}`, name, obj)
}

// result is a debug plugin "result" member giving interface ifName the
// address addr.
func result(ifName, addr string) string {
	return fmt.Sprintf(`"result":{"cniVersion":"1.1.0","interfaces":[{"name":"veth-host","mac":"02:00:00:00:00:01"},{"name":%q,"mac":"02:00:00:00:00:02","sandbox":"/var/run/netns/x"}],
"ips":[{"address":%q,"gateway":"198.18.0.1","interface":1}]}`, ifName, addr)
}

func (e *env) write(file, content string) {
	e.t.Helper()
	require.NoError(e.t, os.WriteFile(filepath.Join(e.confDir, file), []byte(content), 0o644))
}

func (e *env) manager(opts ...sandbox.Option) *sandbox.Manager {
	e.t.Helper()
	base := []sandbox.Option{sandbox.WithConfDir(e.confDir), sandbox.WithPluginDirs(e.binDir), sandbox.WithCacheDir(e.cache)}
	m, err := sandbox.New(append(base, opts...)...)
	require.NoError(e.t, err)
	e.t.Cleanup(func() { _ = m.Close() })
	return m
}

func (e *env) records() []plugintest.DebugRecord {
	e.t.Helper()
	return plugintest.ReadDebugLog(e.t, e.log)
}

// calls lists "COMMAND network ifname" for every record, in log order.
func (e *env) calls() []string {
	e.t.Helper()
	var out []string
	for _, r := range e.records() {
		out = append(out, fmt.Sprintf("%s %s %s", r.Command, netName(e.t, r), r.Env["CNI_IFNAME"]))
	}
	return out
}

func netName(t *testing.T, r plugintest.DebugRecord) string {
	var conf struct {
		Name string `json:"name"`
	}
	if len(r.Stdin) > 0 {
		require.NoError(t, json.Unmarshal(r.Stdin, &conf), "%s", r.Stdin)
	}
	return conf.Name
}

// cached lists "network/ifname" of the sandbox's cache entries.
func (e *env) cached(id string) []string {
	e.t.Helper()
	c := libcni.NewCNIConfigWithCacheDir(nil, e.cache, nil)
	atts, err := c.GetCachedAttachments(id)
	require.NoError(e.t, err)
	var out []string
	for _, a := range atts {
		out = append(out, a.Network+"/"+a.IfName)
	}
	return out
}

func filterCmd(calls []string, cmd string) []string {
	var out []string
	for _, c := range calls {
		if strings.HasPrefix(c, cmd+" ") {
			out = append(out, c)
		}
	}
	return out
}

// hookedCNI returns a CNIConfig of the env's plugin and cache directories
// that calls the hooks for every step.
func (e *env) hookedCNI(hooks ...libcni.EventHook) *libcni.CNIConfig {
	opts := []libcni.Option{libcni.WithCacheDir(e.cache)}
	for _, h := range hooks {
		opts = append(opts, libcni.WithEventHook(h))
	}
	return libcni.NewCNIConfigWithOptions([]string{e.binDir}, nil, opts...)
}

// signal is closed once, by the first event that matches.
type signal struct {
	once sync.Once
	ch   chan struct{}
}

func newSignal() *signal { return &signal{ch: make(chan struct{})} }

func (s *signal) fire() { s.once.Do(func() { close(s.ch) }) }

// wait waits for the signal, failing the test after 10 s.
func (s *signal) wait(t *testing.T, what string) {
	t.Helper()
	select {
	case <-s.ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s within 10s", what)
	}
}

// onEvent returns a hook that fires sig at the first event ok accepts.
func onEvent(sig *signal, ok func(libcni.Event) bool) libcni.EventHook {
	return func(_ context.Context, ev libcni.Event) {
		if ok(ev) {
			sig.fire()
		}
	}
}

// holdTaken accepts the end of the wait for sandbox id's container lock
// by a hold (a Manager operation on the sandbox holds its locks now).
func holdTaken(id string) func(libcni.Event) bool {
	return func(ev libcni.Event) bool {
		return ev.Kind == libcni.EventLockWait && ev.Command == "" && ev.Lock == libcni.LockContainer && ev.ContainerID == id && ev.Err == nil
	}
}

// runs records "COMMAND network ifname" for every plugin run a hook sees.
type runs struct {
	mu  sync.Mutex
	out []string
}

func (r *runs) hook(_ context.Context, ev libcni.Event) {
	if ev.Kind != libcni.EventPluginRun {
		return
	}
	r.mu.Lock()
	r.out = append(r.out, fmt.Sprintf("%s %s %s", ev.Command, ev.Network, ev.IfName))
	r.mu.Unlock()
}

func (r *runs) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.out)
}
