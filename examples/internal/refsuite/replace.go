package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// The -replace mode runs the same suites with their imports untouched: the
// reference's _test.go files sit in a scratch module of their own whose
// go.mod says
//
//	require github.com/containernetworking/cni v1.3.1
//	replace github.com/containernetworking/cni => <repo>/compat
//	replace github.com/cnirt/cni => <repo>
//
// so every import of a reference library package reaches the compat shim,
// and through it cnirt, exactly as a runtime's would with the one replace
// line of README "Adopting cnirt without touching imports". The second
// replace only points the shim's requirement of cnirt at this checkout; a
// runtime using released versions needs only the first.
//
// Adaptations, besides the MatchError one of the rewrite mode:
//   - the reference's test-only packages (invoke fakes, legacy examples,
//     version test helpers, the noop and sleep test plugins) are not part
//     of the shim, so they are copied into the scratch module and the
//     imports of those packages alone (and the noop plugin's path given to
//     gexec.Build) name their scratch copies;
//   - the white-box skel suite (package skel) is compiled in a package of
//     the scratch module, with a file declaring skel's exported names as
//     aliases of the shim's and its unexported dispatcher as a thin front
//     for cnirt's exported skel.Dispatcher.

// replaceModule is the module path of the -replace mode's scratch module.
const replaceModule = "refsuite.example/cni"

// replaceSkelAdapter gives the white-box skel suite, compiled outside the
// shim, the names it uses unqualified.
const replaceSkelAdapter = `package skel

import (
	"io"

	cnirtskel "github.com/cnirt/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/types"
	"github.com/containernetworking/cni/pkg/version"
)

type (
	CmdArgs  = skel.CmdArgs
	CNIFuncs = skel.CNIFuncs
)

var (
	PluginMain               = skel.PluginMain
	PluginMainFuncs          = skel.PluginMainFuncs
	PluginMainWithError      = skel.PluginMainWithError
	PluginMainFuncsWithError = skel.PluginMainFuncsWithError
)

type dispatcher struct {
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

func (d *dispatcher) pluginMain(funcs CNIFuncs, versionInfo version.PluginInfo, about string) *types.Error {
	return (&cnirtskel.Dispatcher{Getenv: d.Getenv, Stdin: d.Stdin, Stdout: d.Stdout, Stderr: d.Stderr}).Run(funcs, versionInfo, about)
}
`

// prepareReplace builds the -replace mode's scratch module in dst.
func prepareReplace(ctx context.Context, repo, ref, dst string) error {
	if err := placeReference(ref, dst, rewriteHelperImports); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dst, "pkg", "skel", "zz_refsuite_replace_test.go"), []byte(replaceSkelAdapter), 0o644); err != nil {
		return err
	}
	gomod := fmt.Sprintf("module %s\n\ngo 1.26\n\nrequire %s %s\n\nreplace %s => %s\n\nreplace %s => %s\n",
		replaceModule, RefModule, RefVersion, RefModule, filepath.Join(repo, "compat"), ourModule, repo)
	if err := os.WriteFile(filepath.Join(dst, "go.mod"), []byte(gomod), 0o644); err != nil {
		return err
	}
	return addTestDeps(ctx, ref, dst)
}

// rewriteHelperImports points the paths of the reference's test-only
// packages (those placements copy whole) at their copies in the scratch
// module, and leaves every other path alone.
func rewriteHelperImports(src string) string {
	return refPathRE.ReplaceAllStringFunc(src, func(p string) string {
		for _, pl := range placements {
			if !pl.tests && p == RefModule+"/"+pl.from {
				return replaceModule + "/" + pl.to
			}
		}
		return p
	})
}
