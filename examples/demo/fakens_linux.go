//go:build linux

package main

import (
	"context"
	"fmt"

	"github.com/cnirt/cni/pkg/plugintest/netns"
)

// fallbackNetNS returns a network namespace for the fallback demo's
// sandbox, which pkg/sandbox requires on Linux and which must not be the
// demo's own (the plugins refuse to configure their own namespace): that
// of a sleeping child in a namespace of its own. stop ends the child.
func fallbackNetNS() (path string, stop func(context.Context) error, err error) {
	path, end, err := netns.Hold()
	if err != nil {
		return "", nil, fmt.Errorf("no network namespace for the sandbox: %w", err)
	}
	return path, func(context.Context) error { end(); return nil }, nil
}
