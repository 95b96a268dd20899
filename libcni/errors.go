package libcni

import (
	"errors"
	"fmt"
	"strings"
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
// one), where the plugin sits in the network's plugin list, which operation
// was running and which executable ran. Err is the reason as invoke returns
// it: typically the plugin's own *types.Error (errors.Unwrap gives it, as
// with the reference library), or an *invoke.ExitError.
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
	// Path is the plugin executable that ran, "" when it was not found.
	Path string
	// Err is the reason.
	Err error
}

// Error returns the reference library's text for the failure, `plugin
// type="t" failed (verb): reason` (for GC `failed to GC plugin t: reason`),
// followed by the context cnirt adds: `(network "n" plugins[i], path)`.
func (e *PluginError) Error() string {
	var b strings.Builder
	if e.Verb == verbGC {
		fmt.Fprintf(&b, "failed to GC plugin %s: %v", e.Plugin, e.Err)
	} else {
		fmt.Fprintf(&b, "plugin type=%q", e.Plugin)
		if e.Name != "" {
			fmt.Fprintf(&b, " name=%q", e.Name)
		}
		fmt.Fprintf(&b, " failed (%s): %v", e.Verb, e.Err)
	}
	fmt.Fprintf(&b, " (network %q plugins[%d]", e.Network, e.Index)
	if e.Path != "" {
		fmt.Fprintf(&b, ", %s", e.Path)
	}
	b.WriteByte(')')
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
// code, message and details) or an *invoke.ArgsError.
type InvalidRuntimeConfError struct {
	// Network is the network's name as given.
	Network string
	// Field names what was refused: "containerID", "ifName",
	// "network name", "CNI_ARGS", "cniVersion" or "config".
	Field string
	// Plugin, Name and Verb are set when the reference library reports the
	// same refusal as a failure of the list's first plugin (ADD on a list):
	// its type, its name and the verb.
	Plugin, Name, Verb string
	// Err is the reason.
	Err error
}

// Error returns `network "n": invalid <field>: reason`, or, when Verb is
// set, the reference's `plugin type="t" failed (add): reason` followed by
// `(network "n": invalid <field>)`.
func (e *InvalidRuntimeConfError) Error() string {
	if e.Verb == "" {
		return fmt.Sprintf("network %q: invalid %s: %v", e.Network, e.Field, e.Err)
	}
	name := ""
	if e.Name != "" {
		name = fmt.Sprintf(" name=%q", e.Name)
	}
	return fmt.Sprintf("plugin type=%q%s failed (%s): %v (network %q: invalid %s)", e.Plugin, name, e.Verb, e.Err, e.Network, e.Field)
}

// Unwrap returns the reason.
func (e *InvalidRuntimeConfError) Unwrap() error { return e.Err }
