package sandbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/pkg/plugintest"
	"github.com/cnirt/cni/pkg/sandbox"
	"github.com/cnirt/cni/types"
)

// threeSleepy configures three networks whose ADD sleeps 100 ms.
func threeSleepy(e *env) {
	for i, n := range []string{"n0", "n1", "n2"} {
		e.write(fmt.Sprintf("%02d-%s.conflist", i, n), e.debugNet(n, "", `"sleep":{"ADD":"100ms"}`))
	}
}

// addRuns returns the ADD records of sandbox id.
func addRuns(e *env, id string) []plugintest.DebugRecord {
	var out []plugintest.DebugRecord
	for _, r := range e.records() {
		if r.Command == "ADD" && r.Env["CNI_CONTAINERID"] == id {
			out = append(out, r)
		}
	}
	return out
}

// maxOverlap returns the largest number of runs that were running at one
// time, from the start and end times the plugin processes recorded.
func maxOverlap(rs []plugintest.DebugRecord) int {
	most := 0
	for _, at := range rs {
		n := 0
		for _, r := range rs {
			if !r.Start.After(at.Start) && r.End.After(at.Start) {
				n++
			}
		}
		most = max(most, n)
	}
	return most
}

// TestAttachIsParallel: three networks whose plugin sleeps 100 ms are set
// up together, not one after the other: the three plugin processes run at
// one time, so the attach takes about one sleep (under 200 ms on an idle
// machine), where WithParallelism(1) runs them one after the other. The
// processes' own records decide, not the clock of a loaded machine.
//
// Not parallel with the other tests, so that their plugin processes do
// not delay these.
func TestAttachIsParallel(t *testing.T) {
	e := newEnv(t)
	threeSleepy(e)
	ctx := t.Context()
	// Warm up (page cache, plugin VERSION answers).
	warm := e.manager(sandbox.WithMaxNetworks(3))
	_, err := warm.Attach(ctx, sandbox.Sandbox{ID: "warm", NetNS: nsPath("warm")})
	require.NoError(t, err)
	require.NoError(t, warm.Detach(ctx, sandbox.Sandbox{ID: "warm"}))

	for _, tc := range []struct {
		name        string
		parallelism int
		overlap     int
	}{
		{"default parallelism", 0, 3},
		{"parallelism 2", 2, 2},
		{"serial", 1, 1},
	} {
		opts := []sandbox.Option{sandbox.WithMaxNetworks(3)}
		if tc.parallelism > 0 {
			opts = append(opts, sandbox.WithParallelism(tc.parallelism))
		}
		m := e.manager(opts...)
		// Full overlap needs the three plugin processes to start within
		// their 100 ms; on a loaded machine one start can take longer, so
		// that case gets up to three attempts (each is a fresh sandbox).
		// The limits of the other cases are checked on every attempt.
		attempts := 1
		if tc.overlap == 3 {
			attempts = 3
		}
		for attempt := range attempts {
			id := fmt.Sprintf("%s-%d", strings.ReplaceAll(tc.name, " ", "-"), attempt)
			start := time.Now()
			res, err := m.Attach(ctx, sandbox.Sandbox{ID: id, NetNS: nsPath(id)})
			took := time.Since(start)
			require.NoError(t, err, tc.name)
			require.Len(t, res.Attachments, 3, tc.name)
			runs := addRuns(e, id)
			require.Len(t, runs, 3, tc.name)
			t.Logf("%s, attempt %d: 3 networks x 100 ms ADD in %v, at most %d at once", tc.name, attempt+1, took, maxOverlap(runs))
			if tc.overlap < 3 {
				assert.LessOrEqual(t, maxOverlap(runs), tc.overlap, "%s: no more ADDs at once than allowed", tc.name)
				continue
			}
			if maxOverlap(runs) == 3 {
				break
			}
			if attempt == attempts-1 {
				assert.Equal(t, 3, maxOverlap(runs), "%s: every ADD started before any ended, in one of %d attempts", tc.name, attempts)
			}
		}
	}
}

// TestAttachRollback: the third network fails; the first two are DELeted
// again and nothing stays in the cache.
func TestAttachRollback(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("1.conflist", e.debugNet("ok1", "", ""))
	e.write("2.conflist", e.debugNet("ok2", "", ""))
	e.write("3.conflist", e.debugNet("bad", "", `"sleep":{"ADD":"50ms"},"failOn":{"ADD":{"code":11,"msg":"no addresses left"}}`))
	m := e.manager(sandbox.WithMaxNetworks(3))

	res, err := m.Attach(t.Context(), sandbox.Sandbox{ID: "sb1", NetNS: nsPath("sb1")})
	require.Error(t, err)
	assert.Nil(t, res)
	var se *sandbox.SandboxError
	require.ErrorAs(t, err, &se)
	require.Len(t, se.Failures, 1)
	assert.Equal(t, "bad", se.Failures[0].Network)
	assert.Equal(t, "net2", se.Failures[0].IfName)
	assert.Equal(t, "debug", se.Failures[0].Plugin)
	var te *types.Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, uint(11), te.Code)
	assert.Contains(t, err.Error(), `network "bad" interface "net2" (add)`)
	assert.Contains(t, err.Error(), "no addresses left")
	assert.ElementsMatch(t, []string{"ok1", "ok2"}, se.RolledBack)
	assert.Empty(t, se.Rollback)

	assert.Empty(t, e.cached("sb1"), "no cache entry after rollback")
	calls := e.calls()
	assert.ElementsMatch(t, []string{"DEL ok1 eth0", "DEL ok2 net1", "DEL bad net2"}, filterCmd(calls, "DEL"))
	// Detach afterwards has nothing to do.
	require.NoError(t, m.Detach(t.Context(), sandbox.Sandbox{ID: "sb1"}))
}

