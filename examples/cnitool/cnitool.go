package main

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cnirt/cni/invoke"
	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/types"
)

// Exit statuses; see the package documentation.
const (
	exitOK             = 0
	exitFailed         = 1
	exitUsage          = 2
	exitConfigNotFound = 3
	exitConfigInvalid  = 4
	exitPluginNotFound = 5
	exitInterrupted    = 130
)

// defaultNetDir is used when NETCONFPATH is unset.
const defaultNetDir = "/etc/cni/net.d"

// confExtensions are the configuration file extensions looked at by list.
var confExtensions = []string{".conf", ".conflist", ".json"}

// cliError is an error with the exit status it maps to.
type cliError struct {
	code int
	err  error
}

func (e *cliError) Error() string { return e.err.Error() }
func (e *cliError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &cliError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// tool holds one invocation's inputs and outputs.
type tool struct {
	env    func(string) (string, bool)
	stdout io.Writer
	stderr io.Writer
	json   bool
	// ifName is the -i/--ifname flag's value ("" when not given); it takes
	// precedence over CNI_IFNAME.
	ifName string
	// timings is the --timings flag: events are collected and printed as
	// a table after the command.
	timings bool
	events  []libcni.Event
	// logLevel is the --log-level flag's value; nil means no logging.
	logLevel *slog.Level
	// junit is the --junit flag's file (conformance).
	junit string
	// hostSetup are the --host-setup commands (conformance).
	hostSetup []string
	// checks are the --check flags' names (conformance).
	checks []string
}

// defaultIfName returns the interface name to use: the -i/--ifname flag,
// else CNI_IFNAME, else eth0 (an empty CNI_IFNAME counts as unset, as in the
// reference cnitool v1.3.1).
func (t *tool) defaultIfName() string {
	if t.ifName != "" {
		return t.ifName
	}
	if v := t.getenv("CNI_IFNAME"); v != "" {
		return v
	}
	return "eth0"
}

func (t *tool) getenv(k string) string {
	v, _ := t.env(k)
	return v
}

const usageText = `usage: cnitool [--json] [-i|--ifname <name>] [--timings] [--log-level <level>] <command> [arguments]

  add    <net> <netns>   attach the namespace to network <net>, print the result
  check  <net> <netns>   check the attachment
  del    <net> <netns>   detach (succeeds when already detached)
  status <net>           ask the network's plugins whether they are ready
  gc     <net> [<containerID>[/<ifname>] ...]
                         delete cached attachments of <net> not listed (all if none)
  validate <net>         check the plugins exist and support the network's version
  version <plugin>       print the CNI versions a plugin supports
  list                   list the networks found in NETCONFPATH
  conformance <net>      run the plugin conformance suite (pkg/conformance) against
                         the network's plugins, in namespaces it creates (Linux, root)

-i, --ifname <name>      interface name (default: CNI_IFNAME, else eth0)
--junit <file>           conformance: also write the results as JUnit XML
--check <name>[,<name>]  conformance: run only these checks
--host-setup <command>   conformance: run this shell command in every host
                         namespace the suite creates (e.g. to add a master link)
--timings                print a table of the plugin runs, lock waits and cache
                         accesses and their durations on stderr after the command
--log-level <level>      log every step at debug, failures at warn/error, on
                         stderr (debug, info, warn, error)
environment: NETCONFPATH (default /etc/cni/net.d), CNI_PATH, CNI_IFNAME (default eth0),
CNI_CONTAINERID, CNI_ARGS ("K=V;K=V"), CAP_ARGS (JSON object), CNITOOL_CACHE_DIR
exit status: 0 ok, 1 operation failed (conformance: a check failed), 2 usage, 3 network not found,
4 invalid configuration, 5 plugin not found, 130 interrupted
`

// run executes one cnitool command line and returns the exit status.
func run(ctx context.Context, args []string, env func(string) (string, bool), stdout, stderr io.Writer) int {
	t := &tool{env: env, stdout: stdout, stderr: stderr}
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-i" || a == "--ifname" || a == "-ifname":
			if i+1 >= len(args) || args[i+1] == "" {
				return t.fail("", nil, usageErr("flag %s needs an interface name", a))
			}
			i++
			t.ifName = args[i]
			continue
		case strings.HasPrefix(a, "--ifname=") || strings.HasPrefix(a, "-i="):
			_, v, _ := strings.Cut(a, "=")
			if v == "" {
				return t.fail("", nil, usageErr("flag %s needs an interface name", a))
			}
			t.ifName = v
			continue
		}
		switch name, value, hasValue := strings.Cut(a, "="); name {
		case "--junit", "--host-setup", "--check":
			if !hasValue {
				if i+1 >= len(args) || args[i+1] == "" {
					return t.fail("", nil, usageErr("flag %s needs a value", name))
				}
				i++
				value = args[i]
			}
			switch name {
			case "--junit":
				t.junit = value
			case "--host-setup":
				t.hostSetup = append(t.hostSetup, value)
			default:
				for _, c := range strings.Split(value, ",") {
					if c = strings.TrimSpace(c); c != "" {
						t.checks = append(t.checks, c)
					}
				}
			}
			continue
		case "--log-level", "-log-level":
			if !hasValue {
				if i+1 >= len(args) {
					return t.fail("", nil, usageErr("flag %s needs a level (debug, info, warn, error)", a))
				}
				i++
				value = args[i]
			}
			var level slog.Level
			if err := level.UnmarshalText([]byte(value)); err != nil {
				return t.fail("", nil, usageErr("flag %s: %v", name, err))
			}
			t.logLevel = &level
			continue
		}
		switch a {
		case "--timings", "-timings":
			t.timings = true
		case "--json", "-json":
			t.json = true
		case "-h", "-help", "--help", "help":
			fmt.Fprint(stdout, usageText)
			return exitOK
		default:
			rest = append(rest, a)
		}
	}
	if len(rest) == 0 {
		return t.fail("", nil, usageErr("no command given"))
	}
	cmd := rest[0]
	start := time.Now()
	out, err := t.dispatch(ctx, cmd, rest[1:])
	if t.timings {
		t.printTimings(cmd, time.Since(start))
	}
	if err != nil {
		return t.fail(cmd, out, err)
	}
	if t.json {
		if out == nil {
			out = map[string]any{}
		}
		out["command"] = cmd
		out["ok"] = true
		t.printJSON(stdout, out)
	}
	return exitOK
}

