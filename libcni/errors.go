package libcni

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cnirt/cni/invoke"
)

// Verbs as they appear in PluginError.Verb; the texts are the ones the
// reference library puts in parentheses in its "plugin ... failed (add)"
// messages.
const (
	verbAdd    = "add"
	verbDel    = "delete"
	verbCheck  = "check"
	verbStatus = "status"
	verbGC     = "gc"
)

// PluginError reports that one plugin of a network failed. It says which
// network, which plugin (its type, and its name when the plugin object has
// one), where the plugin sits in the network's plugin list and which
// operation was running. Err is the reason: typically an *invoke.PluginError
// wrapping the plugin's own *types.Error, so errors.As(err, &typesErr) still
// reaches the CNI error object the plugin printed.
type PluginError struct {
	// Network is the network's name.
	Network string
	// Plugin is the plugin's type (the executable's name).
	Plugin string
	// Name is the "name" member of the plugin object, usually empty.
	Name string
	// Index is the plugin's position in the network's plugin list,
	// counting from 0.
	Index int
	// Verb is the operation: "add", "delete", "check", "status" or "gc".
	Verb string
	// Err is the reason.
	Err error
}

// Error returns `network "n" plugins[i]: plugin type="t" failed (verb): reason`;
// the part from "plugin type=" on is the reference library's text for the same
// failure. For GC the reference's `failed to GC plugin t: reason` is used.
//
// When Err is the *invoke.PluginError of the run, its reason is printed
// directly and the executable's path follows in brackets, so the plugin
// and the verb are not named twice.
func (e *PluginError) Error() string {
	reason, path := e.Err, ""
	if run, ok := e.Err.(*invoke.PluginError); ok {
		reason, path = run.Err, run.Plugin
	}
	var b strings.Builder
	fmt.Fprintf(&b, "network %q plugins[%d]: ", e.Network, e.Index)
	if e.Verb == verbGC {
		fmt.Fprintf(&b, "failed to GC plugin %s: %v", e.Plugin, reason)
	} else {
		fmt.Fprintf(&b, "plugin type=%q", e.Plugin)
		if e.Name != "" {
			fmt.Fprintf(&b, " name=%q", e.Name)
		}
		fmt.Fprintf(&b, " failed (%s): %v", e.Verb, reason)
	}
	if path != "" {
		fmt.Fprintf(&b, " [%s]", path)
	}
	return b.String()
}

// Unwrap returns the reason.
func (e *PluginError) Unwrap() error { return e.Err }

// ErrAttachmentExists is returned (wrapped) by AddNetworkList and AddNetwork
// when the CNIConfig was built WithRejectDuplicateAdd(true) and the cache
// already holds a result for the attachment: the CNI specification forbids
// a second ADD without a DEL in between.
var ErrAttachmentExists = errors.New("attachment already added (ADD without DEL in between)")

// InvalidRuntimeConfError reports runtime arguments (container ID, interface
// name, network name, CNI_ARGS) refused before any plugin ran. Err is the
// reason: a *types.Error from pkg/utils (with the reference library's
// message) or an *invoke.ArgsError.
type InvalidRuntimeConfError struct {
	// Network is the network's name as given.
	Network string
	// Field names what was refused: "containerID", "ifName",
	// "network name", "CNI_ARGS", "cniVersion" or "config".
	Field string
	// Err is the reason.
	Err error
}

// Error returns `network "n": invalid <field>: reason`.
func (e *InvalidRuntimeConfError) Error() string {
	return fmt.Sprintf("network %q: invalid %s: %v", e.Network, e.Field, e.Err)
}

// Unwrap returns the reason.
func (e *InvalidRuntimeConfError) Unwrap() error { return e.Err }
