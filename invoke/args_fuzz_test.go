package invoke

import (
	"context"
	"errors"
	"strings"
	"testing"

	refinvoke "github.com/containernetworking/cni/pkg/invoke"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/version"
)

// fuzzPairs decodes the fuzzer's CNI_ARGS pairs: entries separated by
// 0x1e, each a key and a value separated by the first 0x1f (no 0x1f: the
// value is empty). An empty blob is no pairs.
func fuzzPairs(blob string) [][2]string {
	if blob == "" {
		return nil
	}
	var pairs [][2]string
	for _, entry := range strings.Split(blob, "\x1e") {
		k, v, _ := strings.Cut(entry, "\x1f")
		pairs = append(pairs, [2]string{k, v})
	}
	return pairs
}

// argsAcceptable is the rule Validate enforces, restated byte by byte: no
// NUL anywhere; CNI_ARGS given as a string has no line break; a key is not
// empty and has no '=', ';' or line break; a value has no ';' or line
// break.
func argsAcceptable(a *Args) bool {
	has := func(s, bad string) bool {
		for i := 0; i < len(s); i++ {
			for j := 0; j < len(bad); j++ {
				if s[i] == bad[j] {
					return true
				}
			}
		}
		return false
	}
	for _, s := range []string{a.Command, a.ContainerID, a.NetNS, a.IfName, a.Path} {
		if has(s, "\x00") {
			return false
		}
	}
	if a.PluginArgsStr != "" {
		return !has(a.PluginArgsStr, "\x00\r\n")
	}
	for _, kv := range a.PluginArgs {
		if kv[0] == "" || has(kv[0], "=;\x00\r\n") || has(kv[1], ";\x00\r\n") {
			return false
		}
	}
	return true
}

// countingExec fails the test if a plugin is run; it counts the attempts.
type countingExec struct{ runs int }

func (e *countingExec) ExecPlugin(context.Context, string, []byte, []string) ([]byte, error) {
	e.runs++
	return []byte(`{"cniVersion":"1.1.0"}`), nil
}

func (e *countingExec) FindInPath(plugin string, _ []string) (string, error) {
	return "/fake/" + plugin, nil
}

func (e *countingExec) Decode(b []byte) (version.PluginInfo, error) {
	return (&version.PluginDecoder{}).Decode(b)
}

// FuzzArgs checks CNI_ARGS validation and rendering on arbitrary
// arguments: Validate accepts exactly what argsAcceptable allows and names
// the variable it refuses; a refused request never reaches the plugin; the
// rendered environment holds each CNI variable once, with the value the
// reference library renders; and accepted pairs parse back from CNI_ARGS
// unchanged. Seeds: the cases below and testdata/fuzz/FuzzArgs.
func FuzzArgs(f *testing.F) {
	for _, s := range [][7]string{
		{"ADD", "ctr1", "/var/run/netns/a", "eth0", "/opt/cni/bin", "", "K8S_POD_NAME\x1fpod;IgnoreUnknown\x1ftrue"},
		{"ADD", "ctr1", "/var/run/netns/a", "eth0", "/opt/cni/bin", "", "K8S_POD_NAME\x1fpod\x1eIgnoreUnknown\x1ftrue"},
		{"DEL", "ctr1", "", "eth0", "/a:/b", "IgnoreUnknown=1;IP=198.18.0.2", ""},
		{"CHECK", "c", "/n", "eth0", "/p", "A=1\nB=2", ""},
		{"ADD", "c\x00d", "/n", "eth0", "/p", "", ""},
		{"ADD", "c", "/n", "eth0", "/p", "", "A=B\x1fc"},
		{"ADD", "c", "/n", "eth0", "/p", "", "\x1fvalue"},
		{"ADD", "c", "/n", "eth0", "/p", "", "K\x1fa=b=c\x1eL\x1f"},
		{"ADD", "c", "/n", "eth0", "/p", "", "K\x1fline\r\n"},
		{"STATUS", "", "", "", "", "", ""},
	} {
		f.Add(s[0], s[1], s[2], s[3], s[4], s[5], s[6])
	}
	f.Fuzz(func(t *testing.T, command, containerID, netns, ifName, path, argsStr, pairs string) {
		args := &Args{Command: command, ContainerID: containerID, NetNS: netns, IfName: ifName,
			Path: path, PluginArgsStr: argsStr, PluginArgs: fuzzPairs(pairs)}

		err := args.Validate()
		ok := argsAcceptable(args)
		require.Equal(t, ok, err == nil, "Validate: %v", err)
		ex := &countingExec{}
		_, execErr := ExecPluginWithResult(context.Background(), "/fake/p", []byte(`{"cniVersion":"1.1.0","name":"n","type":"p"}`), args, ex)
		if err != nil {
			var ae *ArgsError
			require.ErrorAs(t, err, &ae)
			assert.True(t, strings.HasPrefix(ae.Var, "CNI_"), "variable named: %q", ae.Var)
			assert.Contains(t, err.Error(), ae.Var)
			assert.ErrorAs(t, execErr, &ae, "the run is refused with the validation error")
			assert.Zero(t, ex.runs, "no plugin run for an invalid request")
		} else {
			assert.Equal(t, 1, ex.runs)
		}

		env := args.AsEnv()
		refEnv := (&refinvoke.Args{Command: command, ContainerID: containerID, NetNS: netns, IfName: ifName,
			Path: path, PluginArgsStr: argsStr, PluginArgs: args.PluginArgs}).AsEnv()
		for _, name := range []string{"CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS", "CNI_ARGS", "CNI_IFNAME", "CNI_PATH"} {
			vals := envValues(env, name)
			require.Len(t, vals, 1, name)
			assert.Equal(t, envValues(refEnv, name)[len(envValues(refEnv, name))-1], vals[0], name)
		}
		if err != nil || argsStr != "" || len(args.PluginArgs) == 0 {
			return
		}
		// Accepted pairs are unambiguous: splitting CNI_ARGS at ';' and each
		// entry at its first '=' gives them back.
		var back [][2]string
		for _, entry := range strings.Split(envValues(env, "CNI_ARGS")[0], ";") {
			k, v, found := strings.Cut(entry, "=")
			require.True(t, found, "entry %q", entry)
			back = append(back, [2]string{k, v})
		}
		assert.Equal(t, args.PluginArgs, back)
	})
}

// TestFuzzArgsOracle pins the oracle of FuzzArgs to Validate on a few
// hand-picked cases, so that a wrong oracle cannot hide behind agreement.
func TestFuzzArgsOracle(t *testing.T) {
	tests := []struct {
		name string
		args *Args
		want bool
	}{
		{"plain pairs", &Args{PluginArgs: [][2]string{{"A", "1"}, {"B", "x=y"}}}, true},
		{"semicolon in value", &Args{PluginArgs: [][2]string{{"A", "1;B=2"}}}, false},
		{"equals in key", &Args{PluginArgs: [][2]string{{"A=B", "1"}}}, false},
		{"empty key", &Args{PluginArgs: [][2]string{{"", "1"}}}, false},
		{"string with semicolons", &Args{PluginArgsStr: "A=1;B=2"}, true},
		{"string with newline", &Args{PluginArgsStr: "A=1\nB=2"}, false},
		{"NUL in netns", &Args{NetNS: "/a\x00b"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, argsAcceptable(tt.args))
			err := tt.args.Validate()
			assert.Equal(t, tt.want, err == nil, "%v", err)
			if err != nil {
				assert.True(t, errors.As(err, new(*ArgsError)))
			}
		})
	}
}
