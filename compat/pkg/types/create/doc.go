// Package create mirrors the reference library's package
// github.com/containernetworking/cni/pkg/types/create (v1.3.1) and is implemented by
// cnirt's github.com/cnirt/cni/types/create. Its types are aliases of cnirt's (a
// value made through either package is the same Go type), its functions
// call cnirt's, its constants equal cnirt's, and its variables are wired to
// cnirt's (see vars.go where there are any). A runtime reaches it without
// changing an import, with one line in its go.mod:
//
//	replace github.com/containernetworking/cni => github.com/cnirt/cni/compat vX.Y.Z
//
// See "Adopting cnirt without touching imports" in cnirt's README.
package create