// fail reports err and returns its exit status. In JSON mode the fields of
// out (what the command knew before failing) are included.
func (t *tool) fail(cmd string, out map[string]any, err error) int {
	code := exitCode(err)
	if code == exitInterrupted && !errors.Is(err, context.Canceled) {
		code = exitFailed
	}
	msg := verbose(err)
	if hint := hintFor(code); hint != "" {
		msg += "\n  hint: " + hint
	}
	if t.json {
		obj := map[string]any{}
		for k, v := range out {
			obj[k] = v
		}
		obj["ok"], obj["error"], obj["exitCode"] = false, err.Error(), code
		if cmd != "" {
			obj["command"] = cmd
		}
		var cniErr *types.Error
		if errors.As(err, &cniErr) {
			obj["cniError"] = cniErr
		}
		var pe *libcni.PluginError
		if errors.As(err, &pe) {
			obj["plugin"] = pe.Plugin
			obj["verb"] = pe.Verb
		}
		t.printJSON(t.stdout, obj)
	}
	fmt.Fprintf(t.stderr, "cnitool: %s\n", msg)
	if code == exitUsage {
		fmt.Fprint(t.stderr, "\n"+usageText)
	}
	return code
}

// verbose returns err's text with the context cnirt's typed errors keep
// out of their Error() (which is the reference library's text): the first
// error in the chain that formats itself with %+v (file, field and line of
// a configuration error; network, position and path of a plugin failure)
// is printed in that form, after the text its wrappers put before it.
func verbose(err error) string {
	text := err.Error()
	for e := err; e != nil; e = errors.Unwrap(e) {
		if _, ok := e.(fmt.Formatter); !ok {
			continue
		}
		inner := e.Error()
		if prefix, ok := strings.CutSuffix(text, inner); ok {
			return prefix + fmt.Sprintf("%+v", e)
		}
		return text
	}
	return text
}

