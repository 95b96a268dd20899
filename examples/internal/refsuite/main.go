// Command refsuite runs the reference library's own test suites
// (github.com/containernetworking/cni, the release named by RefVersion)
// against cnirt:
//
//	go run ./examples/internal/refsuite [-keep] [-v] [-replace]
//
// It asks the Go module proxy for the reference release (go mod download
// -json), makes a scratch copy of this repository without cnirt's own tests,
// and places beside cnirt's packages the reference's _test.go files and the
// test helpers they import (invoke fakes, legacy examples, the noop and
// sleep test plugins), with import paths rewritten to cnirt's. Ginkgo and
// Gomega are added to the scratch copy's go.mod only; nothing of the
// reference is written into this repository.
//
// Two adaptations are made, both mechanical: gomega's MatchError with a
// string expects the reference's text to be contained in cnirt's (cnirt adds
// context around it, never inside it), and the white-box skel suite reaches
// the dispatcher through cnirt's exported Dispatcher.Run.
//
// With -replace the imports are left alone instead: the suites run in a
// scratch module of their own that reaches cnirt through the compat shim
// (compat/) and a go.mod replace, as a runtime would; see replace.go. The
// expectations and the closing line are the same.
//
// The file expectations.txt beside this program lists the specs that are
// skipped (they need the reference's git history) and the specs cnirt fails
// on purpose, each with a one-line reason. The program exits non-zero when
// any other spec fails, when a listed failure passes, when a listed spec no
// longer exists, or when a suite cannot be built or run. It closes with
//
//	refsuite: N passed, M failed, K skipped (deliberate: D)
//
// where M counts every failing spec, D of which are listed deliberate ones.
package main

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// RefModule and RefVersion name the reference release whose suites run.
const (
	RefModule  = "github.com/containernetworking/cni"
	RefVersion = "v1.3.1"
	ourModule  = "github.com/cnirt/cni"
)

//go:embed expectations.txt
var expectationsText string

func main() {
	keep := flag.Bool("keep", false, "keep the scratch copy and print its path")
	verbose := flag.Bool("v", false, "print the whole go test output")
	replace := flag.Bool("replace", false, "leave the imports alone and reach cnirt through the compat shim with a go.mod replace (see replace.go)")
	flag.Parse()
	prep := prepare
	if *replace {
		prep = prepareReplace
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, *keep, *verbose, prep, os.Stdout)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, keep, verbose bool, prepare func(ctx context.Context, repo, ref, dst string) error, out io.Writer) int {
	exp, err := parseExpectations(expectationsText)
	if err != nil {
		fmt.Fprintf(out, "refsuite: expectations.txt: %v\n", err)
		return 2
	}
	repo, err := repoRoot(ctx)
	if err != nil {
		fmt.Fprintf(out, "refsuite: %v\n", err)
		return 2
	}
	refDir, err := downloadReference(ctx)
	if err != nil {
		fmt.Fprintf(out, "refsuite: %v\n", err)
		return 2
	}
	scratch, err := os.MkdirTemp("", "cnirt-refsuite-")
	if err != nil {
		fmt.Fprintf(out, "refsuite: %v\n", err)
		return 2
	}
	if keep {
		fmt.Fprintf(out, "refsuite: scratch copy in %s\n", scratch)
	} else {
		defer os.RemoveAll(scratch)
	}
	if err := prepare(ctx, repo, refDir, scratch); err != nil {
		fmt.Fprintf(out, "refsuite: preparing the scratch copy: %v\n", err)
		return 2
	}
	results, log, err := runSuites(ctx, scratch, exp)
	if verbose || err != nil {
		out.Write(log)
	}
	if err != nil {
		fmt.Fprintf(out, "refsuite: %v\n", err)
		return 1
	}
	sum := judge(results, exp)
	sum.print(out)
	if !sum.ok() {
		return 1
	}
	return 0
}

// repoRoot returns the directory of this module's go.mod.
func repoRoot(ctx context.Context) (string, error) {
	b, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(b))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("run refsuite inside the cnirt module")
	}
	mod, err := os.ReadFile(gomod)
	if err != nil {
		return "", err
	}
	if !bytes.HasPrefix(mod, []byte("module "+ourModule+"\n")) {
		return "", fmt.Errorf("%s is not the %s module", gomod, ourModule)
	}
	return filepath.Dir(gomod), nil
}

