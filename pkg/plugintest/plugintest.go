// Package plugintest helps tests run real plugin executables: it compiles
// main packages once per test binary, reads the records of the debug
// example plugin, and turns a missing prerequisite into a skip, or into a
// failure when running in CI.
//
// Build keeps one package-level cache (a mutex-guarded map) so that every
// test of a test binary shares the executables of a package set, and
// RealPlugins probes for the real plugins once per test binary. Those two
// are the only mutable state of this package; they exist for test support
// only and are safe for parallel tests. The executables live in
// temporary directories that are removed by Cleanup, which a TestMain may
// call after m.Run; without it they stay in the system temp directory.
package plugintest

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/cnirt/cni/pkg/plugintest/debugrecord"
)

// Well-known example plugins, by import path.
const (
	// NoopPlugin is the import path of the noop example plugin.
	NoopPlugin = "github.com/cnirt/cni/examples/plugins/noop"
	// DebugPlugin is the import path of the debug example plugin.
	DebugPlugin = "github.com/cnirt/cni/examples/plugins/debug"
)

// build is one compilation of a package set, done at most once.
type build struct {
	once sync.Once
	dir  string
	out  string
	err  error
}

// builds caches compilations by package set for the life of the test
// binary (test support only; see the package documentation).
var builds struct {
	mu  sync.Mutex
	set map[string]*build
}

// Build compiles the named main packages into one directory, once per test
// binary and package set, and returns the directory. Each executable is
// named after the last element of its import path (with ".exe" on
// Windows). A missing go command is reported through RequireCI; a
// compilation error fails the test with the compiler's output.
func Build(t testing.TB, pkgs ...string) string {
	t.Helper()
	if len(pkgs) == 0 {
		t.Fatalf("plugintest.Build: no packages named")
	}
	sorted := append([]string(nil), pkgs...)
	sort.Strings(sorted)
	key := strings.Join(sorted, "\n")

	builds.mu.Lock()
	if builds.set == nil {
		builds.set = map[string]*build{}
	}
	b := builds.set[key]
	if b == nil {
		b = &build{}
		builds.set[key] = b
	}
	builds.mu.Unlock()

	goCmd, err := goTool()
	if err != nil {
		RequireCI(t, "the go command (needed to build test plugins): "+err.Error())
		return ""
	}
	b.once.Do(func() { b.dir, b.out, b.err = compile(goCmd, sorted) })
	if b.err != nil {
		t.Fatalf("plugintest.Build %v: %v\n%s", sorted, b.err, b.out)
	}
	return b.dir
}

func goTool() (string, error) {
	p, err := exec.LookPath("go")
	if err == nil {
		return p, nil
	}
	// go test puts $GOROOT/bin first on PATH; GOROOT is the fallback
	// for a test binary run by hand.
	if root := os.Getenv("GOROOT"); root != "" {
		cand := filepath.Join(root, "bin", "go")
		if runtime.GOOS == "windows" {
			cand += ".exe"
		}
		if _, serr := os.Stat(cand); serr == nil {
			return cand, nil
		}
	}
	return "", err
}

func compile(goCmd string, pkgs []string) (string, string, error) {
	dir, err := os.MkdirTemp("", "cnirt-plugins-")
	if err != nil {
		return "", "", err
	}
	args := append([]string{"build", "-o", dir + string(filepath.Separator)}, pkgs...)
	cmd := exec.Command(goCmd, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		_ = os.RemoveAll(dir)
		return "", string(out), err
	}
	return dir, string(out), nil
}

// Cleanup removes every directory Build created. Call it from TestMain
// after m.Run; Build must not be called afterwards.
func Cleanup() {
	builds.mu.Lock()
	defer builds.mu.Unlock()
	for k, b := range builds.set {
		if b.dir != "" {
			_ = os.RemoveAll(b.dir)
		}
		delete(builds.set, k)
	}
}

// Exe returns the path of the executable named name in a directory made
// by Build, adding ".exe" on Windows.
func Exe(dir, name string) string {
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	return filepath.Join(dir, name)
}

// DebugRecord is one invocation of the debug example plugin; see package
// debugrecord for the fields.
type DebugRecord = debugrecord.Record

// ReadDebugLog returns the records the debug plugin appended to file, in
// order. A file that does not exist yields no records; a file that cannot
// be read or parsed fails the test.
func ReadDebugLog(t testing.TB, file string) []DebugRecord {
	t.Helper()
	recs, err := debugrecord.ReadFile(file)
	if err != nil {
		t.Fatalf("plugintest.ReadDebugLog: %v", err)
	}
	return recs
}

// RequireCI reports a missing test prerequisite, described by what: when
// the environment variable CI is "true" the test fails, since CI must run
// everything; otherwise it is skipped.
func RequireCI(t testing.TB, what string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("missing test prerequisite in CI: %s", what)
		return
	}
	t.Skipf("skipping: missing test prerequisite: %s", what)
}

// Run is the outcome of one plugin process started by Exec.
type Run struct {
	// Stdout and Stderr are what the plugin wrote.
	Stdout, Stderr []byte
	// ExitCode is the plugin's exit status.
	ExitCode int
}

// Exec runs the executable at path with exactly the environment env
// ("KEY=VALUE" entries, nothing inherited) and stdin as standard input,
// and returns what it printed and its exit status. Failing to start the
// process fails the test.
func Exec(t testing.TB, path string, env []string, stdin []byte) Run {
	t.Helper()
	cmd := exec.Command(path)
	cmd.Env = append([]string{}, env...)
	if runtime.GOOS == "windows" {
		// Windows programs need SYSTEMROOT to start at all.
		cmd.Env = append(cmd.Env, "SYSTEMROOT="+os.Getenv("SYSTEMROOT"))
	}
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	r := Run{Stdout: out.Bytes(), Stderr: errOut.Bytes()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.ExitCode = ee.ExitCode()
	default:
		t.Fatalf("plugintest.Exec %s: %v", path, err)
	}
	return r
}