func hintFor(code int) string {
	switch code {
	case exitConfigNotFound:
		return "put a <name>.conflist file declaring that network in NETCONFPATH, or point NETCONFPATH at the directory that has it; `cnitool list` shows what is found"
	case exitPluginNotFound:
		return "set CNI_PATH to the directory holding the plugin binaries (e.g. CNI_PATH=/opt/cni/bin)"
	case exitConfigInvalid:
		return "fix the file and field named above; `cnitool list` shows every configuration file and its problem"
	}
	return ""
}

// exitCode maps an error to the exit status.
func exitCode(err error) int {
	var ce *cliError
	if errors.As(err, &ce) {
		return ce.code
	}
	var nf libcni.NotFoundError
	var ncf libcni.NoConfigsFoundError
	if errors.As(err, &nf) || errors.As(err, &ncf) {
		return exitConfigNotFound
	}
	var pnf *invoke.NotFoundError
	if errors.As(err, &pnf) || strings.Contains(err.Error(), "failed to find plugin") {
		return exitPluginNotFound
	}
	var cfg *libcni.ConfigError
	if errors.As(err, &cfg) {
		return exitConfigInvalid
	}
	var rtErr *libcni.InvalidRuntimeConfError
	if errors.As(err, &rtErr) {
		return exitUsage
	}
	if errors.Is(err, context.Canceled) {
		return exitInterrupted
	}
	return exitFailed
}

func (t *tool) printJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func (t *tool) dispatch(ctx context.Context, cmd string, args []string) (map[string]any, error) {
	switch cmd {
	case "add", "check", "del":
		if len(args) != 2 {
			return nil, usageErr("%s needs exactly 2 arguments, <net> <netns>; got %d", cmd, len(args))
		}
		return t.attachmentCmd(ctx, cmd, args[0], args[1])
	case "status":
		// The reference cnitool takes "status <net> <netns>"; the netns is
		// not used by STATUS.
		if len(args) != 1 && len(args) != 2 {
			return nil, usageErr("status needs 1 argument, <net>; got %d", len(args))
		}
		return t.status(ctx, args[0])
	case "gc":
		if len(args) < 1 {
			return nil, usageErr("gc needs <net> [<containerID>[/<ifname>] ...]")
		}
		return t.gc(ctx, args[0], args[1:])
	case "validate":
		if len(args) != 1 {
			return nil, usageErr("validate needs 1 argument, <net>; got %d", len(args))
		}
		return t.validate(ctx, args[0])
	case "version":
		if len(args) != 1 {
			return nil, usageErr("version needs 1 argument, <plugin>; got %d", len(args))
		}
		return t.version(ctx, args[0])
	case "conformance":
		if len(args) != 1 {
			return nil, usageErr("conformance needs 1 argument, <net>; got %d", len(args))
		}
		return t.conformance(ctx, args[0])
	case "list":
		if len(args) != 0 {
			return nil, usageErr("list takes no arguments")
		}
		return t.list()
	}
	return nil, usageErr("unknown command %q", cmd)
}

func (t *tool) netDir() string {
	if d := t.getenv("NETCONFPATH"); d != "" {
		return d
	}
	return defaultNetDir
}

// pluginPath returns CNI_PATH's directories, made absolute.
func (t *tool) pluginPath() []string {
	var path []string
	for _, p := range filepath.SplitList(t.getenv("CNI_PATH")) {
		if p == "" {
			continue
		}
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		path = append(path, p)
	}
	return path
}

// cni builds the library handle from CNI_PATH and CNITOOL_CACHE_DIR.
func (t *tool) cni() *libcni.CNIConfig {
	path := t.pluginPath()
	opts := []libcni.Option{libcni.WithCacheDir(t.getenv("CNITOOL_CACHE_DIR"))}
	if t.timings {
		opts = append(opts, libcni.WithEventHook(func(_ context.Context, ev libcni.Event) {
			t.events = append(t.events, ev)
		}))
	}
	if t.logLevel != nil {
		logger := slog.New(slog.NewTextHandler(t.stderr, &slog.HandlerOptions{Level: t.logLevel}))
		opts = append(opts, libcni.WithEventHook(libcni.NewSlogHook(logger)))
	}
	return libcni.NewCNIConfigWithOptions(path, nil, opts...)
}

