// Package conformance holds a conformance suite for CNI plugins: named
// checks, each enforcing one rule that the CNI specification (1.1.0) gives a
// plugin, run against plugin binaries the way a runtime drives them.
//
// Given a network configuration list and the directories holding its
// plugins, Run executes every check. Each check creates the network
// namespaces it needs (a "host" namespace in which the plugins run, so that
// bridges, masters and firewall rules never touch the machine's own
// network, and one namespace per container) and removes them afterwards.
// A check returns pass, fail or skip with a reason and the evidence: every
// plugin run it made (stdin, CNI_* environment, stdout, stderr, exit
// status, duration).
//
// The plugins are executed directly (os/exec), not through libcni, so the
// suite sees exactly what a plugin wrote. Checks that need network
// namespaces need Linux, root and the ip command (iproute2); elsewhere they
// are skipped with the reason, and the VERSION and STATUS checks still run.
package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cnirt/cni/invoke"
	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/version"
)

// Status is the outcome of one check.
type Status string

// The outcomes of a check.
const (
	// Pass: the plugin followed the rule.
	Pass Status = "pass"
	// Fail: the plugin broke the rule; the reason says how.
	Fail Status = "fail"
	// Skip: the rule does not apply to this configuration, or the suite
	// could not test it here; the reason says why.
	Skip Status = "skip"
)

// Exchange is one plugin run: what the suite gave the plugin and what the
// plugin answered.
type Exchange struct {
	// Plugin is the plugin's type (its executable's name).
	Plugin string `json:"plugin"`
	// Path is the executable that ran.
	Path string `json:"path"`
	// Command is CNI_COMMAND as given ("" when the check left it out).
	Command string `json:"command"`
	// Env is the CNI_* part of the plugin's environment; the plugin also
	// gets the suite's PATH (plugins call iptables, tc and the like), and
	// nothing else.
	Env []string `json:"env"`
	// Stdin is what the plugin got on standard input.
	Stdin string `json:"stdin"`
	// Stdout is what the plugin wrote on standard output (the first 16 MiB).
	Stdout string `json:"stdout"`
	// Stderr is what the plugin wrote on standard error (the first 64 KiB).
	Stderr string `json:"stderr,omitempty"`
	// ExitCode is the exit status; -1 when the process did not exit on its
	// own (killed, or not started: see StartError).
	ExitCode int `json:"exitCode"`
	// Duration is the wall time of the run.
	Duration time.Duration `json:"duration"`
	// StartError says why the plugin could not be started or was killed.
	StartError string `json:"startError,omitempty"`
}

// Result is the outcome of one check.
type Result struct {
	// Check is the check's name (see Checks).
	Check string `json:"check"`
	// Section is the part of the specification the check enforces.
	Section string `json:"section"`
	// Status is pass, fail or skip.
	Status Status `json:"status"`
	// Reason explains a fail or a skip, and sums up what a pass saw.
	Reason string `json:"reason"`
	// Duration is how long the check took.
	Duration time.Duration `json:"duration"`
	// Evidence lists the plugin runs the check made, in order.
	Evidence []Exchange `json:"evidence"`
}

// Report is the outcome of a suite run against one network.
type Report struct {
	// Network is the configuration list's name.
	Network string `json:"network"`
	// CNIVersion is the configuration's version.
	CNIVersion string `json:"cniVersion"`
	// Plugins are the types of the list's plugins, in order.
	Plugins []string `json:"plugins"`
	// Results holds one entry per check, in the order of Checks.
	Results []Result `json:"results"`
}

// Failed returns the results that failed.
func (r *Report) Failed() []Result {
	var out []Result
	for _, res := range r.Results {
		if res.Status == Fail {
			out = append(out, res)
		}
	}
	return out
}

// Counts returns how many checks passed, failed and were skipped.
func (r *Report) Counts() (pass, fail, skip int) {
	for _, res := range r.Results {
		switch res.Status {
		case Pass:
			pass++
		case Fail:
			fail++
		default:
			skip++
		}
	}
	return pass, fail, skip
}

// Options configure a suite run. The zero value runs every check with the
// interface name eth0 and plugins looked up in PluginDirs.
type Options struct {
	// PluginDirs are searched for the plugin executables, in order. They
	// are also given to the plugins as CNI_PATH.
	PluginDirs []string
	// IfName is the container interface name (default eth0). Use "lo" for
	// the loopback plugin.
	IfName string
	// HostSetup are shell commands (run with sh -c) executed inside every
	// host namespace the suite creates, before any plugin runs, for
	// example "ip link add m0 type dummy && ip link set m0 up" to give
	// macvlan a master.
	HostSetup []string
	// Checks names the checks to run; empty means all (see Checks).
	Checks []string
	// Timeout bounds one plugin run (default 30 s).
	Timeout time.Duration
	// NamePrefix starts the names of the namespaces the suite creates
	// (default "cnc"); the rest is random.
	NamePrefix string
	// ReleaseProbes is how many other containers the suite ADDs at most
	// to see a released address handed out again (default 4). Give the
	// network a small address pool (two addresses) so that a leaked
	// address exhausts it within the probes.
	ReleaseProbes int
}

// CheckInfo describes one check of the suite.
type CheckInfo struct {
	// Name is the check's name, as in Result.Check and Options.Checks.
	Name string `json:"name"`
	// Section is the part of the specification the check enforces.
	Section string `json:"section"`
	// Rule says in one sentence what the check enforces.
	Rule string `json:"rule"`
	// NeedsNetNS reports whether the check needs network namespaces.
	NeedsNetNS bool `json:"needsNetNS"`

	run func(ctx context.Context, r *run) verdict
}

// Checks returns the suite's checks in the order they run.
func Checks() []CheckInfo {
	out := make([]CheckInfo, len(checks))
	copy(out, checks)
	return out
}

