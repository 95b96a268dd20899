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
	if len(failures) > 0 {
		return fmt.Errorf("%s", strings.Join(failures, "\n"))
	}
	return nil
}

// checkEmbedsShim makes sure bin was built with the reference's module
// path replaced by the shim directory (its build information says so).
func checkEmbedsShim(ctx context.Context, bin, shimDir string) error {
	out, err := runner{dir: filepath.Dir(bin)}.run(ctx, "go", "version", "-m", bin)
	if err != nil {
		return err
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == "=>" && f[1] == shimDir {
			return nil
		}
	}
	return fmt.Errorf("%s was not built with %s replaced by %s:\n%s", bin, refModule, shimDir, out)
}
