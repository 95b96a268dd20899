package libcni_test

//lint:file-ignore SA1019 the reference's deprecated single-plugin API is what these tests compare against.

// Differential tests: the same network configurations and runtime
// configurations are driven through cnirt's libcni and through the reference
// library (containernetworking/cni v1.3.1), each with its own in-memory fake
// plugin executor feeding one shared kind of recorder. What the plugins are
// asked (order, stdin, CNI_* environment), what the caller gets back and what
// lands in the cache must be the same; where cnirt differs on purpose the
// difference is asserted in TestDiffReferenceDeliberateDifferences.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	refcni "github.com/containernetworking/cni/libcni"
	reftypes "github.com/containernetworking/cni/pkg/types"
	refversion "github.com/containernetworking/cni/pkg/version"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/types"
	"github.com/cnirt/cni/version"
)

// diffPluginPath is the CNI_PATH both libraries are configured with; the
// fake executors never look at the file system.
var diffPluginPath = []string{"/fake/bin", "/fake/extra"}

// diffCall is one plugin run as a recorder saw it.
type diffCall struct {
	// Plugin is the executable path handed to ExecPlugin.
	Plugin string
	// Stdin is the request configuration, decoded with json.Number so
	// that numbers are compared exactly.
	Stdin map[string]any
	// Env holds the CNI_* environment entries only.
	Env map[string]string
}

// diffRecorder is the part of the fake executors both libraries share: it
// records every plugin run and answers it with a canned response that
// depends on the plugin type, the command and the request.
type diffRecorder struct {
	mu     sync.Mutex
	calls  []diffCall
	failOn map[string]bool // "<type> <COMMAND>" -> answer with an error
}

// diffFailure is the error a recorder asks the fake executor to return.
type diffFailure struct {
	code uint
	msg  string
}

func newDiffRecorder() *diffRecorder {
	return &diffRecorder{failOn: map[string]bool{}}
}

// take returns the calls recorded so far and forgets them.
func (r *diffRecorder) take() []diffCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	calls := r.calls
	r.calls = nil
	return calls
}

// run records one plugin run and computes its answer.
func (r *diffRecorder) run(pluginPath string, stdin []byte, environ []string) ([]byte, *diffFailure) {
	req, err := diffDecodeObject(stdin)
	if err != nil {
		req = map[string]any{"<undecodable stdin>": string(stdin)}
	}
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "CNI_") {
			env[k] = v
		}
	}
	typ := path.Base(pluginPath)
	cmd := env["CNI_COMMAND"]

	r.mu.Lock()
	r.calls = append(r.calls, diffCall{Plugin: pluginPath, Stdin: req, Env: env})
	fail := r.failOn[typ+" "+cmd]
	r.mu.Unlock()

	if fail {
		return nil, &diffFailure{code: 111, msg: fmt.Sprintf("canned failure of %s on %s", typ, cmd)}
	}
	switch cmd {
	case "VERSION":
		return []byte(`{"cniVersion":"1.1.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}`), nil
	case "ADD":
		return diffAddResult(typ, req, env), nil
	}
	return nil, nil
}

// diffAddResult builds what a well-behaved plugin of type typ returns on
// ADD: the previous result (if any) plus one interface and one IPv4
// address of its own, in the request's version. The "noversion" plugin
// leaves cniVersion out, which both libraries must fill in.
func diffAddResult(typ string, req map[string]any, env map[string]string) []byte {
	ver, _ := req["cniVersion"].(string)
	if typ == "answers040" {
		// Answers in 0.4.0 whatever the request's version.
		ver = "0.4.0"
	}
	res := map[string]any{}
	if typ != "noversion" {
		res["cniVersion"] = ver
	}
	var ifaces, ips []any
	if prev, ok := req["prevResult"].(map[string]any); ok {
		ifaces, _ = prev["interfaces"].([]any)
		ips, _ = prev["ips"].([]any)
		for _, k := range []string{"routes", "dns"} {
			if v, ok := prev[k]; ok {
				res[k] = v
			}
		}
	}
	h := fnv.New32a()
	_, _ = io.WriteString(h, env["CNI_CONTAINERID"])
	host := 2 + h.Sum32()%250
	idx := len(ifaces)
	ifaces = append(ifaces, map[string]any{
		"name":    env["CNI_IFNAME"] + "-" + typ,
		"mac":     fmt.Sprintf("02:42:c6:12:%02x:%02x", idx, host),
		"sandbox": env["CNI_NETNS"],
	})
	subnet := 100 + len(ips)
	ip := map[string]any{
		"address":   fmt.Sprintf("198.18.%d.%d/24", subnet, host),
		"gateway":   fmt.Sprintf("198.18.%d.1", subnet),
		"interface": idx,
	}
	if strings.HasPrefix(ver, "0.") {
		ip["version"] = "4"
	}
	ips = append(ips, ip)
	res["interfaces"] = ifaces
	res["ips"] = ips
	if _, ok := res["routes"]; !ok {
		res["routes"] = []any{map[string]any{"dst": "0.0.0.0/0", "gw": fmt.Sprintf("198.18.%d.1", subnet)}}
	}
	if dns, ok := req["dns"].(map[string]any); ok && len(dns) > 0 {
		res["dns"] = dns
	}
	out, err := json.Marshal(res)
	if err != nil {
		panic(err) // only built from decoded JSON values; cannot happen
	}
	return out
}

// diffCnirtExec is cnirt's invoke.Exec backed by a recorder.
type diffCnirtExec struct {
	rec *diffRecorder
	dec version.PluginDecoder
}

func (e *diffCnirtExec) ExecPlugin(_ context.Context, pluginPath string, stdinData []byte, environ []string) ([]byte, error) {
	out, fail := e.rec.run(pluginPath, stdinData, environ)
	if fail != nil {
		return nil, types.NewError(fail.code, fail.msg, "")
	}
	return out, nil
}

func (e *diffCnirtExec) FindInPath(plugin string, _ []string) (string, error) {
	return "/fake/" + plugin, nil
}

func (e *diffCnirtExec) Decode(jsonBytes []byte) (version.PluginInfo, error) {
	return e.dec.Decode(jsonBytes)
}

// diffRefExec is the reference's invoke.Exec backed by a recorder.
type diffRefExec struct {
	rec *diffRecorder
	dec refversion.PluginDecoder
}

func (e *diffRefExec) ExecPlugin(_ context.Context, pluginPath string, stdinData []byte, environ []string) ([]byte, error) {
	out, fail := e.rec.run(pluginPath, stdinData, environ)
	if fail != nil {
		return nil, reftypes.NewError(fail.code, fail.msg, "")
	}
	return out, nil
}

