package sandbox

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cnirt/cni/invoke"
	"github.com/cnirt/cni/libcni"
)

// Operations named in NetworkError.Op.
const (
	OpAdd      = "add"
	OpDel      = "delete"
	OpRollback = "rollback"
	OpCheck    = "check"
	OpStatus   = "status"
	OpGC       = "gc"
)

// NetworkError reports the failure of one network of a sandbox operation.
// Err is the reason: a *libcni.PluginError for ADD and DEL (errors.As
// reaches it and the plugin's *types.Error), the plugin's own error for
// CHECK and STATUS, which libcni returns unwrapped as the reference does.
type NetworkError struct {
	// Network is the network's name.
	Network string
	// IfName is the attachment's interface, "" for STATUS and GC.
	IfName string
	// Op is the operation: OpAdd, OpDel, OpRollback, OpCheck, OpStatus or
	// OpGC.
	Op string
	// Plugin is the type of the plugin that failed, when known.
	Plugin string
	// PluginMissing is set when that plugin's executable was not found.
	PluginMissing bool
	// Kept is set when the attachment's cache entry was kept, so that a
	// later Detach (or GC) can retry.
	Kept bool
	// Err is the reason.
	Err error
}

// newNetworkError fills in what err tells about the plugin.
func newNetworkError(n, ifName, op string, err error) *NetworkError {
	ne := &NetworkError{Network: n, IfName: ifName, Op: op, Err: err}
	var pe *libcni.PluginError
	if errors.As(err, &pe) {
		ne.Plugin = pe.Plugin
	}
	var nf *invoke.NotFoundError
	if errors.As(err, &nf) {
		// CHECK and STATUS return the lookup's error itself, as the
		// reference library does; it names the plugin.
		ne.PluginMissing = true
		if ne.Plugin == "" {
			ne.Plugin = nf.Plugin
		}
	}
	return ne
}

// Error names the network, the interface, the operation and, for a
// missing plugin, which one and what happened to the attachment.
func (e *NetworkError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "network %q", e.Network)
	if e.IfName != "" {
		fmt.Fprintf(&b, " interface %q", e.IfName)
	}
	fmt.Fprintf(&b, " (%s): ", e.Op)
	if e.PluginMissing {
		fmt.Fprintf(&b, "plugin %q is missing", e.Plugin)
		if e.Kept {
			b.WriteString(", cached attachment kept for a later retry")
		}
		b.WriteString(": ")
	} else if e.Kept {
		b.WriteString("cached attachment kept for a later retry: ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the reason.
func (e *NetworkError) Unwrap() error { return e.Err }

// SandboxError reports a sandbox operation that failed in one or more
// networks; Failures has one entry per network, in order. For Attach,
// Rollback lists the rollback DELs that failed too. errors.As reaches
// every *NetworkError and what it wraps.
type SandboxError struct {
	// Sandbox is the sandbox's ID.
	Sandbox string
	// Op is the operation: "attach", "detach", "check" or "gc".
	Op string
	// Failures are the networks that failed.
	Failures []*NetworkError
	// RolledBack names the networks whose ADD succeeded and was undone
	// (Attach only).
	RolledBack []string
	// Rollback are the rollback DELs that failed (Attach only).
	Rollback []*NetworkError
}

// Error lists every failed network and why.
func (e *SandboxError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sandbox %q: %s failed in %d network(s): ", e.Sandbox, e.Op, len(e.Failures))
	for i, f := range e.Failures {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f.Error())
	}
	if len(e.RolledBack) > 0 {
		fmt.Fprintf(&b, "; rolled back %q", e.RolledBack)
	}
	for _, f := range e.Rollback {
		b.WriteString("; ")
		b.WriteString(f.Error())
	}
	return b.String()
}

// Unwrap returns the failures, then the failed rollbacks.
func (e *SandboxError) Unwrap() []error {
	errs := make([]error, 0, len(e.Failures)+len(e.Rollback))
	for _, f := range e.Failures {
		errs = append(errs, f)
	}
	for _, f := range e.Rollback {
		errs = append(errs, f)
	}
	return errs
}
