// Command clients proves that real CNI clients run on cnirt through one
// replace directive in their go.mod, with no change to their source, each
// side by side with the same client on the reference library
// (github.com/containernetworking/cni v1.3.1) in one run:
//
//		go build -o /tmp/clients ./examples/internal/clients
//		/tmp/clients [flags] all          # or: build, gocni, plugins, pods
//
//	  - gocni: github.com/containerd/go-cni (GoCNIVersion) in two scratch
//	    copies of its module, one unmodified and one with the replace line
//	    added to its go.mod: its unit tests, then an integration test
//	    (testdata/gocni-integration: real bridge + host-local + loopback in
//	    network namespaces) that runs in a private network and mount
//	    namespace made for the run;
//	  - plugins: containernetworking/plugins (realplugins.Version) built with
//	    the replace into their own directory, and cnirt's end-to-end tests
//	    (libcni, pkg/sandbox, the demo) run once with the plugins built on
//	    the reference and once with these;
//	  - pods: containerd (ContainerdVersion), built twice from a wrapper main
//	    module (containerd's own main package, the replace only in the
//	    wrapper's go.mod), with runc, the runc shim, ctr and crictl from the
//	    module proxy and a pause image the driver makes; N pods are started
//	    with `crictl runp` (several at once) over a bridge + host-local
//	    .conflist for cniVersion 1.0.0 and 1.1.0, checked for addresses and
//	    reachability, then stopped and removed and checked for leaks. All of
//	    it runs in a private network and mount namespace.
//
// The replace line points github.com/containernetworking/cni at the
// compatibility shim in this repository (the nested module compat/, whose
// packages sit at the reference's import paths). While cnirt has no
// release on the module proxy, a second line points github.com/cnirt/cni,
// which the shim requires, at this repository; with a release that line
// goes away.
//
// Built binaries are cached under -cache (default /var/cache/cnirt-ci/clients),
// keyed by version and, for everything that embeds cnirt, by a hash of
// cnirt's sources. The driver exits non-zero when anything fails or is
// missing.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Versions of the clients, all from the Go module proxy.
const (
	GoCNIModule       = "github.com/containerd/go-cni"
	GoCNIVersion      = "v1.1.15"
	ContainerdModule  = "github.com/containerd/containerd/v2"
	ContainerdVersion = "v2.4.2"
	RuncModule        = "github.com/opencontainers/runc"
	RuncVersion       = "v1.5.3"
	CriToolsModule    = "sigs.k8s.io/cri-tools"
	CriToolsVersion   = "v1.37.0"
	refModule         = "github.com/containernetworking/cni"
	ourModule         = "github.com/cnirt/cni"
)

