package version_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	cnirt "github.com/cnirt/cni/version"

	"github.com/cnirt/cni/compat/pkg/version"
)

func TestVersionVariables(t *testing.T) {
	assert.Same(t, cnirt.Legacy, version.Legacy)
	assert.Same(t, cnirt.All, version.All)
	assert.Equal(t, []string{"1.0.0", "1.1.0"}, version.VersionsStartingFrom("1.0.0").SupportedVersions())

	// Setting All through the shim changes what VersionsStartingFrom
	// starts from, as setting the reference's does.
	old := version.All
	t.Cleanup(func() { version.All = old })
	version.All = version.PluginSupports("0.3.1", "1.0.0")
	assert.Equal(t, []string{"1.0.0"}, version.VersionsStartingFrom("0.4.0").SupportedVersions())
	assert.Equal(t, []string{"1.0.0"}, cnirt.VersionsStartingFrom("0.4.0").SupportedVersions())
}
