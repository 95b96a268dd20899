//go:build linux

package sandbox_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/pkg/plugintest"
	"github.com/cnirt/cni/pkg/plugintest/netns"
	"github.com/cnirt/cni/pkg/sandbox"
)

// The soak with kills: a runtime process (this test binary, running
// TestSoakChild) attaches and detaches sandboxes through a Manager with
// the real bridge and host-local plugins, several at once, each sandbox in
// a network namespace of its own, and is SIGKILLed at random moments. It
// runs inside a network namespace the test made (the bridge and the host
// ends of the veths live there), so nothing touches the host's network.
// After each kill a fresh runtime process starts on the same directories:
// its record of its sandboxes (one state file per sandbox, written before
// the sandbox's namespace is made) says which sandboxes are live, the new
// Manager GCs with that live set, the runtime deletes the namespaces of the
// sandboxes that are not, and it goes on. At the end nothing may be left:
// no address held by host-local, no cache entry, no veth, no namespace of
// the soak, no plugin process.
//
// CNIRT_SOAK_CYCLES and CNIRT_SOAK_KILLS set the figures (defaults 200
// and 20); the long form is
//
//	CNIRT_SOAK_CYCLES=2000 CNIRT_SOAK_KILLS=200 go test ./pkg/sandbox -run '^TestSoakKills$' -v -timeout 60m
const (
	soakChildEnv   = "CNIRT_SOAK_CHILD" // the soak's work directory, in the child
	soakPluginsEnv = "CNIRT_SOAK_PLUGINS"
	soakPrefixEnv  = "CNIRT_SOAK_PREFIX" // the names of the soak's namespaces start with it
	soakWorkers    = 4
	soakNetwork    = "i19s-soak"
	// soakMaxRun bounds the random time a runtime process runs before its
	// kill; its start and recovery take about a fifth of it.
	soakMaxRun = 2 * time.Second
)

// Phases of a sandbox in the runtime's state file.
const (
	phaseCreating  = "creating"  // its namespace may exist, its Attach may have run
	phaseReady     = "ready"     // attached
	phaseDetaching = "detaching" // its Detach may have run
)

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	require.NoError(t, err, "%s", name)
	return n
}

