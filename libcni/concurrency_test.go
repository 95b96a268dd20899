package libcni_test

// Tests of the lifecycle rules libcni enforces with its locks (serialize.go):
// no two operations for one container at the same time, in any network and
// from any process sharing the cache directory; GC alone on its network;
// different containers in parallel. Most of them run the debug example
// plugin and check its records (start and end time, CNI_* variables, stdin)
// afterwards.
//
// Every operation carries a unique tag in CNI_ARGS (concTagKey), so each
// record can be matched to the operation that caused it. The DELs that GC
// issues for stale attachments run with the attachment's cached CNI_ARGS,
// i.e. with the tag of an ADD, which is how they are told apart from the
// DELs a caller asked for.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/invoke"
	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/pkg/lock"
	"github.com/cnirt/cni/pkg/plugintest"
	"github.com/cnirt/cni/types"
)

const (
	// concWorkerEnv names the plan file of a worker process; see
	// TestHelperConcurrencyWorker.
	concWorkerEnv = "CNIRT_CONCURRENCY_WORKER_PLAN"
	// concReady is the line a worker prints once it is ready to start.
	concReady = "CNIRT-CONCURRENCY-WORKER-READY"
	// concSeedEnv, when set, fixes the seed of the random operation plans.
	concSeedEnv = "CNIRT_CONCURRENCY_SEED"
	// concTagKey is the CNI_ARGS key carrying an operation's tag.
	concTagKey = "CNIRT_OP"
	concIfName = "eth0"
)

// concRenderNet writes the network testdata/concurrency/recorded.conflist
// (one debug plugin, version 1.1.0) into dir with the given name, debug file
// and per-verb sleeps, and returns the file's path.
func concRenderNet(t testing.TB, dir, name, debugFile string, sleep map[string]string) string {
	t.Helper()
	tmpl, err := os.ReadFile(filepath.Join("testdata", "concurrency", "recorded.conflist"))
	require.NoError(t, err)
	if sleep == nil {
		sleep = map[string]string{}
	}
	quote := func(v any) string {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		return string(b)
	}
	out := strings.NewReplacer(
		`"@NAME@"`, quote(name),
		`"@DEBUG_FILE@"`, quote(debugFile),
		`"@SLEEP@"`, quote(sleep),
	).Replace(string(tmpl))
	path := filepath.Join(dir, name+".conflist")
	require.NoError(t, os.WriteFile(path, []byte(out), 0o644))
	return path
}

// concLoadNets loads network files, by network name.
func concLoadNets(files map[string]string) (map[string]*libcni.NetworkConfigList, error) {
	nets := map[string]*libcni.NetworkConfigList{}
	for name, file := range files {
		list, err := libcni.ConfListFromFile(file)
		if err != nil {
			return nil, err
		}
		if list.Name != name {
			return nil, fmt.Errorf("%s: network %q, want %q", file, list.Name, name)
		}
		nets[name] = list
	}
	return nets, nil
}

func concMustLoadNets(t testing.TB, files map[string]string) map[string]*libcni.NetworkConfigList {
	t.Helper()
	nets, err := concLoadNets(files)
	require.NoError(t, err)
	return nets
}

// concOp is one operation of a plan.
type concOp struct {
	Verb  string   `json:"verb"` // ADD, CHECK, DEL or GC
	Net   string   `json:"net"`
	Ctr   string   `json:"ctr,omitempty"`   // not for GC
	Tag   string   `json:"tag"`             // unique, ends in "-<Verb>"
	Valid []string `json:"valid,omitempty"` // GC: containers whose attachment stays
}

func (op concOp) rt() *libcni.RuntimeConf {
	return &libcni.RuntimeConf{
		ContainerID: op.Ctr,
		NetNS:       "/var/run/netns/" + op.Ctr,
		IfName:      concIfName,
		Args:        [][2]string{{"IgnoreUnknown", "true"}, {concTagKey, op.Tag}},
	}
}

// concRun performs op with c.
func concRun(ctx context.Context, c *libcni.CNIConfig, nets map[string]*libcni.NetworkConfigList, op concOp) error {
	list := nets[op.Net]
	if list == nil {
		return fmt.Errorf("op %s: unknown network %q", op.Tag, op.Net)
	}
	var err error
	switch op.Verb {
	case "ADD":
		_, err = c.AddNetworkList(ctx, list, op.rt())
	case "CHECK":
		err = c.CheckNetworkList(ctx, list, op.rt())
	case "DEL":
		err = c.DelNetworkList(ctx, list, op.rt())
	case "GC":
		args := &libcni.GCArgs{ValidAttachments: []types.GCAttachment{}}
		for _, id := range op.Valid {
			args.ValidAttachments = append(args.ValidAttachments, types.GCAttachment{ContainerID: id, IfName: concIfName})
		}
		err = c.GCNetworkList(ctx, list, args)
	default:
		err = fmt.Errorf("unknown verb %q", op.Verb)
	}
	if err != nil {
		return fmt.Errorf("op %s (%s %s %s): %w", op.Tag, op.Verb, op.Net, op.Ctr, err)
	}
	return nil
}

// concDriveAll runs every driver's operations in order, the drivers at the
// same time, driver i with cfgs[i], and returns all errors.
func concDriveAll(ctx context.Context, cfgs []*libcni.CNIConfig, nets map[string]*libcni.NetworkConfigList, drivers [][]concOp) []error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for i, ops := range drivers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, op := range ops {
				if err := concRun(ctx, cfgs[i], nets, op); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return errs
}

// concPlan makes n random operations for one driver.
func concPlan(r *rand.Rand, driver string, n int, nets, ctrs []string) []concOp {
	ops := make([]concOp, 0, n)
	for i := range n {
		op := concOp{Net: nets[r.IntN(len(nets))]}
		switch p := r.IntN(100); {
		case p < 35:
			op.Verb = "ADD"
		case p < 55:
			op.Verb = "CHECK"
		case p < 90:
			op.Verb = "DEL"
		default:
			op.Verb = "GC"
		}
		if op.Verb == "GC" {
			for _, c := range ctrs {
				if r.IntN(2) == 0 {
					op.Valid = append(op.Valid, c)
				}
			}
		} else {
			op.Ctr = ctrs[r.IntN(len(ctrs))]
		}
		op.Tag = fmt.Sprintf("%s-%d-%s", driver, i, op.Verb)
		ops = append(ops, op)
	}
	return ops
}