func (e *diffRefExec) FindInPath(plugin string, _ []string) (string, error) {
	return "/fake/" + plugin, nil
}

func (e *diffRefExec) Decode(jsonBytes []byte) (refversion.PluginInfo, error) {
	return e.dec.Decode(jsonBytes)
}

// diffRuntime is a library-neutral RuntimeConf.
type diffRuntime struct {
	ContainerID    string
	NetNS          string
	IfName         string
	Args           [][2]string
	CapabilityArgs map[string]any
}

// diffListView is what both libraries must agree on after loading a list.
type diffListView struct {
	Name                   string
	CNIVersion             string
	DisableCheck           bool
	DisableGC              bool
	LoadOnlyInlinedPlugins bool
	PluginTypes            []string
	Plugins                []any // each plugin's Bytes, decoded
	Bytes                  []byte
}

// diffAttachment is a library-neutral NetworkAttachment.
type diffAttachment struct {
	ContainerID    string
	Network        string
	IfName         string
	Config         []byte
	NetNS          string
	CniArgs        [][2]string
	CapabilityArgs any
}

// diffCachedConfig is what GetNetworkListCachedConfig returned.
type diffCachedConfig struct {
	Config         []byte
	HasRuntime     bool
	ContainerID    string
	NetNS          string
	IfName         string
	Args           [][2]string
	CapabilityArgs any
}

// diffLib is one library under test, loaded with one network list.
type diffLib interface {
	load(conf []byte) (diffListView, error)
	add(ctx context.Context, rt diffRuntime) (any, error)
	check(ctx context.Context, rt diffRuntime) error
	del(ctx context.Context, rt diffRuntime) error
	gc(ctx context.Context, valid []diffRuntime) error
	status(ctx context.Context) error
	cachedResult(rt diffRuntime) (any, error)
	cachedConfig(rt diffRuntime) (diffCachedConfig, error)
	attachments(containerID string) ([]diffAttachment, error)
	isCheckNotSupported(err error) bool
	recorder() *diffRecorder
	cacheDir() string
}

type diffCnirtLib struct {
	rec   *diffRecorder
	cfg   *libcni.CNIConfig
	cache string
	list  *libcni.NetworkConfigList
}

func newDiffCnirtLib(cacheDir string) *diffCnirtLib {
	rec := newDiffRecorder()
	return &diffCnirtLib{
		rec:   rec,
		cache: cacheDir,
		cfg:   libcni.NewCNIConfigWithCacheDir(diffPluginPath, cacheDir, &diffCnirtExec{rec: rec}),
	}
}

func (l *diffCnirtLib) recorder() *diffRecorder { return l.rec }
func (l *diffCnirtLib) cacheDir() string        { return l.cache }

func (l *diffCnirtLib) load(conf []byte) (diffListView, error) {
	list, err := libcni.ConfListFromBytes(conf)
	if err != nil {
		return diffListView{}, err
	}
	l.list = list
	v := diffListView{
		Name: list.Name, CNIVersion: list.CNIVersion, DisableCheck: list.DisableCheck,
		DisableGC: list.DisableGC, LoadOnlyInlinedPlugins: list.LoadOnlyInlinedPlugins, Bytes: list.Bytes,
	}
	for _, p := range list.Plugins {
		v.PluginTypes = append(v.PluginTypes, p.Network.Type)
		v.Plugins = append(v.Plugins, diffMustDecode(p.Bytes))
	}
	return v, nil
}

func (l *diffCnirtLib) rt(s diffRuntime) *libcni.RuntimeConf {
	return &libcni.RuntimeConf{ContainerID: s.ContainerID, NetNS: s.NetNS, IfName: s.IfName, Args: s.Args, CapabilityArgs: s.CapabilityArgs}
}

func (l *diffCnirtLib) add(ctx context.Context, s diffRuntime) (any, error) {
	r, err := l.cfg.AddNetworkList(ctx, l.list, l.rt(s))
	if err != nil {
		return nil, err
	}
	return diffResultView(r)
}

func (l *diffCnirtLib) check(ctx context.Context, s diffRuntime) error {
	return l.cfg.CheckNetworkList(ctx, l.list, l.rt(s))
}

func (l *diffCnirtLib) del(ctx context.Context, s diffRuntime) error {
	return l.cfg.DelNetworkList(ctx, l.list, l.rt(s))
}

func (l *diffCnirtLib) gc(ctx context.Context, valid []diffRuntime) error {
	args := &libcni.GCArgs{}
	for _, v := range valid {
		args.ValidAttachments = append(args.ValidAttachments, types.GCAttachment{ContainerID: v.ContainerID, IfName: v.IfName})
	}
	return l.cfg.GCNetworkList(ctx, l.list, args)
}

func (l *diffCnirtLib) status(ctx context.Context) error {
	return l.cfg.GetStatusNetworkList(ctx, l.list)
}

func (l *diffCnirtLib) cachedResult(s diffRuntime) (any, error) {
	r, err := l.cfg.GetNetworkListCachedResult(l.list, l.rt(s))
	if err != nil || r == nil {
		return nil, err
	}
	return diffResultView(r)
}

func (l *diffCnirtLib) cachedConfig(s diffRuntime) (diffCachedConfig, error) {
	b, rt, err := l.cfg.GetNetworkListCachedConfig(l.list, l.rt(s))
	v := diffCachedConfig{Config: b}
	if rt != nil {
		v.HasRuntime = true
		v.ContainerID, v.NetNS, v.IfName, v.Args = rt.ContainerID, rt.NetNS, rt.IfName, rt.Args
		v.CapabilityArgs = diffNormalize(rt.CapabilityArgs)
	}
	return v, err
}

func (l *diffCnirtLib) attachments(containerID string) ([]diffAttachment, error) {
	atts, err := l.cfg.GetCachedAttachments(containerID)
	var out []diffAttachment
	for _, a := range atts {
		out = append(out, diffAttachment{
			ContainerID: a.ContainerID, Network: a.Network, IfName: a.IfName, Config: a.Config,
			NetNS: a.NetNS, CniArgs: a.CniArgs, CapabilityArgs: diffNormalize(a.CapabilityArgs),
		})
	}
	return out, err
}

func (l *diffCnirtLib) isCheckNotSupported(err error) bool {
	return errors.Is(err, libcni.ErrorCheckNotSupp)
}

type diffRefLib struct {
	rec   *diffRecorder
	cfg   *refcni.CNIConfig
	cache string
	list  *refcni.NetworkConfigList
}

func newDiffRefLib(cacheDir string) *diffRefLib {
	rec := newDiffRecorder()
	return &diffRefLib{
		rec:   rec,
		cache: cacheDir,
		cfg:   refcni.NewCNIConfigWithCacheDir(diffPluginPath, cacheDir, &diffRefExec{rec: rec}),
	}
}

