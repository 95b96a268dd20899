package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/cnirt/cni/examples/internal/realplugins"
)

// e2eRun is the selection of cnirt's end-to-end tests that run the real
// plugins from $CNIRT_PLUGINS_DIR.
var e2eRun = []string{"-run", "^(TestE2E.*|TestRealDemo)$", "./libcni", "./pkg/sandbox", "./examples/demo"}

// pluginsStep builds containernetworking/plugins with the replace into a
// cached directory and runs cnirt's end-to-end tests with the plugins
// built on the reference and with these.
func pluginsStep(ctx context.Context, o *options) error {
	refDir := pluginsDir()
	if err := realplugins.Ensure(ctx, refDir); err != nil {
		return err
	}
	dirs := map[string]string{"REF": refDir}
	if o.wants("cnirt") {
		repl, err := findShim(o.repo)
		if err != nil {
			return err
		}
		hash, err := sourceHash(o.repo)
		if err != nil {
			return err
		}
		var pkgs []string
		for _, p := range realplugins.Plugins() {
			pkgs = append(pkgs, p.Package)
		}
		dir := filepath.Join(o.cache, "plugins-"+realplugins.Version+"-cnirt-"+hash)
		if err := buildWrapper(ctx, o, "plugins-cnirt", []string{realplugins.Module + "@" + realplugins.Version}, repl.lines,
			pkgs, []string{"CGO_ENABLED=0"}, dir); err != nil {
			return err
		}
		if err := checkEmbedsShim(ctx, filepath.Join(dir, "bridge"), repl.shimDir); err != nil {
			return err
		}
		dirs["cnirt"] = dir
		pruneStale(o.cache, "plugins-"+realplugins.Version+"-cnirt-", filepath.Base(dir))
	}
	var failures []string
	var table []string
	for _, variant := range []string{"REF", "cnirt"} {
		dir, ok := dirs[variant]
		if !ok || !o.wants(variant) {
			continue
		}
		r := runner{dir: o.repo, env: append(append([]string{}, goEnv...), "CNIRT_PLUGINS_DIR="+dir, "CI=true"), verbose: o.verbose}
		out, err := r.run(ctx, append([]string{"go", "test", "-count=1", "-v"}, e2eRun...)...)
		c := countTests(out)
		if err != nil || c.fail > 0 || c.skip > 0 || c.pass == 0 {
			failures = append(failures, fmt.Sprintf("%s: %v\n%s", variant, err, failureLines(out)))
		}
		lib := "reference v1.3.1 (" + dir + ")"
		if variant == "cnirt" {
			lib = "cnirt (replace)"
		}
		table = append(table, fmt.Sprintf("| %s | %s |", lib, c))
	}
	fmt.Printf("\n| plugins %s built on | cnirt e2e tests (`go test %s`) |\n|---|---|\n%s\n", realplugins.Version,
		strings.Join(e2eRun, " "), strings.Join(table, "\n"))
	if err := pluginUnitTests(ctx, o); err != nil {
		failures = append(failures, err.Error())
	}
	if len(failures) > 0 {
		return fmt.Errorf("%s", strings.Join(failures, "\n"))
	}
	return nil
}

// checkEmbedsShim makes sure bin was built with the reference's module
// path replaced by the shim (its build information says so).
func checkEmbedsShim(ctx context.Context, bin, shimDir string) error {
	out, err := runner{dir: filepath.Dir(bin)}.run(ctx, "go", "version", "-m", bin)
	if err != nil {
		return err
	}
	if embedsShim(out, shimDir) {
		return nil
	}
	return fmt.Errorf("%s was not built with %s replaced by a %s directory:\n%s", bin, refModule, filepath.Base(shimDir), out)
}

// embedsShim reports whether the `go version -m` output out shows the
// reference's module replaced by a directory named as shimDir is. The
// directory may be another checkout's: the builds are cached by a hash of
// cnirt's sources, so one built from a checkout elsewhere (an earlier CI
// clone) has the same shim.
func embedsShim(out, shimDir string) bool {
	afterRef := false
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 2 && f[0] == "dep":
			afterRef = f[1] == refModule
		case len(f) >= 2 && f[0] == "=>":
			if afterRef && filepath.Base(f[1]) == filepath.Base(shimDir) {
				return true
			}
			afterRef = false
		}
	}
	return false
}

// pluginUnitPackages are the plugins' own test packages the driver runs:
// host-local and its allocator and store, which use the reference's types
// throughout and need neither root nor namespaces.
var pluginUnitPackages = []string{"./plugins/ipam/host-local/..."}

// pluginUnitTests runs pluginUnitPackages in scratch copies of the plugins
// module, as published and with the replace lines in its go.mod. The tests
// are compiled first, then run offline in a private network and mount
// namespace so that nothing they might set up reaches the host.
func pluginUnitTests(ctx context.Context, o *options) error {
	src, err := moduleDir(ctx, o.work, realplugins.Module, realplugins.Version)
	if err != nil {
		return err
	}
	var failures, table []string
	for _, variant := range []string{"REF", "cnirt"} {
		if !o.wants(variant) {
			continue
		}
		dir := filepath.Join(o.work, "plugins-"+variant)
		r, err := scratchModule(ctx, o, src, dir, variant, nil)
		if err != nil {
			return err
		}
		if _, err := r.run(ctx, append([]string{"go", "test", "-count=1", "-run", "^$"}, pluginUnitPackages...)...); err != nil {
			return err
		}
		offline := runner{dir: dir, env: append(append([]string{}, goEnv...), "GOPROXY=off"), verbose: o.verbose}
		out, err := offline.run(ctx, append([]string{"unshare", "--net", "--mount", "--fork", "--propagation", "private", "--",
			"go", "test", "-count=1", "-v"}, pluginUnitPackages...)...)
		c := countTests(out)
		specs := ginkgoSpecs(out)
		if err != nil || c.fail > 0 || c.pass == 0 {
			failures = append(failures, fmt.Sprintf("plugins' own tests, %s: %v\n%s", variant, err, failureLines(out)))
		}
		lib := "reference v1.3.1"
		if variant == "cnirt" {
			lib = "cnirt (replace)"
		}
		table = append(table, fmt.Sprintf("| %s | %s (%s) |", lib, c, specs))
	}
	fmt.Printf("\n| plugins %s own tests on | `go test %s` |\n|---|---|\n%s\n", realplugins.Version,
		strings.Join(pluginUnitPackages, " "), strings.Join(table, "\n"))
	if len(failures) > 0 {
		return fmt.Errorf("%s", strings.Join(failures, "\n"))
	}
	return nil
}

// ginkgoSpecs sums the "Ran N of M Specs" lines of Ginkgo suites.
func ginkgoSpecs(out string) string {
	ran, total := 0, 0
	for _, line := range strings.Split(out, "\n") {
		var n, m int
		if i := strings.Index(line, "Ran "); i >= 0 {
			if _, err := fmt.Sscanf(stripANSI(line[i:]), "Ran %d of %d Specs", &n, &m); err == nil {
				ran += n
				total += m
			}
		}
	}
	return fmt.Sprintf("%d of %d Ginkgo specs ran", ran, total)
}

// stripANSI removes terminal colour sequences.
func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			for i < len(s) && s[i] != 'm' {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
