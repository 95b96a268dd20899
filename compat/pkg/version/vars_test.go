package version

// In-package tests: the shim's packages take the reference's import paths
// in a runtime's build, where their own paths do not resolve, so nothing
// in the shim (tests included, which go mod tidy follows) imports them by
// path.

import (
	"testing"

	"github.com/stretchr/testify/assert"

	cnirt "github.com/cnirt/cni/version"
)

func TestVersionVariables(t *testing.T) {
	assert.Same(t, cnirt.Legacy, Legacy)
	assert.Same(t, cnirt.All, All)
	assert.Equal(t, []string{"1.0.0", "1.1.0"}, VersionsStartingFrom("1.0.0").SupportedVersions())

	// Setting All through the shim changes what VersionsStartingFrom
	// starts from, as setting the reference's does.
	old := All
	t.Cleanup(func() { All = old })
	All = PluginSupports("0.3.1", "1.0.0")
	assert.Equal(t, []string{"1.0.0"}, VersionsStartingFrom("0.4.0").SupportedVersions())
	assert.Equal(t, []string{"1.0.0"}, cnirt.VersionsStartingFrom("0.4.0").SupportedVersions())
}
