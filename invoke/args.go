package invoke

import (
	"os"
	"runtime"
	"strings"
)

// CNIArgs produces the environment a plugin runs with.
type CNIArgs interface {
	// AsEnv returns the complete environment for the plugin process, as
	// "KEY=value" entries. A nil slice means the plugin inherits this
	// process's environment unchanged.
	AsEnv() []string
}

// inheritedArgs passes this process's environment to the plugin as it is.
type inheritedArgs struct{}

// AsEnv returns nil, which makes the plugin inherit the environment.
func (inheritedArgs) AsEnv() []string { return nil }

// ArgsFromEnv returns CNIArgs that hand this process's own environment,
// CNI_* variables included, to the plugin unchanged. Plugins that delegate
// to other plugins use it.
func ArgsFromEnv() CNIArgs { return inheritedArgs{} }

// Args describes one plugin run as the CNI specification's environment
// variables.
type Args struct {
	// Command becomes CNI_COMMAND (ADD, DEL, CHECK, STATUS, GC, VERSION).
	Command string
	// ContainerID becomes CNI_CONTAINERID.
	ContainerID string
	// NetNS becomes CNI_NETNS, the path of the network namespace.
	NetNS string
	// PluginArgs are joined as "K1=V1;K2=V2" into CNI_ARGS, unless
	// PluginArgsStr is set.
	PluginArgs [][2]string
	// PluginArgsStr, when not empty, is used verbatim as CNI_ARGS.
	PluginArgsStr string
	// IfName becomes CNI_IFNAME.
	IfName string
	// Path becomes CNI_PATH; it holds the plugin directories already joined
	// with os.PathListSeparator.
	Path string
}

var _ CNIArgs = (*Args)(nil)

// AsEnv returns this process's environment with the six CNI variables
// (CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_ARGS, CNI_IFNAME, CNI_PATH)
// set from args. Inherited entries for those six names are dropped, so the
// plugin sees exactly one value of each, and so are inherited TRACEPARENT,
// TRACESTATE and BAGGAGE: a plugin gets a trace context only from the
// context of its run (see [RawExec.ExecPlugin]). The order of the other
// entries is kept. AsEnv cannot refuse bad input: call [Args.Validate] (or let
// [ExecPluginWithResult] do it) before using the result.
func (args *Args) AsEnv() []string {
	vars := args.cniEntries()
	return overrideEnv(runtimeEnviron(), vars[:]...)
}

// cniEntries returns the six CNI variables of args as "NAME=value"
// entries, in the order of cniVars; nil args give empty values.
func (args *Args) cniEntries() [len(cniVars)]string {
	var a Args
	if args != nil {
		a = *args
	}
	cniArgs := a.PluginArgsStr
	if cniArgs == "" {
		cniArgs = joinPluginArgs(a.PluginArgs)
	}
	return [...]string{
		cniVars[0] + "=" + a.Command,
		cniVars[1] + "=" + a.ContainerID,
		cniVars[2] + "=" + a.NetNS,
		cniVars[3] + "=" + cniArgs,
		cniVars[4] + "=" + a.IfName,
		cniVars[5] + "=" + a.Path,
	}
}