func (l *diffRefLib) recorder() *diffRecorder { return l.rec }
func (l *diffRefLib) cacheDir() string        { return l.cache }

func (l *diffRefLib) load(conf []byte) (diffListView, error) {
	list, err := refcni.ConfListFromBytes(conf)
	if err != nil {
		return diffListView{}, err
	}
	l.list = list
	v := diffListView{
		Name: list.Name, CNIVersion: list.CNIVersion, DisableCheck: list.DisableCheck,
		DisableGC: list.DisableGC, LoadOnlyInlinedPlugins: list.LoadOnlyInlinedPlugins, Bytes: list.Bytes,
	}
	for _, p := range list.Plugins {
		v.PluginTypes = append(v.PluginTypes, p.Network.Type)
		v.Plugins = append(v.Plugins, diffMustDecode(p.Bytes))
	}
	return v, nil
}

func (l *diffRefLib) rt(s diffRuntime) *refcni.RuntimeConf {
	return &refcni.RuntimeConf{ContainerID: s.ContainerID, NetNS: s.NetNS, IfName: s.IfName, Args: s.Args, CapabilityArgs: s.CapabilityArgs}
}

func (l *diffRefLib) add(ctx context.Context, s diffRuntime) (any, error) {
	r, err := l.cfg.AddNetworkList(ctx, l.list, l.rt(s))
	if err != nil {
		return nil, err
	}
	return diffResultView(r)
}

func (l *diffRefLib) check(ctx context.Context, s diffRuntime) error {
	return l.cfg.CheckNetworkList(ctx, l.list, l.rt(s))
}

func (l *diffRefLib) del(ctx context.Context, s diffRuntime) error {
	return l.cfg.DelNetworkList(ctx, l.list, l.rt(s))
}

func (l *diffRefLib) gc(ctx context.Context, valid []diffRuntime) error {
	args := &refcni.GCArgs{}
	for _, v := range valid {
		args.ValidAttachments = append(args.ValidAttachments, reftypes.GCAttachment{ContainerID: v.ContainerID, IfName: v.IfName})
	}
	return l.cfg.GCNetworkList(ctx, l.list, args)
}

func (l *diffRefLib) status(ctx context.Context) error {
	return l.cfg.GetStatusNetworkList(ctx, l.list)
}

func (l *diffRefLib) cachedResult(s diffRuntime) (any, error) {
	r, err := l.cfg.GetNetworkListCachedResult(l.list, l.rt(s))
	if err != nil || r == nil {
		return nil, err
	}
	return diffResultView(r)
}

func (l *diffRefLib) cachedConfig(s diffRuntime) (diffCachedConfig, error) {
	b, rt, err := l.cfg.GetNetworkListCachedConfig(l.list, l.rt(s))
	v := diffCachedConfig{Config: b}
	if rt != nil {
		v.HasRuntime = true
		v.ContainerID, v.NetNS, v.IfName, v.Args = rt.ContainerID, rt.NetNS, rt.IfName, rt.Args
		v.CapabilityArgs = diffNormalize(rt.CapabilityArgs)
	}
	return v, err
}

func (l *diffRefLib) attachments(containerID string) ([]diffAttachment, error) {
	atts, err := l.cfg.GetCachedAttachments(containerID)
	var out []diffAttachment
	for _, a := range atts {
		out = append(out, diffAttachment{
			ContainerID: a.ContainerID, Network: a.Network, IfName: a.IfName, Config: a.Config,
			NetNS: a.NetNS, CniArgs: a.CniArgs, CapabilityArgs: diffNormalize(a.CapabilityArgs),
		})
	}
	return out, err
}

func (l *diffRefLib) isCheckNotSupported(err error) bool {
	return errors.Is(err, refcni.ErrorCheckNotSupp)
}

// diffResult is the part of types.Result both libraries' results share.
type diffResult interface {
	Version() string
	PrintTo(io.Writer) error
}

// diffResultView turns a result into comparable data: its version, its
// json.Marshal form and its PrintTo form, decoded. The two forms must agree.
func diffResultView(r diffResult) (any, error) {
	if r == nil {
		return nil, nil
	}
	marshalled, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("json.Marshal of result: %w", err)
	}
	var printed bytes.Buffer
	if err := r.PrintTo(&printed); err != nil {
		return nil, fmt.Errorf("PrintTo: %w", err)
	}
	m, err := diffDecodeAny(marshalled)
	if err != nil {
		return nil, err
	}
	p, err := diffDecodeAny(printed.Bytes())
	if err != nil {
		return nil, err
	}
	return map[string]any{"version": r.Version(), "marshal": m, "printTo": p}, nil
}

func diffDecodeAny(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode %q: %w", b, err)
	}
	return v, nil
}

func diffDecodeObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

func diffMustDecode(b []byte) any {
	v, err := diffDecodeAny(b)
	if err != nil {
		return fmt.Sprintf("<undecodable: %v>", err)
	}
	return v
}

// diffNormalize puts v through JSON so that typed Go values and decoded
// values compare equal.
func diffNormalize(v any) any {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("<unmarshallable: %v>", err)
	}
	return diffMustDecode(b)
}

// diffCacheFile reads and decodes the cache file of one attachment, or
// returns nil when there is none.
func diffCacheFile(t *testing.T, l diffLib, network string, rt diffRuntime) any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(l.cacheDir(), "results", network+"-"+rt.ContainerID+"-"+rt.IfName))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	require.NoError(t, err)
	v, err := diffDecodeObject(b)
	require.NoError(t, err, "cache file must be JSON")
	return v
}

// diffSameError checks that both libraries failed or both succeeded, and
// that cnirt's text is the reference's, byte for byte.
func diffSameError(t *testing.T, refErr, cnErr error, what string) {
	t.Helper()
	if refErr == nil {
		assert.NoError(t, cnErr, "%s: reference succeeded", what)
		return
	}
	if !assert.Error(t, cnErr, "%s: reference failed with %q", what, refErr) {
		return
	}
	assert.Equal(t, refErr.Error(), cnErr.Error(), "%s: error text", what)
}

// diffPair holds the same scenario's two libraries.
type diffPair struct {
	cn  diffLib
	ref diffLib
}

// both runs op on each library and asserts equal outputs, equal errors and
// identical plugin runs; it returns cnirt's output.
func (p diffPair) both(t *testing.T, what string, op func(l diffLib) (any, error)) any {
	t.Helper()
	refOut, refErr := op(p.ref)
	cnOut, cnErr := op(p.cn)
	diffSameError(t, refErr, cnErr, what)
	assert.Equal(t, refOut, cnOut, "%s: output", what)
	assert.Equal(t, p.ref.recorder().take(), p.cn.recorder().take(), "%s: plugin runs (order, stdin, CNI_* env)", what)
	return cnOut
}

func readDiffFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "diff", name))
	require.NoError(t, err)
	return b
}

// diffPortMapping is typed the way runtimes pass capability args.
type diffPortMapping struct {
	HostPort      int    `json:"hostPort"`
	ContainerPort int    `json:"containerPort"`
	Protocol      string `json:"protocol"`
	HostIP        string `json:"hostIP,omitempty"`
}

// diffEveryCapability offers every capability arg the fixtures mention (and
// some none declares); each plugin must only get the ones it declares true.
var diffEveryCapability = map[string]any{
	"portMappings": []diffPortMapping{
		{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"},
		{HostPort: 8443, ContainerPort: 443, Protocol: "tcp", HostIP: "198.18.0.10"},
	},
	"bandwidth":                         map[string]any{"ingressRate": 2048, "ingressBurst": 1600, "egressRate": 4096, "egressBurst": 1600},
	"ips":                               []string{"198.18.20.7/24", "2001:db8:20::7/64"},
	"mac":                               "02:42:c6:12:14:07",
	"deviceID":                          "0000:00:1f.6",
	"io.kubernetes.cri.pod-annotations": map[string]string{"example.test/a": "1"},
	"infinibandGUID":                    "c2:11:22:33:44:55:66:77",
}

type diffLifecycleCase struct {
	name    string
	fixture string
	rt      diffRuntime
}

var diffLifecycleCases = []diffLifecycleCase{
	{
		name: "0.3.1 bridge+portmap, caps offered", fixture: "v031-bridge-portmap.conflist",
		rt: diffRuntime{ContainerID: "c031", NetNS: "/run/netns/c031", IfName: "eth0", CapabilityArgs: diffEveryCapability},
	},
	{
		name: "0.3.1 no caps no args", fixture: "v031-bridge-portmap.conflist",
		rt: diffRuntime{ContainerID: "c031-bare", NetNS: "/run/netns/c031-bare", IfName: "eth0"},
	},
	{
		name: "0.4.0 chain with CNI_ARGS", fixture: "v040-chain-args.conflist",
		rt: diffRuntime{
			ContainerID: "c040", NetNS: "/var/run/netns/c040", IfName: "net1",
			Args:           [][2]string{{"IgnoreUnknown", "1"}, {"K8S_POD_NAMESPACE", "default"}, {"K8S_POD_NAME", "web-0"}},
			CapabilityArgs: diffEveryCapability,
		},
	},
	{
		name: "1.0.0 bandwidth and a versionless result", fixture: "v100-bandwidth.conflist",
		rt: diffRuntime{ContainerID: "c100", NetNS: "/run/netns/c100", IfName: "eth1", CapabilityArgs: diffEveryCapability,
			Args: [][2]string{{"K8S_POD_INFRA_CONTAINER_ID", "c100"}}},
	},
	{
		name: "1.0.0 inlined single plugin", fixture: "v100-inlined-single.conflist",
		rt: diffRuntime{ContainerID: "c100-single", NetNS: "/run/netns/c100s", IfName: "eth2", CapabilityArgs: diffEveryCapability},
	},
	{
		name: "1.1.0 full with annotations", fixture: "v110-full.conflist",
		rt: diffRuntime{ContainerID: "0123456789abcdef0123456789abcdef", NetNS: "/proc/4242/ns/net", IfName: "eth0",
			Args: [][2]string{{"K8S_POD_UID", "3c9e1b4e-7a5d-4c4e-9f0e-6f1a2b3c4d5e"}}, CapabilityArgs: diffEveryCapability},
	},
	{
		name: "1.1.0 from cniVersions, check and gc disabled", fixture: "v110-cniversions-disable.conflist",
		rt: diffRuntime{ContainerID: "c-versions", NetNS: "/run/netns/cv", IfName: "lo0"},
	},
}

// TestDiffReferenceLifecycle drives every case through load, ADD, the cache
// getters, CHECK, a second container's ADD, GC, STATUS and two DELs, and
// asserts that cnirt and the reference behave identically at each step.
func TestDiffReferenceLifecycle(t *testing.T) {
	t.Parallel()
	for _, tc := range diffLifecycleCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			conf := readDiffFixture(t, tc.fixture)
			p := diffPair{cn: newDiffCnirtLib(t.TempDir()), ref: newDiffRefLib(t.TempDir())}

			loaded := p.both(t, "load", func(l diffLib) (any, error) { return l.load(conf) })
			lv, ok := loaded.(diffListView)
			require.True(t, ok, "cnirt failed to load %s", tc.fixture)
			require.NotEmpty(t, lv.PluginTypes)
			checkSupported, err := version.GreaterThanOrEqualTo(lv.CNIVersion, "0.4.0")
			require.NoError(t, err)

			rtA := tc.rt
			rtB := tc.rt
			rtB.ContainerID += "-b"
			rtB.NetNS += "-b"

			// ADD: every plugin in order, prevResult chained, result equal.
			res := p.both(t, "ADD", func(l diffLib) (any, error) { return l.add(ctx, rtA) })
			require.NotNil(t, res, "ADD must return a result")

			p.both(t, "cache file", func(l diffLib) (any, error) { return diffCacheFile(t, l, lv.Name, rtA), nil })
			assert.NotNil(t, diffCacheFile(t, p.cn, lv.Name, rtA), "cnirt must write a cache file")
			cached := p.both(t, "GetNetworkListCachedResult", func(l diffLib) (any, error) { return l.cachedResult(rtA) })
			assert.Equal(t, res, cached, "cached result must be what ADD returned")
			p.both(t, "GetNetworkListCachedConfig", func(l diffLib) (any, error) { return l.cachedConfig(rtA) })
			p.both(t, "GetCachedAttachments(id)", func(l diffLib) (any, error) { return l.attachments(rtA.ContainerID) })

			// CHECK: 0.4.0+ only, then plugins in order with the cached result.
			p.both(t, "CHECK", func(l diffLib) (any, error) {
				err := l.check(ctx, rtA)
				return !checkSupported && l.isCheckNotSupported(err), err
			})

			// A second container, so that GC has something stale to delete.
			p.both(t, "ADD second container", func(l diffLib) (any, error) { return l.add(ctx, rtB) })
			p.both(t, "GetCachedAttachments(all)", func(l diffLib) (any, error) { return l.attachments("") })

			// GC keeping only container A: DEL of B, then GC on each plugin (1.1.0).
			p.both(t, "GC", func(l diffLib) (any, error) { return nil, l.gc(ctx, []diffRuntime{rtA}) })
			p.both(t, "attachments after GC", func(l diffLib) (any, error) { return l.attachments("") })

			p.both(t, "STATUS", func(l diffLib) (any, error) { return nil, l.status(ctx) })

			// DEL in reverse order with the cached result; the cache goes away.
			p.both(t, "DEL", func(l diffLib) (any, error) { return nil, l.del(ctx, rtA) })
			p.both(t, "cache file after DEL", func(l diffLib) (any, error) { return diffCacheFile(t, l, lv.Name, rtA), nil })
			assert.Nil(t, diffCacheFile(t, p.cn, lv.Name, rtA), "cnirt must remove the cache file on DEL")
			// DEL again: still succeeds, now without a prevResult.
			p.both(t, "DEL again", func(l diffLib) (any, error) { return nil, l.del(ctx, rtA) })
			// B is gone after GC unless GC is disabled; DEL it either way.
			p.both(t, "DEL second container", func(l diffLib) (any, error) { return nil, l.del(ctx, rtB) })
			p.both(t, "attachments at the end", func(l diffLib) (any, error) { return l.attachments("") })
		})
	}
}

