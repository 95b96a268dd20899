// Package netns is support code for cnirt's tests and examples, not part
// of the runtime API: it creates named Linux network namespaces with the
// `ip` command, runs code inside them, and moves lines of text over TCP
// between them so that a test or a demo can prove that a plugin chain
// really connected two namespaces.
//
// Nothing in libcni, invoke or types uses this package, and its API may
// change whenever the tests or the examples need something else. Real
// runtimes manage namespaces themselves.
//
// On Linux, Do switches one locked OS thread into a namespace with
// setns(2), so sockets created inside its function belong to that
// namespace and keep working after the thread has switched back. On other
// systems every function that needs a namespace returns an error wrapping
// ErrUnsupported (network namespaces are a Linux feature); ServeLines,
// and Dial and Exchange with the path "" (the host), work everywhere.
package netns

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// ErrUnsupported is wrapped by the errors of this package on systems
// without network namespaces.
var ErrUnsupported = errors.New("network namespaces are only available on Linux")

// NetNS is a named network namespace created by Create.
type NetNS struct {
	// Name is the namespace's name as `ip netns` knows it.
	Name string
	// Path is the namespace's bind mount, /var/run/netns/<Name>.
	Path string
}

// IP runs `ip args...` (for example to delete a link, or with "-n", name
// to act inside a namespace) and returns an error quoting the command line
// and its output when it fails.
func IP(ctx context.Context, args ...string) error {
	out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