// printTimings writes the table of the collected events to stderr: one
// row per step in the order the steps happened, then the plugins' total
// and the command's.
func (t *tool) printTimings(cmd string, total time.Duration) {
	var buf bytes.Buffer
	w := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "timings of %s:\n", cmd)
	fmt.Fprintln(w, "  STEP\tWHAT\tEXIT\tSTDIN\tSTDOUT\tDURATION\tERROR")
	var plugins time.Duration
	for _, ev := range t.events {
		what, exit, stdin, stdout := "", "", "", ""
		step := ev.Kind.String()
		switch ev.Kind {
		case libcni.EventPluginRun:
			plugins += ev.Duration
			step = ev.Command
			what = fmt.Sprintf("plugins[%d] %s", ev.PluginIndex, ev.PluginType)
			if ev.PluginIndex < 0 {
				what = ev.PluginType
			}
			exit = strconv.Itoa(ev.ExitCode)
			if ev.Signal != "" {
				exit = ev.Signal
			}
			stdin, stdout = byteCount(ev.StdinBytes), byteCount(ev.StdoutBytes)
		case libcni.EventLockWait:
			step, what = "lock", ev.Lock.String()
		default:
			what = filepath.Base(ev.CacheFile)
		}
		errText := ""
		if ev.Err != nil {
			errText = "failed"
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", step, what, exit, stdin, stdout, roundDuration(ev.Duration), errText)
	}
	fmt.Fprintf(w, "  plugins\t\t\t\t\t%s\t\n", roundDuration(plugins))
	fmt.Fprintf(w, "  total\t\t\t\t\t%s\t\n", roundDuration(total))
	_ = w.Flush()
	for _, line := range strings.SplitAfter(buf.String(), "\n") {
		if line != "" {
			fmt.Fprintln(t.stderr, strings.TrimRight(line, " \n"))
		}
	}
}

func byteCount(n int) string {
	if n < 0 {
		return "?"
	}
	return strconv.Itoa(n)
}

// roundDuration keeps three significant digits or so.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond / 10)
}

// loadNet loads network name from NETCONFPATH.
func (t *tool) loadNet(name string) (*libcni.NetworkConfigList, error) {
	dir := t.netDir()
	list, err := libcni.LoadNetworkConf(dir, name)
	if err != nil {
		var nf libcni.NotFoundError
		var ncf libcni.NoConfigsFoundError
		if errors.As(err, &nf) || errors.As(err, &ncf) || errors.Is(err, os.ErrNotExist) {
			return nil, &cliError{code: exitConfigNotFound, err: fmt.Errorf("network %q (NETCONFPATH=%s): %w", name, dir, err)}
		}
		return nil, &cliError{code: exitConfigInvalid, err: fmt.Errorf("loading network %q from NETCONFPATH=%s: %w", name, dir, err)}
	}
	return list, nil
}

// parseCNIArgs parses "K=V;K=V". Empty pairs (a trailing ';') are ignored;
// a pair without '=' or with an empty key is refused.
func parseCNIArgs(s string) ([][2]string, error) {
	var out [][2]string
	for i, pair := range strings.Split(s, ";") {
		if pair == "" {
			continue
		}
		k, v, ok := strings.Cut(pair, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("CNI_ARGS: pair %d %q is not KEY=VALUE (expected e.g. CNI_ARGS=\"IgnoreUnknown=1;K8S_POD_NAME=web\")", i+1, pair)
		}
		out = append(out, [2]string{k, v})
	}
	return out, nil
}

// runtimeConf builds the attachment's RuntimeConf from netns and the
// environment.
func (t *tool) runtimeConf(netns string) (*libcni.RuntimeConf, error) {
	rt := &libcni.RuntimeConf{IfName: t.defaultIfName()}
	if v := t.getenv("CAP_ARGS"); v != "" {
		if err := json.Unmarshal([]byte(v), &rt.CapabilityArgs); err != nil {
			return nil, usageErr("CAP_ARGS must be a JSON object, e.g. {\"portMappings\":[...]}: %v", err)
		}
	}
	if v := t.getenv("CNI_ARGS"); v != "" {
		a, err := parseCNIArgs(v)
		if err != nil {
			return nil, usageErr("%v", err)
		}
		rt.Args = a
	}
	abs, err := filepath.Abs(netns)
	if err != nil {
		return nil, usageErr("netns path %q: %v", netns, err)
	}
	rt.NetNS = abs
	rt.ContainerID = t.getenv("CNI_CONTAINERID")
	if rt.ContainerID == "" {
		rt.ContainerID = containerIDFor(abs)
	}
	return rt, nil
}