// TestDiffReferenceRecordsSomething makes sure the differential harness
// cannot pass vacuously: the fakes do see plugin runs, and a wrong stdin
// would be noticed.
func TestDiffReferenceRecordsSomething(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	conf := readDiffFixture(t, "v040-chain-args.conflist")
	for _, l := range []diffLib{newDiffCnirtLib(t.TempDir()), newDiffRefLib(t.TempDir())} {
		_, err := l.load(conf)
		require.NoError(t, err)
		rt := diffLifecycleCases[2].rt
		_, err = l.add(ctx, rt)
		require.NoError(t, err)
		calls := l.recorder().take()
		require.Len(t, calls, 3)
		assert.Equal(t, "/fake/ptp", calls[0].Plugin)
		assert.Equal(t, "/fake/firewall", calls[2].Plugin)
		assert.NotContains(t, calls[0].Stdin, "prevResult", "first plugin has no prevResult")
		assert.Contains(t, calls[1].Stdin, "prevResult")
		assert.Equal(t, map[string]any{"ips": []any{"198.18.20.7/24", "2001:db8:20::7/64"}}, calls[0].Stdin["runtimeConfig"], "ptp declares ips:true, mac:false")
		assert.Equal(t, map[string]any{"mac": "02:42:c6:12:14:07"}, calls[1].Stdin["runtimeConfig"])
		assert.NotContains(t, calls[2].Stdin, "runtimeConfig", "firewall declares no capability")
		assert.Equal(t, "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0", calls[0].Env["CNI_ARGS"])
		assert.Equal(t, "ADD", calls[0].Env["CNI_COMMAND"])
		assert.Equal(t, strings.Join(diffPluginPath, string(os.PathListSeparator)), calls[0].Env["CNI_PATH"])
		require.NoError(t, l.del(ctx, rt))
	}
}

// TestDiffReferencePluginFailures compares what happens when one plugin of
// the chain fails: which plugins ran, the error, and the cache.
func TestDiffReferencePluginFailures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		fixture string
		failOn  string
		op      func(ctx context.Context, l diffLib, rt diffRuntime) error
	}{
		{"ADD fails mid-chain", "v040-chain-args.conflist", "tuning ADD",
			func(ctx context.Context, l diffLib, rt diffRuntime) error { _, err := l.add(ctx, rt); return err }},
		{"DEL fails mid-chain", "v040-chain-args.conflist", "tuning DEL",
			func(ctx context.Context, l diffLib, rt diffRuntime) error {
				if _, err := l.add(ctx, rt); err != nil {
					return err
				}
				l.recorder().take()
				return l.del(ctx, rt)
			}},
		{"CHECK fails on first plugin", "v110-full.conflist", "bridge CHECK",
			func(ctx context.Context, l diffLib, rt diffRuntime) error {
				if _, err := l.add(ctx, rt); err != nil {
					return err
				}
				l.recorder().take()
				return l.check(ctx, rt)
			}},
		{"STATUS stops at the first failure", "v110-full.conflist", "portmap STATUS",
			func(ctx context.Context, l diffLib, _ diffRuntime) error { return l.status(ctx) }},
		{"GC goes on after a plugin fails", "v110-full.conflist", "portmap GC",
			func(ctx context.Context, l diffLib, _ diffRuntime) error {
				return l.gc(ctx, []diffRuntime{{ContainerID: "keep", IfName: "eth0"}})
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			conf := readDiffFixture(t, tc.fixture)
			p := diffPair{cn: newDiffCnirtLib(t.TempDir()), ref: newDiffRefLib(t.TempDir())}
			var name string
			p.both(t, "load", func(l diffLib) (any, error) {
				v, err := l.load(conf)
				name = v.Name
				l.recorder().failOn[tc.failOn] = true
				return v, err
			})
			rt := diffRuntime{ContainerID: "failing", NetNS: "/run/netns/failing", IfName: "eth0", CapabilityArgs: diffEveryCapability}
			p.both(t, tc.name, func(l diffLib) (any, error) {
				err := tc.op(ctx, l, rt)
				// What a caller can get at: the plugin's error by
				// errors.As, and by a plain type assertion where the
				// reference returns it itself.
				var cnTE *types.Error
				var refTE *reftypes.Error
				_, cnDirect := err.(*types.Error)
				_, refDirect := err.(*reftypes.Error)
				return [2]bool{errors.As(err, &cnTE) || errors.As(err, &refTE), cnDirect || refDirect}, err
			})
			p.both(t, "cache file afterwards", func(l diffLib) (any, error) { return diffCacheFile(t, l, name, rt), nil })
		})
	}
}