// TestSoakKills runs the soak (see above).
func TestSoakKills(t *testing.T) {
	if os.Getenv(soakChildEnv) != "" {
		t.Skip("in the soak's child")
	}
	pluginDir := plugintest.RealPlugins(t, "bridge", "host-local")
	if _, err := exec.LookPath("nsenter"); err != nil {
		plugintest.RequireCI(t, "nsenter (util-linux)")
		return
	}
	wantCycles, wantKills := envInt(t, "CNIRT_SOAK_CYCLES", 200), envInt(t, "CNIRT_SOAK_KILLS", 20)
	ctx := t.Context()
	start := time.Now()

	prefix := fmt.Sprintf("i19s-soak-%d-", os.Getpid())
	host, err := netns.Create(ctx, prefix+"host")
	require.NoError(t, err)
	t.Cleanup(func() {
		// On failure too: the soak's sandbox namespaces, then its host.
		for _, p := range soakNamespaces(prefix) {
			_ = netns.IP(context.Background(), "netns", "del", filepath.Base(p))
		}
		_ = host.Delete(context.Background())
	})

	work := t.TempDir()
	for _, d := range []string{"conf", "cache", "data", "state", "bin"} {
		require.NoError(t, os.Mkdir(filepath.Join(work, d), 0o755))
	}
	// A plugin directory of the soak's own, so that its plugin processes
	// are told from those of other tests on the machine.
	for _, p := range []string{"bridge", "host-local"} {
		data, err := os.ReadFile(filepath.Join(pluginDir, p))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(work, "bin", p), data, 0o755))
	}
	pluginDir = filepath.Join(work, "bin")
	require.NoError(t, os.WriteFile(filepath.Join(work, "conf", "10-soak.conflist"), []byte(fmt.Sprintf(
		`{"cniVersion":"1.1.0","name":%q,"plugins":[{"type":"bridge","bridge":"i19sbr0","isGateway":true,"ipMasq":false,
"ipam":{"type":"host-local","dataDir":%q,"ranges":[[{"subnet":"198.18.160.0/22"}]]}}]}`,
		soakNetwork, filepath.Join(work, "data"))), 0o644))
	logFile, err := os.Create(filepath.Join(work, "child.log"))
	require.NoError(t, err)
	defer logFile.Close()
	childLog := func() string {
		b, _ := os.ReadFile(logFile.Name())
		if len(b) > 20000 {
			b = b[len(b)-20000:]
		}
		return string(b)
	}
	startChild := func() *exec.Cmd {
		cmd := exec.Command("nsenter", "--net="+host.Path, "--", os.Args[0], "-test.run=^TestSoakChild$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), soakChildEnv+"="+work, soakPluginsEnv+"="+pluginDir, soakPrefixEnv+"="+prefix)
		cmd.Stdout, cmd.Stderr = logFile, logFile
		require.NoError(t, cmd.Start())
		return cmd
	}
	cycles := func() int {
		fi, err := os.Stat(filepath.Join(work, "cycles"))
		if err != nil {
			return 0
		}
		return int(fi.Size())
	}

	// The kills, each at a random moment of a run (its start and recovery
	// included). Before the next start the orphaned plugins of the
	// killed runtime finish, as they would while a node's runtime restarts,
	// and so do its `ip netns` commands.
	kills := 0
	for ; kills < wantKills; kills++ {
		cmd := startChild()
		time.Sleep(time.Duration(rand.Int64N(int64(soakMaxRun))))
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		err := cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("run %d ended before its kill (%v):\n%s", kills, err, childLog())
		}
		waitOrphans(t, pluginDir, prefix, 20*time.Second)
	}
	killCycles := cycles()

	// The last run goes on until the cycles are done, then stops cleanly.
	cmd := startChild()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.After(30 * time.Minute)
	for cycles() < wantCycles {
		select {
		case err := <-done:
			t.Fatalf("the last run ended early (%v):\n%s", err, childLog())
		case <-deadline:
			t.Fatalf("%d cycles of %d after 30 minutes", cycles(), wantCycles)
		case <-time.After(50 * time.Millisecond):
		}
	}
	require.NoError(t, os.WriteFile(filepath.Join(work, "stop"), nil, 0o644))
	select {
	case err := <-done:
		require.NoError(t, err, "the last run:\n%s", childLog())
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("the last run did not stop:\n%s", childLog())
	}
	waitOrphans(t, pluginDir, prefix, 20*time.Second)
	errs, _ := os.ReadFile(filepath.Join(work, "errors"))
	assert.Empty(t, string(errs), "operations that failed in the runtime")

	got := cycles()
	var recovered, liveSum, deadSum int
	rec, _ := os.ReadFile(filepath.Join(work, "recoveries"))
	for _, l := range strings.Split(strings.TrimSpace(string(rec)), "\n") {
		var live, dead int
		if _, err := fmt.Sscanf(l, "%d %d", &live, &dead); err == nil {
			recovered++
			liveSum += live
			deadSum += dead
		}
	}
	t.Logf("soak: %d cycles (%d before the last kill), %d kills, %d workers, in %v; %d restarts recovered, finding %d live and %d dead sandboxes",
		got, killCycles, kills, soakWorkers, time.Since(start).Round(time.Second), recovered, liveSum, deadSum)
	assert.GreaterOrEqual(t, got, wantCycles)
	assert.Equal(t, wantKills, kills)

	// Nothing is left.
	assert.Empty(t, hostLocalAddresses(t, filepath.Join(work, "data")), "addresses held in host-local")
	atts, err := libcni.NewCNIConfigWithCacheDir(nil, filepath.Join(work, "cache"), nil).GetCachedAttachments("")
	require.NoError(t, err)
	assert.Empty(t, atts, "cache entries")
	var veths []string
	require.NoError(t, netns.Do(host.Path, func() error {
		ifs, err := net.Interfaces()
		for _, i := range ifs {
			if strings.HasPrefix(i.Name, "veth") {
				veths = append(veths, i.Name)
			}
		}
		return err
	}))
	assert.Empty(t, veths, "veths in the soak's host namespace")
	assert.Empty(t, soakNamespaces(prefix), "namespaces of the soak")
	assert.Empty(t, pluginProcesses(pluginDir), "plugin processes")
	states, _ := os.ReadDir(filepath.Join(work, "state"))
	assert.Empty(t, states, "sandboxes in the runtime's state")
	if t.Failed() {
		t.Logf("runtime log:\n%s", childLog())
	}
}

