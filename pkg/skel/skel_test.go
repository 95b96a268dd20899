package skel_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/pkg/skel"
	"github.com/cnirt/cni/types"
	"github.com/cnirt/cni/version"
)

// recorder is a set of plugin functions that remember their calls.
type recorder struct {
	calls []string
	args  []skel.CmdArgs
	err   error
}

func (r *recorder) fn(verb string) func(*skel.CmdArgs) error {
	return func(a *skel.CmdArgs) error {
		r.calls = append(r.calls, verb)
		r.args = append(r.args, *a)
		return r.err
	}
}

func (r *recorder) funcs() skel.CNIFuncs {
	return skel.CNIFuncs{Add: r.fn("ADD"), Del: r.fn("DEL"), Check: r.fn("CHECK"), Status: r.fn("STATUS"), GC: r.fn("GC")}
}

type run struct {
	err    *types.Error
	stdout string
	stderr string
}

func dispatch(env map[string]string, stdin io.Reader, funcs skel.CNIFuncs, vi version.PluginInfo, about string) run {
	var out, errOut bytes.Buffer
	d := &skel.Dispatcher{
		Getenv: func(k string) string { return env[k] },
		Stdin:  stdin,
		Stdout: &out,
		Stderr: &errOut,
	}
	e := d.Run(funcs, vi, about)
	return run{err: e, stdout: out.String(), stderr: errOut.String()}
}

func fullEnv(cmd string) map[string]string {
	return map[string]string{
		"CNI_COMMAND":     cmd,
		"CNI_CONTAINERID": "ctr-1",
		"CNI_NETNS":       "/var/run/netns/does-not-exist",
		"CNI_IFNAME":      "eth0",
		"CNI_ARGS":        "K8S_POD_NAME=a;IgnoreUnknown=1",
		"CNI_PATH":        "/opt/cni/bin",
	}
}

func conf(ver string) string {
	return `{"cniVersion":"` + ver + `","name":"net1","type":"x"}`
}

// failReader fails the test if anything reads it.
type failReader struct{ t *testing.T }

func (f failReader) Read([]byte) (int, error) {
	f.t.Error("stdin was read")
	return 0, io.EOF
}

func TestEveryVerbIsDispatched(t *testing.T) {
	t.Parallel()
	for _, verb := range []string{"ADD", "CHECK", "DEL", "STATUS", "GC"} {
		t.Run(verb, func(t *testing.T) {
			t.Parallel()
			var rec recorder
			env := fullEnv(verb)
			env["CNI_NETNS_OVERRIDE"] = "0"
			r := dispatch(env, strings.NewReader(conf("1.1.0")), rec.funcs(), version.All, "")
			require.Nil(t, r.err)
			require.Equal(t, []string{verb}, rec.calls)
			assert.Equal(t, skel.CmdArgs{
				ContainerID:   "ctr-1",
				Netns:         "/var/run/netns/does-not-exist",
				IfName:        "eth0",
				Args:          "K8S_POD_NAME=a;IgnoreUnknown=1",
				Path:          "/opt/cni/bin",
				NetnsOverride: "0",
				StdinData:     []byte(conf("1.1.0")),
			}, rec.args[0])
		})
	}
}

func TestNilFunctionSucceeds(t *testing.T) {
	t.Parallel()
	for _, verb := range []string{"ADD", "CHECK", "DEL", "STATUS", "GC"} {
		r := dispatch(fullEnv(verb), strings.NewReader(conf("1.1.0")), skel.CNIFuncs{}, version.All, "")
		assert.Nil(t, r.err, verb)
		assert.Empty(t, r.stdout, verb)
	}
}

func TestVersionCommand(t *testing.T) {
	t.Parallel()
	var rec recorder
	r := dispatch(map[string]string{"CNI_COMMAND": "VERSION"}, failReader{t}, rec.funcs(), version.PluginSupports("0.4.0", "1.0.0"), "")
	require.Nil(t, r.err)
	assert.Empty(t, rec.calls)
	assert.JSONEq(t, `{"cniVersion":"1.1.0","supportedVersions":["0.4.0","1.0.0"]}`, r.stdout)
}