// options are the command-line settings shared by the steps.
type options struct {
	repo     string // root of this repository
	cache    string // cache directory for built binaries
	work     string // scratch directory of this run
	keep     bool
	pods     int
	parallel int
	verbose  bool
	variants []string // "REF", "cnirt"
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	var o options
	fs := flag.NewFlagSet("clients", flag.ContinueOnError)
	fs.StringVar(&o.repo, "repo", "", "root of the cnirt repository (default: the module root of the current directory)")
	fs.StringVar(&o.cache, "cache", "/var/cache/cnirt-ci/clients", "cache directory for built binaries")
	fs.BoolVar(&o.keep, "keep", false, "keep the scratch directory")
	fs.IntVar(&o.pods, "n", 6, "pods per scenario")
	fs.IntVar(&o.parallel, "parallel", 3, "pods started at once")
	fs.BoolVar(&o.verbose, "v", false, "show the output of every command")
	variants := fs.String("variants", "REF,cnirt", "which sides to run: REF (the reference library), cnirt (through the replace), or both")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	o.variants = strings.Split(*variants, ",")
	if fs.NArg() < 1 {
		fmt.Fprintln(os.Stderr, "usage: clients [flags] all|build|gocni|plugins|pods")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	step := fs.Arg(0)
	if step == innerPods {
		// Re-executed by pods inside the private namespaces.
		if err := podsInner(ctx, fs.Args()[1:]); err != nil {
			fmt.Fprintln(os.Stderr, "clients:", err)
			return 1
		}
		return 0
	}
	if o.repo == "" {
		out, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil || strings.TrimSpace(string(out)) == "" || strings.TrimSpace(string(out)) == os.DevNull {
			fmt.Fprintln(os.Stderr, "clients: run from inside the cnirt repository or pass -repo")
			return 1
		}
		o.repo = filepath.Dir(strings.TrimSpace(string(out)))
	}
	work, err := os.MkdirTemp("", "cnirt-clients-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "clients:", err)
		return 1
	}
	o.work = work
	if !o.keep {
		defer os.RemoveAll(work)
	} else {
		fmt.Println("scratch directory:", work)
	}
	steps := []string{step}
	if step == "all" {
		steps = []string{"gocni", "plugins", "pods"}
	}
	var failed []string
	for _, s := range steps {
		start := time.Now()
		fmt.Printf("\n--- clients %s\n", s)
		var err error
		switch s {
		case "build":
			_, err = buildAll(ctx, &o)
		case "gocni":
			err = goCNI(ctx, &o)
		case "plugins":
			err = pluginsStep(ctx, &o)
		case "pods":
			err = podsStep(ctx, &o)
		default:
			fmt.Fprintf(os.Stderr, "clients: unknown step %q\n", s)
			return 2
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "clients %s: FAIL: %v\n", s, err)
			failed = append(failed, s)
		} else {
			fmt.Printf("clients %s: ok (%s)\n", s, time.Since(start).Round(time.Second))
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(os.Stderr, "clients: failed steps: %s\n", strings.Join(failed, ", "))
		return 1
	}
	return 0
}

// cmdError reports a failed command with its output.
type cmdError struct {
	args   []string
	dir    string
	output string
	err    error
}

func (e *cmdError) Error() string {
	return fmt.Sprintf("%s (in %s): %v\n%s", strings.Join(e.args, " "), e.dir, e.err, tail(e.output, 60))
}

func (e *cmdError) Unwrap() error { return e.err }

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// failureLines picks from verbose test output the lines that say what
// failed (--- FAIL, error traces, panics), each with a few lines after it.
func failureLines(out string) string {
	lines := strings.Split(out, "\n")
	var picked []string
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if strings.Contains(l, "--- FAIL") || strings.Contains(l, "Error:") || strings.HasPrefix(l, "panic:") ||
			strings.Contains(l, "Error Trace:") || strings.HasPrefix(l, "FAIL") {
			end := min(len(lines), i+4)
			picked = append(picked, lines[i:end]...)
			i = end - 1
		}
	}
	if len(picked) == 0 {
		return tail(out, 40)
	}
	return tail(strings.Join(picked, "\n"), 80)
}

// runner runs commands in a directory with extra environment.
type runner struct {
	dir     string
	env     []string
	verbose bool
	stdout  io.Writer // where verbose output goes; nil = os.Stdout
}

// run runs args and returns the combined output; a failure returns a
// *cmdError quoting the output.
func (r runner) run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), r.env...)
	cmd.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	if r.verbose {
		w := r.stdout
		if w == nil {
			w = os.Stdout
		}
		cmd.Stdout = io.MultiWriter(&out, w)
		cmd.Stderr = cmd.Stdout
	} else {
		cmd.Stdout = &out
		cmd.Stderr = &out
	}
	if err := cmd.Run(); err != nil {
		return out.String(), &cmdError{args: args, dir: r.dir, output: out.String(), err: err}
	}
	return out.String(), nil
}

// output runs args and returns what they printed on stdout; a failure
// returns a *cmdError quoting stdout and stderr.
func (r runner) output(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), r.env...)
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), &cmdError{args: args, dir: r.dir, output: stdout.String() + stderr.String(), err: err}
	}
	return stdout.String(), nil
}

// goEnv is the environment of every go command of the driver: module mode
// whatever the scratch module holds, no workspace, the proxy for modules.
var goEnv = []string{"GOFLAGS=-mod=mod", "GOWORK=off"}

// replacement says how a client's go.mod points the reference's module
// path at cnirt.
type replacement struct {
	shimDir   string   // directory of the module declaring refModule
	lines     []string // replace directives, without the "replace " keyword
	needsRoot bool     // the shim requires ourModule
}

