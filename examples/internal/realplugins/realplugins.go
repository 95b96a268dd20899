// Package realplugins pins the release of the containernetworking/plugins
// binaries that cnirt's end-to-end tests, demo and CI use, and installs them
// on demand with `go install`.
//
// The version lives here and nowhere else: CI runs
//
//	go run ./examples/internal/realplugins/install /opt/cni-test/bin
//
// and the tests and the demo call Ensure with a cache directory.
package realplugins

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Version is the containernetworking/plugins release used everywhere.
const Version = "v1.10.0"

// Module is the Go module path of the plugins repository.
const Module = "github.com/containernetworking/plugins"

// Plugin names one plugin binary and the Go package that builds it.
type Plugin struct {
	// Name is the plugin's type, which is also its binary name.
	Name string
	// Package is the Go import path of the plugin's main package.
	Package string
}

// Plugins returns the plugins cnirt's tests, the conformance suite's
// real-plugin table and the demo rely on. A fresh slice
// is returned on every call so callers may modify it.
func Plugins() []Plugin {
	return []Plugin{
		{Name: "bridge", Package: Module + "/plugins/main/bridge"},
		{Name: "ptp", Package: Module + "/plugins/main/ptp"},
		{Name: "loopback", Package: Module + "/plugins/main/loopback"},
		{Name: "host-local", Package: Module + "/plugins/ipam/host-local"},
		{Name: "portmap", Package: Module + "/plugins/meta/portmap"},
		{Name: "tuning", Package: Module + "/plugins/meta/tuning"},
		{Name: "bandwidth", Package: Module + "/plugins/meta/bandwidth"},
		{Name: "firewall", Package: Module + "/plugins/meta/firewall"},
		{Name: "macvlan", Package: Module + "/plugins/main/macvlan"},
		{Name: "ipvlan", Package: Module + "/plugins/main/ipvlan"},
		{Name: "host-device", Package: Module + "/plugins/main/host-device"},
		{Name: "dummy", Package: Module + "/plugins/main/dummy"},
		{Name: "static", Package: Module + "/plugins/ipam/static"},
		{Name: "sbr", Package: Module + "/plugins/meta/sbr"},
		{Name: "vrf", Package: Module + "/plugins/meta/vrf"},
	}
}

// DefaultDir returns the per-user cache directory the plugins of Version are
// installed into when nothing else is configured:
// <user cache dir>/cnirt/plugins-<Version> (for example
// $XDG_CACHE_HOME/cnirt/plugins-v1.10.0 or ~/.cache/cnirt/plugins-v1.10.0).
func DefaultDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("realplugins: no user cache directory (set XDG_CACHE_HOME or HOME): %w", err)
	}
	return filepath.Join(base, "cnirt", "plugins-"+Version), nil
}

// binaryName is the file name a plugin has on disk for the target OS.
func binaryName(name string) string {
	if runtime.GOOS == "windows" {
		return name + ".exe"
	}
	return name
}

// Missing returns the names of the plugins in plugins that have no
// executable regular file in dir. A nil plugins slice means Plugins().
func Missing(dir string, plugins []Plugin) []string {
	if plugins == nil {
		plugins = Plugins()
	}
	var missing []string
	for _, p := range plugins {
		fi, err := os.Stat(filepath.Join(dir, binaryName(p.Name)))
		if err != nil || !fi.Mode().IsRegular() || (runtime.GOOS != "windows" && fi.Mode().Perm()&0o111 == 0) {
			missing = append(missing, p.Name)
		}
	}
	return missing
}

// InstallError reports a failed `go install` of plugins, with the go
// command's combined output.
type InstallError struct {
	// Packages are the package@version arguments given to go install.
	Packages []string
	// Output is what the go command printed.
	Output string
	// Err is the underlying error (usually an *exec.ExitError).
	Err error
}

// Error implements error.
func (e *InstallError) Error() string {
	return fmt.Sprintf("realplugins: go install %s failed: %v (check network access to the Go module proxy or set CNIRT_PLUGINS_DIR to a directory holding the plugins)\n%s",
		strings.Join(e.Packages, " "), e.Err, strings.TrimSpace(e.Output))
}

// Unwrap returns the underlying error.
func (e *InstallError) Unwrap() error { return e.Err }

// Ensure makes sure every plugin of Plugins() is installed in dir, running
// `go install <package>@Version` with GOBIN=dir for the missing ones. It
// needs the go command on PATH and module download access (or a warm module
// cache). GOFLAGS=-mod=mod is set so that it also works when the current
// directory is inside another module. Plugins already present are left
// alone, so a warm dir costs a few stat calls.
func Ensure(ctx context.Context, dir string) error {
	return EnsurePlugins(ctx, dir, nil)
}

// EnsurePlugins is Ensure for a chosen subset of plugins; nil means all.
func EnsurePlugins(ctx context.Context, dir string, plugins []Plugin) error {
	if plugins == nil {
		plugins = Plugins()
	}
	if dir == "" {
		return errors.New("realplugins: empty plugin directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("realplugins: plugin directory %q: %w", dir, err)
	}
	missing := Missing(abs, plugins)
	if len(missing) == 0 {
		return nil
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return fmt.Errorf("realplugins: creating plugin directory: %w", err)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("realplugins: plugins %v missing in %s and the go command is not on PATH to build them: %w", missing, abs, err)
	}
	want := make(map[string]bool, len(missing))
	for _, m := range missing {
		want[m] = true
	}
	var pkgs []string
	for _, p := range plugins {
		if want[p.Name] {
			pkgs = append(pkgs, p.Package+"@"+Version)
		}
	}
	// One go install for all packages shares the module download and the
	// build of the common packages.
	cmd := exec.CommandContext(ctx, goBin, append([]string{"install"}, pkgs...)...)
	cmd.Env = append(os.Environ(), "GOBIN="+abs, "GOFLAGS=-mod=mod", "CGO_ENABLED=0")
	// Run outside any module so the go command does not consult the go.mod
	// or go.work of the caller's directory.
	cmd.Dir = os.TempDir()
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return &InstallError{Packages: pkgs, Output: out.String(), Err: err}
	}
	if still := Missing(abs, plugins); len(still) > 0 {
		return fmt.Errorf("realplugins: go install reported success but %v are still missing in %s", still, abs)
	}
	return nil
}