func TestEnvironmentValidation(t *testing.T) {
	t.Parallel()
	type tc struct {
		name  string
		cmd   string
		unset []string
		set   map[string]string
		code  uint
		msg   string
	}
	var cases []tc
	required := map[string][]string{
		"ADD":    {"CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"},
		"CHECK":  {"CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"},
		"DEL":    {"CNI_CONTAINERID", "CNI_IFNAME", "CNI_PATH"},
		"STATUS": {"CNI_PATH"},
		"GC":     {"CNI_PATH"},
	}
	for verb, vars := range required {
		for _, v := range vars {
			cases = append(cases, tc{
				name: verb + " without " + v, cmd: verb, unset: []string{v},
				code: types.ErrInvalidEnvironmentVariables, msg: "required env variables [" + v + "] missing",
			})
		}
		cases = append(cases, tc{
			name: verb + " without all", cmd: verb, unset: vars,
			code: types.ErrInvalidEnvironmentVariables, msg: "required env variables [" + strings.Join(vars, ",") + "] missing",
		})
	}
	for _, verb := range []string{"ADD", "CHECK", "DEL"} {
		cases = append(cases,
			tc{name: verb + " bad container ID", cmd: verb, set: map[string]string{"CNI_CONTAINERID": "a/b"},
				code: types.ErrInvalidEnvironmentVariables, msg: "invalid characters in containerID"},
			tc{name: verb + " bad ifname", cmd: verb, set: map[string]string{"CNI_IFNAME": "eth 0"},
				code: types.ErrInvalidEnvironmentVariables, msg: "interface name contains / or : or whitespace characters"},
			tc{name: verb + " long ifname", cmd: verb, set: map[string]string{"CNI_IFNAME": "0123456789abcdef"},
				code: types.ErrInvalidEnvironmentVariables, msg: "interface name is too long"},
			// A bad value is reported before a missing variable that
			// comes later in the list.
			tc{name: verb + " bad container ID and no path", cmd: verb, unset: []string{"CNI_PATH"}, set: map[string]string{"CNI_CONTAINERID": "-x"},
				code: types.ErrInvalidEnvironmentVariables, msg: "invalid characters in containerID"},
		)
	}
	cases = append(cases,
		tc{name: "no command", unset: []string{"CNI_COMMAND"}, code: types.ErrInvalidEnvironmentVariables, msg: "required env variables [CNI_COMMAND] missing"},
		tc{name: "unknown command", cmd: "FROB", code: types.ErrInvalidEnvironmentVariables, msg: "unknown CNI_COMMAND: FROB"},
		tc{name: "lower-case command", cmd: "add", code: types.ErrInvalidEnvironmentVariables, msg: "unknown CNI_COMMAND: add"},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			env := fullEnv(c.cmd)
			for _, k := range c.unset {
				delete(env, k)
			}
			for k, v := range c.set {
				env[k] = v
			}
			var rec recorder
			r := dispatch(env, strings.NewReader(conf("1.1.0")), rec.funcs(), version.All, "")
			require.NotNil(t, r.err)
			assert.Equal(t, c.code, r.err.Code)
			assert.Contains(t, r.err.Msg, c.msg)
			assert.Empty(t, rec.calls, "the plugin must not be called")
		})
	}
}

func TestUnneededVariablesAreNotValidated(t *testing.T) {
	t.Parallel()
	for _, verb := range []string{"STATUS", "GC"} {
		env := map[string]string{"CNI_COMMAND": verb, "CNI_PATH": "/p", "CNI_CONTAINERID": "bad/id", "CNI_IFNAME": "bad/if"}
		var rec recorder
		r := dispatch(env, strings.NewReader(conf("1.1.0")), rec.funcs(), version.All, "")
		assert.Nil(t, r.err, verb)
		assert.Equal(t, []string{verb}, rec.calls)
	}
	// DEL does not need CNI_NETNS.
	env := fullEnv("DEL")
	delete(env, "CNI_NETNS")
	r := dispatch(env, strings.NewReader(conf("1.0.0")), skel.CNIFuncs{}, version.All, "")
	assert.Nil(t, r.err)
}

