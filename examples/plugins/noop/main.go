// Command noop is an example CNI plugin that configures nothing. It is
// meant for tests of runtimes: ADD echoes prevResult (or a result given in
// the configuration, or an empty one) in the configuration's cniVersion,
// the other verbs succeed, and configuration keys make any verb fail with a
// chosen CNI error or wait before answering. It supports every CNI version.
//
// Configuration keys besides cniVersion, name, type and prevResult:
//
//	"result": {...}                               result for ADD without prevResult
//	"failOn": {"ADD": {"code": 11, "msg": "..."}}  fail a verb with a CNI error
//	"sleep":  {"DEL": "100ms", "*": "5ms"}        wait before a verb ("*" = all)
package main

import (
	"os"

	"github.com/cnirt/cni/examples/plugins/internal/noopcore"
	"github.com/cnirt/cni/pkg/skel"
	"github.com/cnirt/cni/version"
)

func main() {
	p := &noopcore.Plugin{Name: "noop", Stdout: os.Stdout}
	skel.PluginMainFuncs(p.Funcs(), version.All, "CNI plugin noop (cnirt example)")
}