// downloadReference fetches the reference release into the module cache
// through the module proxy and returns its directory.
func downloadReference(ctx context.Context) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", RefModule+"@"+RefVersion)
	cmd.Dir = os.TempDir() // outside any module: go.mod is not touched
	cmd.Env = append(os.Environ(), "GO111MODULE=on", "GOFLAGS=-mod=mod")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	var info struct {
		Dir   string
		Error string
	}
	if jerr := json.Unmarshal(b, &info); jerr != nil && err == nil {
		err = jerr
	}
	if info.Error != "" {
		return "", fmt.Errorf("go mod download %s@%s: %s", RefModule, RefVersion, info.Error)
	}
	if err != nil {
		return "", fmt.Errorf("go mod download %s@%s: %w: %s", RefModule, RefVersion, err, stderr.Bytes())
	}
	return info.Dir, nil
}

// placement maps a reference directory to a scratch directory. With tests
// set only the _test.go files are taken, otherwise every .go file (a test
// helper or test plugin package).
type placement struct {
	from, to string
	tests    bool
}

var placements = []placement{
	{"libcni", "libcni", true},
	{"pkg/invoke", "invoke", true},
	{"pkg/invoke/fakes", "invoke/fakes", false},
	{"pkg/skel", "pkg/skel", true},
	{"pkg/types", "types", true},
	{"pkg/types/020", "types/020", true},
	{"pkg/types/040", "types/040", true},
	{"pkg/types/100", "types/100", true},
	{"pkg/utils", "pkg/utils", true},
	{"pkg/version", "version", true},
	{"pkg/version/legacy_examples", "version/legacy_examples", false},
	{"pkg/version/testhelpers", "version/testhelpers", false},
	{"plugins/test/noop", "plugins/test/noop", false},
	{"plugins/test/noop/debug", "plugins/test/noop/debug", false},
	{"plugins/test/sleep", "plugins/test/sleep", false},
}

// suitePackages are the scratch packages whose suites run, in order.
var suitePackages = []string{
	"libcni", "invoke", "pkg/skel", "types", "types/020", "types/040", "types/100",
	"pkg/utils", "version", "version/legacy_examples", "version/testhelpers", "plugins/test/noop",
}

// importRewrites turn the reference's import paths into cnirt's; the first
// matching prefix wins.
var importRewrites = []struct{ from, to string }{
	{RefModule + "/pkg/skel", ourModule + "/pkg/skel"},
	{RefModule + "/pkg/utils", ourModule + "/pkg/utils"},
	{RefModule + "/pkg/", ourModule + "/"},
	{RefModule + "/", ourModule + "/"},
}

var refPathRE = regexp.MustCompile(regexp.QuoteMeta(RefModule) + `/[A-Za-z0-9_./-]*`)

// rewriteImports replaces every reference package path in src.
func rewriteImports(src string) string {
	return refPathRE.ReplaceAllStringFunc(src, func(p string) string {
		for _, r := range importRewrites {
			if strings.HasPrefix(p, r.from) {
				return r.to + strings.TrimPrefix(p, r.from)
			}
		}
		return p
	})
}

var (
	matchErrorRE = regexp.MustCompile(`\bMatchError\(`)
	packageRE    = regexp.MustCompile(`(?m)^package (\w+)`)
)

// relaxMatchError makes MatchError go through refsuiteMatchError, which
// accepts a cnirt text containing the reference's.
func relaxMatchError(src string) (string, bool) {
	if !matchErrorRE.MatchString(src) {
		return src, false
	}
	return matchErrorRE.ReplaceAllString(src, "refsuiteMatchError("), true
}

const matchErrorShim = `package %s

import (
	"github.com/onsi/gomega"
	gomegatypes "github.com/onsi/gomega/types"
)

// refsuiteMatchError is gomega's MatchError, except that an expected string
// needs only to be contained in the error's text.
func refsuiteMatchError(expected interface{}, desc ...interface{}) gomegatypes.GomegaMatcher {
	if s, ok := expected.(string); ok {
		return gomega.MatchError(gomega.ContainSubstring(s))
	}
	return gomega.MatchError(expected, desc...)
}
`

// skelShim lets the reference's white-box skel suite drive cnirt's exported
// Dispatcher.
const skelShim = `package skel

import (
	"github.com/cnirt/cni/types"
	"github.com/cnirt/cni/version"
)

type dispatcher = Dispatcher

func (d *Dispatcher) pluginMain(funcs CNIFuncs, versionInfo version.PluginInfo, about string) *types.Error {
	return d.Run(funcs, versionInfo, about)
}
`

// prepare builds the scratch copy in dst.
func prepare(ctx context.Context, repo, ref, dst string) error {
	if err := copyTree(repo, dst); err != nil {
		return err
	}
	if err := placeReference(ref, dst, rewriteImports); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dst, "pkg", "skel", "zz_refsuite_shim_test.go"), []byte(skelShim), 0o644); err != nil {
		return err
	}
	return addTestDeps(ctx, ref, dst)
}

