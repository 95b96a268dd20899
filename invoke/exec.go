package invoke

import (
	"context"
	"encoding/json"
	"errors"
	"os"

	"github.com/cnirt/cni/types"
	"github.com/cnirt/cni/types/create"
	"github.com/cnirt/cni/version"
)

// Exec finds, runs and asks plugins for their versions. [DefaultExec] runs
// real executables; tests can supply their own implementation.
type Exec interface {
	// ExecPlugin runs the plugin at pluginPath with stdinData as input and
	// environ as environment (nil: inherit) and returns its stdout.
	ExecPlugin(ctx context.Context, pluginPath string, stdinData []byte, environ []string) ([]byte, error)
	// FindInPath returns the executable for plugin found in paths.
	FindInPath(plugin string, paths []string) (string, error)
	// Decode parses a plugin's answer to the VERSION command.
	Decode(jsonBytes []byte) (version.PluginInfo, error)
}

// DefaultExec runs plugin executables from disk ([RawExec]) and decodes
// their version information ([version.PluginDecoder]). A DefaultExec with a
// nil RawExec behaves like one with a zero RawExec.
type DefaultExec struct {
	*RawExec
	version.PluginDecoder
}

var _ Exec = (*DefaultExec)(nil)

// newDefaultExec is what the package uses when a caller passes a nil Exec:
// plugin stderr goes to this process's stderr, as with the reference.
func newDefaultExec() Exec {
	return &DefaultExec{RawExec: &RawExec{Stderr: os.Stderr}}
}

// ExecPluginWithResult runs the plugin with args and decodes the result it
// prints. A result without cniVersion is taken to be of the configuration's
// version. A nil exec means [DefaultExec] with stderr going to os.Stderr; a
// nil args means the plugin inherits this process's environment.
//
// args is validated first ([ValidateArgs]); nothing runs if it is refused
// or ctx is already done. Errors are returned as the reference library
// returns them, unwrapped: what the Exec returned (for [RawExec] always a
// [*types.Error]: the plugin's own, or one of code 0 with an [*ExitError],
// an [*OutputLimitError] or the start failure behind it), an
// [*ArgsError], or the result decoding error. Callers add the plugin and
// the command; libcni's PluginError does.
func ExecPluginWithResult(ctx context.Context, pluginPath string, netconf []byte, args CNIArgs, exec Exec) (types.Result, error) {
	stdout, err := run(ctx, pluginPath, netconf, args, exec)
	if err != nil {
		return nil, err
	}
	return decodeResult(netconf, stdout)
}

// ExecPluginWithoutResult runs the plugin with args for a command that has
// no result (DEL, CHECK, STATUS, GC) and discards what it prints on
// success. Arguments and errors are as for [ExecPluginWithResult].
func ExecPluginWithoutResult(ctx context.Context, pluginPath string, netconf []byte, args CNIArgs, exec Exec) error {
	_, err := run(ctx, pluginPath, netconf, args, exec)
	return err
}

// run validates, builds the environment and runs the plugin.
func run(ctx context.Context, pluginPath string, stdin []byte, args CNIArgs, exec Exec) ([]byte, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if exec == nil {
		exec = newDefaultExec()
	}
	if err := ValidateArgs(args); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, notStarted(ctx)
	}
	var environ []string
	if args != nil {
		environ = args.AsEnv()
	}
	return exec.ExecPlugin(ctx, pluginPath, stdin, environ)
}

// decodeResult turns a plugin's stdout into a Result. A result without a
// cniVersion (or with an empty one) is taken to be in the configuration's
// version, as the reference does for plugins that omit it.
func decodeResult(netconf, stdout []byte) (types.Result, error) {
	confVersion, err := (&version.ConfigDecoder{}).Decode(netconf)
	if err != nil {
		return nil, err
	}
	return create.CreateFromBytesWithDefault(confVersion, stdout)
}

// GetVersionInfo asks the plugin which CNI versions it supports by running
// its VERSION command. A plugin too old to know that command (it answers
// "unknown CNI_COMMAND: VERSION") is reported as supporting 0.1.0. A nil
// exec means [DefaultExec].
func GetVersionInfo(ctx context.Context, pluginPath string, exec Exec) (version.PluginInfo, error) {
	if exec == nil {
		exec = newDefaultExec()
	}
	args := &Args{
		Command: "VERSION",
		// Plugins built with old versions of skel insist on these.
		NetNS:  "dummy",
		IfName: "dummy",
		Path:   "dummy",
	}
	stdin, err := json.Marshal(struct {
		CNIVersion string `json:"cniVersion"`
	}{version.Current()})
	if err != nil {
		return nil, err
	}
	out, err := run(ctx, pluginPath, stdin, args, exec)
	if err != nil {
		// As the reference: the text decides, whatever the error's type.
		var te *types.Error
		if err.Error() == unknownVersionCommand || (errors.As(err, &te) && te.Msg == unknownVersionCommand) {
			return version.PluginSupports("0.1.0"), nil
		}
		return nil, err
	}
	return exec.Decode(out)
}

// unknownVersionCommand is what plugins that predate the VERSION command
// answer to it.
const unknownVersionCommand = "unknown CNI_COMMAND: VERSION"
