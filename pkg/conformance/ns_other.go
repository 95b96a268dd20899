//go:build !linux

package conformance

import (
	"context"
	"errors"
	"os/exec"
	"runtime"
)

// errNoNetNS is why the namespace checks are skipped on this system.
var errNoNetNS = errors.New("network namespaces are only available on Linux, not " + runtime.GOOS)

func namespacesAvailable() error { return errNoNetNS }

func createNS(context.Context, string) (string, error) { return "", errNoNetNS }

func deleteNS(context.Context, string) error { return errNoNetNS }

func startIn(string, *exec.Cmd) error { return errNoNetNS }

func setUp(context.Context, string, string) error { return errNoNetNS }

func listLinks(string) (map[string]linkState, error) { return nil, errNoNetNS }

func inNS(context.Context, string, string, ...string) ([]byte, error) { return nil, errNoNetNS }
