package sandbox

import (
	"errors"
	"fmt"
)

// ErrInvalidNetNS is wrapped by every *InvalidNetNSError.
var ErrInvalidNetNS = errors.New("invalid network namespace path")

// InvalidNetNSError reports a sandbox's network namespace path that
// Attach, Detach or Check refused before running any plugin for it. See
// checkNetNS of each platform for what is checked.
type InvalidNetNSError struct {
	// Sandbox is the sandbox's ID.
	Sandbox string
	// Op is the operation: "attach", "detach" or "check".
	Op string
	// Network is set when only that network's cached path was refused
	// (Check of an attachment whose namespace is gone).
	Network string
	// Path is the refused path.
	Path string
	// Reason says what is wrong with it.
	Reason string
	// Err is the cause reported by the system, if any (errors.Is reaches
	// fs.ErrNotExist, for example).
	Err error
}

// Error names the sandbox, the path and the reason.
func (e *InvalidNetNSError) Error() string {
	s := fmt.Sprintf("sandbox %q: %s: network namespace path %q %s", e.Sandbox, e.Op, e.Path, e.Reason)
	if e.Network != "" {
		s = fmt.Sprintf("sandbox %q: %s of network %q: network namespace path %q %s", e.Sandbox, e.Op, e.Network, e.Path, e.Reason)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Is reports ErrInvalidNetNS.
func (e *InvalidNetNSError) Is(target error) bool { return target == ErrInvalidNetNS }

// Unwrap returns the system's cause.
func (e *InvalidNetNSError) Unwrap() error { return e.Err }

// netnsNeed says how much a path is checked.
type netnsNeed int

const (
	// netnsForm: the path may be empty (the cached one is used) or name a
	// namespace that is gone, but it must not be relative (Detach).
	netnsForm netnsNeed = iota
	// netnsLive: the path must name a network namespace now (Attach,
	// Check).
	netnsLive
)

// validateNetNS checks path for op; nil when it is acceptable.
func validateNetNS(id, op, network, path string, need netnsNeed) *InvalidNetNSError {
	reason, err := checkNetNS(path, need)
	if reason == "" {
		return nil
	}
	return &InvalidNetNSError{Sandbox: id, Op: op, Network: network, Path: path, Reason: reason, Err: err}
}
