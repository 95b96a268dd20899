//go:build linux

package sandbox_test

import (
	"fmt"
	"os"

	"github.com/cnirt/cni/pkg/plugintest/netns"
)

// fakeNS is the network namespace path that the tests with fake plugins
// pass as every sandbox's: that of a sleeping child in a namespace of its
// own (the test process's own would be refused by the plugins, which must
// not run in the namespace they configure).
var fakeNS string

// startFakeNS starts the child holding fakeNS and returns its cleanup.
func startFakeNS() func() {
	path, stop, err := netns.Hold()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sandbox tests: no network namespace for the fake plugins:", err)
		fakeNS = "/nonexistent/netns"
		return func() {}
	}
	fakeNS = path
	return stop
}

// holdNewNetNS returns a new network namespace and its end.
func holdNewNetNS() (string, func(), error) { return netns.Hold() }

// nsPath returns the network namespace path of sandbox id for a test
// whose plugins are fakes: fakeNS, which Attach and Check accept on Linux.
func nsPath(string) string { return fakeNS }
