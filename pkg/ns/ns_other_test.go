//go:build !linux

package ns_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/cnirt/cni/pkg/ns"
)

func TestCheckNetNSIsAlwaysFalse(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"", os.TempDir(), "/var/run/netns/x", `C:\nope`} {
		same, err := ns.CheckNetNS(path)
		assert.False(t, same, path)
		assert.Nil(t, err, path)
	}
}
