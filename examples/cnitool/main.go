// Command cnitool attaches network namespaces to CNI networks, detaches
// them, and inspects networks and plugins, using the cnirt library. It
// accepts the command line and environment of the reference cnitool
// (containernetworking/cni/cnitool, v1.3.1) and adds more commands:
//
//	cnitool [--json] add    <net> <netns>
//	cnitool [--json] check  <net> <netns>
//	cnitool [--json] del    <net> <netns>
//	cnitool [--json] status <net>
//	cnitool [--json] gc     <net> [<containerID>[/<ifname>] ...]
//	cnitool [--json] validate <net>
//	cnitool [--json] version <plugin>
//	cnitool [--json] list
//	cnitool [--json] [--junit FILE] [--check NAME,...] [--host-setup CMD] conformance <net>
//
// Flags may stand anywhere on the line: --json (see Output); as in the
// reference cnitool, -i/--ifname <name> (also --ifname=<name>), the
// interface name, which takes precedence over CNI_IFNAME; --timings, which
// prints a table of every plugin run, lock wait and cache access with its
// duration on stderr after the command; and --log-level <level> (debug,
// info, warn or error; also --log-level=<level>), which logs the same steps
// as structured records (log/slog text format) on stderr: every step at
// debug, failures at warn or error, with the plugin's CNI error code, msg
// and details.
//
// Environment:
//
//	NETCONFPATH      directory of network configurations (default /etc/cni/net.d)
//	CNI_PATH         plugin search path, list-separated like PATH (relative
//	                 entries are made absolute)
//	CNI_IFNAME       interface name inside the container when -i/--ifname is
//	                 not given (empty or unset: eth0)
//	CNI_CONTAINERID  container ID (default: "cnitool-" and a hash of the
//	                 absolute netns path, as the reference cnitool derives it)
//	CNI_ARGS         extra plugin arguments, "K=V;K=V"
//	CAP_ARGS         capability arguments as a JSON object, e.g.
//	                 {"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}]}
//	CNITOOL_CACHE_DIR  result cache directory (default /var/lib/cni)
//
// gc deletes every cached attachment of the network that is not listed as
// valid; with no attachment listed it deletes all of them (as the reference
// cnitool does). For compatibility, a single netns path argument (as in
// `cnitool gc <net> <netns>`) is accepted and ignored.
//
// conformance runs the plugin conformance suite (package
// github.com/cnirt/cni/pkg/conformance) against the network's plugins in
// network namespaces it creates and removes, prints a table of the checks
// (with --json the whole report, evidence included), writes JUnit XML to
// the --junit file, and exits 1 when a check failed. --check selects
// checks; --host-setup runs a shell command in every host namespace the
// suite creates (a master link for macvlan, say).
//
// Output: add prints the result as JSON, the other verbs print nothing on
// success (validate, version and list print what they found). With --json
// every command prints exactly one JSON object on stdout, on success and
// on failure ({"error": ..., "exitCode": ...}).
//
// Exit status:
//
//	0  success
//	1  the operation failed (a plugin returned an error or crashed, timeout)
//	2  usage error: unknown command, wrong arguments, bad CNI_ARGS/CAP_ARGS
//	3  network configuration not found in NETCONFPATH
//	4  network configuration invalid
//	5  plugin executable not found in CNI_PATH
//	130 interrupted (Ctrl-C)
package main

import (
	"context"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
