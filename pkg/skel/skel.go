// Package skel is the skeleton of a CNI plugin: it reads the CNI_*
// environment variables and the configuration on standard input, checks
// them the way the CNI specification asks, calls the plugin's function for
// the requested verb and reports failures as CNI error objects.
//
// A plugin's main function is usually one call:
//
//	func main() {
//		skel.PluginMainFuncs(skel.CNIFuncs{Add: cmdAdd, Del: cmdDel, Check: cmdCheck},
//			version.All, "CNI plugin example v1.0.0")
//	}
//
// Validation, in order: CNI_COMMAND must be set; the variables the verb
// needs must be set (ADD and CHECK: CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME,
// CNI_PATH; DEL: CNI_CONTAINERID, CNI_IFNAME, CNI_PATH; STATUS and GC:
// CNI_PATH; VERSION: nothing), with the container ID and interface name
// checked by pkg/utils; the verb must be known; standard input (not read
// for VERSION, and at most MaxStdinBytes) must be a JSON object with a valid
// "name"; its cniVersion must be one the plugin supports, at least 0.4.0
// for CHECK and 1.1.0 for STATUS and GC. For ADD and DEL, CNI_NETNS must not
// be the plugin's own network namespace unless CNI_NETNS_OVERRIDE is "1" or
// "true" (checked on Linux only; elsewhere there is nothing to compare).
// Unlike the reference library, that namespace check happens before the
// plugin's function runs, so a plugin is never asked to configure its own
// namespace.
package skel

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"strings"

	"github.com/cnirt/cni/pkg/ns"
	"github.com/cnirt/cni/pkg/utils"
	"github.com/cnirt/cni/types"
	"github.com/cnirt/cni/version"
)

// DefaultMaxStdinBytes is the most standard input a Dispatcher reads when
// its MaxStdinBytes is zero: 16 MiB, far above any real configuration.
const DefaultMaxStdinBytes = 16 << 20

// CmdArgs is what a plugin function receives: the CNI_* environment
// variables and the configuration read from standard input.
type CmdArgs struct {
	// ContainerID is CNI_CONTAINERID.
	ContainerID string
	// Netns is CNI_NETNS, the path of the container's network namespace.
	Netns string
	// IfName is CNI_IFNAME, the interface to create inside the container.
	IfName string
	// Args is CNI_ARGS, extra "KEY=VALUE;..." arguments.
	Args string
	// Path is CNI_PATH, the plugin search path.
	Path string
	// NetnsOverride is CNI_NETNS_OVERRIDE; "1" or "true" lets Netns be the
	// plugin's own namespace.
	NetnsOverride string
	// StdinData is the configuration read from standard input.
	StdinData []byte
}

// CNIFuncs holds a plugin's function for each verb. A nil function means
// the verb succeeds without output once the input is validated.
type CNIFuncs struct {
	// Add runs for CNI_COMMAND=ADD.
	Add func(_ *CmdArgs) error
	// Del runs for CNI_COMMAND=DEL.
	Del func(_ *CmdArgs) error
	// Check runs for CNI_COMMAND=CHECK.
	Check func(_ *CmdArgs) error
	// GC runs for CNI_COMMAND=GC.
	GC func(_ *CmdArgs) error
	// Status runs for CNI_COMMAND=STATUS.
	Status func(_ *CmdArgs) error
}

// Dispatcher runs a plugin against an explicit environment and explicit
// streams. Its zero value uses the process's: os.Getenv, os.Stdin,
// os.Stdout and os.Stderr. It lets a plugin be run, and tested, without a
// process of its own.
type Dispatcher struct {
	// Getenv looks up environment variables; nil means os.Getenv.
	Getenv func(string) string
	// Stdin supplies the configuration; nil means os.Stdin.
	Stdin io.Reader
	// Stdout receives the VERSION answer and, from Main, error objects;
	// nil means os.Stdout.
	Stdout io.Writer
	// Stderr receives the "about" text; nil means os.Stderr.
	Stderr io.Writer
	// MaxStdinBytes bounds the configuration size; 0 means
	// DefaultMaxStdinBytes.
	MaxStdinBytes int64
}