// placeReference copies the reference's files named by placements into
// dst, passing each through rewrite, and relaxes MatchError in the tests.
func placeReference(ref, dst string, rewrite func(string) string) error {
	shims := map[string]string{} // dir -> package needing the MatchError shim
	for _, p := range placements {
		entries, err := os.ReadDir(filepath.Join(ref, p.from))
		if err != nil {
			return err
		}
		to := filepath.Join(dst, filepath.FromSlash(p.to))
		if err := os.MkdirAll(to, 0o755); err != nil {
			return err
		}
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || !strings.HasSuffix(name, ".go") || (p.tests && !strings.HasSuffix(name, "_test.go")) {
				continue
			}
			b, err := os.ReadFile(filepath.Join(ref, p.from, name))
			if err != nil {
				return err
			}
			src := rewrite(string(b))
			if strings.HasSuffix(name, "_test.go") {
				var relaxed bool
				if src, relaxed = relaxMatchError(src); relaxed {
					m := packageRE.FindStringSubmatch(src)
					if m == nil {
						return fmt.Errorf("%s/%s: no package clause", p.from, name)
					}
					shims[to+"\x00"+m[1]] = m[1]
				}
			}
			if err := os.WriteFile(filepath.Join(to, name), []byte(src), 0o644); err != nil {
				return err
			}
		}
	}
	for key, pkg := range shims {
		dir := key[:strings.IndexByte(key, 0)]
		name := "zz_refsuite_" + pkg + "_test.go"
		if err := os.WriteFile(filepath.Join(dir, name), fmt.Appendf(nil, matchErrorShim, pkg), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// addTestDeps adds the reference's Ginkgo and Gomega to the scratch
// module in dst and tidies it.
func addTestDeps(ctx context.Context, ref, dst string) error {
	ginkgo, gomega, err := refTestDeps(filepath.Join(ref, "go.mod"))
	if err != nil {
		return err
	}
	for _, args := range [][]string{
		{"mod", "edit", "-require=github.com/onsi/ginkgo/v2@" + ginkgo, "-require=github.com/onsi/gomega@" + gomega},
		{"mod", "tidy"},
	} {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = dst
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go %s: %w: %s", strings.Join(args, " "), err, b)
		}
	}
	return nil
}

// refTestDeps reads the Ginkgo and Gomega versions the reference uses.
func refTestDeps(gomod string) (ginkgo, gomega string, err error) {
	b, err := os.ReadFile(gomod)
	if err != nil {
		return "", "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 {
			switch f[0] {
			case "github.com/onsi/ginkgo/v2":
				ginkgo = f[1]
			case "github.com/onsi/gomega":
				gomega = f[1]
			}
		}
	}
	if ginkgo == "" || gomega == "" {
		return "", "", fmt.Errorf("%s: no ginkgo/gomega requirement", gomod)
	}
	return ginkgo, gomega, nil
}

// copyTree copies the repository without .git and without cnirt's own
// tests (only the reference's run in the scratch copy).
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" || (d.Name() == "testdata" && rel != ".") {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() || strings.HasSuffix(d.Name(), "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
}

// specResult is one spec's outcome.
type specResult struct {
	Pkg, Text, State string
	Failure          string
}

// reportFile is the name of the Ginkgo JSON report in each package.
const reportFile = "refsuite-report.json"