// ConfigError reports a configuration list or option the suite cannot run.
type ConfigError struct {
	// Field names what is wrong.
	Field string
	// Err is why.
	Err error
}

func (e *ConfigError) Error() string { return "conformance: " + e.Field + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *ConfigError) Unwrap() error { return e.Err }

// plugin is one entry of the list, resolved.
type plugin struct {
	typ  string
	path string
	conf map[string]any
	caps map[string]bool
	ipam string
	// supported is the plugin's VERSION answer; nil when it gave none.
	supported []string
}

// Suite is a configured suite, ready to Run. A Suite runs one Run at a
// time; use one Suite per goroutine.
type Suite struct {
	list    *libcni.NetworkConfigList
	opts    Options
	plugins []*plugin
	checks  []CheckInfo
}

// New prepares a suite for list with opts: it finds every plugin of the
// list (and every IPAM plugin named) in opts.PluginDirs and checks the
// option values. It runs no plugin.
func New(list *libcni.NetworkConfigList, opts Options) (*Suite, error) {
	if list == nil || len(list.Plugins) == 0 {
		return nil, &ConfigError{Field: "plugins", Err: errors.New("the configuration list has no plugin")}
	}
	if _, _, _, err := version.ParseVersion(list.CNIVersion); err != nil {
		return nil, &ConfigError{Field: "cniVersion", Err: fmt.Errorf("%q: %w", list.CNIVersion, err)}
	}
	if opts.IfName == "" {
		opts.IfName = "eth0"
	}
	if len(opts.IfName) > 15 {
		return nil, &ConfigError{Field: "IfName", Err: fmt.Errorf("%q is longer than 15 bytes", opts.IfName)}
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.NamePrefix == "" {
		opts.NamePrefix = "cnc"
	}
	if opts.ReleaseProbes <= 0 {
		opts.ReleaseProbes = 4
	}
	s := &Suite{list: list, opts: opts}
	for i, pc := range list.Plugins {
		if pc == nil || pc.Network == nil || pc.Network.Type == "" {
			return nil, &ConfigError{Field: fmt.Sprintf("plugins[%d].type", i), Err: errors.New("missing")}
		}
		path, err := invoke.FindInPath(pc.Network.Type, opts.PluginDirs)
		if err != nil {
			return nil, &ConfigError{Field: fmt.Sprintf("plugins[%d].type", i), Err: err}
		}
		conf, err := decodeObject(pc.Bytes)
		if err != nil {
			return nil, &ConfigError{Field: fmt.Sprintf("plugins[%d]", i), Err: err}
		}
		p := &plugin{typ: pc.Network.Type, path: path, conf: conf, caps: pc.Network.Capabilities, ipam: pc.Network.IPAM.Type}
		if p.ipam != "" {
			if _, err := invoke.FindInPath(p.ipam, opts.PluginDirs); err != nil {
				return nil, &ConfigError{Field: fmt.Sprintf("plugins[%d].ipam.type", i), Err: err}
			}
		}
		s.plugins = append(s.plugins, p)
	}
	want := map[string]bool{}
	for _, n := range opts.Checks {
		want[n] = true
	}
	all := len(want) == 0
	for _, c := range checks {
		if all || want[c.Name] {
			s.checks = append(s.checks, c)
			delete(want, c.Name)
		}
	}
	if len(want) > 0 {
		var unknown []string
		for n := range want {
			unknown = append(unknown, n)
		}
		sort.Strings(unknown)
		return nil, &ConfigError{Field: "Checks", Err: fmt.Errorf("unknown check(s) %s", strings.Join(unknown, ", "))}
	}
	return s, nil
}

// Run runs the suite: see New and Suite.Run.
func Run(ctx context.Context, list *libcni.NetworkConfigList, opts Options) (*Report, error) {
	s, err := New(list, opts)
	if err != nil {
		return nil, err
	}
	return s.Run(ctx)
}

// Run runs the selected checks one after the other. It returns an error
// only when ctx ends; a plugin's failures are check results.
func (s *Suite) Run(ctx context.Context) (*Report, error) {
	rep := &Report{Network: s.list.Name, CNIVersion: s.list.CNIVersion}
	for _, p := range s.plugins {
		rep.Plugins = append(rep.Plugins, p.typ)
	}
	nsErr := namespacesAvailable()
	for _, c := range s.checks {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		start := time.Now()
		r := &run{s: s, ctx: ctx}
		var v verdict
		if c.NeedsNetNS && nsErr != nil {
			v = skipf("needs network namespaces: %v", nsErr)
		} else {
			v = r.do(ctx, c)
		}
		if r.evidence == nil {
			r.evidence = []Exchange{}
		}
		rep.Results = append(rep.Results, Result{
			Check: c.Name, Section: c.Section, Status: v.status, Reason: v.reason,
			Duration: time.Since(start), Evidence: r.evidence,
		})
	}
	return rep, ctx.Err()
}

// verdict is what a check function decides.
type verdict struct {
	status Status
	reason string
}

func passf(format string, args ...any) verdict {
	return verdict{Pass, fmt.Sprintf(format, args...)}
}

func failf(format string, args ...any) verdict {
	return verdict{Fail, fmt.Sprintf(format, args...)}
}

func skipf(format string, args ...any) verdict {
	return verdict{Skip, fmt.Sprintf(format, args...)}
}

// decodeObject decodes a JSON object keeping numbers as written.
func decodeObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("not a JSON object")
	}
	return m, nil
}

// versionAtLeast reports whether v >= min; unparsable versions are not.
func versionAtLeast(v, min string) bool {
	ok, err := version.GreaterThanOrEqualTo(v, min)
	return err == nil && ok
}
