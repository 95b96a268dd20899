//go:build !linux

package netns

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNamespacesAreUnsupported(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	assert.ErrorIs(t, Available(), ErrUnsupported)
	_, err := Create(ctx, "x")
	assert.ErrorIs(t, err, ErrUnsupported)
	assert.ErrorIs(t, (&NetNS{Name: "x"}).Delete(ctx), ErrUnsupported)
	called := false
	assert.ErrorIs(t, Do("/var/run/netns/x", func() error { called = true; return nil }), ErrUnsupported)
	assert.False(t, called, "Do must not run fn")
	_, err = Listen("/var/run/netns/x", "tcp", "127.0.0.1:0")
	assert.ErrorIs(t, err, ErrUnsupported)
	_, err = Dial(ctx, "/var/run/netns/x", "tcp", "127.0.0.1:1")
	assert.ErrorIs(t, err, ErrUnsupported)
	_, err = ReadFile("/var/run/netns/x", "/etc/hosts")
	assert.ErrorIs(t, err, ErrUnsupported)
	assert.False(t, LinkExists("lo"))
}