// TestDiffReferenceDelWithBrokenCache compares DEL when the attachment's
// cache file is missing, empty, cut short, not JSON or of another kind: both
// libraries must run every plugin without a prevResult and remove the file.
func TestDiffReferenceDelWithBrokenCache(t *testing.T) {
	t.Parallel()
	contents := map[string]*string{
		"missing":      nil,
		"empty":        diffPtr(""),
		"cut short":    diffPtr(`{"kind":"cniCacheV1","containerId":"brok`),
		"not json":     diffPtr("\x00\x01garbage"),
		"other kind":   diffPtr(`{"kind":"cniCacheV9","containerId":"broken","ifName":"eth0","networkName":"diff-v040"}`),
		"json array":   diffPtr(`[1,2,3]`),
		"bad result":   diffPtr(`{"kind":"cniCacheV1","containerId":"broken","ifName":"eth0","networkName":"diff-v040","result":{"cniVersion":"0.4.0","ips":[{"address":"nope"}]}}`),
		"wrong fields": diffPtr(`{"kind":"cniCacheV1","containerId":42,"ifName":"eth0"}`),
	}
	for name, content := range contents {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			conf := readDiffFixture(t, "v040-chain-args.conflist")
			p := diffPair{cn: newDiffCnirtLib(t.TempDir()), ref: newDiffRefLib(t.TempDir())}
			rt := diffRuntime{ContainerID: "broken", NetNS: "/run/netns/broken", IfName: "eth0"}
			p.both(t, "load", func(l diffLib) (any, error) { return l.load(conf) })
			p.both(t, "plant cache", func(l diffLib) (any, error) {
				if content == nil {
					return nil, nil
				}
				dir := filepath.Join(l.cacheDir(), "results")
				if err := os.MkdirAll(dir, 0o700); err != nil {
					return nil, err
				}
				return nil, os.WriteFile(filepath.Join(dir, "diff-v040-broken-eth0"), []byte(*content), 0o600)
			})
			p.both(t, "attachments", func(l diffLib) (any, error) { return l.attachments("") })
			p.both(t, "DEL", func(l diffLib) (any, error) { return nil, l.del(ctx, rt) })
			p.both(t, "cache file after DEL", func(l diffLib) (any, error) { return diffCacheFile(t, l, "diff-v040", rt), nil })
		})
	}
}

func diffPtr[T any](v T) *T { return &v }

// TestDiffReferenceCacheInterop writes the cache with one library and reads
// and deletes it with the other, in both directions, on the same directory.
func TestDiffReferenceCacheInterop(t *testing.T) {
	t.Parallel()
	type direction struct {
		name           string
		writer, reader func(dir string) diffLib
	}
	directions := []direction{
		{"reference writes, cnirt reads",
			func(dir string) diffLib { return newDiffRefLib(dir) }, func(dir string) diffLib { return newDiffCnirtLib(dir) }},
		{"cnirt writes, reference reads",
			func(dir string) diffLib { return newDiffCnirtLib(dir) }, func(dir string) diffLib { return newDiffRefLib(dir) }},
	}
	for _, d := range directions {
		for _, tc := range []diffLifecycleCase{diffLifecycleCases[0], diffLifecycleCases[2], diffLifecycleCases[3], diffLifecycleCases[5]} {
			t.Run(d.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				ctx := t.Context()
				dir := t.TempDir()
				conf := readDiffFixture(t, tc.fixture)
				w, r := d.writer(dir), d.reader(dir)
				lv, err := w.load(conf)
				require.NoError(t, err)
				_, err = r.load(conf)
				require.NoError(t, err)
				rt := tc.rt

				added, err := w.add(ctx, rt)
				require.NoError(t, err)
				w.recorder().take()

				got, err := r.cachedResult(rt)
				require.NoError(t, err)
				assert.Equal(t, added, got, "reader sees the writer's result")

				cc, err := r.cachedConfig(rt)
				require.NoError(t, err)
				assert.JSONEq(t, string(conf), string(cc.Config), "cached config is the list's bytes")
				require.True(t, cc.HasRuntime)
				assert.Equal(t, rt.Args, cc.Args)
				assert.Equal(t, diffNormalize(rt.CapabilityArgs), cc.CapabilityArgs)

				want := []diffAttachment{{
					ContainerID: rt.ContainerID, Network: lv.Name, IfName: rt.IfName, Config: cc.Config,
					NetNS: rt.NetNS, CniArgs: rt.Args, CapabilityArgs: diffNormalize(rt.CapabilityArgs),
				}}
				atts, err := r.attachments(rt.ContainerID)
				require.NoError(t, err)
				assert.Equal(t, want, atts)
				atts, err = r.attachments("")
				require.NoError(t, err)
				assert.Equal(t, want, atts)
				atts, err = r.attachments("someone-else")
				require.NoError(t, err)
				assert.Empty(t, atts)

				require.NoError(t, r.del(ctx, rt))
				calls := r.recorder().take()
				require.Len(t, calls, len(lv.PluginTypes), "one DEL per plugin")
				withPrev, err := version.GreaterThanOrEqualTo(lv.CNIVersion, "0.4.0")
				require.NoError(t, err)
				for i, c := range calls {
					assert.Equal(t, "/fake/"+lv.PluginTypes[len(calls)-1-i], c.Plugin, "DEL runs in reverse order")
					assert.Equal(t, "DEL", c.Env["CNI_COMMAND"])
					if withPrev {
						assert.Equal(t, added.(map[string]any)["marshal"], c.Stdin["prevResult"], "DEL gets the writer's result as prevResult")
					} else {
						assert.NotContains(t, c.Stdin, "prevResult")
					}
				}
				assert.Nil(t, diffCacheFile(t, w, lv.Name, rt), "reader's DEL removed the writer's cache file")
				atts, err = w.attachments("")
				require.NoError(t, err)
				assert.Empty(t, atts, "writer no longer sees the attachment")
			})
		}
	}
}

