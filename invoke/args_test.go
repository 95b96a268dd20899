package invoke

import (
	"os"
	"slices"
	"testing"

	refinvoke "github.com/containernetworking/cni/pkg/invoke"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestArgsAsEnv(t *testing.T) {
	t.Setenv("CNI_COMMAND", "inherited")
	t.Setenv("CNI_NETNS", "/inherited")
	t.Setenv("CNIRT_OTHER", "x=y")

	cases := []struct {
		name    string
		args    *Args
		wantCNI string
	}{
		{name: "pairs joined", args: &Args{Command: "ADD", PluginArgs: [][2]string{{"A", "1"}, {"B", "x=2"}}}, wantCNI: "A=1;B=x=2"},
		{name: "raw string wins", args: &Args{Command: "DEL", PluginArgs: [][2]string{{"A", "1"}}, PluginArgsStr: "Z=9"}, wantCNI: "Z=9"},
		{name: "empty", args: &Args{}, wantCNI: ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := tc.args.AsEnv()
			assert.Equal(t, []string{tc.wantCNI}, envValues(env, "CNI_ARGS"))
			for name, value := range map[string]string{
				"CNI_COMMAND": tc.args.Command, "CNI_CONTAINERID": tc.args.ContainerID,
				"CNI_NETNS": tc.args.NetNS, "CNI_IFNAME": tc.args.IfName, "CNI_PATH": tc.args.Path,
			} {
				assert.Equal(t, []string{value}, envValues(env, name), name)
			}
			assert.Equal(t, []string{"x=y"}, envValues(env, "CNIRT_OTHER"))

			// The reference library produces the same set of entries (in
			// an order of its own).
			ref := (&refinvoke.Args{
				Command: tc.args.Command, ContainerID: tc.args.ContainerID, NetNS: tc.args.NetNS,
				PluginArgs: tc.args.PluginArgs, PluginArgsStr: tc.args.PluginArgsStr,
				IfName: tc.args.IfName, Path: tc.args.Path,
			}).AsEnv()
			assert.ElementsMatch(t, ref, env)
		})
	}

	t.Run("inherited order kept", func(t *testing.T) {
		env := (&Args{Command: "ADD"}).AsEnv()
		var inherited []string
		for _, e := range os.Environ() {
			if !slices.Contains([]string{"CNI_COMMAND", "CNI_NETNS"}, e[:max(0, indexByte(e, '='))]) {
				inherited = append(inherited, e)
			}
		}
		require.GreaterOrEqual(t, len(env), len(inherited))
		assert.Equal(t, inherited, env[:len(inherited)])
	})

	t.Run("nil Args", func(t *testing.T) {
		var a *Args
		assert.Equal(t, []string{""}, envValues(a.AsEnv(), "CNI_COMMAND"))
		var ae *ArgsError
		assert.ErrorAs(t, a.Validate(), &ae)
	})
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func TestDelegateArgsAndArgsFromEnv(t *testing.T) {
	t.Setenv("CNI_COMMAND", "ADD")
	t.Setenv("CNI_IFNAME", "eth3")

	env := (&DelegateArgs{Command: "DEL"}).AsEnv()
	assert.Equal(t, []string{"DEL"}, envValues(env, "CNI_COMMAND"))
	assert.Equal(t, []string{"eth3"}, envValues(env, "CNI_IFNAME"))
	assert.ElementsMatch(t, (&refinvoke.DelegateArgs{Command: "DEL"}).AsEnv(), env)

	assert.Nil(t, ArgsFromEnv().AsEnv())
	assert.NoError(t, ValidateArgs(ArgsFromEnv()))
	assert.NoError(t, ValidateArgs(&DelegateArgs{Command: "ADD"}))
	assert.NoError(t, ValidateArgs(nil))
}

func TestArgsValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		args    Args
		wantVar string
		wantKey string
		reason  string
	}{
		{name: "valid", args: Args{Command: "ADD", PluginArgs: [][2]string{{"A", "1"}, {"B", "x=y"}, {"C", ""}}}},
		{name: "valid raw string", args: Args{PluginArgsStr: "A=1;B=2"}},
		{name: "semicolon in value", args: Args{PluginArgs: [][2]string{{"A", "1;B=2"}}}, wantVar: "CNI_ARGS", wantKey: "A", reason: "value contains ';'"},
		{name: "semicolon in key", args: Args{PluginArgs: [][2]string{{"A;B", "1"}}}, wantVar: "CNI_ARGS", wantKey: "A;B", reason: "key contains ';'"},
		{name: "equals in key", args: Args{PluginArgs: [][2]string{{"A=B", "1"}}}, wantVar: "CNI_ARGS", wantKey: "A=B", reason: "key contains '='"},
		{name: "empty key", args: Args{PluginArgs: [][2]string{{"", "1"}}}, wantVar: "CNI_ARGS", reason: "empty key"},
		{name: "newline in value", args: Args{PluginArgs: [][2]string{{"A", "1\nB=2"}}}, wantVar: "CNI_ARGS", wantKey: "A", reason: "line break"},
		{name: "carriage return in key", args: Args{PluginArgs: [][2]string{{"A\r", "1"}}}, wantVar: "CNI_ARGS", wantKey: "A\r", reason: "line break"},
		{name: "NUL in value", args: Args{PluginArgs: [][2]string{{"A", "1\x00"}}}, wantVar: "CNI_ARGS", wantKey: "A", reason: "NUL"},
		{name: "NUL in raw string", args: Args{PluginArgsStr: "A=\x00"}, wantVar: "CNI_ARGS", reason: "NUL"},
		{name: "newline in raw string", args: Args{PluginArgsStr: "A=1\nB=2"}, wantVar: "CNI_ARGS", reason: "line break"},
		{name: "NUL in netns", args: Args{NetNS: "/run/netns/x\x00y"}, wantVar: "CNI_NETNS", reason: "NUL"},
		{name: "NUL in container id", args: Args{ContainerID: "\x00"}, wantVar: "CNI_CONTAINERID", reason: "NUL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.args.Validate()
			assert.Equal(t, err, ValidateArgs(&tc.args))
			if tc.wantVar == "" {
				assert.NoError(t, err)
				return
			}
			var ae *ArgsError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tc.wantVar, ae.Var)
			assert.Equal(t, tc.wantKey, ae.Key)
			assert.Contains(t, ae.Reason, tc.reason)
			assert.Contains(t, err.Error(), tc.wantVar)
		})
	}
}
