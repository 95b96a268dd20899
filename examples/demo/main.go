// Command demo shows cnirt driving real CNI plugins end to end. As root on
// Linux:
//
//	sudo -E go run ./examples/demo
//
// creates two network namespaces, attaches both to the bundled network
// (demo.conflist: bridge + host-local, portmap, firewall, tuning on
// 198.18.100.0/24, no masquerading), prints the results, opens a TCP
// connection from one namespace to the other and through a port mapping,
// runs CHECK, STATUS and GC, and detaches. Then the sandbox manager
// (pkg/sandbox) attaches a third namespace to a bridge network and a ptp
// network in parallel, talks to it over both, detaches, and does the same
// serially for comparison, with the time of each network. Finally the demo
// removes everything it created, also when a step fails or on Ctrl-C.
//
// The plugins (containernetworking/plugins, version pinned in
// examples/internal/realplugins) are taken from -plugins, $CNIRT_PLUGINS_DIR
// or $CNI_PATH when they hold them all; otherwise they are installed with
// `go install` into the user cache directory (first run: about a minute).
//
// Without root, without network namespaces or with -fallback, the demo says
// so and runs the same library calls against the example plugins noop and
// debug (built with `go build`; run it from the cnirt module directory),
// which configure nothing and need no privileges; the debug plugin's record
// of every call is printed at the end.
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

//go:embed demo.conflist
var demoConflist []byte

// options configure one demo run.
type options struct {
	// pluginDir, when set, holds the real plugins.
	pluginDir string
	// fallback forces the no-root demo with the example plugins.
	fallback bool
	// out receives the demo's narration.
	out io.Writer
}

func main() {
	var o options
	flag.StringVar(&o.pluginDir, "plugins", "", "directory holding the real CNI plugins (default: $CNIRT_PLUGINS_DIR, $CNI_PATH, or install into the user cache)")
	flag.BoolVar(&o.fallback, "fallback", false, "run the no-root demo with the example plugins noop and debug")
	flag.Parse()
	o.out = os.Stdout

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o)
	stop()
	if err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintf(os.Stderr, "\ndemo interrupted; what it had created was removed (see above). Detail: %v\n", err)
			os.Exit(130)
		}
		fmt.Fprintf(os.Stderr, "\ndemo failed: %v\n", err)
		os.Exit(1)
	}
}

// run runs the real demo when possible and the fallback otherwise.
func run(ctx context.Context, o options) error {
	if o.fallback {
		fmt.Fprintln(o.out, "Fallback demo requested (-fallback).")
		return runFallback(ctx, o)
	}
	if why := realUnavailable(); why != nil {
		fmt.Fprintf(o.out, "NOTE: the real demo cannot run here: %v\n", why)
		fmt.Fprintln(o.out, "      Running the FALLBACK demo instead: same library calls, example plugins that configure nothing.")
		fmt.Fprintln(o.out)
		return runFallback(ctx, o)
	}
	return runReal(ctx, o)
}
