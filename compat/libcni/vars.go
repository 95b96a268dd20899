package libcni

import (
	cnirt "github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/pkg/shimvar"
)

// CacheDir is the reference's settable default cache directory. It is a
// variable of its own (Go has no variable aliases), starting at cnirt's
// [cnirt.CacheDir] value; cnirt's operations use it whenever cnirt's own
// CacheDir keeps its default, so setting either one works, and setting
// both to different values leaves cnirt's in force.
var CacheDir = cnirt.CacheDir

// ErrorCheckNotSupp is the very error value of cnirt's
// [cnirt.ErrorCheckNotSupp], so errors.Is matches a CHECK refusal from
// either package. Should a program replace it, cnirt wraps the replacement
// as the reference does, unless cnirt's own variable was replaced too.
var ErrorCheckNotSupp = cnirt.ErrorCheckNotSupp

func init() {
	shimvar.CacheDir.Bind(func() string { return CacheDir })
	shimvar.ErrorCheckNotSupp.Bind(func() error { return ErrorCheckNotSupp })
}