func TestAboutText(t *testing.T) {
	t.Parallel()
	r := dispatch(map[string]string{}, failReader{t}, skel.CNIFuncs{}, version.PluginSupports("0.4.0", "1.0.0"), "CNI plugin test v9")
	assert.Nil(t, r.err)
	assert.Equal(t, "CNI plugin test v9\nCNI protocol versions supported: 0.4.0, 1.0.0\n", r.stderr)
	assert.Empty(t, r.stdout)

	// Without about, a missing command is an error.
	r = dispatch(map[string]string{}, failReader{t}, skel.CNIFuncs{}, version.All, "")
	require.NotNil(t, r.err)
	assert.Equal(t, types.ErrInvalidEnvironmentVariables, r.err.Code)

	// about is not printed when the command is set but invalid.
	env := fullEnv("ADD")
	delete(env, "CNI_PATH")
	r = dispatch(env, strings.NewReader(conf("1.0.0")), skel.CNIFuncs{}, version.All, "about")
	require.NotNil(t, r.err)
	assert.Empty(t, r.stderr)
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, stdin string
		code        uint
		msg         string
	}{
		{"not JSON", `nope`, types.ErrDecodingFailure, "error unmarshall network config"},
		{"empty", ``, types.ErrDecodingFailure, "error unmarshall network config"},
		{"array", `[]`, types.ErrDecodingFailure, "error unmarshall network config"},
		{"no name", `{"cniVersion":"1.0.0"}`, types.ErrInvalidNetworkConfig, "missing network name"},
		{"bad name", `{"cniVersion":"1.0.0","name":"a b"}`, types.ErrInvalidNetworkConfig, "invalid characters found in network name"},
		{"name not a string", `{"cniVersion":"1.0.0","name":5}`, types.ErrDecodingFailure, "error unmarshall network config"},
		{"version not a string", `{"cniVersion":1,"name":"n"}`, types.ErrDecodingFailure, "decoding version from network config"},
		{"unsupported version", `{"cniVersion":"9.0.0","name":"n"}`, types.ErrIncompatibleCNIVersion, "incompatible CNI versions"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var rec recorder
			r := dispatch(fullEnv("ADD"), strings.NewReader(c.stdin), rec.funcs(), version.All, "")
			require.NotNil(t, r.err)
			assert.Equal(t, c.code, r.err.Code)
			assert.Contains(t, r.err.Msg, c.msg)
			assert.Empty(t, rec.calls)
		})
	}
}

func TestStdinIsBounded(t *testing.T) {
	t.Parallel()
	big := `{"name":"n","pad":"` + strings.Repeat("x", 200) + `"}`
	var out bytes.Buffer
	d := &skel.Dispatcher{
		Getenv:        func(k string) string { return fullEnv("ADD")[k] },
		Stdin:         strings.NewReader(big),
		Stdout:        &out,
		MaxStdinBytes: 100,
	}
	var rec recorder
	e := d.Run(rec.funcs(), version.All, "")
	require.NotNil(t, e)
	assert.Equal(t, types.ErrIOFailure, e.Code)
	assert.Contains(t, e.Msg, "error reading from stdin")
	assert.Contains(t, e.Msg, "larger than 100 bytes")
	assert.Empty(t, rec.calls)

	d.Stdin = strings.NewReader(big[:100])
	d.MaxStdinBytes = int64(len(big))
	d.Stdin = strings.NewReader(big)
	assert.Nil(t, d.Run(rec.funcs(), version.All, ""), "exactly the limit is accepted")
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("pipe exploded") }

func TestStdinReadError(t *testing.T) {
	t.Parallel()
	r := dispatch(fullEnv("ADD"), errReader{}, skel.CNIFuncs{}, version.All, "")
	require.NotNil(t, r.err)
	assert.Equal(t, types.ErrIOFailure, r.err.Code)
	assert.Equal(t, "error reading from stdin: pipe exploded", r.err.Msg)
}

