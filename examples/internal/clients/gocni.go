package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// pluginsDir is the directory of the reference-built real plugins.
func pluginsDir() string {
	if d := os.Getenv("CNIRT_PLUGINS_DIR"); d != "" {
		return d
	}
	return "/opt/cnirt/plugins"
}

// testCounts are the top-level test outcomes of a `go test -v` run.
type testCounts struct {
	pass, fail, skip int
}

func (c testCounts) String() string {
	s := fmt.Sprintf("%d/%d passed", c.pass, c.pass+c.fail)
	if c.skip > 0 {
		s += fmt.Sprintf(", %d skipped", c.skip)
	}
	return s
}

// countTests counts the top-level (unindented) --- PASS/FAIL/SKIP lines of
// verbose test output.
func countTests(out string) testCounts {
	var c testCounts
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "--- PASS: "):
			c.pass++
		case strings.HasPrefix(line, "--- FAIL: "):
			c.fail++
		case strings.HasPrefix(line, "--- SKIP: "):
			c.skip++
		}
	}
	return c
}

// goCNI runs go-cni's unit tests and the integration test of
// testdata/gocni-integration in two scratch copies of go-cni's module: as
// published (REF) and with the replace line added to its go.mod (cnirt).
func goCNI(ctx context.Context, o *options) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w: the go-cni integration test needs root", errMissing)
	}
	plugins := pluginsDir()
	if !exists(plugins, "bridge", "host-local", "loopback") {
		return fmt.Errorf("%w: bridge, host-local and loopback in %s (CNIRT_PLUGINS_DIR; go run ./examples/internal/realplugins/install DIR)", errMissing, plugins)
	}
	for _, tool := range []string{"unshare", "ip", "mount"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%w: %s not on PATH", errMissing, tool)
		}
	}
	src, err := moduleDir(ctx, o.work, GoCNIModule, GoCNIVersion)
	if err != nil {
		return err
	}
	itSrc := filepath.Join(o.repo, "examples", "internal", "clients", "testdata", "gocni-integration")
	type row struct {
		variant        string
		unit, unitRace testCounts
		integration    testCounts
	}
	var rows []row
	var failures []string
	for _, variant := range []string{"REF", "cnirt"} {
		if !o.wants(variant) {
			continue
		}
		dir := filepath.Join(o.work, "go-cni-"+variant)
		r, err := scratchModule(ctx, o, src, dir, variant, func(dir string) error {
			return copyTree(itSrc, filepath.Join(dir, "integration"))
		})
		if err != nil {
			return err
		}
		rw := row{variant: variant}
		// Under -race go-cni locks with go-deadlock, whose lock-order check
		// reports a false POTENTIAL DEADLOCK when go-cni's parallel tests
		// overlap (on the reference too); so the race run is sequential.
		out, unitErr := r.run(ctx, "go", "test", "-count=1", "-v", ".")
		rw.unit = countTests(out)
		if unitErr != nil || rw.unit.fail > 0 || rw.unit.pass == 0 {
			failures = append(failures, fmt.Sprintf("%s unit tests: %v\n%s", variant, unitErr, failureLines(out)))
		}
		out, unitErr = r.run(ctx, "go", "test", "-race", "-parallel", "1", "-count=1", "-v", ".")
		rw.unitRace = countTests(out)
		if unitErr != nil || rw.unitRace.fail > 0 || rw.unitRace.pass == 0 {
			failures = append(failures, fmt.Sprintf("%s unit tests (-race): %v\n%s", variant, unitErr, failureLines(out)))
		}
		bin := filepath.Join(dir, "integration.test")
		// Without -race: under it go-deadlock also takes concurrent RLocks
		// of one go-cni object for recursive locking (it reports every
		// goroutine as goroutine 0 here), and containerd does call Setup
		// concurrently, as TestParallelPods does.
		if _, err := r.run(ctx, "go", "test", "-c", "-o", bin, "./integration"); err != nil {
			return err
		}
		cniDir := filepath.Join(dir, "var-lib-cni")
		if err := os.MkdirAll(cniDir, 0o755); err != nil {
			return err
		}
		// A private network and mount namespace: the bridge, the veths and
		// the addresses never exist on the host, and go-cni's cache
		// (/var/lib/cni) and /run/netns are scratch directories.
		script := `set -e
ip link set lo up
mkdir -p /var/lib/cni /run/netns
mount --bind "$1" /var/lib/cni
mount -t tmpfs tmpfs /run/netns
cd "$2"
exec "$3" -test.v -test.count=1`
		ir := runner{dir: dir, env: []string{"GOCNI_IT_PLUGINS=" + plugins, "GOCNI_IT_PRIVATE=1"}, verbose: o.verbose}
		out, itErr := ir.run(ctx, "unshare", "--net", "--mount", "--fork", "--propagation", "private", "--",
			"sh", "-c", script, "sh", cniDir, filepath.Join(dir, "integration"), bin)
		rw.integration = countTests(out)
		if itErr != nil || rw.integration.fail > 0 || rw.integration.pass == 0 {
			failures = append(failures, fmt.Sprintf("%s integration tests: %v\n%s", variant, itErr, failureLines(out)))
		}
		rows = append(rows, rw)
	}
	fmt.Printf("\n| go-cni %s on | unit tests (`go test .`) | unit tests (`go test -race -parallel 1 .`) | integration (bridge + host-local + loopback, private netns) |\n|---|---|---|---|\n", GoCNIVersion)
	for _, rw := range rows {
		lib := "reference v1.3.1"
		if rw.variant == "cnirt" {
			lib = "cnirt (replace)"
		}
		fmt.Printf("| %s | %s | %s | %s |\n", lib, rw.unit, rw.unitRace, rw.integration)
	}
	if len(failures) > 0 {
		return fmt.Errorf("%s", strings.Join(failures, "\n"))
	}
	return nil
}

// checkCNIResolution makes sure the scratch module builds against what the
// variant says: the reference from the proxy, or the shim by the replace.
func checkCNIResolution(ctx context.Context, r runner, variant string) error {
	out, err := r.run(ctx, "go", "list", "-m", "-f", "{{.Path}} {{.Version}} {{with .Replace}}=> {{.Path}}{{end}}", refModule)
	if err != nil {
		return err
	}
	replaced := strings.Contains(out, "=>")
	if replaced != (variant == "cnirt") {
		return fmt.Errorf("%s: %s resolves to %q", variant, refModule, strings.TrimSpace(out))
	}
	fmt.Printf("  %s: %s\n", variant, strings.TrimSpace(out))
	return nil
}
