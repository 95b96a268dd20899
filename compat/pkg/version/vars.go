package version

import (
	"github.com/cnirt/cni/pkg/shimvar"
	cnirt "github.com/cnirt/cni/version"
)

// Legacy is the very value of cnirt's [cnirt.Legacy]: a plugin that speaks
// 0.1.0 and 0.2.0. Nothing reads it but the caller.
var Legacy = cnirt.Legacy

// All is the very value of cnirt's [cnirt.All]: every specification
// version. VersionsStartingFrom reads it whenever cnirt's own All keeps its
// initial value, so setting either one works.
var All = cnirt.All

func init() {
	shimvar.VersionAll.Bind(func() shimvar.PluginInfo { return All })
}
