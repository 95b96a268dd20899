// Package shimvar carries the reference library's settable package
// variables from the compat shim module (github.com/cnirt/cni/compat, which
// mirrors github.com/containernetworking/cni at the reference's import
// paths) to the cnirt packages that read them.
//
// Go has type aliases but no variable aliases: the shim's libcni.CacheDir is
// a variable of its own, distinct from cnirt's libcni.CacheDir, yet a
// runtime that sets it through the shim (as ocicni sets the reference's)
// expects cnirt's operations to use it. So each shim package, when it is
// initialized, binds a getter for its variable here, and cnirt reads the
// setting through [Var.Effective]: cnirt's own variable, unless it still
// holds its default, in which case the shim's. A program that sets only one
// of the two (the normal case) gets exactly what it set; one that sets both
// to different values gets cnirt's. Nothing is copied at init, so a setting
// made at any time before an operation counts, as in the reference.
//
// The package is for the shim alone; programs have no use for it. It cannot
// be an internal package: in a runtime's build the shim's packages carry
// the reference's import paths (github.com/containernetworking/cni/...),
// which the Go toolchain does not let import cnirt's internal packages. It
// is a package of its own so that neither cnirt's libcni, invoke and
// version nor the shim's packages gain a name the reference lacks.
package shimvar

import "io"

// Var is one settable variable of a shim package, as cnirt sees it.
type Var[T any] struct {
	get func() T
}

// Bind records the getter of the shim's variable. The shim calls it from
// its package initialization, before any operation can run; a later call
// replaces the getter.
func (v *Var[T]) Bind(get func() T) {
	v.get = get
}

// Effective returns the value cnirt uses: own, unless isDefault(own) and a
// shim variable is bound, in which case the shim's current value.
func (v *Var[T]) Effective(own T, isDefault func(T) bool) T {
	if v.get == nil || !isDefault(own) {
		return own
	}
	return v.get()
}

// PluginInfo has the method set of version.PluginInfo; an interface type
// of its own here, since package version reads this package.
type PluginInfo = interface {
	SupportedVersions() []string
	Encode(io.Writer) error
}

// The shim's variables that cnirt's operations read. The shim's
// version.Legacy is not here: nothing in the reference reads it.
var (
	// CacheDir is the shim's libcni.CacheDir.
	CacheDir Var[string]
	// ErrorCheckNotSupp is the shim's libcni.ErrorCheckNotSupp, which CHECK
	// wraps for networks older than 0.4.0.
	ErrorCheckNotSupp Var[error]
	// ExecutableFileExtensions is the shim's invoke.ExecutableFileExtensions,
	// which FindInPath tries.
	ExecutableFileExtensions Var[[]string]
	// VersionAll is the shim's version.All, which VersionsStartingFrom reads.
	VersionAll Var[PluginInfo]
)