// containerIDFor derives a container ID from an absolute netns path the
// way the reference cnitool does, so both tools address the same
// attachments: "cnitool-" and the hex of the first 10 bytes of SHA-512.
func containerIDFor(netns string) string {
	sum := sha512.Sum512([]byte(netns))
	return fmt.Sprintf("cnitool-%x", sum[:10])
}

func (t *tool) attachmentCmd(ctx context.Context, cmd, netName, netns string) (map[string]any, error) {
	list, err := t.loadNet(netName)
	if err != nil {
		return nil, err
	}
	rt, err := t.runtimeConf(netns)
	if err != nil {
		return nil, err
	}
	cni := t.cni()
	out := map[string]any{"network": list.Name, "containerID": rt.ContainerID, "ifName": rt.IfName, "netns": rt.NetNS}
	switch cmd {
	case "add":
		res, err := cni.AddNetworkList(ctx, list, rt)
		if err != nil {
			return out, err
		}
		if t.json {
			raw, err := json.Marshal(res)
			if err != nil {
				return nil, fmt.Errorf("encoding result: %w", err)
			}
			out["result"] = json.RawMessage(raw)
		} else if err := res.PrintTo(t.stdout); err != nil {
			return nil, fmt.Errorf("printing result: %w", err)
		}
	case "check":
		err = cni.CheckNetworkList(ctx, list, rt)
	case "del":
		err = cni.DelNetworkList(ctx, list, rt)
	}
	if err != nil {
		return out, err
	}
	return out, nil
}

func (t *tool) status(ctx context.Context, netName string) (map[string]any, error) {
	list, err := t.loadNet(netName)
	if err != nil {
		return nil, err
	}
	if err := t.cni().GetStatusNetworkList(ctx, list); err != nil {
		return nil, err
	}
	return map[string]any{"network": list.Name}, nil
}

// parseValid turns "containerID[/ifname]" arguments into attachments; the
// interface name defaults to CNI_IFNAME or eth0.
func (t *tool) parseValid(args []string) ([]types.GCAttachment, error) {
	defIf := t.defaultIfName()
	// Reference compatibility: "gc <net> <netns>", the netns an absolute or
	// relative path (an existing file counts as one).
	if len(args) == 1 && isNetnsPath(args[0]) {
		fmt.Fprintf(t.stderr, "cnitool: gc: ignoring netns argument %q (reference cnitool syntax); all cached attachments of the network are collected\n", args[0])
		return nil, nil
	}
	var valid []types.GCAttachment
	for _, a := range args {
		id, ifName, found := strings.Cut(a, "/")
		if !found {
			ifName = defIf
		}
		if id == "" || ifName == "" || strings.Contains(ifName, "/") {
			return nil, usageErr("gc: %q is not <containerID> or <containerID>/<ifname>", a)
		}
		valid = append(valid, types.GCAttachment{ContainerID: id, IfName: ifName})
	}
	return valid, nil
}

// isNetnsPath reports whether a gc argument is the netns path of the
// reference cnitool's syntax rather than a container ID.
func isNetnsPath(arg string) bool {
	if strings.HasPrefix(arg, "/") || strings.HasPrefix(arg, ".") {
		return true
	}
	_, err := os.Stat(arg)
	return err == nil
}

func (t *tool) gc(ctx context.Context, netName string, validArgs []string) (map[string]any, error) {
	valid, err := t.parseValid(validArgs)
	if err != nil {
		return nil, err
	}
	list, err := t.loadNet(netName)
	if err != nil {
		return nil, err
	}
	if err := t.cni().GCNetworkList(ctx, list, &libcni.GCArgs{ValidAttachments: valid}); err != nil {
		return nil, err
	}
	if valid == nil {
		valid = []types.GCAttachment{}
	}
	return map[string]any{"network": list.Name, "validAttachments": valid}, nil
}

