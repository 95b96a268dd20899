package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRewriteHelperImports(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{`"github.com/containernetworking/cni/libcni"`, `"github.com/containernetworking/cni/libcni"`},
		{`"github.com/containernetworking/cni/pkg/types/100"`, `"github.com/containernetworking/cni/pkg/types/100"`},
		{`"github.com/containernetworking/cni/pkg/invoke"`, `"github.com/containernetworking/cni/pkg/invoke"`},
		{`"github.com/containernetworking/cni/pkg/invoke/fakes"`, `"refsuite.example/cni/invoke/fakes"`},
		{`"github.com/containernetworking/cni/plugins/test/noop"`, `"refsuite.example/cni/plugins/test/noop"`},
		{`noop_debug "github.com/containernetworking/cni/plugins/test/noop/debug"`, `noop_debug "refsuite.example/cni/plugins/test/noop/debug"`},
		{`"github.com/containernetworking/cni/pkg/version/testhelpers"`, `"refsuite.example/cni/version/testhelpers"`},
		{`// see https://github.com/containernetworking/cni/blob/main/SPEC.md`, `// see https://github.com/containernetworking/cni/blob/main/SPEC.md`},
	} {
		assert.Equal(t, c.want, rewriteHelperImports(c.in), c.in)
	}
}
