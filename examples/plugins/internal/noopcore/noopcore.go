// Package noopcore is the behaviour shared by the noop and debug example
// plugins: a plugin that changes nothing, answers ADD with a result taken
// from its configuration, and can be told to fail or to wait.
//
// Plugin-specific configuration keys, next to the usual cniVersion, name,
// type and prevResult:
//
//	"result":   a result object that ADD returns when there is no
//	            prevResult; without cniVersion it takes the configuration's.
//	"failOn":   {"ADD": {"code": 11, "msg": "...", "details": "..."}, ...}
//	            makes the named verb fail with that CNI error.
//	"sleep":    {"ADD": "250ms", "*": "10ms"} waits that long (a Go
//	            duration) before the named verb, "*" meaning every verb.
//	"startFile": a path created (empty) when the plugin starts, before it
//	            sleeps, so a test can wait for a run to be under way.
//
// ADD prints prevResult when present, else "result", else an empty result,
// always converted to the configuration's cniVersion. CHECK parses
// prevResult when present and fails if it is malformed. DEL, STATUS and GC
// succeed.
package noopcore

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/cnirt/cni/pkg/skel"
	"github.com/cnirt/cni/types"
	"github.com/cnirt/cni/types/create"
	"github.com/cnirt/cni/version"
)

// Options are the keys of the configuration this package reads.
type Options struct {
	// Result is returned by ADD when there is no prevResult.
	Result json.RawMessage `json:"result,omitempty"`
	// FailOn maps a verb to the error it must fail with.
	FailOn map[string]*types.Error `json:"failOn,omitempty"`
	// Sleep maps a verb ("*" for all) to a Go duration to wait first.
	Sleep map[string]string `json:"sleep,omitempty"`
	// StartFile is created when the plugin starts, before any sleep.
	StartFile string `json:"startFile,omitempty"`
}

// Plugin is a noop plugin writing its results to Stdout.
type Plugin struct {
	// Name is used in error messages.
	Name string
	// Stdout receives results.
	Stdout io.Writer
}

// Funcs returns the skel functions of every verb.
func (p *Plugin) Funcs() skel.CNIFuncs {
	return skel.CNIFuncs{
		Add:    func(a *skel.CmdArgs) error { return p.Handle("ADD", a) },
		Check:  func(a *skel.CmdArgs) error { return p.Handle("CHECK", a) },
		Del:    func(a *skel.CmdArgs) error { return p.Handle("DEL", a) },
		Status: func(a *skel.CmdArgs) error { return p.Handle("STATUS", a) },
		GC:     func(a *skel.CmdArgs) error { return p.Handle("GC", a) },
	}
}

func (p *Plugin) errorf(code uint, verb, format string, a ...interface{}) *types.Error {
	return types.NewError(code, fmt.Sprintf("%s %s: ", p.Name, verb)+fmt.Sprintf(format, a...), "")
}

// Handle runs verb with the given arguments.
func (p *Plugin) Handle(verb string, args *skel.CmdArgs) error {
	var conf types.PluginConf
	if err := json.Unmarshal(args.StdinData, &conf); err != nil {
		return p.errorf(types.ErrDecodingFailure, verb, "decoding configuration: %v", err)
	}
	var opts Options
	if err := json.Unmarshal(args.StdinData, &opts); err != nil {
		return p.errorf(types.ErrDecodingFailure, verb, "decoding configuration: %v", err)
	}
	if conf.CNIVersion == "" {
		conf.CNIVersion = "0.1.0"
	}
	if opts.StartFile != "" {
		if err := os.WriteFile(opts.StartFile, nil, 0o600); err != nil {
			return p.errorf(types.ErrIOFailure, verb, "creating startFile: %v", err)
		}
	}
	if err := sleep(opts.Sleep, verb); err != nil {
		return p.errorf(types.ErrInvalidNetworkConfig, verb, "%v", err)
	}
	if e := opts.FailOn[verb]; e != nil {
		return e
	}
	switch verb {
	case "ADD":
		res, e := p.addResult(&conf, opts.Result)
		if e != nil {
			return e
		}
		if err := res.PrintTo(p.Stdout); err != nil {
			return p.errorf(types.ErrIOFailure, verb, "writing result: %v", err)
		}
	case "CHECK":
		if err := version.ParsePrevResult(&conf); err != nil {
			return p.errorf(types.ErrDecodingFailure, verb, "%v", err)
		}
	}
	return nil
}

func sleep(table map[string]string, verb string) error {
	for _, key := range []string{"*", verb} {
		s, ok := table[key]
		if !ok {
			continue
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("sleep[%q]: %w", key, err)
		}
		time.Sleep(d)
	}
	return nil
}

// addResult picks ADD's result and converts it to the configuration's
// version.
func (p *Plugin) addResult(conf *types.PluginConf, fromConf json.RawMessage) (types.Result, *types.Error) {
	var (
		res types.Result
		err error
	)
	switch {
	case conf.RawPrevResult != nil:
		if err := version.ParsePrevResult(conf); err != nil {
			return nil, p.errorf(types.ErrDecodingFailure, "ADD", "%v", err)
		}
		res = conf.PrevResult
	case len(fromConf) > 0 && string(fromConf) != "null":
		var raw map[string]interface{}
		if err := json.Unmarshal(fromConf, &raw); err != nil {
			return nil, p.errorf(types.ErrDecodingFailure, "ADD", "decoding \"result\": %v", err)
		}
		if v, _ := raw["cniVersion"].(string); v == "" {
			raw["cniVersion"] = conf.CNIVersion
		}
		b, err := json.Marshal(raw)
		if err != nil {
			return nil, p.errorf(types.ErrDecodingFailure, "ADD", "encoding \"result\": %v", err)
		}
		if res, err = create.CreateFromBytes(b); err != nil {
			return nil, p.errorf(types.ErrDecodingFailure, "ADD", "decoding \"result\": %v", err)
		}
	default:
		res, err = create.Create(conf.CNIVersion, []byte(`{"cniVersion":"`+conf.CNIVersion+`"}`))
		if err != nil {
			return nil, p.errorf(types.ErrIncompatibleCNIVersion, "ADD", "making an empty result: %v", err)
		}
	}
	out, err := res.GetAsVersion(conf.CNIVersion)
	if err != nil {
		return nil, p.errorf(types.ErrIncompatibleCNIVersion, "ADD", "converting result to %s: %v", conf.CNIVersion, err)
	}
	return out, nil
}