func (t *tool) validate(ctx context.Context, netName string) (map[string]any, error) {
	list, err := t.loadNet(netName)
	if err != nil {
		return nil, err
	}
	caps, err := t.cni().ValidateNetworkList(ctx, list)
	if err != nil {
		return nil, err
	}
	if caps == nil {
		caps = []string{}
	}
	sort.Strings(caps)
	if !t.json {
		fmt.Fprintf(t.stdout, "network %q (cniVersion %s) is valid: %d plugin(s), capabilities: %s\n",
			list.Name, list.CNIVersion, len(list.Plugins), strings.Join(append([]string{}, caps...), ", "))
	}
	return map[string]any{"network": list.Name, "cniVersion": list.CNIVersion, "capabilities": caps}, nil
}

func (t *tool) version(ctx context.Context, plugin string) (map[string]any, error) {
	info, err := t.cni().GetVersionInfo(ctx, plugin)
	if err != nil {
		return nil, err
	}
	vs := info.SupportedVersions()
	if !t.json {
		fmt.Fprintf(t.stdout, "%s supports CNI versions: %s\n", plugin, strings.Join(vs, ", "))
	}
	return map[string]any{"plugin": plugin, "supportedVersions": vs}, nil
}

// netInfo describes one configuration file for list.
type netInfo struct {
	Name       string   `json:"name,omitempty"`
	CNIVersion string   `json:"cniVersion,omitempty"`
	Plugins    []string `json:"plugins,omitempty"`
	File       string   `json:"file"`
	// Shadowed is set when an earlier file (in lexical order) declares a
	// network with the same name; loading by name picks the earlier one.
	Shadowed bool   `json:"shadowed,omitempty"`
	Error    string `json:"error,omitempty"`
}

func (t *tool) list() (map[string]any, error) {
	dir := t.netDir()
	files, err := libcni.ConfFiles(dir, confExtensions)
	if err != nil {
		return nil, &cliError{code: exitConfigNotFound, err: fmt.Errorf("reading NETCONFPATH=%s: %w", dir, err)}
	}
	nets := []netInfo{}
	seen := map[string]bool{}
	bad := 0
	for _, f := range files {
		info := netInfo{File: f}
		var err error
		if strings.HasSuffix(f, ".conflist") {
			var list *libcni.NetworkConfigList
			if list, err = libcni.NetworkConfFromFile(f); err == nil {
				info.Name, info.CNIVersion = list.Name, list.CNIVersion
				for _, p := range list.Plugins {
					info.Plugins = append(info.Plugins, p.Network.Type)
				}
			}
		} else {
			// A single-plugin file: it becomes a list of one when loaded
			// by name (libcni.LoadNetworkConf).
			var data []byte
			var conf *libcni.PluginConfig
			if data, err = os.ReadFile(f); err == nil {
				if conf, err = libcni.NetworkPluginConfFromBytes(data); err == nil {
					info.Name, info.CNIVersion = conf.Network.Name, conf.Network.CNIVersion
					info.Plugins = []string{conf.Network.Type}
				} else {
					err = fmt.Errorf("%s: %w", f, err)
				}
			}
		}
		if err != nil {
			info.Error = err.Error()
			bad++
		} else {
			info.Shadowed = seen[info.Name]
			seen[info.Name] = true
		}
		nets = append(nets, info)
	}
	if !t.json {
		if len(nets) == 0 {
			fmt.Fprintf(t.stdout, "no network configurations in %s\n", dir)
		}
		for _, n := range nets {
			switch {
			case n.Error != "":
				fmt.Fprintf(t.stdout, "%-20s %-8s %-40s %s\n", "(invalid)", "-", "-", n.File)
				fmt.Fprintf(t.stderr, "cnitool: %s\n", n.Error)
			default:
				name := n.Name
				if n.Shadowed {
					name += " (shadowed)"
				}
				fmt.Fprintf(t.stdout, "%-20s %-8s %-40s %s\n", name, n.CNIVersion, strings.Join(n.Plugins, ","), n.File)
			}
		}
	}
	out := map[string]any{"netconfpath": dir, "networks": nets}
	if bad > 0 {
		return out, &cliError{code: exitConfigInvalid, err: fmt.Errorf("%d of %d configuration files in %s are invalid", bad, len(files), dir)}
	}
	return out, nil
}