// TestAttachResultAndOptions: the aggregated result, interface names,
// capability arguments (only to plugins declaring them) and CNI_ARGS.
func TestAttachResultAndOptions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("1.conflist", e.debugNet("front", "", result("eth0", "198.18.1.2/24")+`,"capabilities":{"portMappings":true,"bandwidth":true,"dns":true,"aliases":true,"cgroupPath":true,"io.example/x":true}`))
	e.write("2.conflist", e.debugNet("back", "", result("net1", "2001:db8::2/64")+`,"capabilities":{"mac":true,"ips":true,"ipRanges":true}`))
	m := e.manager(sandbox.WithMaxNetworks(2))

	res, err := m.Attach(t.Context(), sandbox.Sandbox{ID: "sb2", NetNS: nsPath("sb2")},
		sandbox.WithPortMappings(sandbox.PortMapping{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}),
		sandbox.WithBandwidth(sandbox.Bandwidth{IngressRate: 1000, IngressBurst: 100}),
		sandbox.WithDNS(sandbox.DNS{Servers: []string{"198.18.0.53"}}),
		sandbox.WithAliases("web"),
		sandbox.WithCgroupPath("/kubepods/pod1"),
		sandbox.WithCapability("io.example/x", map[string]int{"k": 1}),
		sandbox.WithArgs("K8S_POD_NAME", "pod1"),
		sandbox.ForNetwork("back",
			sandbox.WithMAC("02:00:00:00:00:aa"),
			sandbox.WithIPs("2001:db8::2/64"),
			sandbox.WithIPRanges([]sandbox.IPRange{{Subnet: "2001:db8::/64"}}),
			sandbox.WithArgs("ROLE", "backend")),
	)
	require.NoError(t, err)
	require.Len(t, res.Attachments, 2)
	assert.Equal(t, "front", res.Attachments[0].Network)
	assert.Equal(t, "eth0", res.Attachments[0].IfName)
	assert.Equal(t, "back", res.Attachments[1].Network)
	assert.Equal(t, "net1", res.Attachments[1].IfName)
	assert.Equal(t, "1.1.0", res.Attachments[0].Result.Version())
	front := res.Interfaces["eth0"]
	require.NotNil(t, front)
	assert.Equal(t, "02:00:00:00:00:02", front.MAC)
	assert.Equal(t, "/var/run/netns/x", front.Sandbox)
	require.Len(t, front.IPs, 1)
	assert.Equal(t, "198.18.1.2/24", front.IPs[0].Address.String())
	assert.Equal(t, net.ParseIP("198.18.0.1").String(), front.IPs[0].Gateway.String())
	assert.Equal(t, "2001:db8::2/64", res.Interfaces["net1"].IPs[0].Address.String())
	assert.Equal(t, "198.18.1.2", res.PrimaryIP().String())

	for _, r := range e.records() {
		var conf struct {
			Name          string                     `json:"name"`
			RuntimeConfig map[string]json.RawMessage `json:"runtimeConfig"`
		}
		require.NoError(t, json.Unmarshal(r.Stdin, &conf))
		keys := make([]string, 0, len(conf.RuntimeConfig))
		for k := range conf.RuntimeConfig {
			keys = append(keys, k)
		}
		switch conf.Name {
		case "front":
			assert.ElementsMatch(t, []string{"portMappings", "bandwidth", "dns", "aliases", "cgroupPath", "io.example/x"}, keys)
			assert.JSONEq(t, `[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}]`, string(conf.RuntimeConfig["portMappings"]))
			assert.JSONEq(t, `["web"]`, string(conf.RuntimeConfig["aliases"]))
			assert.Equal(t, "K8S_POD_NAME=pod1", r.Env["CNI_ARGS"])
		case "back":
			assert.ElementsMatch(t, []string{"mac", "ips", "ipRanges"}, keys)
			assert.JSONEq(t, `"02:00:00:00:00:aa"`, string(conf.RuntimeConfig["mac"]))
			assert.JSONEq(t, `[[{"subnet":"2001:db8::/64"}]]`, string(conf.RuntimeConfig["ipRanges"]))
			assert.Equal(t, "K8S_POD_NAME=pod1;ROLE=backend", r.Env["CNI_ARGS"])
		default:
			t.Fatalf("unexpected network %q", conf.Name)
		}
	}

	// CHECK runs on both with the cached results.
	require.NoError(t, m.Check(t.Context(), sandbox.Sandbox{ID: "sb2"}))
	assert.ElementsMatch(t, []string{"CHECK front eth0", "CHECK back net1"}, filterCmd(e.calls(), "CHECK"))
}

