package invoke

import (
	"slices"

	cnirt "github.com/cnirt/cni/invoke"
	"github.com/cnirt/cni/pkg/shimvar"
)

// ExecutableFileExtensions lists the suffixes FindInPath tries after a
// plugin's name. It is a list of its own, starting equal to cnirt's
// [cnirt.ExecutableFileExtensions]; FindInPath uses it whenever cnirt's
// list keeps its default, so setting (or editing) either one works.
var ExecutableFileExtensions = slices.Clone(cnirt.ExecutableFileExtensions)

func init() {
	shimvar.ExecutableFileExtensions.Bind(func() []string { return ExecutableFileExtensions })
}