func TestVersionGates(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		verb, confVer string
		plugin        version.PluginInfo
		code          uint
		msg           string
	}{
		{"CHECK", "0.3.1", version.All, types.ErrIncompatibleCNIVersion, "config version does not allow CHECK"},
		{"CHECK", "", version.All, types.ErrIncompatibleCNIVersion, "config version does not allow CHECK"},
		{"CHECK", "1.0.0", version.PluginSupports("0.4.0"), types.ErrIncompatibleCNIVersion, "plugin version does not allow CHECK"},
		{"CHECK", "1.0.0", version.PluginSupports("0.4.0", "1.1.0"), types.ErrIncompatibleCNIVersion, "incompatible CNI versions"},
		{"CHECK", "1.x", version.All, types.ErrDecodingFailure, `failed to convert minor version part "x"`},
		{"CHECK", "1.0.0", version.PluginSupports("bogus"), types.ErrDecodingFailure, "failed to convert major version part"},
		{"STATUS", "1.0.0", version.All, types.ErrIncompatibleCNIVersion, "config version does not allow STATUS"},
		{"STATUS", "1.1.0", version.PluginSupports("1.0.0"), types.ErrIncompatibleCNIVersion, "plugin version does not allow STATUS"},
		{"GC", "1.0.0", version.All, types.ErrIncompatibleCNIVersion, "config version does not allow GC"},
		{"GC", "1.1.0", version.PluginSupports("0.4.0", "1.0.0"), types.ErrIncompatibleCNIVersion, "plugin version does not allow GC"},
		{"ADD", "1.1.0", version.PluginSupports("0.4.0", "1.0.0"), types.ErrIncompatibleCNIVersion, "incompatible CNI versions"},
		{"DEL", "0.2.0", version.VersionsStartingFrom("0.3.0"), types.ErrIncompatibleCNIVersion, "incompatible CNI versions"},
	} {
		name := fmt.Sprintf("%s %q %v", c.verb, c.confVer, c.plugin.SupportedVersions())
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var rec recorder
			r := dispatch(fullEnv(c.verb), strings.NewReader(conf(c.confVer)), rec.funcs(), c.plugin, "")
			require.NotNil(t, r.err)
			assert.Equal(t, c.code, r.err.Code)
			assert.Contains(t, r.err.Msg, c.msg)
			assert.Empty(t, rec.calls)
		})
	}
	// The incompatibility names both sides.
	r := dispatch(fullEnv("ADD"), strings.NewReader(conf("1.1.0")), skel.CNIFuncs{}, version.PluginSupports("1.0.0"), "")
	require.NotNil(t, r.err)
	assert.Equal(t, `config is "1.1.0", plugin supports ["1.0.0"]`, r.err.Details)
	// Old configurations without cniVersion are 0.1.0.
	r = dispatch(fullEnv("ADD"), strings.NewReader(`{"name":"n"}`), skel.CNIFuncs{}, version.Legacy, "")
	assert.Nil(t, r.err)
}

type customErr struct{ msg string }

func (c *customErr) Error() string { return c.msg }

func TestFunctionErrors(t *testing.T) {
	t.Parallel()
	cniErr := types.NewError(types.ErrTryAgainLater, "busy", "come back")
	for _, c := range []struct {
		name string
		fn   func(*skel.CmdArgs) error
		want *types.Error
	}{
		{"CNI error", func(*skel.CmdArgs) error { return cniErr }, cniErr},
		{"wrapped CNI error", func(*skel.CmdArgs) error { return fmt.Errorf("ctx: %w", cniErr) }, cniErr},
		{"plain error", func(*skel.CmdArgs) error { return &customErr{"it broke"} }, types.NewError(types.ErrInternal, "it broke", "")},
		{"panic", func(*skel.CmdArgs) error { panic("kaboom") }, types.NewError(types.ErrInternal, "plugin panicked during ADD: kaboom", "")},
		{"typed nil CNI error", func(*skel.CmdArgs) error { var e *types.Error; return fmt.Errorf("x: %w", e) }, types.NewError(types.ErrInternal, "x: ", "")},
	} {
		r := dispatch(fullEnv("ADD"), strings.NewReader(conf("1.0.0")), skel.CNIFuncs{Add: c.fn}, version.All, "")
		require.NotNil(t, r.err, c.name)
		assert.Equal(t, c.want.Code, r.err.Code, c.name)
		assert.Contains(t, r.err.Msg, c.want.Msg, c.name)
		assert.Equal(t, c.want.Details, r.err.Details, c.name)
	}
	r := dispatch(fullEnv("ADD"), strings.NewReader(conf("1.0.0")), skel.CNIFuncs{}, nil, "")
	require.NotNil(t, r.err, "nil versionInfo")
	assert.Equal(t, types.ErrInternal, r.err.Code)
}

