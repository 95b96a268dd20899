// Package apiload type-checks Go packages from their compiled export data,
// which `go list -export` produces, and names the packages of the reference
// library github.com/containernetworking/cni that the compat shim mirrors.
// The shim's generator and its API comparison test share it.
package apiload

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/importer"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"strings"
)

// RefModule is the module path of the reference library.
const RefModule = "github.com/containernetworking/cni"

// RefVersion is the release of the reference library the shim mirrors.
const RefVersion = "v1.3.1"

// CnirtModule is cnirt's module path; ShimModule the shim's.
const (
	CnirtModule = "github.com/cnirt/cni"
	ShimModule  = "github.com/cnirt/cni/compat"
)

// Mirror is one package of the reference and the cnirt package that
// implements it.
type Mirror struct {
	// Ref is the package's path below the reference module ("pkg/types").
	Ref string
	// Cnirt is the path below cnirt's module of the implementing package.
	Cnirt string
}

// Mirrors lists the reference's importable packages the shim provides.
// The reference's test-only packages (pkg/invoke/fakes,
// pkg/version/testhelpers, pkg/version/legacy_examples, plugins/test/...)
// and its cnitool command are not among them.
var Mirrors = []Mirror{
	{"libcni", "libcni"},
	{"pkg/invoke", "invoke"},
	{"pkg/ns", "pkg/ns"},
	{"pkg/skel", "pkg/skel"},
	{"pkg/types", "types"},
	{"pkg/types/020", "types/020"},
	{"pkg/types/040", "types/040"},
	{"pkg/types/100", "types/100"},
	{"pkg/types/create", "types/create"},
	{"pkg/utils", "pkg/utils"},
	{"pkg/version", "version"},
}

// RefPath maps a package path of cnirt, of the shim or of the reference to
// the reference path it stands for; other paths come back unchanged.
func RefPath(path string) string {
	if rest, ok := strings.CutPrefix(path, ShimModule+"/"); ok {
		return RefModule + "/" + rest
	}
	if rest, ok := strings.CutPrefix(path, CnirtModule+"/"); ok {
		for _, m := range Mirrors {
			if rest == m.Cnirt {
				return RefModule + "/" + m.Ref
			}
		}
	}
	return path
}

// Load runs `go list -export -deps` for patterns in dir, with env added to
// the environment, and type-checks the packages matched by patterns from
// their export data. The result maps import path to package.
func Load(dir string, env []string, patterns ...string) (map[string]*types.Package, error) {
	args := append([]string{"list", "-export", "-deps", "-json=ImportPath,Export,DepOnly,Error"}, patterns...)
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list in %s: %w: %s", dir, err, stderr.Bytes())
	}
	exports := map[string]string{}
	var roots []string
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath, Export string
			DepOnly            bool
			Error              *struct{ Err string }
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go list output: %w", err)
		}
		if p.Error != nil {
			return nil, fmt.Errorf("go list: %s: %s", p.ImportPath, p.Error.Err)
		}
		exports[p.ImportPath] = p.Export
		if !p.DepOnly {
			roots = append(roots, p.ImportPath)
		}
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		f, ok := exports[path]
		if !ok || f == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(f)
	})
	pkgs := map[string]*types.Package{}
	for _, path := range roots {
		p, err := imp.Import(path)
		if err != nil {
			return nil, fmt.Errorf("import %s: %w", path, err)
		}
		pkgs[path] = p
	}
	return pkgs, nil
}

// DownloadRef fetches the reference release through the module proxy (or
// finds it in the module cache) and returns its directory, which is read
// only.
func DownloadRef() (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", RefModule+"@"+RefVersion)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go mod download %s@%s: %w: %s%s", RefModule, RefVersion, err, out, stderr.Bytes())
	}
	var m struct{ Dir, Error string }
	if err := json.Unmarshal(out, &m); err != nil {
		return "", fmt.Errorf("go mod download output: %w", err)
	}
	if m.Error != "" || m.Dir == "" {
		return "", fmt.Errorf("go mod download %s@%s: %s", RefModule, RefVersion, m.Error)
	}
	return m.Dir, nil
}

// LoadRef type-checks the mirrored packages of the reference release for
// goos. The module is copied to a scratch directory under tmp, since the
// module cache is read only, and its dependencies come from the module
// proxy.
func LoadRef(tmp, goos string) (map[string]*types.Package, error) {
	src, err := DownloadRef()
	if err != nil {
		return nil, err
	}
	dst, err := os.MkdirTemp(tmp, "ref-")
	if err != nil {
		return nil, err
	}
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		return nil, fmt.Errorf("copy %s: %w", src, err)
	}
	var patterns []string
	for _, m := range Mirrors {
		patterns = append(patterns, "./"+m.Ref)
	}
	return Load(dst, []string{"GOOS=" + goos, "GOFLAGS=-mod=mod", "GOWORK=off"}, patterns...)
}
