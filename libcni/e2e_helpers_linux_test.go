//go:build linux

package libcni_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/pkg/plugintest/netns"
)

// End-to-end helpers: real plugins (containernetworking/plugins, version
// pinned in examples/internal/realplugins), real network namespaces.
//
// Prerequisites: root, the `ip` command, iptables (portmap/firewall), and the
// plugins in $CNIRT_PLUGINS_DIR; without that variable the pinned plugins are
// installed into the user cache directory with
// `go run ./examples/internal/realplugins/install`. When CI=true a missing
// prerequisite fails the test, otherwise it skips it naming what is missing.

// e2ePluginNames are the plugin binaries the e2e tests need.
var e2ePluginNames = []string{"bridge", "ptp", "loopback", "host-local", "portmap", "tuning", "firewall"}

var (
	e2eOnce      sync.Once
	e2eDir       string
	e2eMissing   string
	e2eNameCount atomic.Int64
)

// missingOrFail stops the test because a prerequisite is missing: Fatal in
// CI, Skip elsewhere.
func missingOrFail(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("e2e prerequisite missing (CI=true, so this is a failure): %s", what)
	}
	t.Skipf("e2e prerequisite missing: %s", what)
}

// requireE2E checks the prerequisites once per process and returns the
// directory holding the real plugins.
func requireE2E(t *testing.T) string {
	t.Helper()
	e2eOnce.Do(func() { e2eDir, e2eMissing = probeE2E() })
	if e2eMissing != "" {
		missingOrFail(t, e2eMissing)
	}
	return e2eDir
}

func probeE2E() (dir, missing string) {
	if os.Geteuid() != 0 {
		return "", "root privileges (run the tests as root, e.g. sudo -E go test ./libcni -run E2E)"
	}
	if err := netns.Available(); err != nil {
		return "", fmt.Sprintf("network namespaces: %v", err)
	}
	if _, err := exec.LookPath("iptables"); err != nil {
		return "", fmt.Sprintf("the \"iptables\" command (apt-get install -y iptables): %v", err)
	}
	dir = os.Getenv("CNIRT_PLUGINS_DIR")
	if dir == "" {
		// Install the pinned release into the user cache dir. The install
		// command prints the directory it used.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "go", "run", "./examples/internal/realplugins/install")
		cmd.Dir = ".." // the module root; tests run in the package directory
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return "", fmt.Sprintf("real CNI plugins: CNIRT_PLUGINS_DIR is unset and installing them failed: %v: %s", err, strings.TrimSpace(stderr.String()))
		}
		dir = strings.TrimSpace(string(out))
	}
	for _, p := range e2ePluginNames {
		if fi, err := os.Stat(filepath.Join(dir, p)); err != nil || fi.Mode().Perm()&0o111 == 0 {
			return "", fmt.Sprintf("plugin %q in %s (CNIRT_PLUGINS_DIR; install with `go run ./examples/internal/realplugins/install %s`)", p, dir, dir)
		}
	}
	// Namespaces must be creatable (e.g. not in an unprivileged container).
	ctx := context.Background()
	ns, err := netns.Create(ctx, uniqueName("cnirt-e2e-probe"))
	if err != nil {
		return "", fmt.Sprintf("creating network namespaces: %v", err)
	}
	_ = ns.Delete(ctx)
	return dir, ""
}

// uniqueName returns prefix-<pid>-<n>, unique within this host at a time.
func uniqueName(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, os.Getpid(), e2eNameCount.Add(1))
}

// uniqueIfName returns a name usable for a host link (at most 15 bytes).
func uniqueIfName(prefix string) string {
	n := fmt.Sprintf("%s%d%d", prefix, os.Getpid()%100000, e2eNameCount.Add(1))
	if len(n) > 15 {
		n = n[len(n)-15:]
	}
	return n
}

