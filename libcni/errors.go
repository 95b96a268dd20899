package libcni

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cnirt/cni/internal/errfmt"
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
//
// The operations return a *PluginError only where the reference library
// wraps the plugin's error: AddNetworkList, DelNetworkList and the plugin
// runs of GCNetworkList. AddNetwork, CheckNetwork, DelNetwork,
// CheckNetworkList and GetStatusNetworkList return the plugin's error
// itself, as the reference does, so a caller can type-assert
// err.(*types.Error); the *PluginError with the context is then in the
// EventPluginRun event of the run (see WithEventHook).
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

// Error returns the reference library's text for the failure, byte for
// byte: `plugin type="t" failed (verb): reason` (with ` name="n"` after
// the type when the plugin object has a name), and for GC `failed to GC
// plugin t: reason`. The context cnirt adds (network, position, path) is in
// the fields and in the verbose form, fmt's %+v.
func (e *PluginError) Error() string {
	if e.Verb == verbGC {
		return fmt.Sprintf("failed to GC plugin %s: %v", e.Plugin, e.Err)
	}
	return fmt.Sprintf("plugin %s failed (%s): %v", pluginDescription(e.Plugin, e.Name), e.Verb, e.Err)
}

// Format implements fmt.Formatter: %+v gives Error() followed by the
// context, ` (network "n" plugins[i], path)`; the other verbs format
// Error() as for any error.
func (e *PluginError) Format(f fmt.State, verb rune) {
	if errfmt.Verbose(f, verb) {
		fmt.Fprintf(f, "%s (network %q plugins[%d]", e.Error(), e.Network, e.Index)
		if e.Path != "" {
			fmt.Fprintf(f, ", %s", e.Path)
		}
		fmt.Fprint(f, ")")
		return
	}
	errfmt.Plain(f, verb, e.Error())
}

// Unwrap returns the reason.
func (e *PluginError) Unwrap() error { return e.Err }

// pluginDescription is the reference's description of a plugin in its
// failure texts: `type="t"`, and ` name="n"` when the plugin has a name.
func pluginDescription(typ, name string) string {
	if name == "" {
		return fmt.Sprintf("type=%q", typ)
	}
	return fmt.Sprintf("type=%q name=%q", typ, name)
}

// ErrAttachmentExists is returned (wrapped) by AddNetworkList and AddNetwork
// when the CNIConfig was built WithRejectDuplicateAdd(true) and the cache
// already holds a result for the attachment: the CNI specification forbids
// a second ADD without a DEL in between.
var ErrAttachmentExists = errors.New("attachment already added (ADD without DEL in between)")

// InvalidRuntimeConfError reports runtime arguments (container ID, interface
// name, network name, CNI_ARGS, the configuration's version) refused before
// any plugin ran. Err is the reason: a *types.Error from pkg/utils (with the
// reference library's code, message and details), an *invoke.ArgsError or
// an *UnsupportedVersionError.
//
// Where the reference library refuses the same input, the caller gets what
// it gets: AddNetwork returns pkg/utils' *types.Error itself, and
// AddNetworkList this error with Verb set, whose text is the reference's
// `plugin type="t" failed (add): reason`. The other refusals are cnirt's
// own (the reference lets those inputs through to the plugins and the
// cache paths).
type InvalidRuntimeConfError struct {
	// Network is the network's name as given.
	Network string
	// Field names what was refused: "containerID", "ifName",
	// "network name", "CNI_ARGS", "cniVersion", "config" or "runtime
	// configuration".
	Field string
	// Plugin, Name and Verb are set when the reference library reports the
	// same refusal as a failure of the list's first plugin (ADD on a list):
	// its type, its name and the verb.
	Plugin, Name, Verb string
	// Err is the reason.
	Err error
}

// Error returns, when Verb is set, the reference's `plugin type="t" failed
// (add): reason`; for a malformed cniVersion the parse error's text (the
// reference's for CHECK and DEL); otherwise cnirt's `network "n": invalid
// <field>: reason`. The verbose form, fmt's %+v, adds the network and
// field to the first two.
func (e *InvalidRuntimeConfError) Error() string {
	var uv *UnsupportedVersionError
	if e.Verb == "" && errors.As(e.Err, &uv) && uv.Err != nil {
		// A malformed version: the parse error's text, which is what the
		// reference's CHECK and DEL return for it.
		return uv.Err.Error()
	}
	if e.Verb == "" {
		return fmt.Sprintf("network %q: invalid %s: %v", e.Network, e.Field, e.Err)
	}
	return fmt.Sprintf("plugin %s failed (%s): %v", pluginDescription(e.Plugin, e.Name), e.Verb, e.Err)
}

// Format implements fmt.Formatter: %+v gives Error() followed by
// ` (network "n": invalid <field>)` when the text is the reference's; the
// other verbs format Error() as for any error.
func (e *InvalidRuntimeConfError) Format(f fmt.State, verb rune) {
	if text := e.Error(); errfmt.Verbose(f, verb) && !strings.HasPrefix(text, "network ") {
		fmt.Fprintf(f, "%s (network %q: invalid %s)", text, e.Network, e.Field)
		return
	}
	errfmt.Plain(f, verb, e.Error())
}

// Unwrap returns the reason.
func (e *InvalidRuntimeConfError) Unwrap() error { return e.Err }