// TestNotReady: no network, a missing named network, and a STATUS error
// with its code; attaching then runs no plugin.
func TestNotReady(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	m := e.manager()
	err := m.Ready(ctx)
	require.ErrorIs(t, err, sandbox.ErrNotReady)
	assert.Contains(t, err.Error(), "no valid network configuration in "+e.confDir)
	_, err = m.Attach(ctx, sandbox.Sandbox{ID: "x", NetNS: nsPath("x")})
	require.ErrorIs(t, err, sandbox.ErrNotReady)
	// Nothing cached: Detach succeeds with no network configured.
	require.NoError(t, m.Detach(ctx, sandbox.Sandbox{ID: "x"}))

	e.write("1.conflist", e.debugNet("one", "", `"failOn":{"STATUS":{"code":50,"msg":"plugin not available: daemon down"}}`))
	_, err = m.Reload()
	require.NoError(t, err)
	err = m.Ready(ctx)
	var te *types.Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, uint(50), te.Code)
	assert.Contains(t, err.Error(), "daemon down")
	st := m.Status(ctx)
	require.Len(t, st, 1)
	assert.Equal(t, "one", st[0].Network)
	assert.Error(t, st[0].Err)

	named := e.manager(sandbox.WithNetworks("one", "two"))
	err = named.Ready(ctx)
	var nr *sandbox.NotReadyError
	require.ErrorAs(t, err, &nr)
	assert.Equal(t, []string{"two"}, nr.Missing)
	assert.Empty(t, filterCmd(e.calls(), "ADD"))

	e.write("1.conflist", e.debugNet("one", "", ""))
	_, err = m.Reload()
	require.NoError(t, err)
	require.NoError(t, m.Ready(ctx))
}

// TestAttachCancelled: a cancelled Attach rolls back what it set up.
func TestAttachCancelled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("1.conflist", e.debugNet("fast", "", ""))
	e.write("2.conflist", e.debugNet("slow", "", `"sleep":{"ADD":"5s"}`))
	m := e.manager(sandbox.WithMaxNetworks(2))
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	_, err := m.Attach(ctx, sandbox.Sandbox{ID: "sbc", NetNS: nsPath("sbc")})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Empty(t, e.cached("sbc"))
	assert.Contains(t, filterCmd(e.calls(), "DEL"), "DEL fast eth0")
}

// TestEventHookSeesEveryStep: the CNIConfig's event hook sees each plugin
// run, lock wait and cache access of Attach and Detach with the sandbox ID.
func TestEventHookSeesEveryStep(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("1.conflist", e.debugNet("h1", "", ""))
	e.write("2.conflist", e.debugNet("h2", "", ""))
	var mu sync.Mutex
	var evs []libcni.Event
	cni := libcni.NewCNIConfigWithOptions([]string{e.binDir}, nil, libcni.WithCacheDir(e.cache),
		libcni.WithEventHook(func(_ context.Context, ev libcni.Event) {
			mu.Lock()
			evs = append(evs, ev)
			mu.Unlock()
		}))
	m := e.manager(sandbox.WithCNI(cni), sandbox.WithMaxNetworks(2))
	_, err := m.Attach(t.Context(), sandbox.Sandbox{ID: "hooked", NetNS: nsPath("h")})
	require.NoError(t, err)
	require.NoError(t, m.Detach(t.Context(), sandbox.Sandbox{ID: "hooked"}))

	kinds := map[string]int{}
	for _, ev := range evs {
		assert.Equal(t, "hooked", ev.SandboxID, "%v %s %s", ev.Kind, ev.Command, ev.Network)
		kinds[ev.Kind.String()+" "+ev.Command]++
	}
	assert.Equal(t, 2, kinds["plugin-run ADD"])
	assert.Equal(t, 2, kinds["plugin-run DEL"])
	assert.Equal(t, 2, kinds["cache-write ADD"])
	assert.Equal(t, 2, kinds["cache-remove DEL"])
	assert.Equal(t, 6, kinds["lock-wait "], "two holds: two network locks and the container lock each")
}

// TestAttachTwiceRefused: a second Attach without Detach runs no plugin.
func TestAttachTwiceRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.write("1.conflist", e.debugNet("once", "", ""))
	m := e.manager()
	sb := sandbox.Sandbox{ID: "twice", NetNS: nsPath("twice")}
	_, err := m.Attach(t.Context(), sb)
	require.NoError(t, err)
	_, err = m.Attach(t.Context(), sb)
	require.ErrorIs(t, err, sandbox.ErrAlreadyAttached)
	assert.Contains(t, err.Error(), "once/eth0")
	assert.Len(t, filterCmd(e.calls(), "ADD"), 1)
	require.NoError(t, m.Detach(t.Context(), sb))
	_, err = m.Attach(t.Context(), sb)
	require.NoError(t, err, "attaching again after Detach")
}