func TestMainPrintsErrorObject(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, stdin, cmd, wantVer string
		unsetPath                 bool
	}{
		{"config version", conf("0.4.0"), "ADD", "0.4.0", false},
		{"unknown version falls back to Current", conf("0.4.0"), "ADD", "1.1.0", true},
		{"undecodable config", `garbage`, "ADD", "1.1.0", false},
	} {
		env := fullEnv(c.cmd)
		if c.unsetPath {
			delete(env, "CNI_PATH")
		}
		var out bytes.Buffer
		d := &skel.Dispatcher{Getenv: func(k string) string { return env[k] }, Stdin: strings.NewReader(c.stdin), Stdout: &out, Stderr: io.Discard}
		code := d.Main(skel.CNIFuncs{Add: func(*skel.CmdArgs) error { return types.NewError(120, "no luck", "d") }}, version.All, "")
		assert.Equal(t, 1, code, c.name)
		var obj map[string]interface{}
		require.NoError(t, json.Unmarshal(out.Bytes(), &obj), c.name)
		assert.Equal(t, c.wantVer, obj["cniVersion"], c.name)
		assert.NotZero(t, obj["code"], c.name)
		assert.NotEmpty(t, obj["msg"], c.name)
	}

	var out bytes.Buffer
	env := fullEnv("ADD")
	d := &skel.Dispatcher{Getenv: func(k string) string { return env[k] }, Stdin: strings.NewReader(conf("1.0.0")), Stdout: &out}
	code := d.Main(skel.CNIFuncs{Add: func(*skel.CmdArgs) error { return types.NewError(120, "no luck", "d") }}, version.All, "")
	assert.Equal(t, 1, code)
	assert.JSONEq(t, `{"cniVersion":"1.0.0","code":120,"msg":"no luck","details":"d"}`, out.String())

	out.Reset()
	d.Stdin = strings.NewReader(conf("1.0.0"))
	assert.Equal(t, 0, d.Main(skel.CNIFuncs{}, version.All, ""))
	assert.Empty(t, out.String())
}

// TestRefusalsAreTheReferencesErrors: the *types.Error values skel returns
// for a refused invocation have the reference library's exact Code, Msg and
// Details (plugin authors' tests compare them whole).
func TestRefusalsAreTheReferencesErrors(t *testing.T) {
	t.Parallel()
	conf := func(v string) string { return `{"cniVersion":"` + v + `","name":"n","type":"t"}` }
	for _, tc := range []struct {
		name  string
		cmd   string
		stdin string
		vi    version.PluginInfo
		want  *types.Error
	}{
		{"unknown command", "NOPE", conf("1.1.0"), version.All,
			&types.Error{Code: types.ErrInvalidEnvironmentVariables, Msg: "unknown CNI_COMMAND: NOPE"}},
		{"CHECK on 0.3.0", "CHECK", conf("0.3.0"), version.All,
			&types.Error{Code: types.ErrIncompatibleCNIVersion, Msg: "config version does not allow CHECK"}},
		{"CHECK beyond the plugin", "CHECK", conf("1.1.0"), version.PluginSupports("0.4.0"),
			&types.Error{Code: types.ErrIncompatibleCNIVersion, Msg: "plugin version does not allow CHECK"}},
		{"STATUS on 1.0.0", "STATUS", conf("1.0.0"), version.All,
			&types.Error{Code: types.ErrIncompatibleCNIVersion, Msg: "config version does not allow STATUS"}},
		{"GC on 0.4.0", "GC", conf("0.4.0"), version.All,
			&types.Error{Code: types.ErrIncompatibleCNIVersion, Msg: "config version does not allow GC"}},
		{"bad interface name", "ADD", conf("1.1.0"), version.All,
			&types.Error{Code: types.ErrInvalidEnvironmentVariables, Msg: "interface name contains / or : or whitespace characters"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := fullEnv(tc.cmd)
			if tc.name == "bad interface name" {
				env["CNI_IFNAME"] = "eth 0"
			}
			r := dispatch(env, strings.NewReader(tc.stdin), (&recorder{}).funcs(), tc.vi, "")
			assert.Equal(t, tc.want, r.err)
		})
	}
}
