//go:build !linux

package main

import "context"

// fallbackNetNS returns the fallback demo sandbox's namespace path, which
// is not checked outside Linux.
func fallbackNetNS() (path string, stop func(context.Context) error, err error) {
	return "/var/run/netns/cnirt-demo-sandbox", func(context.Context) error { return nil }, nil
}