// TestDiffReferenceDeliberateDifferences pins the places where cnirt
// refuses or preserves what the reference silently accepts or alters. Each
// case asserts the reference's behaviour too, so that it fails if the
// premise stops holding.
func TestDiffReferenceDeliberateDifferences(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		run  func(t *testing.T, cn, ref diffLib)
	}{
		{
			// A ';' inside a CNI_ARGS value makes the plugin see a key the
			// runtime never set; the reference passes it on, cnirt refuses
			// before running any plugin.
			name: "CNI_ARGS value smuggling a key",
			run: func(t *testing.T, cn, ref diffLib) {
				ctx := t.Context()
				rt := diffRuntime{ContainerID: "smuggle", NetNS: "/run/netns/smuggle", IfName: "eth0",
					Args: [][2]string{{"K8S_POD_NAME", "web;IgnoreUnknown=1"}}}
				_, refErr := ref.add(ctx, rt)
				require.NoError(t, refErr)
				refCalls := ref.recorder().take()
				require.NotEmpty(t, refCalls)
				assert.Equal(t, "K8S_POD_NAME=web;IgnoreUnknown=1", refCalls[0].Env["CNI_ARGS"])

				_, cnErr := cn.add(ctx, rt)
				require.Error(t, cnErr)
				assert.Contains(t, cnErr.Error(), "CNI_ARGS")
				assert.Empty(t, cn.recorder().take(), "cnirt runs no plugin")
				assert.Nil(t, diffCacheFile(t, cn, "diff-v040", rt), "cnirt caches nothing")
			},
		},
		{
			// Numbers in plugin-specific keys: the reference re-encodes the
			// plugin object through float64, cnirt passes the bytes through.
			name: "big integers in plugin keys",
			run: func(t *testing.T, cn, ref diffLib) {
				ctx := t.Context()
				conf := readDiffFixture(t, "diff-bigint.conflist")
				_, err := ref.load(conf)
				require.NoError(t, err)
				_, err = cn.load(conf)
				require.NoError(t, err)
				rt := diffRuntime{ContainerID: "bigint", NetNS: "/run/netns/bigint", IfName: "eth0"}
				_, err = ref.add(ctx, rt)
				require.NoError(t, err)
				_, err = cn.add(ctx, rt)
				require.NoError(t, err)
				refCalls, cnCalls := ref.recorder().take(), cn.recorder().take()
				require.Len(t, refCalls, 1)
				require.Len(t, cnCalls, 1)
				assert.Equal(t, json.Number("9007199254740992"), refCalls[0].Stdin["seed"], "reference rounds through float64")
				assert.Equal(t, json.Number("9007199254740993"), cnCalls[0].Stdin["seed"], "cnirt keeps the integer")
			},
		},
		{
			// GC with an empty valid list: the reference sends null for
			// "cni.dev/valid-attachments", cnirt sends the empty list the
			// specification describes. Both DEL every cached attachment.
			name: "GC with no valid attachments",
			run: func(t *testing.T, cn, ref diffLib) {
				ctx := t.Context()
				conf := readDiffFixture(t, "v110-full.conflist")
				rt := diffRuntime{ContainerID: "stale", NetNS: "/run/netns/stale", IfName: "eth0"}
				p := diffPair{cn: cn, ref: ref}
				p.both(t, "load", func(l diffLib) (any, error) { return l.load(conf) })
				p.both(t, "ADD", func(l diffLib) (any, error) { return l.add(ctx, rt) })
				require.NoError(t, ref.gc(ctx, nil))
				require.NoError(t, cn.gc(ctx, nil))
				refCalls, cnCalls := ref.recorder().take(), cn.recorder().take()
				require.Len(t, refCalls, 6, "3 DEL of the stale attachment + 3 GC")
				require.Len(t, cnCalls, 6)
				assert.Equal(t, refCalls[:3], cnCalls[:3], "DEL of the stale attachment is the same")
				for i := 3; i < 6; i++ {
					assert.Equal(t, "GC", cnCalls[i].Env["CNI_COMMAND"])
					for _, key := range []string{"cni.dev/valid-attachments", "cni.dev/attachments"} {
						assert.Nil(t, refCalls[i].Stdin[key], "reference sends null %s", key)
						assert.Equal(t, []any{}, cnCalls[i].Stdin[key], "cnirt sends an empty %s", key)
						delete(refCalls[i].Stdin, key)
						delete(cnCalls[i].Stdin, key)
					}
					assert.Equal(t, refCalls[i], cnCalls[i], "GC runs equal apart from the valid list")
				}
			},
		},
		{
			// An invalid network name: the reference loads it, refuses ADD,
			// but runs the plugins for DEL; cnirt refuses it.
			name: "invalid network name",
			run: func(t *testing.T, cn, ref diffLib) {
				ctx := t.Context()
				conf := []byte(`{"cniVersion":"1.0.0","name":"bad name!","plugins":[{"type":"noop"}]}`)
				rt := diffRuntime{ContainerID: "badname", NetNS: "/run/netns/badname", IfName: "eth0"}
				_, err := ref.load(conf)
				require.NoError(t, err)
				_, err = ref.add(ctx, rt)
				require.Error(t, err)
				assert.Empty(t, ref.recorder().take())
				require.NoError(t, ref.del(ctx, rt))
				assert.Len(t, ref.recorder().take(), 1, "reference runs DEL for an invalid name")

				_, err = cn.load(conf)
				if err == nil {
					_, err = cn.add(ctx, rt)
					require.Error(t, err)
					err = cn.del(ctx, rt)
				}
				require.Error(t, err)
				assert.Contains(t, err.Error(), "bad name!")
				assert.Empty(t, cn.recorder().take(), "cnirt runs no plugin")
			},
		},
		{
			// A cniVersion no library implements: both load it; the
			// reference runs the plugin and then cannot read its result,
			// cnirt refuses the ADD before any plugin runs.
			name: "unknown cniVersion",
			run: func(t *testing.T, cn, ref diffLib) {
				ctx := t.Context()
				conf := []byte(`{"cniVersion":"9.9.9","name":"future","plugins":[{"type":"noop"}]}`)
				rt := diffRuntime{ContainerID: "future", NetNS: "/run/netns/future", IfName: "eth0"}
				_, err := ref.load(conf)
				require.NoError(t, err)
				_, err = ref.add(ctx, rt)
				require.Error(t, err)
				assert.Len(t, ref.recorder().take(), 1, "reference ran the plugin")

				_, err = cn.load(conf)
				require.NoError(t, err, "an unknown version loads, as in the reference")
				_, err = cn.add(ctx, rt)
				require.Error(t, err)
				var uv *libcni.UnsupportedVersionError
				require.ErrorAs(t, err, &uv)
				assert.Contains(t, err.Error(), "9.9.9")
				assert.Empty(t, cn.recorder().take(), "cnirt runs no plugin")
			},
		},
		{
			// A container ID that is a path: the reference does not check
			// it on DEL, runs the plugins and removes a file computed from
			// it; cnirt refuses before running anything.
			name: "DEL with a path as container ID",
			run: func(t *testing.T, cn, ref diffLib) {
				ctx := t.Context()
				rt := diffRuntime{ContainerID: "../../escape", NetNS: "/run/netns/escape", IfName: "eth0"}
				require.NoError(t, ref.del(ctx, rt))
				assert.Len(t, ref.recorder().take(), 3, "reference ran the three DELs")

				err := cn.del(ctx, rt)
				require.Error(t, err)
				assert.Contains(t, err.Error(), "../../escape")
				assert.Empty(t, cn.recorder().take(), "cnirt runs no plugin")
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			conf := readDiffFixture(t, "v040-chain-args.conflist")
			cn, ref := newDiffCnirtLib(t.TempDir()), newDiffRefLib(t.TempDir())
			_, err := cn.load(conf)
			require.NoError(t, err)
			_, err = ref.load(conf)
			require.NoError(t, err)
			tc.run(t, cn, ref)
		})
	}
}