// Validate reports an [*ArgsError] if args cannot be passed to a plugin
// unambiguously: a CNI_ARGS key that is empty or contains '=', ';', NUL or
// a line break; a CNI_ARGS value containing ';', NUL or a line break; a
// PluginArgsStr containing NUL or a line break; or any other field
// containing NUL.
func (args *Args) Validate() error {
	if args == nil {
		return &ArgsError{Var: "CNI_COMMAND", Reason: "no arguments given (nil *Args)"}
	}
	for _, f := range [...]struct{ name, value string }{
		{"CNI_COMMAND", args.Command},
		{"CNI_CONTAINERID", args.ContainerID},
		{"CNI_NETNS", args.NetNS},
		{"CNI_IFNAME", args.IfName},
		{"CNI_PATH", args.Path},
	} {
		if strings.IndexByte(f.value, 0) >= 0 {
			return &ArgsError{Var: f.name, Value: f.value, Reason: "contains a NUL byte"}
		}
	}
	if args.PluginArgsStr != "" {
		if i := strings.IndexAny(args.PluginArgsStr, "\x00\r\n"); i >= 0 {
			return &ArgsError{Var: "CNI_ARGS", Value: args.PluginArgsStr, Reason: "contains " + describeByte(args.PluginArgsStr[i])}
		}
		return nil
	}
	for _, kv := range args.PluginArgs {
		key, value := kv[0], kv[1]
		if key == "" {
			return &ArgsError{Var: "CNI_ARGS", Value: value, Reason: "empty key"}
		}
		if i := strings.IndexAny(key, "=;\x00\r\n"); i >= 0 {
			return &ArgsError{Var: "CNI_ARGS", Key: key, Value: key, Reason: "key contains " + describeByte(key[i])}
		}
		if i := strings.IndexAny(value, ";\x00\r\n"); i >= 0 {
			return &ArgsError{Var: "CNI_ARGS", Key: key, Value: value, Reason: "value contains " + describeByte(value[i])}
		}
	}
	return nil
}

// ValidateArgs checks args before a plugin run. Implementations that have a
// Validate() error method, such as [*Args], are asked to validate
// themselves; others, like [ArgsFromEnv] and [*DelegateArgs], pass through
// the environment they were given and are accepted. A nil args is accepted
// and means the plugin inherits the environment.
func ValidateArgs(args CNIArgs) error {
	if v, ok := args.(interface{ Validate() error }); ok {
		return v.Validate()
	}
	return nil
}

// DelegateArgs is used by a plugin that calls another plugin: the delegate
// inherits the caller's environment, with CNI_COMMAND replaced.
type DelegateArgs struct {
	// Command becomes CNI_COMMAND.
	Command string
}

var _ CNIArgs = (*DelegateArgs)(nil)

// AsEnv returns this process's environment with CNI_COMMAND set to
// d.Command (any inherited CNI_COMMAND is dropped).
func (d *DelegateArgs) AsEnv() []string {
	cmd := ""
	if d != nil {
		cmd = d.Command
	}
	return overrideEnv(os.Environ(), "CNI_COMMAND="+cmd)
}

func describeByte(c byte) string {
	switch c {
	case 0:
		return "a NUL byte"
	case '\n', '\r':
		return "a line break"
	default:
		return "'" + string(c) + "'"
	}
}

// joinPluginArgs renders key/value pairs as "K1=V1;K2=V2".
func joinPluginArgs(kvs [][2]string) string {
	if len(kvs) == 0 {
		return ""
	}
	n := len(kvs)*2 - 1
	for _, kv := range kvs {
		n += len(kv[0]) + len(kv[1])
	}
	var b strings.Builder
	b.Grow(n)
	for i, kv := range kvs {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(kv[0])
		b.WriteByte('=')
		b.WriteString(kv[1])
	}
	return b.String()
}

// overrideEnv returns base without the entries whose names appear in
// overrides, followed by overrides. Entries without '=' are kept as they
// are. Names compare case-insensitively on Windows, as the OS does.
func overrideEnv(base []string, overrides ...string) []string {
	out := make([]string, 0, len(base)+len(overrides))
	for _, entry := range base {
		if !envOverridden(entry, overrides) {
			out = append(out, entry)
		}
	}
	return append(out, overrides...)
}

func envOverridden(entry string, overrides []string) bool {
	name, _, ok := strings.Cut(entry, "=")
	if !ok {
		return false
	}
	for _, o := range overrides {
		oname, _, _ := strings.Cut(o, "=")
		if name == oname || (runtime.GOOS == "windows" && strings.EqualFold(name, oname)) {
			return true
		}
	}
	return false
}

// envValue returns the value of the last entry named name in env; a nil env
// means this process's environment.
func envValue(env []string, name string) string {
	if env == nil {
		return os.Getenv(name)
	}
	for i := len(env) - 1; i >= 0; i-- {
		n, v, ok := strings.Cut(env[i], "=")
		if ok && (n == name || (runtime.GOOS == "windows" && strings.EqualFold(n, name))) {
			return v
		}
	}
	return ""
}