func (d *Dispatcher) getenv(k string) string {
	if d.Getenv == nil {
		return os.Getenv(k)
	}
	return d.Getenv(k)
}

func (d *Dispatcher) stdout() io.Writer {
	if d.Stdout == nil {
		return os.Stdout
	}
	return d.Stdout
}

func (d *Dispatcher) stderr() io.Writer {
	if d.Stderr == nil {
		return os.Stderr
	}
	return d.Stderr
}

// Run validates the invocation and calls the function of funcs for the
// requested verb. It returns nil on success, the function's own
// *types.Error, or a *types.Error describing what was wrong (any other
// error a function returns gets code ErrInternal). Run writes nothing to
// Stdout on failure; see Main. When CNI_COMMAND is unset and about is not
// empty, Run prints about and the supported versions to Stderr and
// succeeds.
func (d *Dispatcher) Run(funcs CNIFuncs, versionInfo version.PluginInfo, about string) *types.Error {
	e, _ := d.run(funcs, versionInfo, about)
	return e
}

// Main is Run followed by the error reporting the CNI specification asks
// of a plugin: on failure it writes the error object, with the
// configuration's cniVersion (or Current() when unknown), to Stdout and
// returns exit status 1; on success it returns 0.
func (d *Dispatcher) Main(funcs CNIFuncs, versionInfo version.PluginInfo, about string) int {
	e, ver := d.run(funcs, versionInfo, about)
	if e == nil {
		return 0
	}
	if err := WriteError(d.stdout(), e, ver); err != nil {
		log.Print("writing CNI error object to stdout: ", err)
	}
	return 1
}