// concSeed returns the seed of the random plans: concSeedEnv or the clock.
func concSeed(t *testing.T) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(concSeedEnv); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err, "%s", concSeedEnv)
		seed = v
	}
	t.Logf("plan seed %d (set %s to repeat the plans)", seed, concSeedEnv)
	return seed
}

// concSpan is one recorded plugin run.
type concSpan struct {
	Cmd, Net, Ctr, Tag string
	// GCDel marks a DEL that GC issued for a stale attachment.
	GCDel      bool
	Start, End time.Time
	Exit       int // the plugin's exit status
}

func (s concSpan) String() string {
	kind := s.Cmd
	if s.GCDel {
		kind = "GC-issued DEL"
	}
	return fmt.Sprintf("%s net=%s ctr=%s tag=%s [%s .. %s]", kind, s.Net, s.Ctr, s.Tag,
		s.Start.Format("15:04:05.000000"), s.End.Format("15:04:05.000000"))
}

// concArg returns the value of key in a CNI_ARGS string.
func concArg(cniArgs, key string) string {
	for _, kv := range strings.Split(cniArgs, ";") {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// concSpans reads the debug file; every run must have succeeded.
func concSpans(t *testing.T, debugFile string) []concSpan {
	t.Helper()
	spans := concSpansAny(t, debugFile)
	for i, s := range spans {
		require.Equal(t, 0, s.Exit, "record %d (%v) failed", i, s)
	}
	return spans
}

// concSpansAny reads the debug file, failed runs included.
func concSpansAny(t *testing.T, debugFile string) []concSpan {
	t.Helper()
	var spans []concSpan
	for i, r := range plugintest.ReadDebugLog(t, debugFile) {
		var conf struct {
			Name string `json:"name"`
		}
		require.NoError(t, json.Unmarshal(r.Stdin, &conf), "record %d stdin", i)
		s := concSpan{
			Cmd: r.Command, Net: conf.Name, Ctr: r.Env["CNI_CONTAINERID"],
			Tag: concArg(r.Env["CNI_ARGS"], concTagKey), Start: r.Start, End: r.End, Exit: r.ExitCode,
		}
		s.GCDel = s.Cmd == "DEL" && strings.HasSuffix(s.Tag, "-ADD")
		require.False(t, s.End.Before(s.Start), "record %d ends before it starts", i)
		spans = append(spans, s)
	}
	return spans
}

// concByTag returns the runs a caller's operation caused (not GC-issued
// DELs), by tag.
func concByTag(spans []concSpan) map[string][]concSpan {
	m := map[string][]concSpan{}
	for _, s := range spans {
		if s.Tag != "" && !s.GCDel {
			m[s.Tag] = append(m[s.Tag], s)
		}
	}
	return m
}

// concOnly returns the spans with command cmd on network net.
func concOnly(spans []concSpan, cmd, net string) []concSpan {
	var out []concSpan
	for _, s := range spans {
		if s.Cmd == cmd && s.Net == net {
			out = append(out, s)
		}
	}
	return out
}

func concOverlap(a, b concSpan) bool {
	return a.Start.Before(b.End) && b.Start.Before(a.End)
}

// concReport is what concAnalyse finds in a set of runs.
type concReport struct {
	// SameContainer lists pairs of overlapping runs for one container
	// (rule: one operation per container at a time, in any network).
	SameContainer []string
	// GCNotAlone lists runs on a network that overlap a GC of that network,
	// a GC being its stale DELs and its GC run.
	GCNotAlone []string
	// ParallelPairs counts overlapping runs for different containers.
	ParallelPairs int
	// CrossGroupPairs counts those of ParallelPairs whose operations came
	// from drivers of different groups, as told by groupOf.
	CrossGroupPairs int
}

// concAnalyse checks the runs against the lifecycle rules. groupOf maps a
// tag to the group (e.g. process) its driver belongs to.
func concAnalyse(spans []concSpan, groupOf func(tag string) string) concReport {
	var (
		rep    concReport
		attach []concSpan
		gcs    = map[string][]concSpan{}
	)
	for _, s := range spans {
		switch s.Cmd {
		case "ADD", "CHECK", "DEL":
			attach = append(attach, s)
		case "GC":
			gcs[s.Net] = append(gcs[s.Net], s)
		}
	}
	for i := range attach {
		for j := i + 1; j < len(attach); j++ {
			a, b := attach[i], attach[j]
			if !concOverlap(a, b) {
				continue
			}
			if a.Ctr == b.Ctr {
				rep.SameContainer = append(rep.SameContainer, fmt.Sprintf("%v overlaps %v", a, b))
				continue
			}
			rep.ParallelPairs++
			if groupOf != nil && groupOf(a.Tag) != groupOf(b.Tag) {
				rep.CrossGroupPairs++
			}
		}
	}

	// A GC's window starts at its first stale DEL (or its GC run) and ends
	// with its GC run. GCs of one network are serialized, so the stale DELs
	// of a GC lie after the previous GC run and before its own: each
	// belongs to the first GC run of its network that starts after it.
	type window struct {
		gc    concSpan
		start time.Time
	}
	windows := map[string][]*window{}
	for net, list := range gcs {
		sort.Slice(list, func(i, j int) bool { return list[i].Start.Before(list[j].Start) })
		for _, g := range list {
			windows[net] = append(windows[net], &window{gc: g, start: g.Start})
		}
	}
	for _, s := range attach {
		if !s.GCDel {
			continue
		}
		var w *window
		for _, cand := range windows[s.Net] {
			if !cand.gc.Start.Before(s.End) {
				w = cand
				break
			}
		}
		if w == nil {
			rep.GCNotAlone = append(rep.GCNotAlone, fmt.Sprintf("%v is followed by no GC run of its network", s))
			continue
		}
		if s.Start.Before(w.start) {
			w.start = s.Start
		}
	}
	for net, ws := range windows {
		for i, w := range ws {
			win := concSpan{Start: w.start, End: w.gc.End}
			for _, s := range attach {
				if s.Net == net && !s.GCDel && concOverlap(s, win) {
					rep.GCNotAlone = append(rep.GCNotAlone, fmt.Sprintf("%v overlaps the GC ending with %v (window from %s)",
						s, w.gc, w.start.Format("15:04:05.000000")))
				}
			}
			if i > 0 && ws[i-1].gc.End.After(w.start) {
				rep.GCNotAlone = append(rep.GCNotAlone, fmt.Sprintf("GC %v overlaps GC %v", ws[i-1].gc, w.gc))
			}
		}
	}
	sort.Strings(rep.SameContainer)
	sort.Strings(rep.GCNotAlone)
	return rep
}

// concCheckComplete checks that every operation caused exactly the run it
// should (one plugin per network) and nothing else ran.
func concCheckComplete(t *testing.T, spans []concSpan, ops []concOp) {
	t.Helper()
	byTag := concByTag(spans)
	wantGC := map[string]int{}
	others := 0
	for _, op := range ops {
		if op.Verb == "GC" {
			wantGC[op.Net]++
			continue
		}
		others++
		got := byTag[op.Tag]
		if assert.Len(t, got, 1, "runs of op %s", op.Tag) {
			assert.Equal(t, op.Verb, got[0].Cmd, "op %s", op.Tag)
			assert.Equal(t, op.Net, got[0].Net, "op %s", op.Tag)
			assert.Equal(t, op.Ctr, got[0].Ctr, "op %s", op.Tag)
		}
	}
	assert.Len(t, byTag, others, "runs with tags no operation had")
	gotGC := map[string]int{}
	for _, s := range spans {
		if s.Cmd == "GC" {
			gotGC[s.Net]++
		}
	}
	assert.Equal(t, wantGC, gotGC, "GC runs per network")
}

// concHookExec runs plugins for real, calling before first.
type concHookExec struct {
	invoke.Exec
	before func(ctx context.Context, env map[string]string)
}

func newConcHookExec(before func(ctx context.Context, env map[string]string)) *concHookExec {
	return &concHookExec{
		Exec:   &invoke.DefaultExec{RawExec: &invoke.RawExec{Stderr: os.Stderr}},
		before: before,
	}
}

// ExecPlugin implements invoke.Exec.
func (h *concHookExec) ExecPlugin(ctx context.Context, pluginPath string, stdin []byte, environ []string) ([]byte, error) {
	if h.before != nil {
		env := map[string]string{}
		for _, kv := range environ {
			if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "CNI_") {
				env[k] = v
			}
		}
		h.before(ctx, env)
	}
	return h.Exec.ExecPlugin(ctx, pluginPath, stdin, environ)
}

// concEventually polls cond until it holds or timeout passes.
func concEventually(cond func() bool, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// concOpenFDs counts this process's open descriptors, -1 where it cannot
// (only Linux is supported; elsewhere descriptor leaks are not checked).
func concOpenFDs() int {
	if runtime.GOOS != "linux" {
		return -1
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

// concLockFiles lists the per-key lock files in dir: its names other than
// the range file of byte-range locking ([] when dir does not exist).
func concLockFiles(t *testing.T, dir string) []string {
	t.Helper()
	names := []string{}
	for _, n := range concDirNames(t, dir) {
		if n != lock.RangeFileName {
			names = append(names, n)
		}
	}
	return names
}

// concDirNames lists the names in dir ([] when dir does not exist).
func concDirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return []string{}
	}
	require.NoError(t, err)
	names := []string{}
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

// concNone fails the test if there are problems, showing the first few.
func concNone(t *testing.T, problems []string, what string) {
	t.Helper()
	if len(problems) == 0 {
		return
	}
	shown := problems[:min(len(problems), 8)]
	t.Errorf("%s: %d times, e.g.:\n  %s", what, len(problems), strings.Join(shown, "\n  "))
}

// concWorkerPlan is what a worker process does.
type concWorkerPlan struct {
	CacheDir  string            `json:"cacheDir"`
	PluginDir string            `json:"pluginDir"`
	Nets      map[string]string `json:"nets"` // network name -> conflist file
	Serialize bool              `json:"serialize"`
	Drivers   [][]concOp        `json:"drivers"` // run at the same time
}

// TestHelperConcurrencyWorker is not a test of its own: it is the body of
// the worker processes that TestConcurrencyStressRecorded starts by
// running this test binary again with concWorkerEnv set. Without it, it
// does nothing. A worker loads its plan, prints concReady, waits for its
// standard input to close, runs its drivers and fails on any error.
func TestHelperConcurrencyWorker(t *testing.T) {
	planFile := os.Getenv(concWorkerEnv)
	if planFile == "" {
		return
	}
	data, err := os.ReadFile(planFile)
	require.NoError(t, err)
	var plan concWorkerPlan
	require.NoError(t, json.Unmarshal(data, &plan))
	nets, err := concLoadNets(plan.Nets)
	require.NoError(t, err)
	c := libcni.NewCNIConfigWithOptions([]string{plan.PluginDir}, nil,
		libcni.WithCacheDir(plan.CacheDir), libcni.WithSerialization(plan.Serialize))
	cfgs := make([]*libcni.CNIConfig, len(plan.Drivers))
	for i := range cfgs {
		cfgs[i] = c
	}
	_, err = fmt.Fprintln(os.Stdout, concReady)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, os.Stdin) // the parent closes it to start everybody at once
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, err := range concDriveAll(ctx, cfgs, nets, plan.Drivers) {
		t.Error(err)
	}
}

// concWorker is a running worker process.
type concWorker struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	ready  chan struct{}
	done   chan struct{} // closed when its stdout is fully read
	out    bytes.Buffer  // stdout other than concReady; read after done
	stderr bytes.Buffer
}

// concStartWorker starts a worker process with plan.
func concStartWorker(t *testing.T, dir string, idx int, plan concWorkerPlan) *concWorker {
	t.Helper()
	data, err := json.Marshal(plan)
	require.NoError(t, err)
	planFile := filepath.Join(dir, fmt.Sprintf("worker%d.json", idx))
	require.NoError(t, os.WriteFile(planFile, data, 0o644))

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperConcurrencyWorker$", "-test.count=1", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), concWorkerEnv+"="+planFile)
	w := &concWorker{cmd: cmd, ready: make(chan struct{}), done: make(chan struct{})}
	cmd.Stderr = &w.stderr
	w.stdin, err = cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		if cmd.ProcessState == nil { // the test ended early
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	go func() {
		defer close(w.done)
		sc := bufio.NewScanner(stdout)
		ready := false
		for sc.Scan() {
			if line := sc.Text(); !ready && line == concReady {
				ready = true
				close(w.ready)
			} else {
				w.out.WriteString(line + "\n")
			}
		}
	}()
	return w
}

// waitReady waits until the worker has printed concReady.
func (w *concWorker) waitReady(t *testing.T) {
	t.Helper()
	select {
	case <-w.ready:
	case <-w.done:
		err := w.cmd.Wait()
		t.Fatalf("worker ended before it was ready: %v\nstdout:\n%s\nstderr:\n%s", err, w.out.String(), w.stderr.String())
	case <-time.After(time.Minute):
		t.Fatal("worker not ready after a minute")
	}
}

// wait waits for the worker to end and fails the test unless it passed.
func (w *concWorker) wait(t *testing.T) {
	t.Helper()
	select {
	case <-w.done:
	case <-time.After(2 * time.Minute):
		t.Fatal("worker still running after two minutes")
	}
	err := w.cmd.Wait()
	require.NoError(t, err, "worker failed\nstdout:\n%s\nstderr:\n%s", w.out.String(), w.stderr.String())
}

// TestConcurrencyStressRecorded drives two networks sharing three container
// IDs from three goroutines of this process (two sharing a CNIConfig, one
// with its own) and two worker processes with two goroutines each, all on
// one cache directory, with a mix of ADD, CHECK, DEL and GC, every plugin
// run taking at least 40ms. The debug plugin's records must show no
// overlapping runs for one container, no run on a network overlapping a GC
// of that network, and overlapping runs for different containers, also
// across processes.
func TestConcurrencyStressRecorded(t *testing.T) {
	t.Parallel()
	bin := plugintest.Build(t, plugintest.DebugPlugin)
	dir := t.TempDir()
	cacheDir := filepath.Join(dir, "cache")
	debugFile := filepath.Join(dir, "debug.log")
	netNames := []string{"stressA", "stressB"}
	ctrs := []string{"ctr0", "ctr1", "ctr2"}
	files := map[string]string{}
	for _, n := range netNames {
		files[n] = concRenderNet(t, dir, n, debugFile, map[string]string{"*": "40ms"})
	}
	nets := concMustLoadNets(t, files)

	const (
		localDrivers  = 3
		workers       = 2
		workerDrivers = 2
		opsPerDriver  = 10
	)
	r := rand.New(rand.NewPCG(concSeed(t), 1))
	var all []concOp
	var local [][]concOp
	for i := range localDrivers {
		ops := concPlan(r, fmt.Sprintf("local%d", i), opsPerDriver, netNames, ctrs)
		local = append(local, ops)
		all = append(all, ops...)
	}
	var ws []*concWorker
	for p := range workers {
		plan := concWorkerPlan{CacheDir: cacheDir, PluginDir: bin, Nets: files, Serialize: true}
		for d := range workerDrivers {
			ops := concPlan(r, fmt.Sprintf("proc%dd%d", p, d), opsPerDriver, netNames, ctrs)
			plan.Drivers = append(plan.Drivers, ops)
			all = append(all, ops...)
		}
		ws = append(ws, concStartWorker(t, dir, p, plan))
	}
	for _, w := range ws {
		w.waitReady(t)
	}

	shared := libcni.NewCNIConfigWithOptions([]string{bin}, nil, libcni.WithCacheDir(cacheDir))
	own := libcni.NewCNIConfigWithOptions([]string{bin}, nil, libcni.WithCacheDir(cacheDir))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, w := range ws {
		require.NoError(t, w.stdin.Close()) // go
	}
	errs := concDriveAll(ctx, []*libcni.CNIConfig{shared, shared, own}, nets, local)
	for _, err := range errs {
		t.Error(err)
	}
	for _, w := range ws {
		w.wait(t)
	}

	spans := concSpans(t, debugFile)
	concCheckComplete(t, spans, all)
	// The process a tag's driver ran in: "local" or "procN".
	rep := concAnalyse(spans, func(tag string) string {
		if strings.HasPrefix(tag, "local") {
			return "local"
		}
		proc, _, _ := strings.Cut(tag, "d")
		return proc
	})
	gcDels := 0
	for _, s := range spans {
		if s.GCDel {
			gcDels++
		}
	}
	t.Logf("%d operations, %d plugin runs (%d GC-issued DELs); %d overlapping pairs for different containers, %d of them across processes",
		len(all), len(spans), gcDels, rep.ParallelPairs, rep.CrossGroupPairs)
	concNone(t, rep.SameContainer, "runs for one container overlap")
	concNone(t, rep.GCNotAlone, "runs overlap a GC of their network")
	assert.Positive(t, rep.ParallelPairs, "different containers must run in parallel")
	assert.Positive(t, rep.CrossGroupPairs, "different containers must run in parallel across processes")

	// Once everything is deleted, no result and no container lock file is
	// left, whichever process created them.
	var dels []concOp
	for _, n := range netNames {
		for _, c := range ctrs {
			dels = append(dels, concOp{Verb: "DEL", Net: n, Ctr: c, Tag: "final-" + n + c + "-DEL"})
		}
	}
	for _, op := range dels {
		require.NoError(t, concRun(ctx, shared, nets, op))
	}
	assert.Empty(t, concDirNames(t, filepath.Join(cacheDir, "results")))
	assert.Empty(t, concLockFiles(t, filepath.Join(cacheDir, "locks", "container")))
}

// TestConcurrencyStressWithoutSerializationOverlaps shows that the checks of
// TestConcurrencyStressRecorded can fail: with WithSerialization(false) the
// runs for one container overlap. To make that certain, the first operation
// of each driver, an ADD of the same container, is held before its plugin
// starts until all of them got there (which only the unserialized library
// allows), and each plugin run takes 150ms.
func TestConcurrencyStressWithoutSerializationOverlaps(t *testing.T) {
	t.Parallel()
	bin := plugintest.Build(t, plugintest.DebugPlugin)
	dir := t.TempDir()
	debugFile := filepath.Join(dir, "debug.log")
	netNames := []string{"looseA", "looseB"}
	ctrs := []string{"ctr0", "ctr1", "ctr2"}
	files := map[string]string{}
	for _, n := range netNames {
		files[n] = concRenderNet(t, dir, n, debugFile, map[string]string{"*": "150ms"})
	}
	nets := concMustLoadNets(t, files)

	const drivers = 4
	var arrived atomic.Int32
	allThere := make(chan struct{})
	hook := newConcHookExec(func(ctx context.Context, env map[string]string) {
		if !strings.Contains(concArg(env["CNI_ARGS"], concTagKey), "-0-") {
			return
		}
		if arrived.Add(1) == drivers {
			close(allThere)
		}
		select {
		case <-allThere:
		case <-time.After(10 * time.Second): // serialized after all: let the test report it
		}
	})
	c := libcni.NewCNIConfigWithOptions([]string{bin}, hook,
		libcni.WithCacheDir(filepath.Join(dir, "cache")), libcni.WithSerialization(false))

	r := rand.New(rand.NewPCG(concSeed(t), 2))
	var plans [][]concOp
	var all []concOp
	cfgs := make([]*libcni.CNIConfig, drivers)
	for i := range drivers {
		name := fmt.Sprintf("loose%d", i)
		first := concOp{Verb: "ADD", Net: netNames[i%2], Ctr: ctrs[0], Tag: name + "-0-ADD"}
		ops := append([]concOp{first}, concPlan(r, name+"x", 3, netNames, ctrs)...)
		plans = append(plans, ops)
		all = append(all, ops...)
		cfgs[i] = c
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, err := range concDriveAll(ctx, cfgs, nets, plans) {
		t.Error(err)
	}
	spans := concSpans(t, debugFile)
	concCheckComplete(t, spans, all)
	rep := concAnalyse(spans, nil)
	t.Logf("without serialization: %d overlaps for one container, %d GC overlaps, %d parallel pairs",
		len(rep.SameContainer), len(rep.GCNotAlone), rep.ParallelPairs)
	assert.NotEmpty(t, rep.SameContainer, "the check must catch overlapping runs for one container")
}

// TestContextCancelWhileWaitingForLock cancels operations that wait for a
// lock another holder keeps (a second Locker on the same lock directory,
// which excludes like another process would). The operation must return
// soon after ctx ends, with ctx's error, without running a plugin, without
// leaking goroutines or descriptors, and the lock must be usable afterwards.
// Not parallel: it counts the goroutines and descriptors of the process.
func TestContextCancelWhileWaitingForLock(t *testing.T) {
	bin := plugintest.Build(t, plugintest.DebugPlugin)
	const (
		net  = "waitnet"
		ctr  = "held"
		wait = 150 * time.Millisecond
	)
	tests := []struct {
		name   string
		held   string // lock namespace held by someone else: "container" or "network"
		verb   string
		cancel bool // cancel ctx; else let its deadline pass
		runs   int  // plugin runs of the operation once the lock is free
	}{
		{"ADD waits for container", "container", "ADD", false, 1},
		{"CHECK waits for container", "container", "CHECK", true, 1},
		{"DEL waits for container", "container", "DEL", false, 1},
		{"ADD waits for network", "network", "ADD", true, 1},
		{"DEL waits for network", "network", "DEL", false, 1},
		{"GC waits for network", "network", "GC", false, 2},
		{"GC waits for container of stale attachment", "container", "GC", true, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cacheDir := filepath.Join(dir, "cache")
			debugFile := filepath.Join(dir, "debug.log")
			nets := concMustLoadNets(t, map[string]string{net: concRenderNet(t, dir, net, debugFile, nil)})
			c := libcni.NewCNIConfigWithOptions([]string{bin}, nil, libcni.WithCacheDir(cacheDir))
			bg := context.Background()
			// An attachment to check or delete; stale for GC.
			require.NoError(t, concRun(bg, c, nets, concOp{Verb: "ADD", Net: net, Ctr: ctr, Tag: "setup-0-ADD"}))
			runsBefore := len(concSpans(t, debugFile))

			locker, err := lock.New(filepath.Join(cacheDir, "locks", tt.held))
			require.NoError(t, err)
			key := ctr
			if tt.held == "network" {
				key = net
			}
			h, err := locker.Lock(bg, key)
			require.NoError(t, err)

			goroutines, fds := runtime.NumGoroutine(), concOpenFDs()
			start := time.Now() // before ctx, so that ctx cannot end less than wait after it
			var (
				ctx    context.Context
				cancel context.CancelFunc
				want   error
			)
			if tt.cancel {
				ctx, cancel = context.WithCancel(bg)
				time.AfterFunc(wait, cancel)
				want = context.Canceled
			} else {
				ctx, cancel = context.WithTimeout(bg, wait)
				want = context.DeadlineExceeded
			}
			defer cancel()
			op := concOp{Verb: tt.verb, Net: net, Ctr: ctr, Tag: "waiting-0-" + tt.verb}
			if tt.verb == "GC" {
				op.Ctr = ""
			}
			done := make(chan error, 1)
			go func() { done <- concRun(ctx, c, nets, op) }()
			select {
			case err = <-done:
			case <-time.After(wait + 10*time.Second):
				require.NoError(t, h.Unlock())
				t.Fatalf("%s still waiting 10s after ctx ended; it returned %v once the lock was released", tt.verb, <-done)
			}
			elapsed := time.Since(start)
			require.ErrorIs(t, err, want)
			assert.GreaterOrEqual(t, elapsed, wait, "it waited for the lock until ctx ended")
			assert.Less(t, elapsed, wait+2*time.Second, "it returns soon after ctx ends")
			assert.Len(t, concSpans(t, debugFile), runsBefore, "no plugin ran")

			assert.True(t, concEventually(func() bool { return runtime.NumGoroutine() <= goroutines }, 5*time.Second),
				"goroutines: %d before, %d after", goroutines, runtime.NumGoroutine())
			if fds >= 0 {
				assert.True(t, concEventually(func() bool { return concOpenFDs() <= fds }, 5*time.Second),
					"open descriptors: %d before, %d after", fds, concOpenFDs())
			}

			require.NoError(t, h.Unlock(), "the holder still held its lock")
			lctx, lcancel := context.WithTimeout(bg, 10*time.Second)
			defer lcancel()
			h2, err := locker.Lock(lctx, key)
			require.NoError(t, err, "the lock is free again")
			require.NoError(t, h2.Unlock())
			op.Tag = "retry-0-" + tt.verb
			require.NoError(t, concRun(lctx, c, nets, op), "the operation works once the lock is free")
			assert.Len(t, concSpans(t, debugFile), runsBefore+tt.runs)
		})
	}
}

// TestLockFilesCleanedUpUnderConcurrency has many goroutines ADD and DEL
// containers of their own and shared ones through two CNIConfigs on one
// cache directory (they exclude each other through the lock files only,
// where a lock file removed by a DEL could let two holders in). No two
// runs for one container may overlap, and at the end only the attachments
// left in place have cache entries and (possibly) container lock files.
func TestLockFilesCleanedUpUnderConcurrency(t *testing.T) {
	t.Parallel()
	fe := newFakeExec()
	cacheDir := t.TempDir()
	path := []string{"/opt/cni/bin"}
	cfgs := []*libcni.CNIConfig{
		libcni.NewCNIConfigWithOptions(path, fe, libcni.WithCacheDir(cacheDir)),
		libcni.NewCNIConfigWithOptions(path, fe, libcni.WithCacheDir(cacheDir)),
	}
	var (
		mu         sync.Mutex
		inFlight   = map[string]int{}
		violations []string
		runs       atomic.Int64
	)
	fe.hook = func(ctx context.Context, call fakeCall) {
		id := call.Env["CNI_CONTAINERID"]
		mu.Lock()
		inFlight[id]++
		if inFlight[id] > 1 {
			violations = append(violations, fmt.Sprintf("%s %s while another run for it was in flight", call.Command, id))
		}
		mu.Unlock()
		runs.Add(1)
		time.Sleep(500 * time.Microsecond)
		mu.Lock()
		inFlight[id]--
		mu.Unlock()
	}
	lists := map[string]*libcni.NetworkConfigList{}
	for _, n := range []string{"lockA", "lockB"} {
		lists[n] = mustList(t, strings.Replace(listConf("1.0.0", "a"), "testnet", n, 1))
	}
	netNames := []string{"lockA", "lockB"}

	const goroutines, rounds = 8, 25
	ctrsOf := func(g int) []string { return []string{"shared0", "shared1", fmt.Sprintf("own%d", g)} }
	seed := concSeed(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errCh := make(chan error, goroutines*rounds*2)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, uint64(g)))
			c := cfgs[g%2]
			ctrs := ctrsOf(g)
			for i := range rounds {
				op := concOp{Net: netNames[r.IntN(2)], Ctr: ctrs[r.IntN(len(ctrs))], Tag: fmt.Sprintf("g%d-%d", g, i)}
				verbs := [][]string{{"ADD"}, {"DEL"}, {"ADD", "DEL"}, {"CHECK"}}[r.IntN(4)]
				for _, v := range verbs {
					op.Verb = v
					if err := concRun(ctx, c, lists, op); err != nil {
						errCh <- err
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errCh)
	for err := range errCh {
		t.Error(err)
	}
	mu.Lock()
	concNone(t, violations, "runs for one container overlapped")
	mu.Unlock()
	t.Logf("%d plugin runs", runs.Load())

	// Keep two attachments, delete all others, all at once.
	keep := map[[2]string]bool{{"lockA", "shared0"}: true, {"lockB", "own3"}: true}
	var all [][2]string
	for _, n := range netNames {
		for g := range goroutines {
			for _, ctr := range ctrsOf(g) {
				all = append(all, [2]string{n, ctr})
			}
		}
	}
	var wg2 sync.WaitGroup
	errs := make(chan error, len(all))
	seen := map[[2]string]bool{}
	for i, a := range all {
		if seen[a] {
			continue
		}
		seen[a] = true
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			op := concOp{Verb: "DEL", Net: a[0], Ctr: a[1], Tag: fmt.Sprintf("end-%d", i)}
			if keep[a] {
				op.Verb = "ADD"
			}
			if err := concRun(ctx, cfgs[i%2], lists, op); err != nil {
				errs <- err
			}
		}()
	}
	wg2.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	resultsDir := filepath.Join(cacheDir, "results")
	containerLocks := filepath.Join(cacheDir, "locks", "container")
	// On Windows a lock file that another Locker has open when the DEL
	// removes it is kept (see pkg/lock), so only the cache is checked there.
	checkLocks := runtime.GOOS != "windows"
	assert.Equal(t, []string{"lockA-shared0-" + concIfName, "lockB-own3-" + concIfName}, concDirNames(t, resultsDir))
	if checkLocks {
		assert.Subset(t, []string{"own3.lock", "shared0.lock"}, concLockFiles(t, containerLocks),
			"only containers still attached may have lock files")
	}

	for a := range keep {
		require.NoError(t, concRun(ctx, cfgs[0], lists, concOp{Verb: "DEL", Net: a[0], Ctr: a[1], Tag: "last"}))
	}
	assert.Empty(t, concDirNames(t, resultsDir))
	if checkLocks {
		assert.Empty(t, concLockFiles(t, containerLocks))
	}
	mu.Lock()
	concNone(t, violations, "runs for one container overlapped")
	mu.Unlock()
}

// TestRejectDuplicateAddConcurrent checks WithRejectDuplicateAdd with the
// debug plugin: of concurrent ADDs of one attachment through two
// CNIConfigs exactly one runs the plugin, the others fail with
// ErrAttachmentExists; other attachments of the container, a DEL and a
// failed ADD do not count as existing. By default a second ADD runs the
// plugin again, as in the reference library.
func TestRejectDuplicateAddConcurrent(t *testing.T) {
	t.Parallel()
	bin := plugintest.Build(t, plugintest.DebugPlugin)
	const net = "dupnet"

	t.Run("on", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		cacheDir := filepath.Join(dir, "cache")
		debugFile := filepath.Join(dir, "debug.log")
		nets := concMustLoadNets(t, map[string]string{net: concRenderNet(t, dir, net, debugFile, map[string]string{"ADD": "50ms"})})
		cfgs := []*libcni.CNIConfig{
			libcni.NewCNIConfigWithOptions([]string{bin}, nil, libcni.WithCacheDir(cacheDir), libcni.WithRejectDuplicateAdd(true)),
			libcni.NewCNIConfigWithOptions([]string{bin}, nil, libcni.WithCacheDir(cacheDir), libcni.WithRejectDuplicateAdd(true)),
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()

		const n = 6
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = concRun(ctx, cfgs[i%2], nets, concOp{Verb: "ADD", Net: net, Ctr: "dup", Tag: fmt.Sprintf("dup%d-0-ADD", i)})
			}()
		}
		wg.Wait()
		var winner string
		for i, err := range errs {
			if err == nil {
				assert.Empty(t, winner, "two ADDs of one attachment succeeded")
				winner = fmt.Sprintf("dup%d-0-ADD", i)
				continue
			}
			assert.ErrorIs(t, err, libcni.ErrAttachmentExists)
		}
		require.NotEmpty(t, winner, "one ADD must succeed")
		spans := concSpans(t, debugFile)
		require.Len(t, spans, 1, "the rejected ADDs ran no plugin")
		assert.Equal(t, winner, spans[0].Tag)

		// Another interface of the container is another attachment.
		eth1 := concOp{Verb: "ADD", Net: net, Ctr: "dup", Tag: "eth1-0-ADD"}.rt()
		eth1.IfName = "eth1"
		_, err := cfgs[0].AddNetworkList(ctx, nets[net], eth1)
		require.NoError(t, err)
		// After a DEL the attachment can be added again.
		require.NoError(t, concRun(ctx, cfgs[1], nets, concOp{Verb: "DEL", Net: net, Ctr: "dup", Tag: "dup-1-DEL"}))
		require.NoError(t, concRun(ctx, cfgs[0], nets, concOp{Verb: "ADD", Net: net, Ctr: "dup", Tag: "dup-2-ADD"}))
		err = concRun(ctx, cfgs[1], nets, concOp{Verb: "ADD", Net: net, Ctr: "dup", Tag: "dup-3-ADD"})
		require.ErrorIs(t, err, libcni.ErrAttachmentExists)

		// A failed ADD leaves nothing that counts as existing.
		failing, err := libcni.ConfListFromBytes(fmt.Appendf(nil, `{"cniVersion":"1.1.0","name":%q,"plugins":[
			{"type":"debug","debugFile":%q,"failOn":{"ADD":{"code":11,"msg":"try later"}}}]}`, net, debugFile))
		require.NoError(t, err)
		failOp := concOp{Verb: "ADD", Net: net, Ctr: "fails", Tag: "fails-0-ADD"}
		err = concRun(ctx, cfgs[0], map[string]*libcni.NetworkConfigList{net: failing}, failOp)
		require.Error(t, err)
		assert.NotErrorIs(t, err, libcni.ErrAttachmentExists)
		failOp.Tag = "fails-1-ADD"
		require.NoError(t, concRun(ctx, cfgs[1], nets, failOp))

		var tags []string
		for _, s := range concSpansAny(t, debugFile) {
			tags = append(tags, fmt.Sprintf("%s %s %d", s.Cmd, s.Tag, s.Exit))
		}
		assert.Equal(t, []string{"ADD " + winner + " 0", "ADD eth1-0-ADD 0", "DEL dup-1-DEL 0", "ADD dup-2-ADD 0",
			"ADD fails-0-ADD 1", "ADD fails-1-ADD 0"}, tags)
	})

	t.Run("off by default", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		debugFile := filepath.Join(dir, "debug.log")
		nets := concMustLoadNets(t, map[string]string{net: concRenderNet(t, dir, net, debugFile, nil)})
		c := libcni.NewCNIConfigWithOptions([]string{bin}, nil, libcni.WithCacheDir(filepath.Join(dir, "cache")))
		ctx := context.Background()
		require.NoError(t, concRun(ctx, c, nets, concOp{Verb: "ADD", Net: net, Ctr: "dup", Tag: "a-0-ADD"}))
		require.NoError(t, concRun(ctx, c, nets, concOp{Verb: "ADD", Net: net, Ctr: "dup", Tag: "a-1-ADD"}), "drop-in behaviour: the second ADD runs")
		spans := concSpans(t, debugFile)
		require.Len(t, spans, 2)
		assert.Equal(t, "a-1-ADD", spans[1].Tag)
	})
}

