package plugintest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cnirt/cni/pkg/plugintest/netns"
)

// realProbe caches, per test binary, where the real plugins are or why
// they cannot be used (test support only; see the package documentation).
var realProbe struct {
	once    sync.Once
	dir     string
	missing string
}

// RealPlugins returns the directory of the real CNI plugins
// (containernetworking/plugins, pinned in examples/internal/realplugins)
// for an end-to-end test in network namespaces, after checking that the
// test runs as root and can create namespaces and that every plugin in
// names is there. The directory is $CNIRT_PLUGINS_DIR, or else the user
// cache directory, where the pinned plugins are installed with
// `go run ./examples/internal/realplugins/install` from the module root.
// A missing prerequisite is reported through RequireCI.
func RealPlugins(t testing.TB, names ...string) string {
	t.Helper()
	realProbe.once.Do(func() { realProbe.dir, realProbe.missing = probeReal() })
	if realProbe.missing != "" {
		RequireCI(t, realProbe.missing)
		return ""
	}
	for _, p := range names {
		if fi, err := os.Stat(filepath.Join(realProbe.dir, p)); err != nil || fi.Mode().Perm()&0o111 == 0 {
			RequireCI(t, fmt.Sprintf("plugin %q in %s (CNIRT_PLUGINS_DIR; install with `go run ./examples/internal/realplugins/install %s`)",
				p, realProbe.dir, realProbe.dir))
			return ""
		}
	}
	return realProbe.dir
}

func probeReal() (dir, missing string) {
	if os.Geteuid() != 0 {
		return "", "root privileges (run the end-to-end tests as root)"
	}
	if err := netns.Available(); err != nil {
		return "", fmt.Sprintf("network namespaces: %v", err)
	}
	if dir = os.Getenv("CNIRT_PLUGINS_DIR"); dir != "" {
		return dir, ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(gomod)) == "" {
		return "", fmt.Sprintf("real CNI plugins: CNIRT_PLUGINS_DIR is unset and the module root is unknown (go env GOMOD: %v)", err)
	}
	cmd := exec.CommandContext(ctx, "go", "run", "./examples/internal/realplugins/install")
	cmd.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Sprintf("real CNI plugins: CNIRT_PLUGINS_DIR is unset and installing them failed: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), ""
}