// runSuites runs every suite package and collects the outcome of each spec:
// Ginkgo suites report through a JSON report, plain Go tests (the reference
// tests pkg/utils that way) through go test -json, one spec per test.
func runSuites(ctx context.Context, scratch string, exp *expectations) ([]specResult, []byte, error) {
	var ginkgoPkgs, plainPkgs []string
	for _, p := range suitePackages {
		isGinkgo, err := usesGinkgo(filepath.Join(scratch, filepath.FromSlash(p)))
		if err != nil {
			return nil, nil, err
		}
		if isGinkgo {
			ginkgoPkgs = append(ginkgoPkgs, "./"+p)
		} else {
			plainPkgs = append(plainPkgs, "./"+p)
		}
	}
	var log bytes.Buffer
	goTest := func(args ...string) (stdout []byte, err error) {
		cmd := exec.CommandContext(ctx, "go", append([]string{"test", "-count=1", "-timeout=20m"}, args...)...)
		cmd.Dir = scratch
		var buf bytes.Buffer
		cmd.Stdout, cmd.Stderr = &buf, &log
		start := time.Now()
		err = cmd.Run()
		fmt.Fprintf(&log, "refsuite: go test %s took %s\n", strings.Join(args, " "), time.Since(start).Round(time.Second))
		return buf.Bytes(), err
	}

	args := append([]string{}, ginkgoPkgs...)
	args = append(args, "-ginkgo.json-report="+reportFile, "-ginkgo.no-color")
	if re := exp.skipRegexp(); re != "" {
		args = append(args, "-ginkgo.skip="+re)
	}
	out, runErr := goTest(args...)
	log.Write(out)
	if ctx.Err() != nil {
		return nil, log.Bytes(), ctx.Err()
	}
	var results []specResult
	for _, p := range ginkgoPkgs {
		p = strings.TrimPrefix(p, "./")
		rs, err := readReport(filepath.Join(scratch, filepath.FromSlash(p), reportFile), p)
		if err != nil {
			if runErr != nil {
				err = fmt.Errorf("%w (go test: %v)", err, runErr)
			}
			return nil, log.Bytes(), err
		}
		results = append(results, rs...)
	}
	if len(plainPkgs) > 0 {
		out, runErr = goTest(append([]string{"-json"}, plainPkgs...)...)
		if ctx.Err() != nil {
			return nil, log.Bytes(), ctx.Err()
		}
		rs, err := readTestEvents(out, &log)
		if err != nil {
			return nil, log.Bytes(), err
		}
		if len(rs) == 0 && runErr != nil {
			return nil, log.Bytes(), fmt.Errorf("plain Go tests %v ran no test: %v", plainPkgs, runErr)
		}
		results = append(results, rs...)
	}
	return results, log.Bytes(), nil
}

// usesGinkgo reports whether the package in dir has a Ginkgo suite.
func usesGinkgo(dir string) (bool, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil || len(files) == 0 {
		return false, fmt.Errorf("no test files in %s", dir)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return false, err
		}
		if bytes.Contains(b, []byte(`"github.com/onsi/ginkgo/v2"`)) {
			return true, nil
		}
	}
	return false, nil
}

// readTestEvents turns go test -json output into one result per test
// (leaf subtests when a test has any), and copies the tests' output to log.
func readTestEvents(out []byte, log io.Writer) ([]specResult, error) {
	type key struct{ pkg, test string }
	state := map[key]string{}
	output := map[key]*strings.Builder{}
	var order []key
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var ev struct {
			Action, Package, Test, Output string
		}
		if err := dec.Decode(&ev); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go test -json output: %w", err)
		}
		io.WriteString(log, ev.Output)
		if ev.Test == "" {
			continue
		}
		pkg := strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(ev.Package, ourModule), replaceModule), "/")
		k := key{pkg, ev.Test}
		switch ev.Action {
		case "run":
			order = append(order, k)
			output[k] = &strings.Builder{}
		case "output":
			if b := output[k]; b != nil {
				b.WriteString(ev.Output)
			}
		case "pass", "fail", "skip":
			state[k] = map[string]string{"pass": "passed", "fail": "failed", "skip": "skipped"}[ev.Action]
		}
	}
	var rs []specResult
	for _, k := range order {
		hasSub := false
		for _, o := range order {
			if o.pkg == k.pkg && strings.HasPrefix(o.test, k.test+"/") {
				hasSub = true
				break
			}
		}
		if hasSub {
			continue
		}
		st := state[k]
		if st == "" {
			st = "failed" // never finished: the binary crashed or timed out
		}
		r := specResult{Pkg: k.pkg, Text: k.test, State: st}
		if st == "failed" {
			r.Failure = output[k].String()
		}
		rs = append(rs, r)
	}
	return rs, nil
}

// readReport decodes one Ginkgo JSON report.
func readReport(path, pkg string) ([]specResult, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("suite %s produced no report (did it build?): %w", pkg, err)
	}
	var reports []struct {
		SpecReports []struct {
			ContainerHierarchyTexts []string
			LeafNodeType            string
			LeafNodeText            string
			State                   string
			Failure                 struct {
				Message  string
				Location struct {
					FileName   string
					LineNumber int
				}
			}
		}
	}
	if err := json.Unmarshal(b, &reports); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []specResult
	for _, r := range reports {
		for _, s := range r.SpecReports {
			text := strings.Join(append(append([]string{}, s.ContainerHierarchyTexts...), s.LeafNodeText), " ")
			if s.LeafNodeType != "It" {
				if s.State == "passed" || s.State == "skipped" {
					continue // suite setup nodes count only when they fail
				}
				text = "[" + s.LeafNodeType + "] " + text
			}
			res := specResult{Pkg: pkg, Text: strings.TrimSpace(text), State: s.State}
			if s.State != "passed" && s.State != "skipped" && s.State != "pending" {
				res.Failure = fmt.Sprintf("%s:%d: %s", filepath.Base(s.Failure.Location.FileName), s.Failure.Location.LineNumber, s.Failure.Message)
			}
			out = append(out, res)
		}
	}
	return out, nil
}

