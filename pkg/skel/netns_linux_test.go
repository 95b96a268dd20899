//go:build linux

package skel_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/pkg/skel"
	"github.com/cnirt/cni/types"
	"github.com/cnirt/cni/version"
)

func TestOwnNetNSIsRefused(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		verb, override string
		refused        bool
	}{
		{"ADD", "", true},
		{"DEL", "", true},
		{"ADD", "1", false},
		{"ADD", "true", false},
		{"DEL", "TRUE", false},
		{"ADD", "yes", true},
		{"CHECK", "", false},
	} {
		env := fullEnv(c.verb)
		env["CNI_NETNS"] = "/proc/self/ns/net"
		env["CNI_NETNS_OVERRIDE"] = c.override
		called := false
		fn := func(*skel.CmdArgs) error { called = true; return nil }
		r := dispatch(env, strings.NewReader(conf("1.0.0")), skel.CNIFuncs{Add: fn, Del: fn, Check: fn}, version.All, "")
		if !c.refused {
			assert.Nil(t, r.err, "%s override=%q", c.verb, c.override)
			assert.True(t, called)
			continue
		}
		require.NotNil(t, r.err, "%s override=%q", c.verb, c.override)
		assert.Equal(t, types.ErrInvalidNetNS, r.err.Code)
		assert.Contains(t, r.err.Msg, "plugin's netns and netns from CNI_NETNS should not be the same")
		assert.False(t, called, "the plugin must not run against its own namespace")
	}
}