// WriteError writes e to w as a CNI error object carrying cniVersion:
// {"cniVersion": ..., "code": ..., "msg": ..., "details": ...}, indented,
// followed by a newline. An empty cniVersion is written as Current().
func WriteError(w io.Writer, e *types.Error, cniVersion string) error {
	if cniVersion == "" {
		cniVersion = version.Current()
	}
	out := struct {
		CNIVersion string `json:"cniVersion"`
		Code       uint   `json:"code"`
		Msg        string `json:"msg"`
		Details    string `json:"details,omitempty"`
	}{cniVersion, e.Code, e.Msg, e.Details}
	b, err := json.MarshalIndent(out, "", "    ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// envVar describes one CNI_* variable and the verbs that need it.
type envVar struct {
	name     string
	required func(cmd string) bool
	validate func(string) *types.Error
}

func verbs(list ...string) func(string) bool {
	return func(cmd string) bool {
		for _, v := range list {
			if v == cmd {
				return true
			}
		}
		return false
	}
}

func never(string) bool { return false }

// envVars is in the order the variables are checked and reported.
var envVars = [...]envVar{
	{"CNI_CONTAINERID", verbs("ADD", "CHECK", "DEL"), utils.ValidateContainerID},
	{"CNI_NETNS", verbs("ADD", "CHECK"), nil},
	{"CNI_IFNAME", verbs("ADD", "CHECK", "DEL"), utils.ValidateInterfaceName},
	{"CNI_ARGS", never, nil},
	{"CNI_PATH", verbs("ADD", "CHECK", "DEL", "GC", "STATUS"), nil},
	{"CNI_NETNS_OVERRIDE", never, nil},
}

// minVersion is the lowest configuration version that allows a verb.
func minVersion(cmd string) string {
	switch cmd {
	case "CHECK":
		return "0.4.0"
	case "STATUS", "GC":
		return "1.1.0"
	}
	return ""
}

func knownVerb(cmd string) bool {
	switch cmd {
	case "ADD", "CHECK", "DEL", "STATUS", "GC", "VERSION":
		return true
	}
	return false
}

// readArgs reads and checks the environment and standard input.
func (d *Dispatcher) readArgs() (string, *CmdArgs, *types.Error) {
	cmd := d.getenv("CNI_COMMAND")
	var vals [len(envVars)]string
	var missing []string
	if cmd == "" {
		missing = append(missing, "CNI_COMMAND")
	}
	for i, v := range envVars {
		vals[i] = d.getenv(v.name)
		req := v.required(cmd)
		switch {
		case vals[i] == "" && req:
			missing = append(missing, v.name)
		case vals[i] != "" && req && v.validate != nil:
			if e := v.validate(vals[i]); e != nil {
				return cmd, nil, e
			}
		}
	}
	if len(missing) > 0 {
		return cmd, nil, types.NewError(types.ErrInvalidEnvironmentVariables,
			fmt.Sprintf("required env variables [%s] missing", strings.Join(missing, ",")), "")
	}
	if !knownVerb(cmd) {
		return cmd, nil, types.NewError(types.ErrInvalidEnvironmentVariables, fmt.Sprintf("unknown CNI_COMMAND: %v", cmd), "")
	}
	args := &CmdArgs{
		ContainerID:   vals[0],
		Netns:         vals[1],
		IfName:        vals[2],
		Args:          vals[3],
		Path:          vals[4],
		NetnsOverride: vals[5],
	}
	if cmd == "VERSION" {
		// The configuration of VERSION carries nothing a plugin needs.
		return cmd, args, nil
	}
	data, e := d.readStdin()
	if e != nil {
		return cmd, nil, e
	}
	args.StdinData = data
	return cmd, args, nil
}

func (d *Dispatcher) readStdin() ([]byte, *types.Error) {
	limit := d.MaxStdinBytes
	if limit <= 0 {
		limit = DefaultMaxStdinBytes
	}
	in := d.Stdin
	if in == nil {
		in = os.Stdin
	}
	data, err := io.ReadAll(io.LimitReader(in, limit+1))
	if err != nil {
		return nil, types.NewError(types.ErrIOFailure, fmt.Sprintf("error reading from stdin: %v", err), "")
	}
	if int64(len(data)) > limit {
		return nil, types.NewError(types.ErrIOFailure,
			fmt.Sprintf("error reading from stdin: configuration is larger than %d bytes", limit), "")
	}
	return data, nil
}

// checkConfigName checks that the configuration is a JSON object with a
// valid network name.
func checkConfigName(data []byte) *types.Error {
	var conf struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(data, &conf); err != nil {
		return types.NewError(types.ErrDecodingFailure, fmt.Sprintf("error unmarshall network config: %v", err), "")
	}
	if conf.Name == "" {
		return types.NewError(types.ErrInvalidNetworkConfig, "missing network name", "")
	}
	return utils.ValidateNetworkName(conf.Name)
}

// run is Run, also returning the configuration's cniVersion when known.
func (d *Dispatcher) run(funcs CNIFuncs, versionInfo version.PluginInfo, about string) (e *types.Error, confVersion string) {
	if versionInfo == nil {
		return types.NewError(types.ErrInternal, "plugin declares no supported CNI versions", "versionInfo is nil"), ""
	}
	cmd, args, e := d.readArgs()
	if e != nil {
		if cmd == "" && about != "" {
			// A person ran the plugin by hand: tell them what it is.
			_, _ = fmt.Fprintln(d.stderr(), about)
			_, _ = fmt.Fprintf(d.stderr(), "CNI protocol versions supported: %s\n", strings.Join(versionInfo.SupportedVersions(), ", "))
			return nil, ""
		}
		return e, ""
	}
	if cmd == "VERSION" {
		if err := versionInfo.Encode(d.stdout()); err != nil {
			return types.NewError(types.ErrIOFailure, err.Error(), "writing the VERSION answer"), ""
		}
		return nil, ""
	}
	if e := checkConfigName(args.StdinData); e != nil {
		return e, ""
	}
	var dec version.ConfigDecoder
	confVersion, err := dec.Decode(args.StdinData)
	if err != nil {
		return types.NewError(types.ErrDecodingFailure, err.Error(), ""), ""
	}
	if e := checkVersion(cmd, confVersion, versionInfo); e != nil {
		return e, confVersion
	}
	var fn func(*CmdArgs) error
	switch cmd {
	case "ADD":
		fn = funcs.Add
	case "DEL":
		fn = funcs.Del
	case "CHECK":
		fn = funcs.Check
	case "STATUS":
		fn = funcs.Status
	case "GC":
		fn = funcs.GC
	}
	if cmd == "ADD" || cmd == "DEL" {
		if o := args.NetnsOverride; o != "1" && !strings.EqualFold(o, "true") {
			same, e := ns.CheckNetNS(args.Netns)
			if e != nil {
				return e, confVersion
			}
			if same {
				return types.NewError(types.ErrInvalidNetNS, "plugin's netns and netns from CNI_NETNS should not be the same",
					fmt.Sprintf("CNI_NETNS=%q", args.Netns)), confVersion
			}
		}
	}
	return call(cmd, fn, args), confVersion
}

// checkVersion decides whether the plugin may serve cmd for a
// configuration of version confVersion.
func checkVersion(cmd, confVersion string, versionInfo version.PluginInfo) *types.Error {
	if minV := minVersion(cmd); minV != "" {
		ok, err := version.GreaterThanOrEqualTo(confVersion, minV)
		if err != nil {
			return types.NewError(types.ErrDecodingFailure, err.Error(), "")
		}
		if !ok {
			return types.NewError(types.ErrIncompatibleCNIVersion, "config version does not allow "+cmd, "")
		}
		served := false
		for _, pv := range versionInfo.SupportedVersions() {
			ok, err := version.GreaterThanOrEqualTo(pv, confVersion)
			if err != nil {
				return types.NewError(types.ErrDecodingFailure, err.Error(), "")
			}
			if ok {
				served = true
				break
			}
		}
		if !served {
			return types.NewError(types.ErrIncompatibleCNIVersion, "plugin version does not allow "+cmd, "")
		}
	}
	var rec version.Reconciler
	if verErr := rec.Check(confVersion, versionInfo); verErr != nil {
		return types.NewError(types.ErrIncompatibleCNIVersion, "incompatible CNI versions", verErr.Details())
	}
	return nil
}

// call runs fn, turning its error, or a panic, into a *types.Error.
func call(cmd string, fn func(*CmdArgs) error, args *CmdArgs) (e *types.Error) {
	if fn == nil {
		return nil
	}
	defer func() {
		if p := recover(); p != nil {
			e = types.NewError(types.ErrInternal, fmt.Sprintf("plugin panicked during %s: %v", cmd, p), "")
		}
	}()
	err := fn(args)
	if err == nil {
		return nil
	}
	var te *types.Error
	if errors.As(err, &te) && te != nil {
		return te
	}
	return types.NewError(types.ErrInternal, err.Error(), "")
}

// PluginMainFuncsWithError runs the plugin described by funcs and
// versionInfo against the process's environment and standard streams and
// returns the failure, if any, without printing it. Printing it to stdout
// and exiting non-zero is the caller's job; PluginMainFuncs does both.
// about is printed to stderr when CNI_COMMAND is unset.
func PluginMainFuncsWithError(funcs CNIFuncs, versionInfo version.PluginInfo, about string) *types.Error {
	return (&Dispatcher{}).Run(funcs, versionInfo, about)
}

// PluginMainFuncs runs the plugin described by funcs and versionInfo
// against the process's environment and standard streams. On failure it
// prints the CNI error object to stdout and exits with status 1.
func PluginMainFuncs(funcs CNIFuncs, versionInfo version.PluginInfo, about string) {
	if code := (&Dispatcher{}).Main(funcs, versionInfo, about); code != 0 {
		os.Exit(code)
	}
}

// PluginMainWithError is PluginMainFuncsWithError for a plugin that
// implements only ADD, CHECK and DEL.
//
// Deprecated: use PluginMainFuncsWithError.
func PluginMainWithError(cmdAdd, cmdCheck, cmdDel func(_ *CmdArgs) error, versionInfo version.PluginInfo, about string) *types.Error {
	return PluginMainFuncsWithError(CNIFuncs{Add: cmdAdd, Check: cmdCheck, Del: cmdDel}, versionInfo, about)
}

// PluginMain is PluginMainFuncs for a plugin that implements only ADD,
// CHECK and DEL.
//
// Deprecated: use PluginMainFuncs.
func PluginMain(cmdAdd, cmdCheck, cmdDel func(_ *CmdArgs) error, versionInfo version.PluginInfo, about string) {
	PluginMainFuncs(CNIFuncs{Add: cmdAdd, Check: cmdCheck, Del: cmdDel}, versionInfo, about)
}
