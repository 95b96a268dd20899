// Command debug is an example CNI plugin that records how it was called
// and otherwise behaves like the noop plugin (see examples/plugins/noop):
// ADD echoes prevResult in the configuration's version, "result", "failOn"
// and "sleep" work the same way, and every CNI version is supported.
//
// # Record
//
// For every invocation the plugin appends one line of JSON to the file
// named by the "debugFile" key of its configuration, or, when the
// configuration has none or cannot be read (VERSION, for instance), by the
// CNIRT_DEBUG_FILE environment variable; with neither, nothing is
// recorded. The line is written with a single write to a file opened with
// O_APPEND, so concurrent plugin processes append whole lines. Its fields
// (type Record of pkg/plugintest/debugrecord):
//
//	command   string  CNI_COMMAND
//	env       object  every CNI_* environment variable, name -> value
//	trace     object  TRACEPARENT, TRACESTATE and BAGGAGE, those set
//	stdin     string  base64 of the exact bytes read from standard input
//	                  (standard input is read fully for every verb; it is
//	                  not read when CNI_COMMAND is unset)
//	stdout    string  base64 of the exact bytes written to standard output
//	                  (result, VERSION answer or CNI error object)
//	exitCode  number  exit status, 0 or 1
//	start     string  RFC 3339 time the plugin started handling the call
//	end       string  RFC 3339 time it finished, just before recording
//	pid       number  process ID of the plugin
//
// The record is written before anything is printed; if it cannot be
// written the plugin fails with CNI error code 5 (I/O failure) instead.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/cnirt/cni/examples/plugins/internal/noopcore"
	"github.com/cnirt/cni/pkg/plugintest/debugrecord"
	"github.com/cnirt/cni/pkg/skel"
	"github.com/cnirt/cni/types"
	"github.com/cnirt/cni/version"
)

// debugFileEnv names the debug file when the configuration does not.
const debugFileEnv = "CNIRT_DEBUG_FILE"

func main() {
	os.Exit(run(os.Getenv, os.Environ(), os.Stdin, os.Stdout, os.Stderr))
}

func run(getenv func(string) string, environ []string, stdin io.Reader, stdout, stderr io.Writer) int {
	rec := debugrecord.Record{
		Command: getenv("CNI_COMMAND"),
		Env:     map[string]string{},
		Start:   time.Now(),
		PID:     os.Getpid(),
	}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		switch {
		case !ok:
		case strings.HasPrefix(k, "CNI_"):
			rec.Env[k] = v
		case debugrecord.IsTraceVar(k):
			if rec.Trace == nil {
				rec.Trace = map[string]string{}
			}
			rec.Trace[k] = v
		}
	}
	if rec.Command != "" {
		in, err := io.ReadAll(io.LimitReader(stdin, skel.DefaultMaxStdinBytes+1))
		if err != nil {
			return fail(stdout, fmt.Sprintf("debug: reading stdin: %v", err))
		}
		rec.Stdin = in
	}

	var out bytes.Buffer
	p := &noopcore.Plugin{Name: "debug", Stdout: &out}
	d := &skel.Dispatcher{Getenv: getenv, Stdin: bytes.NewReader(rec.Stdin), Stdout: &out, Stderr: stderr}
	rec.ExitCode = d.Main(p.Funcs(), version.All, "CNI plugin debug (cnirt example)")
	rec.Stdout = out.Bytes()
	rec.End = time.Now()

	var conf struct {
		DebugFile string `json:"debugFile"`
	}
	_ = json.Unmarshal(rec.Stdin, &conf) // a bad configuration is already reported by skel
	file := conf.DebugFile
	if file == "" {
		file = getenv(debugFileEnv)
	}
	if file != "" {
		if err := debugrecord.Append(file, &rec); err != nil {
			return fail(stdout, fmt.Sprintf("debug: %v", err))
		}
	}
	if _, err := stdout.Write(out.Bytes()); err != nil {
		return 1
	}
	return rec.ExitCode
}

// fail reports an I/O failure of the plugin itself.
func fail(stdout io.Writer, msg string) int {
	_ = skel.WriteError(stdout, types.NewError(types.ErrIOFailure, msg, ""), "")
	return 1
}