// expectation is one line of expectations.txt.
type expectation struct {
	Kind, Pkg, Text, Reason string
	line                    int
}

type expectations struct {
	list []expectation
}

// parseExpectations reads lines "fail | <package> | <spec> | <reason>" and
// "skip | <package> | <spec> | <reason>"; '#' starts a comment line.
func parseExpectations(text string) (*expectations, error) {
	exp := &expectations{}
	seen := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, " | ")
		if len(f) != 4 {
			return nil, fmt.Errorf("line %d: want \"fail|skip | package | spec | reason\", got %d fields", n, len(f))
		}
		e := expectation{Kind: strings.TrimSpace(f[0]), Pkg: strings.TrimSpace(f[1]), Text: strings.TrimSpace(f[2]), Reason: strings.TrimSpace(f[3]), line: n}
		if e.Kind != "fail" && e.Kind != "skip" {
			return nil, fmt.Errorf("line %d: kind %q is neither fail nor skip", n, e.Kind)
		}
		if e.Pkg == "" || e.Text == "" || e.Reason == "" {
			return nil, fmt.Errorf("line %d: empty package, spec or reason", n)
		}
		key := e.Pkg + "\x00" + e.Text
		if prev, dup := seen[key]; dup {
			return nil, fmt.Errorf("line %d: spec already listed on line %d", n, prev)
		}
		seen[key] = n
		exp.list = append(exp.list, e)
	}
	return exp, sc.Err()
}

// skipRegexp matches the full text of every spec listed as skip. Ginkgo
// matches it against the suite description, a space and the spec's text.
func (e *expectations) skipRegexp() string {
	var alts []string
	for _, x := range e.list {
		if x.Kind == "skip" {
			alts = append(alts, " "+regexp.QuoteMeta(x.Text)+"$")
		}
	}
	return strings.Join(alts, "|")
}

// summary is the judgement of one run.
type summary struct {
	passed, failed, skipped, deliberate int
	problems                            []string
	notes                               []string
}

func (s *summary) ok() bool { return len(s.problems) == 0 }

func (s *summary) print(w io.Writer) {
	for _, n := range s.notes {
		fmt.Fprintln(w, n)
	}
	for _, p := range s.problems {
		fmt.Fprintln(w, p)
	}
	fmt.Fprintf(w, "refsuite: %d passed, %d failed, %d skipped (deliberate: %d)\n", s.passed, s.failed, s.skipped, s.deliberate)
}

// judge compares results with the expectations.
func judge(results []specResult, exp *expectations) *summary {
	s := &summary{}
	byKey := map[string]expectation{}
	for _, e := range exp.list {
		byKey[e.Pkg+"\x00"+e.Text] = e
	}
	found := map[string]bool{}
	for _, r := range results {
		key := r.Pkg + "\x00" + r.Text
		e, listed := byKey[key]
		found[key] = true
		switch r.State {
		case "passed":
			s.passed++
			if listed && e.Kind == "fail" {
				s.problems = append(s.problems, fmt.Sprintf("UNEXPECTED PASS %s: %s (listed on line %d as deliberate: %s; remove it from expectations.txt)", r.Pkg, r.Text, e.line, e.Reason))
			}
		case "skipped", "pending":
			s.skipped++
			if !listed || e.Kind != "skip" {
				s.problems = append(s.problems, fmt.Sprintf("UNEXPECTED SKIP %s: %s", r.Pkg, r.Text))
			}
		default:
			s.failed++
			if listed && e.Kind == "fail" {
				s.deliberate++
				s.notes = append(s.notes, fmt.Sprintf("deliberate %s: %s (%s)", r.Pkg, r.Text, e.Reason))
				continue
			}
			s.problems = append(s.problems, fmt.Sprintf("FAIL %s: %s\n    %s", r.Pkg, r.Text, indent(r.Failure)))
		}
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !found[k] {
			e := byKey[k]
			s.problems = append(s.problems, fmt.Sprintf("MISSING %s: %s (expectations.txt line %d names a spec that did not run)", e.Pkg, e.Text, e.line))
		}
	}
	return s
}

func indent(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 1500 {
		s = s[:1500] + " …"
	}
	return strings.ReplaceAll(s, "\n", "\n    ")
}
