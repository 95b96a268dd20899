// Command install installs the pinned containernetworking/plugins release
// (see package realplugins) into a directory:
//
//	go run ./examples/internal/realplugins/install /opt/cni-test/bin
//
// Without an argument it uses the per-user cache directory. It prints the
// directory on success, so scripts can do DIR=$(go run ... ).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/cnirt/cni/examples/internal/realplugins"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	var dir string
	switch len(args) {
	case 0:
		d, err := realplugins.DefaultDir()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		dir = d
	case 1:
		dir = args[0]
	default:
		fmt.Fprintln(os.Stderr, "usage: install [DIR]   (installs containernetworking/plugins "+realplugins.Version+" into DIR)")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := realplugins.Ensure(ctx, dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(dir)
	return 0
}