// TestDiffReferenceSinglePlugin compares the single-plugin API (AddNetwork,
// CheckNetwork, DelNetwork and their cache getters) on a legacy .conf, and
// the list made from it by ConfListFromConf.
func TestDiffReferenceSinglePlugin(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	conf := readDiffFixture(t, "v040-single.conf")
	rt := diffRuntime{ContainerID: "single", NetNS: "/run/netns/single", IfName: "eth0",
		Args: [][2]string{{"IgnoreUnknown", "true"}}, CapabilityArgs: diffEveryCapability}

	cnRec, refRec := newDiffRecorder(), newDiffRecorder()
	cn := libcni.NewCNIConfigWithCacheDir(diffPluginPath, t.TempDir(), &diffCnirtExec{rec: cnRec})
	ref := refcni.NewCNIConfigWithCacheDir(diffPluginPath, t.TempDir(), &diffRefExec{rec: refRec})
	cnConf, err := libcni.ConfFromBytes(conf)
	require.NoError(t, err)
	refConf, err := refcni.ConfFromBytes(conf)
	require.NoError(t, err)
	cnRT := &libcni.RuntimeConf{ContainerID: rt.ContainerID, NetNS: rt.NetNS, IfName: rt.IfName, Args: rt.Args, CapabilityArgs: rt.CapabilityArgs}
	refRT := &refcni.RuntimeConf{ContainerID: rt.ContainerID, NetNS: rt.NetNS, IfName: rt.IfName, Args: rt.Args, CapabilityArgs: rt.CapabilityArgs}
	sameCalls := func(what string) {
		t.Helper()
		assert.Equal(t, refRec.take(), cnRec.take(), "%s: plugin runs", what)
	}

	cnRes, cnErr := cn.AddNetwork(ctx, cnConf, cnRT)
	refRes, refErr := ref.AddNetwork(ctx, refConf, refRT)
	require.NoError(t, refErr)
	require.NoError(t, cnErr)
	cnView, err := diffResultView(cnRes)
	require.NoError(t, err)
	refView, err := diffResultView(refRes)
	require.NoError(t, err)
	assert.Equal(t, refView, cnView, "AddNetwork result")
	sameCalls("AddNetwork")

	cnCached, cnErr := cn.GetNetworkCachedResult(cnConf, cnRT)
	refCached, refErr := ref.GetNetworkCachedResult(refConf, refRT)
	require.NoError(t, refErr)
	require.NoError(t, cnErr)
	cnView, err = diffResultView(cnCached)
	require.NoError(t, err)
	refView, err = diffResultView(refCached)
	require.NoError(t, err)
	assert.Equal(t, refView, cnView, "GetNetworkCachedResult")

	cnBytes, cnCachedRT, cnErr := cn.GetNetworkCachedConfig(cnConf, cnRT)
	refBytes, refCachedRT, refErr := ref.GetNetworkCachedConfig(refConf, refRT)
	require.NoError(t, refErr)
	require.NoError(t, cnErr)
	assert.Equal(t, refBytes, cnBytes, "GetNetworkCachedConfig bytes")
	require.NotNil(t, cnCachedRT)
	assert.Equal(t, refCachedRT.Args, cnCachedRT.Args)
	assert.Equal(t, diffNormalize(refCachedRT.CapabilityArgs), diffNormalize(cnCachedRT.CapabilityArgs))

	diffSameError(t, ref.CheckNetwork(ctx, refConf, refRT), cn.CheckNetwork(ctx, cnConf, cnRT), "CheckNetwork")
	sameCalls("CheckNetwork")
	diffSameError(t, ref.DelNetwork(ctx, refConf, refRT), cn.DelNetwork(ctx, cnConf, cnRT), "DelNetwork")
	sameCalls("DelNetwork")

	cnList, cnErr := libcni.ConfListFromConf(cnConf)
	refList, refErr := refcni.ConfListFromConf(refConf)
	require.NoError(t, refErr)
	require.NoError(t, cnErr)
	assert.Equal(t, refList.Name, cnList.Name)
	assert.Equal(t, refList.CNIVersion, cnList.CNIVersion)
	require.Len(t, cnList.Plugins, len(refList.Plugins))
	for i := range refList.Plugins {
		assert.Equal(t, diffMustDecode(refList.Plugins[i].Bytes), diffMustDecode(cnList.Plugins[i].Bytes))
	}
	assert.Equal(t, diffMustDecode(refList.Bytes), diffMustDecode(cnList.Bytes), "ConfListFromConf bytes")
}

// TestDiffReferenceSinglePluginDelWithBrokenCache: since v1.3.1 the
// reference's DelNetwork tolerates an unreadable cached result (it drops the
// cache entry and runs DEL without a prevResult); cnirt must do the same.
func TestDiffReferenceSinglePluginDelWithBrokenCache(t *testing.T) {
	t.Parallel()
	conf := readDiffFixture(t, "v040-single.conf")
	for name, content := range map[string]string{
		"not json":            "adfadsfasdfasfdsafaf",
		"unknown result ver":  `{"kind":"cniCacheV1","containerId":"single","ifName":"eth0","networkName":"diff-single","result":{"cniVersion":"0.4567.0","ips":[{"version":"4","address":"198.18.70.5/24"}]}}`,
		"bad result contents": `{"kind":"cniCacheV1","containerId":"single","ifName":"eth0","networkName":"diff-single","result":{"cniVersion":"0.4.0","ips":[{"address":"nope"}]}}`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			cnDir, refDir := t.TempDir(), t.TempDir()
			cnRec, refRec := newDiffRecorder(), newDiffRecorder()
			cn := libcni.NewCNIConfigWithCacheDir(diffPluginPath, cnDir, &diffCnirtExec{rec: cnRec})
			ref := refcni.NewCNIConfigWithCacheDir(diffPluginPath, refDir, &diffRefExec{rec: refRec})
			cnConf, err := libcni.ConfFromBytes(conf)
			require.NoError(t, err)
			refConf, err := refcni.ConfFromBytes(conf)
			require.NoError(t, err)
			for _, dir := range []string{cnDir, refDir} {
				require.NoError(t, os.MkdirAll(filepath.Join(dir, "results"), 0o700))
				require.NoError(t, os.WriteFile(filepath.Join(dir, "results", "diff-single-single-eth0"), []byte(content), 0o600))
			}
			cnRT := &libcni.RuntimeConf{ContainerID: "single", NetNS: "/run/netns/single", IfName: "eth0"}
			refRT := &refcni.RuntimeConf{ContainerID: "single", NetNS: "/run/netns/single", IfName: "eth0"}
			refErr := ref.DelNetwork(ctx, refConf, refRT)
			require.NoError(t, refErr, "the reference tolerates the damaged cache")
			require.NoError(t, cn.DelNetwork(ctx, cnConf, cnRT))
			assert.Equal(t, refRec.take(), cnRec.take(), "plugin runs")
			for _, dir := range []string{cnDir, refDir} {
				_, err := os.Stat(filepath.Join(dir, "results", "diff-single-single-eth0"))
				assert.ErrorIs(t, err, os.ErrNotExist, "cache entry removed in %s", dir)
			}
		})
	}
}
