package invoke

import (
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEnvCacheMatchesAsEnv checks that the cache builds exactly what
// Args.AsEnv builds, also after every kind of change to the environment.
func TestEnvCacheMatchesAsEnv(t *testing.T) {
	args := &Args{Command: "ADD", ContainerID: "c1", NetNS: "/run/netns/c1", IfName: "eth0",
		PluginArgs: [][2]string{{"K8S_POD_NAME", "p"}, {"IgnoreUnknown", "1"}}, Path: "/opt/cni/bin"}
	var c EnvCache
	check := func(step string) {
		t.Helper()
		assert.Equal(t, args.AsEnv(), c.Environ(args), step)
	}
	check("first build")
	check("cached")

	steps := []struct {
		name   string
		change func(t *testing.T)
	}{
		{"new variable", func(t *testing.T) { t.Setenv("CNIRT_ENVCACHE_A", "1") }},
		{"changed value", func(t *testing.T) { t.Setenv("CNIRT_ENVCACHE_A", "2") }},
		{"same value set again", func(t *testing.T) { t.Setenv("CNIRT_ENVCACHE_A", "2") }},
		{"inherited CNI variable", func(t *testing.T) { t.Setenv("CNI_COMMAND", "DEL") }},
		{"inherited CNI_ARGS", func(t *testing.T) { t.Setenv("CNI_ARGS", "X=1") }},
		{"inherited trace context", func(t *testing.T) { t.Setenv("TRACEPARENT", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01") }},
		{"unset", func(t *testing.T) { require.NoError(t, os.Unsetenv("CNIRT_ENVCACHE_A")) }},
	}
	for _, s := range steps {
		s.change(t)
		check(s.name)
		check(s.name + ", cached")
	}

	// PluginArgsStr wins over PluginArgs, as in AsEnv; nil args are empty.
	args.PluginArgsStr = "A=1;B=2"
	check("PluginArgsStr")
	assert.Equal(t, (*Args)(nil).AsEnv(), c.Environ(nil))
}

// TestEnvCacheConcurrent runs the cache from several goroutines while the
// environment changes (meaningful under -race).
func TestEnvCacheConcurrent(t *testing.T) {
	t.Setenv("CNIRT_ENVCACHE_B", "0")
	var c EnvCache
	args := &Args{Command: "ADD", ContainerID: "c", IfName: "eth0"}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 200 {
				env := c.Environ(args)
				assert.Equal(t, "ADD", envValue(env, "CNI_COMMAND"))
				assert.Contains(t, []string{"0", "1"}, envValue(env, "CNIRT_ENVCACHE_B"))
			}
		})
	}
	for i := range 50 {
		require.NoError(t, os.Setenv("CNIRT_ENVCACHE_B", []string{"0", "1"}[i%2]))
	}
	wg.Wait()
}
