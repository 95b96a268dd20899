package invoke

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	refinvoke "github.com/containernetworking/cni/pkg/invoke"
	reftypes "github.com/containernetworking/cni/pkg/types"
	refversion "github.com/containernetworking/cni/pkg/version"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/types"
	"github.com/cnirt/cni/version"
)

// fakeExec answers every run with stdout or err and records what it got.
type fakeExec struct {
	version.PluginDecoder
	stdout  []byte
	err     error
	calls   int
	environ []string
	stdin   []byte
}

func (f *fakeExec) ExecPlugin(_ context.Context, _ string, stdin []byte, environ []string) ([]byte, error) {
	f.calls++
	f.stdin, f.environ = stdin, environ
	return f.stdout, f.err
}

func (f *fakeExec) FindInPath(plugin string, paths []string) (string, error) {
	return FindInPath(plugin, paths)
}

// refFakeExec is the same fake for the reference library.
type refFakeExec struct {
	refversion.PluginDecoder
	stdout []byte
}

func (f *refFakeExec) ExecPlugin(context.Context, string, []byte, []string) ([]byte, error) {
	return f.stdout, nil
}

func (f *refFakeExec) FindInPath(plugin string, paths []string) (string, error) {
	return refinvoke.FindInPath(plugin, paths)
}

// TestResultDecodingMatchesReference feeds the same plugin output to both
// libraries and compares the results they print.
func TestResultDecodingMatchesReference(t *testing.T) {
	t.Parallel()
	const ips = `"ips":[{"address":"198.18.0.2/24","gateway":"198.18.0.1"}]`
	cases := []struct {
		name    string
		confVer string
		stdout  string
	}{
		{name: "1.1.0", confVer: "1.1.0", stdout: `{"cniVersion":"1.1.0","interfaces":[{"name":"eth0","mtu":1400}],` + ips + `}`},
		{name: "1.0.0 under 1.1.0 config", confVer: "1.1.0", stdout: `{"cniVersion":"1.0.0",` + ips + `}`},
		{name: "0.4.0", confVer: "0.4.0", stdout: `{"cniVersion":"0.4.0","ips":[{"version":"4","address":"198.18.0.2/24"}]}`},
		{name: "0.2.0", confVer: "0.2.0", stdout: `{"cniVersion":"0.2.0","ip4":{"ip":"198.18.0.2/24"}}`},
		{name: "missing version", confVer: "1.0.0", stdout: `{` + ips + `}`},
		{name: "missing version, old config", confVer: "0.3.1", stdout: `{"ips":[{"version":"4","address":"198.18.0.2/24"}]}`},
		{name: "empty version", confVer: "1.0.0", stdout: `{"cniVersion":"",` + ips + `}`},
		{name: "empty object", confVer: "1.0.0", stdout: `{}`},
		{name: "null", confVer: "1.0.0", stdout: `null`},
		{name: "whitespace around", confVer: "1.0.0", stdout: " \n{ \"dns\":{\"nameservers\":[\"198.18.0.53\"]} }\n "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			conf := []byte(`{"cniVersion":"` + tc.confVer + `","name":"n","type":"x"}`)
			want, err := refinvoke.ExecPluginWithResult(context.Background(), "/p", conf, &refinvoke.Args{Command: "ADD"}, &refFakeExec{stdout: []byte(tc.stdout)})
			require.NoError(t, err)
			got, err := ExecPluginWithResult(context.Background(), "/p", conf, &Args{Command: "ADD"}, &fakeExec{stdout: []byte(tc.stdout)})
			require.NoError(t, err)
			assert.Equal(t, want.Version(), got.Version())
			var wb, gb bytes.Buffer
			require.NoError(t, want.PrintTo(&wb))
			require.NoError(t, got.PrintTo(&gb))
			assert.JSONEq(t, wb.String(), gb.String())
		})
	}
}

func TestErrorsFromCustomExec(t *testing.T) {
	t.Parallel()
	cniErr := types.NewError(types.ErrTryAgainLater, "busy", "retry in 1s")
	own := errors.New("inner")
	cases := []struct {
		name   string
		err    error
		check  func(t *testing.T, err error)
		wantIn string
	}{
		{
			// As the reference: the delegated plugin's error itself, so
			// plugins comparing it (Equal, MatchError) see no difference.
			name:   "CNI error is returned itself",
			err:    cniErr,
			wantIn: `busy; retry in 1s`,
			check: func(t *testing.T, err error) {
				assert.Same(t, cniErr, err)
			},
		},
		{
			name:   "other errors are returned as they are",
			err:    own,
			wantIn: `inner`,
			check: func(t *testing.T, err error) {
				assert.Same(t, own, err)
			},
		},
		{
			name:   "context error",
			err:    context.DeadlineExceeded,
			wantIn: "context deadline exceeded",
			check: func(t *testing.T, err error) {
				assert.ErrorIs(t, err, context.DeadlineExceeded)
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ExecPluginWithResult(context.Background(), "/opt/cni/bin/p", []byte(`{"cniVersion":"1.0.0"}`), &Args{Command: "ADD"}, &fakeExec{err: tc.err})
			require.Error(t, err)
			assert.Equal(t, tc.wantIn, err.Error())
			tc.check(t, err)
			err2 := ExecPluginWithoutResult(context.Background(), "/opt/cni/bin/p", []byte(`{}`), &Args{Command: "ADD"}, &fakeExec{err: tc.err})
			assert.Equal(t, err.Error(), err2.Error())
		})
	}
}