// findShim locates the compatibility shim in repo: the nested module whose
// packages sit at the reference's import paths (module path
// github.com/cnirt/cni/compat, or the reference's own).
func findShim(repo string) (replacement, error) {
	var found []string
	err := filepath.WalkDir(repo, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != repo && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || d.Name() != "go.mod" || path == filepath.Join(repo, "go.mod") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if mp := modulePath(data); mp == refModule || mp == ourModule+"/compat" {
			found = append(found, filepath.Dir(path))
		}
		return nil
	})
	if err != nil {
		return replacement{}, err
	}
	if len(found) != 1 {
		return replacement{}, fmt.Errorf("want exactly one module declaring %s or %s/compat under %s (the compatibility shim), found %d: %v", refModule, ourModule, repo, len(found), found)
	}
	r := replacement{shimDir: found[0]}
	r.lines = []string{refModule + " => " + r.shimDir}
	data, err := os.ReadFile(filepath.Join(r.shimDir, "go.mod"))
	if err != nil {
		return replacement{}, err
	}
	if strings.Contains(string(data), ourModule+" v") {
		r.needsRoot = true
		r.lines = append(r.lines, ourModule+" => "+repo)
	}
	return r, nil
}

// modulePath returns the module path of a go.mod file's text.
func modulePath(gomod []byte) string {
	for _, line := range strings.Split(string(gomod), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`)
		}
	}
	return ""
}

// addReplace appends the replace directives to the go.mod at path.
func addReplace(path string, lines []string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var b strings.Builder
	b.Write(data)
	if len(data) > 0 && data[len(data)-1] != '\n' {
		b.WriteByte('\n')
	}
	for _, l := range lines {
		b.WriteString("\nreplace " + l + "\n")
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// sourceHash hashes what cnirt's library is built from: every non-test Go
// file, go.mod and go.sum of the repository outside examples/, .git and
// testdata, the shim included. Binaries that embed cnirt are cached under
// it so they are rebuilt whenever cnirt changes.
func sourceHash(repo string) (string, error) {
	var files []string
	err := filepath.WalkDir(repo, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(repo, path)
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || rel == "examples") {
				return filepath.SkipDir
			}
			return nil
		}
		n := d.Name()
		if (strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go")) || n == "go.mod" || n == "go.sum" {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	sort.Strings(files)
	h := sha256.New()
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(repo, f))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", filepath.ToSlash(f), len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// moduleDir downloads mod@version through the module proxy and returns the
// directory of its (read-only) copy in the module cache.
func moduleDir(ctx context.Context, work, mod, version string) (string, error) {
	out, err := runner{dir: work, env: goEnv}.run(ctx, "go", "mod", "download", "-json", mod+"@"+version)
	if err != nil {
		return "", err
	}
	const key = `"Dir": "`
	i := strings.Index(out, key)
	if i < 0 {
		return "", fmt.Errorf("go mod download %s@%s printed no Dir:\n%s", mod, version, out)
	}
	rest := out[i+len(key):]
	return rest[:strings.Index(rest, `"`)], nil
}

// scratchModule copies the client module at src into dir, runs extra on
// the copy when it is not nil (to add files before the module is tidied),
// adds the replace lines to its go.mod for the "cnirt" variant, tidies it
// and checks which cni module it resolves to. It returns a runner in dir.
func scratchModule(ctx context.Context, o *options, src, dir, variant string, extra func(dir string) error) (runner, error) {
	r := runner{dir: dir, env: goEnv, verbose: o.verbose}
	if err := copyTree(src, dir); err != nil {
		return r, err
	}
	if extra != nil {
		if err := extra(dir); err != nil {
			return r, err
		}
	}
	if variant == "cnirt" {
		repl, err := findShim(o.repo)
		if err != nil {
			return r, err
		}
		if err := addReplace(filepath.Join(dir, "go.mod"), repl.lines); err != nil {
			return r, err
		}
	}
	if _, err := r.run(ctx, "go", "mod", "tidy"); err != nil {
		return r, err
	}
	return r, checkCNIResolution(ctx, r, variant)
}

// copyTree copies the regular files of src into dst, writable.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, info.Mode().Perm()|0o200)
	})
}

// median returns the median of ds (0 for none).
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// wants reports whether the variant v is to run.
func (o *options) wants(v string) bool {
	for _, w := range o.variants {
		if w == v {
			return true
		}
	}
	return false
}

// errMissing marks a missing prerequisite.
var errMissing = errors.New("missing prerequisite")