// soakNamespaces lists the namespaces of the soak but its host.
func soakNamespaces(prefix string) []string {
	all, _ := filepath.Glob(filepath.Join("/var/run/netns", prefix+"*"))
	var out []string
	for _, p := range all {
		if filepath.Base(p) != prefix+"host" {
			out = append(out, p)
		}
	}
	return out
}

// hostLocalAddresses lists the addresses host-local holds in dataDir.
func hostLocalAddresses(t *testing.T, dataDir string) []string {
	var out []string
	err := filepath.WalkDir(dataDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if net.ParseIP(d.Name()) != nil {
			out = append(out, p)
		}
		return nil
	})
	require.NoError(t, err)
	return out
}

// pluginProcesses lists the processes running an executable of dir.
func pluginProcesses(dir string) []string { return soakProcesses(dir, "") }

// soakProcesses lists the processes running an executable of dir and,
// with prefix set, those whose command line holds prefix (the `ip netns`
// commands of the soak's runtime).
func soakProcesses(dir, prefix string) []string {
	procs, _ := os.ReadDir("/proc")
	var out []string
	for _, p := range procs {
		if _, err := strconv.Atoi(p.Name()); err != nil {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", p.Name(), "exe"))
		if err == nil && filepath.Dir(exe) == filepath.Clean(dir) {
			out = append(out, p.Name()+" "+exe)
			continue
		}
		if prefix == "" {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", p.Name(), "cmdline"))
		if err == nil && strings.Contains(string(cmdline), prefix) {
			out = append(out, p.Name()+" "+strings.ReplaceAll(string(cmdline), "\x00", " "))
		}
	}
	return out
}

// waitOrphans waits until the processes a killed runtime left (its
// plugins, and its `ip netns` commands, which would otherwise make a
// namespace after the next runtime's recovery) have ended.
func waitOrphans(t *testing.T, dir, prefix string, limit time.Duration) {
	t.Helper()
	end := time.Now().Add(limit)
	for len(soakProcesses(dir, prefix)) > 0 {
		if time.Now().After(end) {
			t.Fatalf("processes still running after %v: %q", limit, soakProcesses(dir, prefix))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// soakRuntime is the state of the soak's child, a small runtime.
type soakRuntime struct {
	t      *testing.T
	m      *sandbox.Manager
	work   string
	prefix string
	errMu  sync.Mutex
}

func (r *soakRuntime) statePath(id string) string { return filepath.Join(r.work, "state", id) }

// setPhase records the sandbox's phase, atomically.
func (r *soakRuntime) setPhase(id, phase string) error {
	tmp := r.statePath(id) + ".tmp"
	if err := os.WriteFile(tmp, []byte(phase), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, r.statePath(id))
}

func (r *soakRuntime) nsPath(id string) string { return filepath.Join("/var/run/netns", r.prefix+id) }

// deleteNS deletes the sandbox's namespace if it exists.
func (r *soakRuntime) deleteNS(ctx context.Context, id string) error {
	if _, err := os.Lstat(r.nsPath(id)); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err := netns.IP(ctx, "netns", "del", r.prefix+id); err != nil {
		// A kill during `ip netns add` may leave the file unmounted.
		if rerr := os.Remove(r.nsPath(id)); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// fail records an error of the runtime for the parent.
func (r *soakRuntime) fail(format string, args ...any) {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	msg := fmt.Sprintf(format, args...)
	r.t.Log(msg)
	f, err := os.OpenFile(filepath.Join(r.work, "errors"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err == nil {
		_, _ = f.WriteString(msg + "\n")
		_ = f.Close()
	}
}

// detach tears a sandbox down: Detach, then its namespace, then its
// record.
func (r *soakRuntime) detach(ctx context.Context, id string) bool {
	if err := r.setPhase(id, phaseDetaching); err != nil {
		r.fail("state of %s: %v", id, err)
		return false
	}
	if err := r.m.Detach(ctx, sandbox.Sandbox{ID: id}); err != nil {
		r.fail("detach %s: %v", id, err)
		return false
	}
	if err := r.deleteNS(ctx, id); err != nil {
		r.fail("deleting the namespace of %s: %v", id, err)
		return false
	}
	if err := os.Remove(r.statePath(id)); err != nil {
		r.fail("state of %s: %v", id, err)
		return false
	}
	return true
}

// cycle attaches a new sandbox and detaches it again.
func (r *soakRuntime) cycle(ctx context.Context, id string) bool {
	if err := r.setPhase(id, phaseCreating); err != nil {
		r.fail("state of %s: %v", id, err)
		return false
	}
	if err := netns.IP(ctx, "netns", "add", r.prefix+id); err != nil {
		r.fail("namespace of %s: %v", id, err)
		return false
	}
	res, err := r.m.Attach(ctx, sandbox.Sandbox{ID: id, NetNS: r.nsPath(id)})
	if err != nil {
		r.fail("attach %s: %v", id, err)
		return false
	}
	if res.PrimaryIP() == nil {
		r.fail("attach %s: no address", id)
	}
	if err := r.setPhase(id, phaseReady); err != nil {
		r.fail("state of %s: %v", id, err)
		return false
	}
	time.Sleep(time.Duration(rand.Int64N(int64(20 * time.Millisecond))))
	return r.detach(ctx, id)
}

// TestSoakChild is the soak's runtime process; it runs only when started
// by TestSoakKills.
func TestSoakChild(t *testing.T) {
	work := os.Getenv(soakChildEnv)
	if work == "" {
		t.Skip("started by TestSoakKills only")
	}
	ctx := context.Background()
	m, err := sandbox.New(sandbox.WithConfDir(filepath.Join(work, "conf")),
		sandbox.WithPluginDirs(os.Getenv(soakPluginsEnv)), sandbox.WithCacheDir(filepath.Join(work, "cache")))
	require.NoError(t, err)
	r := &soakRuntime{t: t, m: m, work: work, prefix: os.Getenv(soakPrefixEnv)}

	// Recovery: the sandboxes recorded as ready are live; GC with them,
	// then delete what is left of the others.
	entries, err := os.ReadDir(filepath.Join(work, "state"))
	require.NoError(t, err)
	var live, dead []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			_ = os.Remove(filepath.Join(work, "state", e.Name()))
			continue
		}
		b, err := os.ReadFile(r.statePath(e.Name()))
		require.NoError(t, err)
		if string(b) == phaseReady {
			live = append(live, e.Name())
		} else {
			dead = append(dead, e.Name())
		}
	}
	if err := m.GC(ctx, live); err != nil {
		r.fail("gc with %d live: %v", len(live), err)
	}
	for _, id := range dead {
		if err := r.deleteNS(ctx, id); err != nil {
			r.fail("deleting the namespace of dead %s: %v", id, err)
		} else if err := os.Remove(r.statePath(id)); err != nil {
			r.fail("state of dead %s: %v", id, err)
		}
	}
	t.Logf("recovered: %d live, %d dead", len(live), len(dead))
	if f, err := os.OpenFile(filepath.Join(work, "recoveries"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
		fmt.Fprintf(f, "%d %d\n", len(live), len(dead))
		_ = f.Close()
	}

	// The loop: the live sandboxes are detached first, then new ones
	// attached and detached, until the parent asks to stop.
	queue := make(chan string, len(live))
	for _, id := range live {
		queue <- id
	}
	close(queue)
	cycles, err := os.OpenFile(filepath.Join(work, "cycles"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	require.NoError(t, err)
	defer cycles.Close()
	stopped := func() bool {
		_, err := os.Stat(filepath.Join(work, "stop"))
		return err == nil
	}
	var n atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < soakWorkers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range queue {
				r.detach(ctx, id)
			}
			for !stopped() {
				id := fmt.Sprintf("p%d-%d", os.Getpid(), n.Add(1))
				if r.cycle(ctx, id) {
					_, _ = cycles.Write([]byte{'.'})
				}
			}
		}()
	}
	wg.Wait()
	if err := m.GC(ctx, nil); err != nil {
		r.fail("final gc: %v", err)
	}
}