func TestExecPassesStdinAndEnvironment(t *testing.T) {
	t.Parallel()
	f := &fakeExec{stdout: []byte(`{}`)}
	conf := []byte(`{"cniVersion":"1.0.0","name":"n","type":"x"}`)
	require.NoError(t, ExecPluginWithoutResult(context.Background(), "/p", conf, nil, f))
	assert.Nil(t, f.environ, "nil args: the plugin inherits the environment")
	assert.Equal(t, conf, f.stdin)

	require.NoError(t, ExecPluginWithoutResult(context.Background(), "/p", conf, &Args{Command: "GC", IfName: "eth1"}, f))
	assert.Equal(t, []string{"GC"}, envValues(f.environ, "CNI_COMMAND"))
	assert.Equal(t, []string{"eth1"}, envValues(f.environ, "CNI_IFNAME"))

	f.calls = 0
	err := ExecPluginWithoutResult(context.Background(), "/p", conf, &Args{Command: "ADD", PluginArgs: [][2]string{{"A", "1;B=2"}}}, f)
	var ae *ArgsError
	assert.ErrorAs(t, err, &ae)
	assert.Zero(t, f.calls, "refused arguments never reach ExecPlugin")
}

func TestGetVersionInfoWithFake(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		f       *fakeExec
		want    []string
		wantErr string
	}{
		{name: "answer", f: &fakeExec{stdout: []byte(`{"cniVersion":"1.0.0","supportedVersions":["0.4.0","1.0.0"]}`)}, want: []string{"0.4.0", "1.0.0"}},
		{name: "plugin too old", f: &fakeExec{err: &types.Error{Code: 4, Msg: "unknown CNI_COMMAND: VERSION"}}, want: []string{"0.1.0"}},
		// The reference decides on the text alone, whatever the error's type.
		{name: "plugin too old, plain error", f: &fakeExec{err: errors.New("unknown CNI_COMMAND: VERSION")}, want: []string{"0.1.0"}},
		{name: "longer text is an error", f: &fakeExec{err: errors.New("unknown CNI_COMMAND: VERSION!")}, wantErr: `unknown CNI_COMMAND: VERSION!`},
		{name: "other error", f: &fakeExec{err: &types.Error{Code: 5, Msg: "disk on fire"}}, wantErr: `disk on fire`},
		{name: "bad answer", f: &fakeExec{stdout: []byte(`[`)}, wantErr: `decoding version info`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			info, err := GetVersionInfo(context.Background(), "/p", tc.f)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, info.SupportedVersions())
			assert.Equal(t, []string{"VERSION"}, envValues(tc.f.environ, "CNI_COMMAND"))
			assert.JSONEq(t, `{"cniVersion":"`+version.Current()+`"}`, string(tc.f.stdin))
		})
	}
}

// Both libraries' error objects must stay interchangeable in meaning.
func TestCNIErrorTextMatchesReference(t *testing.T) {
	t.Parallel()
	ref := reftypes.NewError(7, "bad", "details")
	ours := types.NewError(7, "bad", "details")
	assert.Equal(t, ref.Error(), ours.Error())
}

func TestExitErrorTextsAndUnwrap(t *testing.T) {
	t.Parallel()
	osErr := errors.New("exit status 1")
	for _, tc := range []struct {
		name string
		e    *ExitError
		want string
		is   []error
	}{
		{"silent", &ExitError{Status: "exit status 1", Err: osErr}, "netplugin failed with no error message: exit status 1", []error{osErr}},
		{"stderr", &ExitError{Status: "exit status 2", Stderr: []byte("boom"), Err: osErr}, `netplugin failed: "boom": exit status 2`, []error{osErr}},
		{"killed by ctx", &ExitError{Status: "signal: killed", Err: osErr, Context: context.DeadlineExceeded},
			"netplugin failed with no error message: signal: killed", []error{osErr, context.DeadlineExceeded}},
		{"no os error", &ExitError{Status: "signal: killed", Context: context.Canceled},
			"netplugin failed with no error message: signal: killed", []error{context.Canceled}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, tc.e.Error())
			assert.Equal(t, tc.want, fmt.Sprint(tc.e))
			if tc.e.Context != nil {
				assert.Equal(t, tc.want+"; plugin killed: "+tc.e.Context.Error(), fmt.Sprintf("%+v", tc.e))
			}
			assert.Equal(t, tc.is, tc.e.Unwrap())
			for _, target := range tc.is {
				assert.ErrorIs(t, tc.e, target)
			}
		})
	}
}