// newNetNS creates a named network namespace and removes it in Cleanup.
// It returns the namespace's name and path.
func newNetNS(t *testing.T) (name, path string) {
	t.Helper()
	ns, err := netns.Create(context.Background(), uniqueName("cnirt-e2e"))
	require.NoError(t, err)
	t.Cleanup(func() {
		if err := ns.Delete(context.Background()); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
	return ns.Name, ns.Path
}

// cleanupLink deletes a host link in Cleanup if it still exists.
func cleanupLink(t *testing.T, name string) {
	t.Helper()
	t.Cleanup(func() {
		if netns.LinkExists(name) {
			if err := netns.IP(context.Background(), "link", "del", name); err != nil {
				t.Logf("cleanup: %v", err)
			}
		}
	})
}

// linksWithMaster lists the host links enslaved to master.
func linksWithMaster(t *testing.T, master string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join("/sys/class/net", master, "brif"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// echoServer answers each TCP connection inside a namespace with "echo:"
// + the first line it reads.
type echoServer struct {
	ln net.Listener
}

// startEchoServer listens on addr (e.g. ":0", "[::]:8080") in nsPath and
// closes the listener in Cleanup.
func startEchoServer(t *testing.T, nsPath, addr string) *echoServer {
	t.Helper()
	ln, err := netns.Listen(nsPath, "tcp", addr)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- netns.ServeLines(ln, func(line string) string { return "echo:" + line }) }()
	t.Cleanup(func() { _ = ln.Close(); <-done })
	return &echoServer{ln: ln}
}

// port returns the listening port.
func (s *echoServer) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// tcpRoundTrip sends a line to ip:port from the namespace at fromNS ("" =
// host) and checks the echo. It retries for up to ten seconds to ride out
// address duplicate detection and neighbour discovery.
func tcpRoundTrip(fromNS string, ip net.IP, port int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return roundTrip(ctx, netns.ExchangeRetry, fromNS, ip, port)
}

// roundTrip sends a line with exchange and checks the echo.
func roundTrip(ctx context.Context, exchange func(ctx context.Context, path, network, addr, line string) (string, error), fromNS string, ip net.IP, port int) error {
	addr := net.JoinHostPort(ip.String(), fmt.Sprint(port))
	msg := fmt.Sprintf("hello %s from %s", addr, fromNS)
	got, err := exchange(ctx, fromNS, "tcp", addr, msg)
	if err == nil && got != "echo:"+msg {
		err = fmt.Errorf("got %q, want %q", got, "echo:"+msg)
	}
	if err != nil {
		return fmt.Errorf("TCP to %s from %q: %w", addr, fromNS, err)
	}
	return nil
}

// hostLocalReservations maps reserved IP -> "containerID/ifname" from a
// host-local data directory of one network.
func hostLocalReservations(t *testing.T, dataDir, network string) map[string]string {
	t.Helper()
	dir := filepath.Join(dataDir, network)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	require.NoError(t, err)
	res := map[string]string{}
	for _, e := range entries {
		if net.ParseIP(e.Name()) == nil {
			continue // "lock", "last_reserved_ip.0", ...
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		res[e.Name()] = strings.Join(strings.Fields(string(b)), "/")
	}
	return res
}

// filesUnder lists the regular files below dir (relative paths) whose
// names contain any of substrs; all files when substrs is empty.
func filesUnder(t *testing.T, dir string, substrs ...string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		if len(substrs) == 0 {
			found = append(found, rel)
			return nil
		}
		for _, s := range substrs {
			if strings.Contains(d.Name(), s) {
				found = append(found, rel)
				break
			}
		}
		return nil
	})
	require.NoError(t, err)
	return found
}

// readNetNSFile reads a file (e.g. a /proc/sys/net sysctl) from inside a
// namespace, without surrounding white space.
func readNetNSFile(nsPath, file string) (string, error) {
	b, err := netns.ReadFile(nsPath, file)
	return string(bytes.TrimSpace(b)), err
}
