package apicheck_test

import (
	"fmt"
	"go/constant"
	"go/types"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/compat/internal/apicheck"
	"github.com/cnirt/cni/compat/internal/apiload"
	"github.com/cnirt/cni/pkg/plugintest"
)

// TestShimMatchesTheReference fetches the reference release through the
// module proxy and compares the shim with it identifier by identifier, for
// each operating system the reference's packages build on (its pkg/ns has
// no FreeBSD file).
func TestShimMatchesTheReference(t *testing.T) {
	if testing.Short() {
		t.Skip("fetches the reference release; not in -short")
	}
	if _, err := apiload.DownloadRef(); err != nil {
		plugintest.RequireCI(t, "the reference release from the Go module proxy: "+err.Error())
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	for _, goos := range []string{"linux", "darwin", "windows"} {
		t.Run(goos, func(t *testing.T) {
			ref, err := apiload.LoadRef(t.TempDir(), goos)
			require.NoError(t, err)
			var patterns []string
			for _, m := range apiload.Mirrors {
				patterns = append(patterns, apiload.ShimModule+"/"+m.Ref)
			}
			shim, err := apiload.Load(root, []string{"GOOS=" + goos}, patterns...)
			require.NoError(t, err)

			refAPI, shimAPI := apicheck.API{}, apicheck.API{}
			for _, m := range apiload.Mirrors {
				path := apiload.RefModule + "/" + m.Ref
				rp, sp := ref[path], shim[apiload.ShimModule+"/"+m.Ref]
				require.NotNil(t, rp, path)
				require.NotNil(t, sp, m.Ref)
				merge(refAPI, apicheck.Describe(rp, path))
				merge(shimAPI, apicheck.Describe(sp, path))
			}
			for _, m := range apiload.Mirrors {
				assertAliases(t, shim[apiload.ShimModule+"/"+m.Ref])
			}
			compared, missing, different := apicheck.Diff(refAPI, shimAPI)
			for _, k := range missing {
				t.Errorf("missing from the shim: %s (%s)", k, refAPI[k])
			}
			for _, d := range different {
				t.Errorf("different: %s", d)
			}
			line := fmt.Sprintf("apicheck (%s, %s@%s): %d identifiers compared, %d missing, %d different",
				goos, apiload.RefModule, apiload.RefVersion, len(compared), len(missing), len(different))
			t.Log(line)
			fmt.Fprintln(os.Stderr, line)
			assert.Greater(t, len(compared), 300, "the reference's API was not read whole")
		})
	}
}

// assertAliases checks that every type of a shim package is an alias of a
// type defined in cnirt, so that a value made through the shim is the same
// Go type as one made through cnirt (the comparison above would accept a
// look-alike type defined in the shim).
func assertAliases(t *testing.T, pkg *types.Package) {
	t.Helper()
	for _, name := range pkg.Scope().Names() {
		tn, ok := pkg.Scope().Lookup(name).(*types.TypeName)
		if !ok {
			continue
		}
		named, isNamed := types.Unalias(tn.Type()).(*types.Named)
		if !tn.IsAlias() || !isNamed {
			t.Errorf("%s.%s is not an alias of a cnirt type", pkg.Path(), name)
			continue
		}
		p := named.Obj().Pkg().Path()
		if !strings.HasPrefix(p, apiload.CnirtModule+"/") || strings.HasPrefix(p, apiload.ShimModule+"/") {
			t.Errorf("%s.%s is an alias of %s.%s, not of a cnirt type", pkg.Path(), name, p, named.Obj().Name())
		}
	}
}

func merge(dst, src apicheck.API) {
	for k, v := range src {
		dst[k] = v
	}
}

// The comparison notices what it must: a missing identifier, a signature
// that differs, a defined type where the reference has another, and it
// maps cnirt's package paths back to the reference's.
func TestDiffFindsDifferences(t *testing.T) {
	refPkg := types.NewPackage(apiload.RefModule+"/pkg/types", "types")
	cnPkg := types.NewPackage(apiload.CnirtModule+"/types", "types")
	shimPkg := types.NewPackage(apiload.ShimModule+"/pkg/types", "types")
	mk := func(p *types.Package, resultType types.Type, withExtra bool) {
		errT := types.NewNamed(types.NewTypeName(0, p, "Error", nil), types.NewStruct(nil, nil), nil)
		p.Scope().Insert(errT.Obj())
		sig := types.NewSignatureType(nil, nil, nil,
			types.NewTuple(types.NewParam(0, p, "code", types.Typ[types.Uint])),
			types.NewTuple(types.NewParam(0, p, "", resultType)), false)
		p.Scope().Insert(types.NewFunc(0, p, "NewError", sig))
		if withExtra {
			p.Scope().Insert(types.NewConst(0, p, "ErrUnknown", types.Typ[types.Uint], constant.MakeUint64(1)))
		}
	}
	mk(refPkg, types.Typ[types.String], true)
	mk(cnPkg, types.Typ[types.Int], false)
	// The shim's Error is an alias of cnirt's.
	shimPkg.Scope().Insert(types.NewTypeName(0, shimPkg, "Error", cnPkg.Scope().Lookup("Error").Type()))
	shimPkg.Scope().Insert(cnPkg.Scope().Lookup("NewError"))

	path := apiload.RefModule + "/pkg/types"
	compared, missing, different := apicheck.Diff(apicheck.Describe(refPkg, path), apicheck.Describe(shimPkg, path))
	assert.Len(t, compared, 3)
	assert.Equal(t, []string{path + ".ErrUnknown"}, missing)
	require.Len(t, different, 1)
	assert.Contains(t, different[0], path+".NewError")
	assert.Contains(t, different[0], "func(uint) string")
	assert.Contains(t, different[0], "func(uint) int")
}