// TestGCExclusiveRecorded checks with the debug plugin that a GC started
// while an ADD of its network is in flight waits for it, and that ADD,
// CHECK and DEL of the network started while a GC runs wait for the GC,
// while another network is not held up.
func TestGCExclusiveRecorded(t *testing.T) {
	t.Parallel()
	bin := plugintest.Build(t, plugintest.DebugPlugin)

	t.Run("GC waits for in-flight ADD", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		debugFile := filepath.Join(dir, "debug.log")
		const net = "gcwait"
		nets := concMustLoadNets(t, map[string]string{net: concRenderNet(t, dir, net, debugFile, map[string]string{"ADD": "300ms"})})
		addRunning := make(chan struct{})
		var once sync.Once
		hook := newConcHookExec(func(ctx context.Context, env map[string]string) {
			if env["CNI_COMMAND"] == "ADD" {
				once.Do(func() { close(addRunning) })
			}
		})
		c := libcni.NewCNIConfigWithOptions([]string{bin}, hook, libcni.WithCacheDir(filepath.Join(dir, "cache")))
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()

		addDone := make(chan error, 1)
		go func() {
			addDone <- concRun(ctx, c, nets, concOp{Verb: "ADD", Net: net, Ctr: "slow", Tag: "slow-0-ADD"})
		}()
		select {
		case <-addRunning:
		case <-ctx.Done():
			t.Fatal("the ADD did not start")
		}
		require.NoError(t, concRun(ctx, c, nets, concOp{Verb: "GC", Net: net, Tag: "gc-0-GC", Valid: []string{"slow"}}))
		require.NoError(t, <-addDone)

		spans := concSpans(t, debugFile)
		add, gc := concOnly(spans, "ADD", net), concOnly(spans, "GC", net)
		require.Len(t, add, 1)
		require.Len(t, gc, 1)
		assert.False(t, gc[0].Start.Before(add[0].End), "GC %v started before the ADD %v ended", gc[0], add[0])
		assert.Len(t, spans, 2, "the valid attachment was not deleted")
	})

	t.Run("operations wait for running GC", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		debugFile := filepath.Join(dir, "debug.log")
		const net, other = "gcrun", "gcother"
		nets := concMustLoadNets(t, map[string]string{
			net:   concRenderNet(t, dir, net, debugFile, map[string]string{"GC": "300ms"}),
			other: concRenderNet(t, dir, other, debugFile, nil),
		})
		gcEntered, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		hook := newConcHookExec(func(ctx context.Context, env map[string]string) {
			if env["CNI_COMMAND"] != "GC" {
				return
			}
			once.Do(func() {
				close(gcEntered)
				select { // hold the GC (and its network lock) until released
				case <-release:
				case <-ctx.Done():
				}
			})
		})
		c := libcni.NewCNIConfigWithOptions([]string{bin}, hook, libcni.WithCacheDir(filepath.Join(dir, "cache")))
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for _, op := range []concOp{
			{Verb: "ADD", Net: net, Ctr: "c1", Tag: "pre-0-ADD"},
			{Verb: "ADD", Net: net, Ctr: "stale", Tag: "pre-1-ADD"},
		} {
			require.NoError(t, concRun(ctx, c, nets, op))
		}

		gcDone := make(chan error, 1)
		go func() {
			gcDone <- concRun(ctx, c, nets, concOp{Verb: "GC", Net: net, Tag: "gc-0-GC", Valid: []string{"c1"}})
		}()
		select {
		case <-gcEntered:
		case <-ctx.Done():
			t.Fatal("the GC did not start")
		}
		// The GC holds its network; the same container in another network
		// goes ahead.
		require.NoError(t, concRun(ctx, c, nets, concOp{Verb: "ADD", Net: other, Ctr: "c1", Tag: "other-0-ADD"}))

		waiting := []concOp{
			{Verb: "ADD", Net: net, Ctr: "c2", Tag: "during-0-ADD"},
			{Verb: "CHECK", Net: net, Ctr: "c1", Tag: "during-1-CHECK"},
			{Verb: "DEL", Net: net, Ctr: "c3", Tag: "during-2-DEL"},
		}
		var finished atomic.Int32
		errs := make(chan error, len(waiting))
		for _, op := range waiting {
			go func() {
				errs <- concRun(ctx, c, nets, op)
				finished.Add(1)
			}()
		}
		time.Sleep(200 * time.Millisecond)
		assert.Zero(t, finished.Load(), "operations finished while the GC held their network")
		close(release)
		require.NoError(t, <-gcDone)
		for range waiting {
			require.NoError(t, <-errs)
		}

		spans := concSpans(t, debugFile)
		gc := concOnly(spans, "GC", net)
		require.Len(t, gc, 1)
		byTag := concByTag(spans)
		for _, op := range waiting {
			require.Len(t, byTag[op.Tag], 1, op.Tag)
			s := byTag[op.Tag][0]
			assert.False(t, s.Start.Before(gc[0].End), "%v started before the GC %v ended", s, gc[0])
		}
		require.Len(t, byTag["other-0-ADD"], 1)
		assert.True(t, byTag["other-0-ADD"][0].End.Before(gc[0].Start), "the other network ran while the GC was held")
		var staleDel []concSpan
		for _, s := range spans {
			if s.GCDel {
				staleDel = append(staleDel, s)
			}
		}
		require.Len(t, staleDel, 1, "GC deleted the stale attachment")
		assert.Equal(t, "stale", staleDel[0].Ctr)
		assert.True(t, staleDel[0].End.Before(gc[0].Start))
	})
}

// TestConcAnalyse checks the checker of the stress tests on made-up runs,
// so each rule it enforces is shown to be able to fail.
func TestConcAnalyse(t *testing.T) {
	t.Parallel()
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(from, to int) (time.Time, time.Time) {
		return base.Add(time.Duration(from) * time.Millisecond), base.Add(time.Duration(to) * time.Millisecond)
	}
	run := func(cmd, net, ctr, tag string, from, to int) concSpan {
		s := concSpan{Cmd: cmd, Net: net, Ctr: ctr, Tag: tag}
		s.Start, s.End = at(from, to)
		s.GCDel = cmd == "DEL" && strings.HasSuffix(tag, "-ADD")
		return s
	}
	group := func(tag string) string { g, _, _ := strings.Cut(tag, "-"); return g }
	tests := []struct {
		name                 string
		spans                []concSpan
		sameCtr, gc          int
		parallel, crossGroup int
	}{
		{"one container across networks, back to back", []concSpan{
			run("ADD", "a", "c1", "p-0-ADD", 0, 10), run("DEL", "b", "c1", "q-0-DEL", 10, 20),
		}, 0, 0, 0, 0},
		{"one container across networks, overlapping", []concSpan{
			run("ADD", "a", "c1", "p-0-ADD", 0, 10), run("CHECK", "b", "c1", "q-0-CHECK", 9, 20),
		}, 1, 0, 0, 0},
		{"different containers in parallel", []concSpan{
			run("ADD", "a", "c1", "p-0-ADD", 0, 10), run("ADD", "a", "c2", "q-0-ADD", 5, 15),
			run("DEL", "a", "c3", "p-1-DEL", 6, 12),
		}, 0, 0, 3, 2},
		{"GC alone, stale DEL inside its window", []concSpan{
			run("ADD", "a", "c1", "p-0-ADD", 0, 10),
			run("DEL", "a", "c1", "p-0-ADD", 11, 20), run("GC", "a", "", "", 21, 30),
			run("ADD", "b", "c2", "q-0-ADD", 12, 25), // other network: fine
			run("ADD", "a", "c2", "q-1-ADD", 31, 40),
		}, 0, 0, 1, 1},
		{"operation overlapping a GC run", []concSpan{
			run("GC", "a", "", "", 0, 10), run("CHECK", "a", "c2", "q-0-CHECK", 9, 20),
		}, 0, 1, 0, 0},
		{"operation overlapping a GC's stale DEL phase", []concSpan{
			run("DEL", "a", "c1", "p-0-ADD", 0, 10), run("GC", "a", "", "", 20, 30),
			run("ADD", "a", "c2", "q-0-ADD", 12, 15),
		}, 0, 1, 0, 0},
		{"stale DEL with no GC run after it", []concSpan{
			run("GC", "a", "", "", 0, 10), run("DEL", "a", "c1", "p-0-ADD", 11, 20),
		}, 0, 1, 0, 0},
		{"two GCs of one network overlapping", []concSpan{
			run("GC", "a", "", "", 0, 10), run("GC", "a", "", "", 5, 15),
		}, 0, 1, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := concAnalyse(tt.spans, group)
			assert.Len(t, rep.SameContainer, tt.sameCtr, "same container: %v", rep.SameContainer)
			assert.Len(t, rep.GCNotAlone, tt.gc, "GC not alone: %v", rep.GCNotAlone)
			assert.Equal(t, tt.parallel, rep.ParallelPairs, "parallel pairs")
			assert.Equal(t, tt.crossGroup, rep.CrossGroupPairs, "cross-group pairs")
		})
	}
}
